import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { checkStatic, selectResponse } from '../local/api-gateway-responses';
import { readPipelineDefinition, Template as CfnTemplate } from '../local/example-template';
import { ImageResizePipeline } from '../src';

const stack = new Stack(new App(), 'Test');
new ImageResizePipeline(stack, 'Images');
const template = Template.fromStack(stack);
const { api } = readPipelineDefinition(template.toJSON() as CfnTemplate);

/** What the caller is told for each HTTP status the AWS service answers with. */
function answers(route: typeof api.upload, statuses: number[]): Record<number, string> {
  return Object.fromEntries(statuses.map((status) => [status, selectResponse(route.responses, status).statusCode]));
}

const EVERY_STATUS = Array.from({ length: 500 }, (_, i) => 100 + i);

describe('which answer each S3 and SNS status gets', () => {
  test.each([['PUT /upload-image', api.upload], ['POST /subscribe', api.subscribe]])(
    '%s: no status matches two selection patterns, and only a 2xx is a success', (_route, route) => {
      // selectResponse throws for a status that two patterns match
      const chosen = answers(route, EVERY_STATUS);

      expect(EVERY_STATUS.filter((status) => chosen[status] === '200')).toEqual(EVERY_STATUS.filter((status) => status >= 200 && status < 300));
    });

  test('PUT /upload-image: a redirect (another region), 403 (no permission) and 404 (no such bucket) all say it is not the upload bucket', () => {
    expect(answers(api.upload, [200, 301, 307, 400, 403, 404, 409, 412, 500, 503, 100])).toEqual({
      200: '200', 301: '403', 307: '403', 400: '400', 403: '403', 404: '403', 409: '400', 412: '400', 500: '502', 503: '502', 100: '502',
    });
  });

  test('POST /subscribe: SNS\'s refusals are 400 and anything else it says is 502', () => {
    expect(answers(api.subscribe, [200, 301, 400, 403, 404, 500])).toEqual({
      200: '200', 301: '502', 400: '400', 403: '400', 404: '400', 500: '502',
    });
  });
});

describe('gateway responses', () => {
  test.each(['BAD_REQUEST_BODY', 'REQUEST_TOO_LARGE'])('%s is JSON as written, since API Gateway runs no VTL on it', (type) => {
    const { template: body } = api.gatewayResponses[type];

    expect(() => checkStatic(body, type)).not.toThrow();
    expect(JSON.parse(body)).toEqual({ message: expect.any(String) });
  });
});

test('PUT /upload-image requires a Content-Type, without which API Gateway would store the body re-encoded as text', () => {
  template.hasResourceProperties('AWS::ApiGateway::Method', {
    HttpMethod: 'PUT',
    RequestParameters: Match.objectLike({ 'method.request.header.Content-Type': true }),
    RequestValidatorId: Match.anyValue(),
  });
  template.hasResourceProperties('AWS::ApiGateway::RequestValidator', { ValidateRequestParameters: true });
});

test('the subscribe route, which has throttling of its own, also logs errors like the rest of the stage', () => {
  template.hasResourceProperties('AWS::ApiGateway::Stage', {
    MethodSettings: Match.arrayWith([
      Match.objectLike({ HttpMethod: '*', ResourcePath: '/*', LoggingLevel: 'ERROR' }),
      Match.objectLike({ HttpMethod: 'POST', ResourcePath: '/~1subscribe', LoggingLevel: 'ERROR' }),
    ]),
  });
});

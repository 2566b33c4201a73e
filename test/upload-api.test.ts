import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { checkRenderable, checkStatic, gatewayResponseHeaders, renderResponse, renderTemplate, selectResponse } from '../local/api-gateway-responses';
import { readPipelineDefinition, Template as CfnTemplate } from '../local/example-template';
import { ApiAuthorization, ImageResizePipeline, ImageResizePipelineProps, NotificationScope } from '../src';
import { parseSubscribeRequest, SUBSCRIBE_REQUEST_SCHEMA } from '../src/api/subscribe-request';
import { filenameProblem } from '../src/upload-url/upload-request';

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

  test('POST /subscribe: SNS\'s refusals are 400, but its 403 is 503, and anything else it says is 502', () => {
    expect(answers(api.subscribe, [200, 301, 400, 403, 404, 409, 500])).toEqual({
      200: '200', 301: '502', 400: '400', 403: '503', 404: '400', 409: '400', 500: '502',
    });
  });

  test('POST /subscribe: SNS\'s 403, its answer once the topic has all the filter policies it allows, sends the caller to the operator', () => {
    const { message } = JSON.parse(renderTemplate(selectResponse(api.subscribe.responses, 403).template, {}));

    expect(message).toMatch(/filter/);
    expect(message).toMatch(/200 a topic/);
    expect(message).toMatch(/operator .*Service Quotas/);
  });

  test('POST /subscribe: the 403 has an integration response and a method response of its own, apart from the other 4xx', () => {
    const [method] = Object.values(template.findResources('AWS::ApiGateway::Method', {
      Properties: { ResourceId: { Ref: Match.stringLikeRegexp('subscribe') } },
    }));
    const patterns = method.Properties.Integration.IntegrationResponses
      .map((response: { StatusCode: string; SelectionPattern?: string }) => [response.StatusCode, response.SelectionPattern]);

    expect(patterns).toContainEqual(['503', '403']);
    expect(patterns.filter(([, pattern]: string[]) => pattern !== undefined && new RegExp(`^(?:${pattern})$`).test('403'))).toHaveLength(1);
    expect(method.Properties.MethodResponses).toContainEqual({ StatusCode: '503' });
  });

  test('POST /subscribe under BROADCAST, whose subscriptions have no filter policy, answers SNS\'s 403 as its other refusals', () => {
    const broadcast = new Stack(new App(), 'Broadcast');
    new ImageResizePipeline(broadcast, 'Images', { notificationScope: NotificationScope.BROADCAST });
    const { api: broadcastApi } = readPipelineDefinition(Template.fromStack(broadcast).toJSON() as CfnTemplate);

    expect(answers(broadcastApi.subscribe, [400, 403, 404])).toEqual({ 400: '400', 403: '400', 404: '400' });
  });
});

describe('the local API\'s reading of CORS', () => {
  const withOrigin = new Stack(new App(), 'WithOrigin');
  new ImageResizePipeline(withOrigin, 'Images', { allowedOrigins: ['https://app.example.com'] });
  const { api: corsApi } = readPipelineDefinition(Template.fromStack(withOrigin).toJSON() as CfnTemplate);

  test.each([
    ['Origin', 'https://app.example.com', 'https://app.example.com'],
    ['origin', 'https://app.example.com', 'https://app.example.com'],
    ['Origin', 'https://evil.example.com', undefined],
    ['Origin', 'https://app.example.com.evil.example', undefined],
    ['ORIGIN', 'https://app.example.com', undefined],
  ])('an integration response to %s: %s names %s, as the deployed VTL would', (name, origin, named) => {
    const { body, headers } = renderResponse(selectResponse(corsApi.upload.responses, 200), { params: { bucket: 'b', filename: 'f.jpg' }, headers: { [name]: origin } });

    expect(JSON.parse(body)).toEqual({ bucket: 'b', key: 'f.jpg' });
    expect(headers['Access-Control-Allow-Origin']).toBe(named);
    expect(headers.Vary).toBe('Origin');
  });

  test('with one origin, DEFAULT_4XX names it', () => {
    expect(gatewayResponseHeaders(corsApi.gatewayResponses.DEFAULT_4XX)).toEqual({ 'Access-Control-Allow-Origin': 'https://app.example.com' });
  });

  test('a header mapped from the request, which the local API does not render, refuses it at start-up', () => {
    const response = { statusCode: '200', template: '{}', responseParameters: { 'method.response.header.Access-Control-Allow-Origin': 'method.request.header.Origin' } };

    expect(() => checkRenderable(response, 'PUT /x 200')).toThrow(/renders only fixed response headers, not method.response.header.Access-Control-Allow-Origin/);
  });

  test('an origin check of another shape than the construct writes refuses it at start-up', () => {
    const otherCheck = '#if($input.params().header.get(\'Origin\') == "https://a.example.com")#set($context.responseOverride.header.Access-Control-Allow-Origin = "*")#end{}';

    expect(() => checkRenderable({ statusCode: '200', template: otherCheck, responseParameters: {} }, 'PUT /x 200')).toThrow(/uses VTL the local API does not render/);
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

test('POST /subscribe maps only an application/json body and passes no other through, so API Gateway answers any other Content-Type 415', () => {
  const [method] = Object.values(template.findResources('AWS::ApiGateway::Method', {
    Properties: { ResourceId: { Ref: Match.stringLikeRegexp('subscribe') } },
  }));

  expect(Object.keys(method.Properties.Integration.RequestTemplates)).toEqual(['application/json']);
  expect(method.Properties.Integration.PassthroughBehavior).toBe('NEVER');
});

test('the subscribe route, which has throttling of its own, also logs errors like the rest of the stage', () => {
  template.hasResourceProperties('AWS::ApiGateway::Stage', {
    MethodSettings: Match.arrayWith([
      Match.objectLike({ HttpMethod: '*', ResourcePath: '/*', LoggingLevel: 'ERROR' }),
      Match.objectLike({ HttpMethod: 'POST', ResourcePath: '/~1subscribe', LoggingLevel: 'ERROR' }),
    ]),
  });
});

describe('the access log', () => {
  /** The stage's access log format, parsed: each field's value is the $context variable API Gateway writes there. */
  function accessLogFields(props: (scope: Stack) => ImageResizePipelineProps): Record<string, string> {
    const own = new Stack(new App(), 'Test');
    new ImageResizePipeline(own, 'Images', props(own));
    const [stage] = Object.values(Template.fromStack(own).findResources('AWS::ApiGateway::Stage'));
    return JSON.parse(stage.Properties.AccessLogSetting.Format);
  }

  const outcome = {
    path: '$context.path',
    resourcePath: '$context.resourcePath',
    status: '$context.status',
    integrationStatus: '$context.integration.status',
    integrationError: '$context.integrationErrorMessage',
    error: '$context.error.message',
    errorType: '$context.error.responseType',
  };

  test.each([
    ['iam()', () => ApiAuthorization.iam(), '$context.identity.userArn'],
    ['cognito()', (scope: Stack) => ApiAuthorization.cognito(new cognito.UserPool(scope, 'Users')), '$context.authorizer.claims.sub'],
  ])('with %s, names the file\'s path, the caller as uploads record it, and what the integration and API Gateway answered', (_name, authorization, caller) => {
    expect(accessLogFields((scope) => ({ apiAuthorization: authorization(scope) }))).toMatchObject({ ...outcome, caller });
  });

  test('with none(), which knows no caller, has no caller field and the rest', () => {
    const fields = accessLogFields(() => ({ apiAuthorization: ApiAuthorization.none(), notificationScope: NotificationScope.BROADCAST }));

    expect(fields).toMatchObject(outcome);
    expect(fields).not.toHaveProperty('caller');
  });
});

describe('the POST /upload-url model', () => {
  const model = Object.values(template.findResources('AWS::ApiGateway::Model', { Properties: { Name: 'UploadUrlRequest' } }))[0];
  const filename = model.Properties.Schema.properties.filename;

  /** Every rule of the function's but the byte length, which JSON Schema cannot express, and names it accepts. */
  const NAMES = [
    'photo.jpg', 'My photo+1 \u00fc.jpg', '\u{1F469}\u200d\u{1F467} family.jpg', '\u0635\u0648\u0631\u0629.jpg', '\u{20BB7}.png', '...jpg', '.hidden',
    'a/b.jpg', '.', '..', 'bad\nname.jpg', 'tab\t.jpg', 'del\u007f.jpg', 'nel\u0085.jpg', 'bad\ud83dname.jpg', 'bad\udc00name.jpg',
    'photo\u202egpj.exe', '\u2068photo.jpg', 'a\u2028b.jpg', 'a\u2029b.jpg', '\ufeffphoto.jpg', 'photo\ufffe.jpg', 'photo\uffff.jpg',
    'x${filename}', '${filename}.jpg',
  ];

  // JSON Schema draft 4 reads patterns as ECMA 262 regular expressions, which match UTF-16 code units; a validator
  // that reads by code point (as java.util.regex does, or JavaScript with the u flag) must come to the same answer.
  test.each([['by UTF-16 code unit', ''], ['by code point', 'u']])('refuses, %s, exactly the names the function refuses for a rule other than byte length', (_how, flags) => {
    const pattern = new RegExp(filename.pattern, flags);

    const modelRefuses = NAMES.filter((name) => !pattern.test(name));

    expect(modelRefuses).toEqual(NAMES.filter((name) => filenameProblem(name) !== undefined));
  });

  test('leaves the byte length to the function: a name of 1,024 characters but more bytes passes the model', () => {
    const name = '\u00e9'.repeat(1024);

    expect(new RegExp(filename.pattern).test(name) && name.length <= filename.maxLength).toBe(true);
    expect(filenameProblem(name)).toMatch(/at most 1024 bytes/);
  });
});

describe('the POST /subscribe rules, which the deployed model and the local server\'s parse share', () => {
  test('the deployed model is SUBSCRIBE_REQUEST_SCHEMA, whose rules the parse follows', () => {
    const [model] = Object.values(template.findResources('AWS::ApiGateway::Model', { Properties: { Name: 'SubscribeRequest' } }));

    expect(model.Properties.Schema).toEqual(SUBSCRIBE_REQUEST_SCHEMA);
  });

  test('an endpoint subscribes with the protocol its URL names', () => {
    expect(parseSubscribeRequest({ endpoint: 'http://example.com/hook' })).toEqual({ protocol: 'http', endpoint: 'http://example.com/hook' });
    expect(parseSubscribeRequest({ endpoint: 'https://example.com/hook' })).toEqual({ protocol: 'https', endpoint: 'https://example.com/hook' });
  });

  /** 64 characters, the most before the @, then a domain that makes the whole address `length` characters. */
  const emailOfLength = (length: number) => `${'a'.repeat(64)}@${'b'.repeat(length - 64 - 1 - '.com'.length)}.com`;

  test.each([
    ['254 characters long, the most an address can be', emailOfLength(254)],
    ['with a two-letter top-level domain', 'me@example.co'],
  ])('accepts an email address %s', (_case, email) => {
    expect(parseSubscribeRequest({ email })).toEqual({ protocol: 'email', endpoint: email });
  });

  test.each([
    ['255 characters long', emailOfLength(255)],
    ['with a one-letter top-level domain', 'me@example.c'],
  ])('refuses an email address %s', (_case, email) => {
    expect(parseSubscribeRequest({ email })).toEqual({ error: '"email" must be an email address' });
  });
});

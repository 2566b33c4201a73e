import { App, CfnParameter, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ApiAuthorization, ImageResizePipeline, ImageResizePipelineProps } from '../src';

const APP = 'https://app.example.com';
const LOCALHOST = 'http://localhost:3000';

function synth(props: ImageResizePipelineProps | ((stack: Stack) => ImageResizePipelineProps) = {}) {
  const stack = new Stack(new App(), 'Test');
  const pipeline = new ImageResizePipeline(stack, 'Images', typeof props === 'function' ? props(stack) : props);
  return { stack, pipeline, template: Template.fromStack(stack) };
}

type CfnResource = { Properties: Record<string, any> };

/** The resource path of each method, e.g. `/upload-image/{bucket}/{filename}`, by walking its parents. */
function resourcePath(template: Template, resourceId: unknown): string {
  const ref = (resourceId as { Ref?: string }).Ref;
  if (ref === undefined) return '';
  const resource = template.toJSON().Resources[ref];
  return `${resourcePath(template, resource.Properties.ParentId)}/${resource.Properties.PathPart}`;
}

function methods(template: Template, httpMethod: string): Record<string, CfnResource['Properties']> {
  return Object.fromEntries(Object.values(template.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: httpMethod } }))
    .map((method) => [resourcePath(template, method.Properties.ResourceId), method.Properties]));
}

function gatewayResponses(template: Template): Record<string, CfnResource['Properties']> {
  return Object.fromEntries(Object.values(template.findResources('AWS::ApiGateway::GatewayResponse'))
    .map((response) => [response.Properties.ResponseType, response.Properties]));
}

function uploadUrlEnvironment(template: Template): Record<string, unknown> {
  const [fn] = Object.values(template.findResources('AWS::Lambda::Function', {
    Properties: { Environment: { Variables: { UPLOAD_BUCKET: Match.anyValue() } } },
  }));
  return fn.Properties.Environment.Variables;
}

/** The upload bucket is the one the bucket notifications name. */
function uploadBucket(template: Template): CfnResource['Properties'] {
  const [notifications] = Object.values(template.findResources('Custom::S3BucketNotifications'));
  return template.toJSON().Resources[notifications.Properties.BucketName.Ref].Properties;
}

const ROUTES = {
  '/subscribe': 'POST',
  '/upload-url': 'POST',
  '/upload-image/{bucket}/{filename}': 'PUT',
};

/** What the integration responses of the S3 and SNS routes start with, to choose the header by the request's Origin. */
const ORIGIN_FILTER = '#set($origin = $input.params().header.get(\'Origin\'))'
  + '#if("$!origin" == "")#set($origin = $input.params().header.get(\'origin\'))#end'
  + `#if($origin == "${APP}" || $origin == "${LOCALHOST}")#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)#end`;

describe('without allowedOrigins', () => {
  const { template } = synth();

  test('no OPTIONS method, no CORS header on any response, no CORS rule on the upload bucket, no origins for the upload-url function', () => {
    expect(methods(template, 'OPTIONS')).toEqual({});
    const json = JSON.stringify(template.toJSON());
    expect(json).not.toMatch(/Access-Control|responseOverride|Vary/);
    expect(uploadBucket(template)).not.toHaveProperty('CorsConfiguration');
    expect(uploadUrlEnvironment(template)).not.toHaveProperty('ALLOWED_ORIGINS');
  });
});

describe.each([
  ['IAM', () => ApiAuthorization.iam()],
  ['Cognito', (stack: Stack) => ApiAuthorization.cognito(new cognito.UserPool(stack, 'Users'))],
])('with allowedOrigins and %s authorization', (_name, authorization) => {
  const { template } = synth((stack) => ({ allowedOrigins: [APP, LOCALHOST], apiAuthorization: authorization(stack) }));
  const preflights = methods(template, 'OPTIONS');

  test('each route has an OPTIONS method without authorization, since browsers never sign a preflight, answered by a mock integration', () => {
    expect(Object.keys(preflights).sort()).toEqual(Object.keys(ROUTES).sort());
    for (const method of Object.values(preflights)) {
      expect(method).toMatchObject({ AuthorizationType: 'NONE', Integration: { Type: 'MOCK' } });
      expect(method).not.toHaveProperty('AuthorizerId');
      expect(method).not.toHaveProperty('ApiKeyRequired', true);
    }
  });

  test.each(Object.entries(ROUTES))('the preflight of %s allows %s, the headers SigV4 and Cognito callers send, and only the listed origins, for an hour', (path, httpMethod) => {
    const [response] = preflights[path].Integration.IntegrationResponses;
    const headers = response.ResponseParameters;

    expect(headers['method.response.header.Access-Control-Allow-Methods']).toBe(`'${httpMethod},OPTIONS'`);
    const allowedHeaders = headers['method.response.header.Access-Control-Allow-Headers'].replace(/'/g, '').split(',');
    expect(allowedHeaders.sort()).toEqual(['Authorization', 'Content-Type', 'X-Amz-Content-Sha256', 'X-Amz-Date', 'X-Amz-Security-Token', 'X-Amz-User-Agent']);
    expect(headers['method.response.header.Access-Control-Max-Age']).toBe('\'3600\'');
    expect(headers['method.response.header.Vary']).toBe('\'Origin\'');
    expect(headers).not.toHaveProperty(['method.response.header.Access-Control-Allow-Origin']);
    expect(response.ResponseTemplates['application/json']).toBe(ORIGIN_FILTER);
    expect(preflights[path].MethodResponses).toEqual([{
      StatusCode: response.StatusCode,
      ResponseParameters: Object.fromEntries([...Object.keys(headers), 'method.response.header.Access-Control-Allow-Origin'].map((name) => [name, true])),
    }]);
  });

  test('every integration response of the S3 and SNS routes, success and error, names the request\'s Origin when it is listed, with Vary: Origin', () => {
    for (const [path, httpMethod] of [['/upload-image/{bucket}/{filename}', 'PUT'], ['/subscribe', 'POST']]) {
      const method = methods(template, httpMethod)[path];
      const responses = method.Integration.IntegrationResponses;
      expect(responses.length).toBeGreaterThanOrEqual(4);
      for (const response of responses) {
        expect(response.ResponseTemplates['application/json'].startsWith(ORIGIN_FILTER)).toBe(true);
        expect(response.ResponseParameters).toEqual({ 'method.response.header.Vary': '\'Origin\'' });
      }
      for (const methodResponse of method.MethodResponses) {
        expect(methodResponse.ResponseParameters).toEqual({
          'method.response.header.Access-Control-Allow-Origin': true,
          'method.response.header.Vary': true,
        });
      }
    }
  });

  test('the routes themselves keep their authorization', () => {
    for (const [path, httpMethod] of Object.entries(ROUTES)) {
      expect(methods(template, httpMethod)[path].AuthorizationType).not.toBe('NONE');
    }
  });

  test('with several origins, API Gateway\'s own answers, which cannot choose among them, name no origin', () => {
    const responses = gatewayResponses(template);

    expect(Object.keys(responses).sort()).toEqual(['BAD_REQUEST_BODY', 'REQUEST_TOO_LARGE']);
    expect(JSON.stringify(responses)).not.toMatch(/Access-Control/);
  });

  test('the upload bucket lets the listed origins send the presigned POST', () => {
    expect(uploadBucket(template).CorsConfiguration).toEqual({
      CorsRules: [{ AllowedMethods: ['POST'], AllowedOrigins: [APP, LOCALHOST], MaxAge: 3600 }],
    });
  });

  test('the upload-url function is given the origins, to answer with the header itself', () => {
    expect(uploadUrlEnvironment(template)).toHaveProperty('ALLOWED_ORIGINS', `${APP},${LOCALHOST}`);
  });
});

describe('with one allowed origin', () => {
  const { template } = synth({ allowedOrigins: [APP] });

  test('API Gateway\'s own answers (every 4xx and 5xx, and the two the pipeline words itself) name it, so a page there can read a 403, 413 or 429', () => {
    const responses = gatewayResponses(template);

    expect(Object.keys(responses).sort()).toEqual(['BAD_REQUEST_BODY', 'DEFAULT_4XX', 'DEFAULT_5XX', 'REQUEST_TOO_LARGE']);
    for (const response of Object.values(responses)) {
      expect(response.ResponseParameters).toEqual({ 'gatewayresponse.header.Access-Control-Allow-Origin': `'${APP}'` });
    }
    expect(responses.DEFAULT_4XX).not.toHaveProperty('StatusCode');
    expect(responses.DEFAULT_4XX).not.toHaveProperty('ResponseTemplates');
  });

  test('the integration responses still check the request\'s Origin, so another origin gets no header', () => {
    const [response] = methods(template, 'PUT')['/upload-image/{bucket}/{filename}'].Integration.IntegrationResponses;

    expect(response.ResponseTemplates['application/json'])
      .toMatch(`#if($origin == "${APP}")#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)#end{`);
  });
});

describe('with allowedOrigins [\'*\']', () => {
  const { template } = synth({ allowedOrigins: ['*'] });

  test('every response and preflight says *, unconditionally and without Vary', () => {
    // The upload-url route's proxy integration has no integration responses: the function answers with the header.
    const serviceRoutes: Array<[string, string | undefined]> = [['/upload-image/{bucket}/{filename}', 'PUT'], ['/subscribe', 'POST'], ['/upload-url', undefined]];
    for (const [path, httpMethod] of serviceRoutes) {
      const withResponses = [methods(template, 'OPTIONS')[path], ...(httpMethod ? [methods(template, httpMethod)[path]] : [])];
      for (const method of withResponses) {
        for (const response of method.Integration.IntegrationResponses) {
          expect(response.ResponseParameters['method.response.header.Access-Control-Allow-Origin']).toBe('\'*\'');
          expect(response.ResponseParameters).not.toHaveProperty(['method.response.header.Vary']);
          expect(response.ResponseTemplates?.['application/json'] ?? '').not.toMatch(/responseOverride/);
        }
      }
    }
    for (const response of Object.values(gatewayResponses(template))) {
      expect(response.ResponseParameters).toEqual({ 'gatewayresponse.header.Access-Control-Allow-Origin': '\'*\'' });
    }
    expect(uploadBucket(template).CorsConfiguration.CorsRules[0].AllowedOrigins).toEqual(['*']);
    expect(uploadUrlEnvironment(template)).toHaveProperty('ALLOWED_ORIGINS', '*');
  });
});

test('grantUpload and grantSubscribe still apply: the unauthorized preflights are not routes a grant covers', () => {
  const { stack, pipeline } = synth({ allowedOrigins: [APP] });
  const role = new iam.Role(stack, 'Uploader', { assumedBy: new iam.AccountRootPrincipal() });

  expect(() => pipeline.grantUpload(role)).not.toThrow();
  expect(() => pipeline.grantSubscribe(role)).not.toThrow();
});

test('a passed-in upload bucket is not changed, and the synth warns with the CORS rule to add to it', () => {
  const { stack, template } = synth((scope) => ({ allowedOrigins: [APP], uploadBucket: s3.Bucket.fromBucketName(scope, 'Photos', 'my-photos') }));

  expect(Object.values(template.findResources('AWS::S3::Bucket')).some((bucket) => bucket.Properties.CorsConfiguration)).toBe(false);
  const [warning] = Annotations.fromStack(stack).findWarning('/Test/Images', Match.stringLikeRegexp('uploadBucketCors'));
  expect(warning.entry.data).toMatch(`allowedOrigins: the upload bucket was passed in, so the pipeline does not change it, and browsers at ${APP} cannot send the presigned POST until you add this CORS rule to it: `
    + `{"AllowedMethods":["POST"],"AllowedOrigins":["${APP}"],"MaxAgeSeconds":3600}`);
});

test('the pipeline\'s own upload bucket gets the CORS rule itself, so the synth does not warn', () => {
  const { stack } = synth({ allowedOrigins: [APP] });

  Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('uploadBucketCors'));
});

describe('allowedOrigins validation', () => {
  test.each<[string, unknown, string]>([
    ['an empty list', [], 'allowedOrigins: must name at least one origin; leave it out for no CORS'],
    ['not a list', APP, `allowedOrigins: must be a list of origins such as ["${APP}"], got "${APP}"`],
    ['a path', [`${APP}/app`], `allowedOrigins[0]: "${APP}/app" is not written as a browser sends it, so it would never match: give "${APP}"`],
    ['a trailing slash', [`${APP}/`], `allowedOrigins[0]: "${APP}/" is not written as a browser sends it, so it would never match: give "${APP}"`],
    ['a query', [`${APP}?a=1`], `allowedOrigins[0]: "${APP}?a=1" is not written as a browser sends it, so it would never match: give "${APP}"`],
    ['a fragment', [`${APP}#top`], `allowedOrigins[0]: "${APP}#top" is not written as a browser sends it, so it would never match: give "${APP}"`],
    ['a user and password', ['https://user:secret@app.example.com'], `allowedOrigins[0]: "https://user:secret@app.example.com" is not written as a browser sends it, so it would never match: give "${APP}"`],
    ['another scheme', ['ftp://app.example.com'], 'allowedOrigins[0]: "ftp://app.example.com" must be an http or https origin, as a browser sends it for a web page, e.g. "https://app.example.com"'],
    ['no scheme', ['app.example.com'], 'allowedOrigins[0]: "app.example.com" is not an origin: give one as a browser sends it, http(s)://host[:port], e.g. "https://app.example.com"'],
    ['a wildcard subdomain', ['https://*.example.com'], 'allowedOrigins[0]: "https://*.example.com" has a host with characters no DNS name has: give letters, digits, \'-\' and \'_\' in labels joined by dots, or an IP address (each origin listed in full, no wildcards)'],
    ['the null origin', ['null'], 'allowedOrigins[0]: "null" is not an origin'],
    ['upper case', ['https://App.Example.com'], `allowedOrigins[0]: "https://App.Example.com" is not written as a browser sends it, so it would never match: give "${APP}"`],
    ['the default port', ['https://app.example.com:443'], `allowedOrigins[0]: "https://app.example.com:443" is not written as a browser sends it, so it would never match: give "${APP}"`],
    ['a port out of range', ['http://localhost:70000'], 'allowedOrigins[0]: "http://localhost:70000" is not an origin'],
    ['* among others', ['*', APP], 'allowedOrigins: "*" allows every origin and cannot be listed with others: give ["*"] alone'],
    ['* after another origin', [APP, '*'], 'allowedOrigins: "*" allows every origin and cannot be listed with others: give ["*"] alone'],
    ['a duplicate', [APP, LOCALHOST, APP], `allowedOrigins[2]: "${APP}" is listed more than once`],
    ['a duplicate right after the first', [APP, APP], `allowedOrigins[1]: "${APP}" is listed more than once`],
    ['not a string', [42], 'allowedOrigins[0]: must be an origin string, got 42'],
  ])('refuses %s', (_case, allowedOrigins, message) => {
    expect(() => synth({ allowedOrigins: allowedOrigins as string[] })).toThrow(message);
  });

  test('refuses a deploy-time token, as the origins are checked and written into the API at synth', () => {
    expect(() => synth((stack) => ({ allowedOrigins: [new CfnParameter(stack, 'Origin').valueAsString] })))
      .toThrow('allowedOrigins[0]: must be a literal, not a deploy-time token');
    expect(() => synth((stack) => ({ allowedOrigins: new CfnParameter(stack, 'Origins', { type: 'CommaDelimitedList' }).valueAsList })))
      .toThrow('allowedOrigins: must be a literal, not a deploy-time token');
  });

  test('refuses more origins than the upload-url function\'s environment, which Lambda caps at 4 KB, can hold', () => {
    const origins = Array.from({ length: 200 }, (_, i) => `https://app-${i}.example.com`);

    expect(() => synth({ allowedOrigins: origins })).toThrow(/allowedOrigins: the origins go into the upload-url function's environment, which Lambda caps at 4 KB: \d+ characters is over the 3000 that leave room for its other settings/);
  });

  test('accepts https and http origins with a port, an IP address or an IPv6 address', () => {
    expect(() => synth({ allowedOrigins: [APP, LOCALHOST, 'http://127.0.0.1:8080', 'http://[::1]:5173', 'https://xn--bcher-kva.example'] })).not.toThrow();
  });

  test('accepts a host with an underscore or a trailing dot, which browsers send as written', () => {
    expect(() => synth({ allowedOrigins: ['http://my_app.local', 'https://app.example.com.'] })).not.toThrow();
  });

  test.each([
    ['an IPv6 address written out in full', 'http://[0:0:0:0:0:0:0:1]:3000', 'http://[::1]:3000'],
    ['an IPv4-mapped IPv6 address', 'http://[::ffff:127.0.0.1]', 'http://[::ffff:7f00:1]'],
    ['a shortened IPv4 address', 'http://127.1', 'http://127.0.0.1'],
    ['an IPv4 address in hex', 'http://0x7f.0.0.1', 'http://127.0.0.1'],
    ['an IPv4 address with leading zeros', 'http://127.000.000.001', 'http://127.0.0.1'],
    ['an IPv4 address of three parts', 'https://1.2.3', 'https://1.2.0.3'],
    ['an internationalized domain name', 'https://bücher.example', 'https://xn--bcher-kva.example'],
  ])('refuses %s, which browsers send in another form, and names that form', (_case, origin, sent) => {
    expect(() => synth({ allowedOrigins: [origin] })).toThrow(`allowedOrigins[0]: "${origin}" is not written as a browser sends it`);
    expect(() => synth({ allowedOrigins: [origin] })).toThrow(`so it would never match: give "${sent}"`);
  });

  // Copied from https://fetch.spec.whatwg.org/#port-blocking rather than imported, so that a port dropped from or
  // mistyped in the source's list fails here.
  const FETCH_BAD_PORTS = [
    0, 1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110,
    111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532,
    540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061,
    6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
  ];

  // Browsers never fetch from a bad port, so no page is loaded from one and its origin never reaches an Origin header.
  test.each([
    ['http://localhost:0', 0],
    ['https://app.example.com:0', 0],
    ['http://[::1]:0', 0],
    ['http://localhost:00', 0],
    ['http://localhost:1', 1],
    ['http://localhost:6000', 6000],
    ['http://127.0.0.1:6667', 6667],
    ['http://localhost:06000', 6000],
    ['https://app.example.com:10080', 10080],
  ])('refuses %s, whose port %d browsers block', (origin, port) => {
    expect(() => synth({ allowedOrigins: [origin] })).toThrow(
      `allowedOrigins[0]: "${origin}" has port ${port}, which browsers block (Fetch's bad ports), so no page is loaded from it: give the port the page is served on, e.g. "http://localhost:3000"`);
  });

  test('refuses every port on Fetch\'s bad-port list, each with its own message', () => {
    const origins = FETCH_BAD_PORTS.map((port) => `http://a:${port}`);

    let error = 'no error';
    try {
      synth({ allowedOrigins: origins });
    } catch (thrown) {
      error = (thrown as Error).message;
    }

    origins.forEach((origin, index) => expect(error).toContain(`allowedOrigins[${index}]: "${origin}" has port ${FETCH_BAD_PORTS[index]}, which browsers block`));
    expect(error.match(/which browsers block/g)).toHaveLength(FETCH_BAD_PORTS.length);
  });

  test('accepts every port next to a bad one that is not bad itself', () => {
    const neighbours = [...new Set(FETCH_BAD_PORTS.flatMap((port) => [port - 1, port + 1]))]
      .filter((port) => port > 0 && !FETCH_BAD_PORTS.includes(port));
    expect(neighbours).toEqual(expect.arrayContaining([2, 5999, 6664, 6670, 10079, 10081]));

    // https, as an http origin is written without 80, its default port and the neighbour of the bad 79.
    expect(() => synth({ allowedOrigins: neighbours.map((port) => `https://a:${port}`) })).not.toThrow();
  });

  test.each(['https://a..example', 'https://.example', 'https://example..', 'https://.'])('refuses %s, whose host has an empty label, and says so', (origin) => {
    expect(() => synth({ allowedOrigins: [origin] })).toThrow(`allowedOrigins[0]: "${origin}" has an empty label in its host (a dot at the start or two in a row)`);
  });

  test.each(['http://[:::]', 'http://[.]', 'https://a.123'])('refuses %s, which is not a URL', (origin) => {
    expect(() => synth({ allowedOrigins: [origin] })).toThrow(`allowedOrigins[0]: "${origin}" is not an origin`);
  });

  // The origins are written into a VTL string literal, a single-quoted header value and a comma-separated variable,
  // and WHATWG URLs let all of these characters through in a host.
  test.each(['https://a$b.example', 'https://a"b.example', 'https://a\'b.example', 'https://a,b.example', 'https://a%24b.example'])(
    'refuses %s, a host no DNS name has, whose characters would break out of the strings the origins go into', (origin) => {
      expect(() => synth({ allowedOrigins: [origin] })).toThrow(`allowedOrigins[0]: ${JSON.stringify(origin)} has a host with characters no DNS name has`);
    });

  test.each(['#', '%23', '\\', '%5c', '\n', '%0a', '$', '"'])('refuses a host with %j in it, as written or percent-encoded', (character) => {
    const origin = `https://a${character}b.example`;
    expect(() => synth({ allowedOrigins: [origin] })).toThrow(`allowedOrigins[0]: ${JSON.stringify(origin)} `);
  });
});

/**
 * The deployed API's routes, served on loopback with the same rules: uploads only into the upload bucket (403
 * otherwise, nothing written), API Gateway's 10 MB body limit (413), subscribe and upload-url JSON bodies checked
 * in place of the API's JSON schema models (400). Responses are the deployed API's own templates;
 * `POST /upload-url` is answered by the built upload-url function, through a local Lambda proxy integration.
 * Local mode needs no request signing.
 */
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { checkGatewayResponse, checkRenderable, gatewayResponseHeaders, renderResponse, selectResponse } from './api-gateway-responses';
import { LocalClients } from './aws-clients';
import { ApiRoute, PipelineDefinition } from './example-template';
import { LambdaProxyIntegration } from './lambda-proxy-integration';
import { subscribeAsSns } from './sns-subscribe';
import { parseSubscribeRequest, Subscription } from '../src/api/subscribe-request';
import { API_GATEWAY_MAX_PAYLOAD_BYTES } from '../src/api/upload-api';
import { parseUploadRequest } from '../src/upload-url/upload-request';

/**
 * Local mode has no request signing, so every request comes from one local caller unless this header names
 * another; with private notifications it decides which uploads a subscription hears about.
 */
export const LOCAL_CALLER_HEADER = 'x-local-caller';

/**
 * API Gateway's built-in answers, by gateway response type: its own status and message, with the headers the
 * template gives the type, or else DEFAULT_4XX or DEFAULT_5XX, as API Gateway inherits them.
 */
const MISSING_AUTHENTICATION_TOKEN = { type: 'MISSING_AUTHENTICATION_TOKEN', status: 403, body: '{"message":"Missing Authentication Token"}' };
const UNSUPPORTED_MEDIA_TYPE = { type: 'UNSUPPORTED_MEDIA_TYPE', status: 415, body: '{"message":"Unsupported Media Type"}' };
const BAD_REQUEST_PARAMETERS = { type: 'BAD_REQUEST_PARAMETERS', status: 400 };
const INTERNAL_SERVER_ERROR = { type: 'DEFAULT_5XX', status: 500, body: '{"message": "Internal server error"}' };

export interface UploadApiServerOptions {
  readonly api: PipelineDefinition['api'];
  readonly uploadBucket: string;
  readonly topicArn: string;
  readonly clients: LocalClients;
  /** The upload-url function behind `POST /upload-url`. */
  readonly uploadUrl: LambdaProxyIntegration;
  /** Called for each email subscription once SNS has it, so its messages can be shown locally. */
  readonly onEmailSubscribed: (email: string) => Promise<void>;
  /** Who a request without the {@link LOCAL_CALLER_HEADER} header comes from, in the form of the API's caller variable. */
  readonly defaultCaller: string;
  readonly port: number;
  readonly log: (line: string) => void;
}

export interface UploadApiServer {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

interface Reply {
  readonly status: number;
  readonly body: string;
  /** @default - Content-Type application/json */
  readonly headers?: Record<string, string>;
}

export async function startUploadApiServer(options: UploadApiServerOptions): Promise<UploadApiServer> {
  const { api } = options;
  const tooLarge = api.gatewayResponses.REQUEST_TOO_LARGE;
  const badBody = api.gatewayResponses.BAD_REQUEST_BODY;
  for (const [where, response] of [['REQUEST_TOO_LARGE', tooLarge], ['BAD_REQUEST_BODY', badBody]] as const) {
    if (response?.statusCode === undefined) {
      throw new Error(`the example API has no ${where} gateway response with a status code`);
    }
  }
  Object.entries(api.gatewayResponses).forEach(([type, response]) => checkGatewayResponse(response, type));
  for (const route of [api.upload, api.subscribe, api.uploadUrl]) {
    route.responses.forEach((r) => checkRenderable(r, `${route.httpMethod} ${route.path} ${r.statusCode}`));
    if (route.preflight) {
      checkRenderable(route.preflight, `OPTIONS ${route.path}`);
    }
  }
  const upload = routeMatcher(api.upload);
  const subscribe = routeMatcher(api.subscribe);
  const uploadUrl = routeMatcher(api.uploadUrl);

  /** An answer of API Gateway's own, with the headers its gateway response has in the template. */
  const gatewayReply = (answer: { type: string; status: number; body?: string }): Reply => {
    const own = api.gatewayResponses[answer.type];
    const inherited = api.gatewayResponses[answer.status < 500 ? 'DEFAULT_4XX' : 'DEFAULT_5XX'];
    const response = own ?? inherited;
    return {
      status: Number(own?.statusCode ?? answer.status),
      body: own?.template || answer.body || '',
      headers: { 'Content-Type': 'application/json', ...(response ? gatewayResponseHeaders(response) : {}) },
    };
  };

  const handle = async (req: IncomingMessage): Promise<Reply> => {
    const body = await readBody(req, API_GATEWAY_MAX_PAYLOAD_BYTES);
    if (body === undefined) {
      return gatewayReply({ type: 'REQUEST_TOO_LARGE', status: 413 });
    }
    const requestHeaders = headersAsSent(req);
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method === 'OPTIONS') {
      const route = [api.upload, api.subscribe, api.uploadUrl].find((candidate) => routeMatcher(candidate)(pathname));
      if (!route?.preflight) {
        return gatewayReply(MISSING_AUTHENTICATION_TOKEN);
      }
      const preflight = renderResponse(route.preflight, { headers: requestHeaders });
      return { status: Number(route.preflight.statusCode), body: preflight.body, headers: { 'Content-Type': 'application/json', ...preflight.headers } };
    }
    const uploadParams = req.method === api.upload.httpMethod ? upload(pathname) : undefined;
    const callerHeader = req.headers[LOCAL_CALLER_HEADER];
    const caller = typeof callerHeader === 'string' && callerHeader !== '' ? callerHeader : options.defaultCaller;
    if (uploadParams) {
      const missing = api.upload.requiredHeaders.filter((name) => req.headers[name.toLowerCase()] === undefined);
      if (missing.length > 0) {
        return gatewayReply({ ...BAD_REQUEST_PARAMETERS, body: JSON.stringify({ message: `Missing required request parameters: [${missing.join(', ')}]` }) });
      }
      return handleUpload(uploadParams, body, req.headers['content-type'], caller, requestHeaders);
    }
    if (req.method === api.subscribe.httpMethod && subscribe(pathname)) {
      return handleSubscribe(body, req.headers['content-type'], caller, requestHeaders);
    }
    if (req.method === api.uploadUrl.httpMethod && uploadUrl(pathname)) {
      return handleUploadUrl(req, pathname, body, caller);
    }
    return gatewayReply(MISSING_AUTHENTICATION_TOKEN);
  };

  const integrationReply = (route: ApiRoute, awsStatus: number, headers: Record<string, string>, params: Record<string, string> = {}): Reply => {
    const response = selectResponse(route.responses, awsStatus);
    const rendered = renderResponse(response, { params, headers });
    return { status: Number(response.statusCode), body: rendered.body, headers: { 'Content-Type': 'application/json', ...rendered.headers } };
  };

  const handleUpload = async (
    params: Record<string, string>, body: Buffer, contentType: string | undefined, caller: string, headers: Record<string, string>,
  ): Promise<Reply> => {
    const bucket = params[api.upload.pathParameters.bucket];
    const key = params[api.upload.pathParameters.key];
    // Deployed, the integration role may put into the upload bucket only, and S3 answers 403 for any other.
    if (bucket !== options.uploadBucket) {
      return integrationReply(api.upload, 403, headers, params);
    }
    try {
      await options.clients.s3.send(new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentType: storableContentType(contentType),
        Metadata: api.callerScope ? { [api.callerScope.attribute]: caller } : undefined,
      }));
    } catch (error) {
      return integrationReply(api.upload, serviceStatus(error), headers, params);
    }
    return integrationReply(api.upload, 200, headers, params);
  };

  const handleSubscribe = async (body: Buffer, contentType: string | undefined, caller: string, headers: Record<string, string>): Promise<Reply> => {
    // API Gateway treats a request without Content-Type as JSON; other types have no mapping template.
    if (contentType !== undefined && !/^application\/json\s*(;|$)/i.test(contentType)) {
      return gatewayReply(UNSUPPORTED_MEDIA_TYPE);
    }
    let parsed: Subscription | { error: string };
    try {
      parsed = parseSubscribeRequest(JSON.parse(body.toString('utf8')));
    } catch {
      parsed = { error: 'The body is not valid JSON' };
    }
    if ('error' in parsed) {
      options.log(`API: POST ${api.subscribe.path} body refused: ${parsed.error}`);
      return gatewayReply({ type: 'BAD_REQUEST_BODY', status: 400 });
    }
    try {
      const filtered = api.callerScope?.subscriptionsFiltered ? api.callerScope : undefined;
      await subscribeAsSns(options.clients.sns, {
        TopicArn: options.topicArn,
        Protocol: parsed.protocol,
        Endpoint: parsed.endpoint,
        Attributes: filtered ? { FilterPolicy: JSON.stringify({ [filtered.attribute]: [caller] }) } : undefined,
      });
      if (parsed.protocol === 'email') {
        await options.onEmailSubscribed(parsed.endpoint);
      }
    } catch (error) {
      options.log(`API: POST ${api.subscribe.path}: Subscribe failed: ${(error as Error).message ?? error}`);
      return integrationReply(api.subscribe, serviceStatus(error), headers);
    }
    return integrationReply(api.subscribe, 200, headers);
  };

  const handleUploadUrl = async (req: IncomingMessage, pathname: string, body: Buffer, caller: string): Promise<Reply> => {
    // API Gateway checks JSON (or untyped) bodies against the route's model, which holds all the function's rules
    // but the filename's byte length. The function's rules stand in for it here, so a body either would refuse gets
    // the gateway's 400, even a name over 1,024 bytes that deployed only the function refuses.
    const contentType = req.headers['content-type'];
    if (contentType === undefined || /^application\/json\s*(;|$)/i.test(contentType)) {
      let parsed: ReturnType<typeof parseUploadRequest>;
      try {
        parsed = parseUploadRequest(JSON.parse(body.toString('utf8')));
      } catch {
        parsed = { error: 'The body is not valid JSON' };
      }
      if ('error' in parsed) {
        options.log(`API: POST ${api.uploadUrl.path} body refused: ${parsed.error}`);
        return gatewayReply({ type: 'BAD_REQUEST_BODY', status: 400 });
      }
    }
    const headers = Object.fromEntries(Object.entries(req.headers)
      .filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
    const requestContext = { identity: { sourceIp: '127.0.0.1', userAgent: headers['user-agent'] ?? null } };
    if (api.callerScope) {
      // Where the deployed API's caller variable (e.g. `context.identity.userArn`) finds the caller.
      setPath(requestContext, api.callerScope.callerVariable.replace(/^context\./, '').split('.'), caller);
    }
    const response = await options.uploadUrl.invoke({
      resource: api.uploadUrl.path,
      path: pathname,
      httpMethod: req.method!,
      headers,
      body,
      requestContext,
    });
    // A function that failed is answered by API Gateway itself, with DEFAULT_5XX's headers.
    return response.integrationFailed ? gatewayReply({ type: 'DEFAULT_5XX', status: response.status, body: response.body })
      : { status: response.status, body: response.body, headers: response.headers };
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void handle(req)
      .catch((error): Reply => {
        options.log(`API: ${req.method} ${req.url} failed: ${(error as Error).stack ?? error}`);
        return gatewayReply(INTERNAL_SERVER_ERROR);
      })
      .then((reply) => {
        options.log(`API: ${req.method} ${req.url} -> ${reply.status}`);
        res.writeHead(reply.status, reply.headers ?? { 'Content-Type': 'application/json' });
        res.end(reply.body);
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stop: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** The request's headers keyed as the client sent their names, as API Gateway gives them to VTL. */
function headersAsSent(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    headers[req.rawHeaders[i]] ??= req.rawHeaders[i + 1];
  }
  return headers;
}

function setPath(target: Record<string, any>, [first, ...rest]: string[], value: string): void {
  if (rest.length === 0) {
    target[first] = value;
    return;
  }
  target[first] ??= {};
  setPath(target[first], rest, value);
}

/** A resource path such as `/upload-image/{bucket}/{filename}` as a matcher giving its URL-decoded parameters. */
function routeMatcher(route: ApiRoute): (pathname: string) => Record<string, string> | undefined {
  const segments = route.path.split('/');
  return (pathname) => {
    const actual = pathname.split('/');
    if (actual.length !== segments.length) {
      return undefined;
    }
    const params: Record<string, string> = {};
    for (const [i, segment] of segments.entries()) {
      const param = /^\{(.+)\}$/.exec(segment);
      if (param) {
        if (actual[i] === '') {
          return undefined;
        }
        try {
          params[param[1]] = decodeURIComponent(actual[i]);
        } catch {
          return undefined;
        }
      } else if (segment !== actual[i]) {
        return undefined;
      }
    }
    return params;
  };
}

/** The body, or undefined once it is over the limit (the rest is drained, so the client can read the answer). */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  if (Number(req.headers['content-length'] ?? 0) > limit) {
    req.resume();
    return undefined;
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    total += chunk.length;
    if (total > limit) {
      req.resume();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * The Content-Type the object is stored with. Deployed, it is the request's. But moto reads the body of a PUT sent
 * as `application/x-www-form-urlencoded` (what `curl --data-binary` sends by default) as a form and stores an empty
 * object, so such uploads are stored without a Content-Type here; the handler reads the format from the bytes.
 */
function storableContentType(contentType: string | undefined): string | undefined {
  return contentType !== undefined && /^application\/x-www-form-urlencoded\s*(;|$)/i.test(contentType) ? undefined : contentType;
}

function serviceStatus(error: unknown): number {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 500;
}

/**
 * API Gateway's Lambda proxy integration, on loopback: a request becomes the proxy event the deployed API would
 * send, the built function answers in one of its worker processes, and its answer becomes the response. As with
 * API Gateway, a function that fails, times out, or answers without a status code or with a body that is not a
 * string gives a 502.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { FunctionWorker } from './lambda-runtime/function-worker';
import { WorkerPool } from './lambda-runtime/worker-pool';

/** API Gateway's own answer when the integration fails. */
const BAD_GATEWAY = { status: 502, headers: { 'Content-Type': 'application/json' }, body: '{"message": "Internal server error"}', integrationFailed: true };
/** API Gateway gives up on an integration after 29 s, whatever the function's own timeout. */
const INTEGRATION_TIMEOUT_SECONDS = 29;

export interface LambdaProxyIntegrationOptions {
  /** Names the workers, e.g. `upload-url` gives `upload-url 1`, `upload-url 2`, ... */
  readonly name: string;
  readonly functionArn: string;
  readonly functionTimeoutSeconds: number;
  /** The API's binary media types (`image/*`, ...): a body of one of these reaches the function base64-encoded. */
  readonly binaryMediaTypes: string[];
  /** A new execution environment, named as its log lines are prefixed. */
  readonly startWorker: (name: string) => FunctionWorker;
  readonly log: (line: string) => void;
}

export interface ProxyRequest {
  /** The route's resource path, e.g. `/upload-url`. */
  readonly resource: string;
  readonly path: string;
  readonly httpMethod: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  /** The parts of `requestContext` that depend on the caller, e.g. `{ identity: { userArn } }`. */
  readonly requestContext: Record<string, unknown>;
}

export interface ProxyResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** API Gateway's own 502, not the function's answer: the function failed, timed out or answered malformed. */
  readonly integrationFailed?: boolean;
}

export class LambdaProxyIntegration {
  private readonly workers: WorkerPool;

  constructor(private readonly options: LambdaProxyIntegrationOptions) {
    this.workers = new WorkerPool(options.name, options.startWorker);
  }

  /** One invocation in an idle worker, or a new one: concurrent requests get environments of their own. */
  public async invoke(request: ProxyRequest): Promise<ProxyResponse> {
    const worker = this.workers.take();
    const requestId = randomUUID();
    const timeoutSeconds = Math.min(this.options.functionTimeoutSeconds, INTEGRATION_TIMEOUT_SECONDS);
    const started = Date.now();
    const outcome = await worker.invoke({
      type: 'invoke',
      requestId,
      event: proxyEvent(request, requestId, this.options.binaryMediaTypes),
      invokedFunctionArn: this.options.functionArn,
    }, timeoutSeconds * 1000);
    const response = outcome.kind === 'result' ? proxyResponse(outcome.result) : undefined;
    const detail = outcome.kind === 'result'
      ? response ? String(response.status) : 'a malformed proxy response (no statusCode, or a body that is not a string)'
      : outcome.kind === 'error' || outcome.kind === 'init-error' ? `${outcome.error.errorType}: ${outcome.error.errorMessage}` : outcome.kind;
    this.options.log(`${worker.name}: ${request.httpMethod} ${request.path} in ${Date.now() - started} ms: ${detail}`);
    return response ?? BAD_GATEWAY;
  }

  public async stop(): Promise<void> {
    await this.workers.stop();
  }
}

function proxyEvent(request: ProxyRequest, requestId: string, binaryMediaTypes: string[]): APIGatewayProxyEvent {
  const contentType = Object.entries(request.headers).find(([name]) => name.toLowerCase() === 'content-type')?.[1];
  const binary = contentType !== undefined && isBinaryMediaType(contentType, binaryMediaTypes);
  const multiValueHeaders = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, [value]]));
  return {
    resource: request.resource,
    path: request.path,
    httpMethod: request.httpMethod,
    headers: request.headers,
    multiValueHeaders,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: request.body.toString(binary ? 'base64' : 'utf8'),
    isBase64Encoded: binary,
    requestContext: {
      accountId: '123456789012',
      apiId: 'local',
      stage: 'local',
      protocol: 'HTTP/1.1',
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: request.resource,
      path: request.path,
      httpMethod: request.httpMethod,
      ...request.requestContext,
    } as APIGatewayProxyEvent['requestContext'],
  };
}

/** Whether API Gateway treats the body as bytes: its type, without parameters, matches one of the types or wildcards. */
function isBinaryMediaType(contentType: string, binaryMediaTypes: string[]): boolean {
  const [type, subtype] = contentType.split(';')[0].trim().toLowerCase().split('/');
  return binaryMediaTypes.some((pattern) => {
    const [patternType, patternSubtype] = pattern.toLowerCase().split('/');
    return (patternType === '*' || patternType === type) && (patternSubtype === '*' || patternSubtype === subtype);
  });
}

function proxyResponse(result: unknown): ProxyResponse | undefined {
  const answer = result as { statusCode?: unknown; headers?: Record<string, unknown>; body?: unknown; isBase64Encoded?: boolean } | null;
  // API Gateway's "Malformed Lambda proxy response": the body, if any, must be a string (JSON.stringify an object).
  if (typeof answer?.statusCode !== 'number' || (answer.body !== undefined && answer.body !== null && typeof answer.body !== 'string')) {
    return undefined;
  }
  const body = typeof answer.body === 'string' ? answer.body : '';
  return {
    status: answer.statusCode,
    headers: Object.fromEntries(Object.entries(answer.headers ?? {}).map(([name, value]) => [name, String(value)])),
    body: answer.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body,
  };
}

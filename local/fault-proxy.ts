/**
 * A fault-injecting HTTP proxy on 127.0.0.1 between the function's workers and moto. moto in server mode has no
 * switch to make one request fail, so faults are made where the function would meet them on AWS: on the wire.
 * Each request is named (service from its SigV4 credential scope, operation, bucket and key or form
 * parameters) and checked against the rules a test installs; a matching request gets the service's own error
 * answer, a dropped connection, or is held until the test releases it. Everything else goes to moto unchanged.
 */
import { createServer, IncomingHttpHeaders, IncomingMessage, request as httpRequest, Agent, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/** A request as the proxy names it, which is what a rule matches on. */
export interface AwsRequest {
  /** The SigV4 signing name, e.g. `s3`, `sns`; `unsigned` for a request without a signature. */
  readonly service: string;
  /** e.g. `GetObject`, `PutObject`, `Publish`; `Unknown` for an S3 request this proxy does not name. */
  readonly operation: string;
  /** S3 only (path style, as the SDK addresses a loopback endpoint). */
  readonly bucket?: string;
  /** S3 only, URL-decoded. */
  readonly key?: string;
  readonly headers: IncomingHttpHeaders;
  /** The form parameters of a query-protocol request (SNS), e.g. `Message`, `TopicArn`. */
  readonly params: Readonly<Record<string, string>>;
}

export interface ObservedRequest extends AwsRequest {
  /** What the proxy did with it. */
  readonly outcome: 'forwarded' | Fault['kind'];
}

export type Fault =
  /** The service's error document with this status and code, as the SDK would get it from AWS. */
  | { readonly kind: 'error'; readonly status: number; readonly code: string; readonly message: string }
  /** The connection is closed without an answer, as when a network path fails mid-request. */
  | { readonly kind: 'reset' }
  /** The request waits, unanswered, until {@link Injection.release}; then it goes to moto. */
  | { readonly kind: 'hold' };

/** The answers AWS gives when it is overloaded or failing; the SDK's retry strategy treats all as retryable. */
export const FAULTS = {
  s3SlowDown: { kind: 'error', status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' },
  s3InternalError: { kind: 'error', status: 500, code: 'InternalError', message: 'We encountered an internal error. Please try again.' },
  snsThrottling: { kind: 'error', status: 400, code: 'Throttling', message: 'Rate exceeded' },
  snsInternalError: { kind: 'error', status: 500, code: 'InternalError', message: 'Internal Error' },
  connectionReset: { kind: 'reset' },
} as const satisfies Record<string, Fault>;

export interface FaultRule {
  readonly when: (request: AwsRequest) => boolean;
  /** How many matching requests get the fault; later ones go through. @default - every matching request */
  readonly times?: number;
  readonly fault: Fault;
}

export interface Injection {
  /** How many requests the fault has been applied to so far. */
  readonly hits: number;
  /** Forwards every held request and stops applying the rule. */
  release(): void;
  /** Stops applying the rule; held requests stay held until {@link release}. */
  remove(): void;
}

interface ActiveRule extends FaultRule {
  hits: number;
  readonly held: Array<() => void>;
}

export class FaultProxy {
  /** @param upstream moto's endpoint, e.g. `http://127.0.0.1:5000` */
  public static async start(upstream: string): Promise<FaultProxy> {
    const proxy = new FaultProxy(new URL(upstream));
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  /** Every request seen, in arrival order, with what was done with it. */
  public readonly requests: ObservedRequest[] = [];
  private readonly rules: ActiveRule[] = [];
  private readonly agent = new Agent({ keepAlive: true });
  private readonly server = createServer((req, res) => {
    void this.handle(req, res).catch((error: Error) => {
      if (!res.headersSent) {
        res.writeHead(502, { 'Content-Type': 'text/plain' });
      }
      res.end(`fault proxy: ${error.message}`);
    });
  });

  private constructor(private readonly upstream: URL) {}

  /** `http://127.0.0.1:PORT`: the endpoint to give the workers. */
  public get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Rules apply in the order they were injected; the first with hits left decides. */
  public inject(rule: FaultRule): Injection {
    const active: ActiveRule = { ...rule, hits: 0, held: [] };
    this.rules.push(active);
    const remove = () => {
      const index = this.rules.indexOf(active);
      if (index >= 0) {
        this.rules.splice(index, 1);
      }
    };
    return {
      get hits() {
        return active.hits;
      },
      release: () => {
        remove();
        for (const forward of active.held.splice(0)) {
          forward();
        }
      },
      remove,
    };
  }

  /** Releases every held request and removes every rule. */
  public clear(): void {
    for (const rule of this.rules.splice(0)) {
      for (const forward of rule.held.splice(0)) {
        forward();
      }
    }
  }

  public async stop(): Promise<void> {
    this.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    this.agent.destroy();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readAll(req);
    const described = describe(req, body);
    const rule = this.rules.find((r) => r.hits < (r.times ?? Infinity) && r.when(described));
    if (rule) {
      rule.hits += 1;
    }
    const fault = rule?.fault;
    this.requests.push({ ...described, outcome: fault?.kind ?? 'forwarded' });
    if (fault?.kind === 'error') {
      answerWithError(res, described, fault);
    } else if (fault?.kind === 'reset') {
      req.socket.destroy();
    } else if (fault?.kind === 'hold') {
      rule!.held.push(() => this.forward(req, body, res));
    } else {
      this.forward(req, body, res);
    }
  }

  private forward(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    // The body is already read, so it goes with an exact length and without asking moto for a 100 Continue.
    const headers: IncomingHttpHeaders = { ...req.headers, 'content-length': String(body.length) };
    delete headers.expect;
    delete headers['transfer-encoding'];
    const upstreamRequest = httpRequest({
      host: this.upstream.hostname,
      port: this.upstream.port,
      method: req.method,
      path: req.url,
      headers,
      agent: this.agent,
    }, (upstreamResponse) => {
      res.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
      upstreamResponse.pipe(res);
    });
    upstreamRequest.once('error', (error) => {
      if (!res.headersSent) {
        res.writeHead(502, { 'Content-Type': 'text/plain' });
      }
      res.end(`fault proxy: moto did not answer: ${error.message}`);
    });
    upstreamRequest.end(body);
  }
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function describe(req: IncomingMessage, body: Buffer): AwsRequest {
  const url = new URL(req.url ?? '/', 'http://proxy');
  const service = signingService(req.headers.authorization, url);
  if (service === 's3') {
    return { service, ...s3Operation(req.method ?? 'GET', url, req.headers), headers: req.headers, params: {} };
  }
  const params = /^application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '')
    ? Object.fromEntries(new URLSearchParams(body.toString('utf8')))
    : {};
  return { service, operation: params.Action ?? 'Unknown', headers: req.headers, params };
}

/** The service in the SigV4 credential scope, `AKID/date/region/service/aws4_request`, of the header or a presigned URL. */
function signingService(authorization: string | undefined, url: URL): string {
  const credential = /Credential=([^,\s]+)/.exec(authorization ?? '')?.[1] ?? url.searchParams.get('X-Amz-Credential');
  return credential?.split('/')[3] ?? 'unsigned';
}

/** The S3 operations the function uses, from a path-style request. */
function s3Operation(method: string, url: URL, headers: IncomingHttpHeaders): { operation: string; bucket?: string; key?: string } {
  const [, bucketPart, ...keyParts] = url.pathname.split('/');
  const bucket = bucketPart ? decodeURIComponent(bucketPart) : undefined;
  const key = keyParts.length > 0 && keyParts.join('/') !== '' ? keyParts.map(decodeURIComponent).join('/') : undefined;
  if (key !== undefined) {
    const objectOperations: Record<string, string> = {
      GET: 'GetObject',
      HEAD: 'HeadObject',
      DELETE: 'DeleteObject',
      PUT: headers['x-amz-copy-source'] ? 'CopyObject' : 'PutObject',
    };
    return { operation: objectOperations[method] ?? 'Unknown', bucket, key };
  }
  if (method === 'GET' && url.searchParams.get('list-type') === '2') {
    return { operation: 'ListObjectsV2', bucket };
  }
  if (method === 'POST' && url.searchParams.has('delete')) {
    return { operation: 'DeleteObjects', bucket };
  }
  return { operation: 'Unknown', bucket };
}

/** S3 answers in its REST-XML error shape (no body for HEAD); SNS in the query protocol's. */
function answerWithError(res: ServerResponse, request: AwsRequest, fault: Extract<Fault, { kind: 'error' }>): void {
  const requestId = `FAULT${Date.now().toString(36).toUpperCase()}`;
  const body = request.service === 's3'
    ? `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${fault.code}</Code><Message>${fault.message}</Message><RequestId>${requestId}</RequestId></Error>`
    : `<ErrorResponse><Error><Type>${fault.status >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${fault.code}</Code>` +
      `<Message>${fault.message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  res.writeHead(fault.status, { 'Content-Type': 'text/xml', 'x-amz-request-id': requestId });
  res.end(request.operation === 'HeadObject' ? undefined : body);
}

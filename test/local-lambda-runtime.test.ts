/**
 * The local stand-in for a Lambda execution environment: module resolution from a task root outside the
 * repository, what happens to a worker whose handler crashes or overruns its timeout, and the stand-in for
 * API Gateway's Lambda proxy integration in front of it, with the proxy event it sends.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { hostProblem, layerNodeModules } from '../local/function-assets';
import { LambdaProxyIntegration } from '../local/lambda-proxy-integration';
import { testWorker } from './support/test-worker';
import { FunctionWorker } from '../local/lambda-runtime/function-worker';
import { runtimeChoiceFromEnv } from '../local/lambda-runtime/node-runtime';
import { prepareTaskRoot, TaskRoot } from '../local/lambda-runtime/task-root';

describe('a local function worker', () => {
  let codeDir: string;
  const taskRoots: TaskRoot[] = [];
  const workers: FunctionWorker[] = [];

  beforeEach(() => {
    codeDir = mkdtempSync(path.join(os.tmpdir(), 'runtime-test-code-'));
  });

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop()));
    taskRoots.splice(0).forEach((t) => t.remove());
    rmSync(codeDir, { recursive: true, force: true });
  });

  function workerFor(source: string, name = 'test worker', initPhaseMs?: number): FunctionWorker {
    mkdirSync(codeDir, { recursive: true });
    writeFileSync(path.join(codeDir, 'index.js'), source);
    const taskRoot = prepareTaskRoot(codeDir, layerNodeModules());
    taskRoots.push(taskRoot);
    const worker = testWorker(taskRoot, name, { initPhaseMs });
    workers.push(worker);
    return worker;
  }

  function invoke(worker: FunctionWorker, timeoutMs = 10_000) {
    return worker.invoke({ type: 'invoke', requestId: 'r1', event: { hello: 'world' }, invokedFunctionArn: 'arn' }, timeoutMs);
  }

  test('resolves sharp from the layer and the AWS SDK from the runtime, and hands over event and context', async () => {
    // GIVEN
    const worker = workerFor(`
      const sharp = require('sharp');
      const { S3Client } = require('@aws-sdk/client-s3');
      exports.handler = async (event, context) => ({
        sharpFrom: require.resolve('sharp'),
        s3: typeof S3Client,
        event,
        requestId: context.awsRequestId,
        remainingPositive: context.getRemainingTimeInMillis() > 0,
      });
    `);

    // WHEN
    const outcome = await invoke(worker);

    // THEN
    expect(outcome).toEqual({
      kind: 'result',
      result: {
        sharpFrom: expect.stringContaining(layerNodeModules()),
        s3: 'function',
        event: { hello: 'world' },
        requestId: 'r1',
        remainingPositive: true,
      },
    });
    expect(worker.idle).toBe(true);
  });

  test('fails at init, as on Lambda, when the bundle needs a module that neither the layer nor the runtime has', async () => {
    // GIVEN a dependency the repository has, but Lambda would not
    const worker = workerFor('require(\'@aws-lambda-powertools/logger\'); exports.handler = async () => \'unreachable\';');

    // WHEN
    const outcome = await invoke(worker);

    // THEN
    expect(outcome).toMatchObject({ kind: 'init-error', error: { errorMessage: expect.stringContaining('Cannot find module \'@aws-lambda-powertools/logger\'') } });
    expect(worker.idle).toBe(false);
  });

  /** Init code that holds the process for `ms`, as a slow module load does. */
  function initTaking(ms: number): string {
    return `Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${ms});`;
  }

  test('an init that overruns the init phase goes on within the first invocation\'s timeout, as Lambda retries it there', async () => {
    // GIVEN an init of 3 s where the init phase is 2.5 s
    const worker = workerFor(`${initTaking(3_000)} exports.handler = async (event, context) => ({ remaining: context.getRemainingTimeInMillis() });`, 'slow init', 2_500);

    // WHEN given 4 s
    const outcome = await invoke(worker, 4_000);

    // THEN it answers, with only the init's time beyond the init phase (0.5 s, plus the process's start) taken from
    // the invocation's: charging the whole init would leave under 1 s
    expect(outcome).toMatchObject({ kind: 'result', result: { remaining: expect.any(Number) } });
    const remaining = (outcome as { result: { remaining: number } }).result.remaining;
    expect(remaining).toBeLessThanOrEqual(3_500);
    expect(remaining).toBeGreaterThan(2_000);
    expect(worker.idle).toBe(true);
  });

  test('an init that overruns both the init phase and the invocation\'s timeout is a timeout, and the worker is killed', async () => {
    // GIVEN an init of 3 s where the init phase is 200 ms
    const worker = workerFor(`${initTaking(3_000)} exports.handler = async () => 'unreachable';`, 'slower init', 200);

    // WHEN given 500 ms
    const outcome = await invoke(worker, 500);

    // THEN
    expect(outcome).toEqual({ kind: 'timeout' });
    expect(worker.idle).toBe(false);
  });

  test('an init within the init phase costs the invocation none of its time', async () => {
    // GIVEN an init of 800 ms, within Lambda's 10 s
    const worker = workerFor(`${initTaking(800)} exports.handler = async (event, context) => ({ remaining: context.getRemainingTimeInMillis() });`);

    // WHEN given 1 s
    const outcome = await invoke(worker, 1_000);

    // THEN the handler still has (nearly) all of it
    expect(outcome).toMatchObject({ kind: 'result', result: { remaining: expect.any(Number) } });
    expect((outcome as { result: { remaining: number } }).result.remaining).toBeGreaterThan(900);
  });

  test('a handler that throws is a function error, and the worker stays for the next invocation', async () => {
    // GIVEN
    const worker = workerFor('exports.handler = async () => { throw new TypeError(\'bad input\'); };');

    // WHEN
    const outcome = await invoke(worker);

    // THEN
    expect(outcome).toMatchObject({ kind: 'error', error: { errorType: 'TypeError', errorMessage: 'bad input' } });
    expect(worker.idle).toBe(true);
  });

  test('a worker that overruns the timeout is killed', async () => {
    // GIVEN
    const worker = workerFor('exports.handler = () => new Promise(() => {});');

    // WHEN
    const outcome = await invoke(worker, 1_000);

    // THEN
    expect(outcome).toEqual({ kind: 'timeout' });
    expect(worker.idle).toBe(false);
  });

  test('a worker whose process dies mid-invocation is reported as crashed', async () => {
    // GIVEN
    const worker = workerFor('exports.handler = async () => { process.exit(3); };');

    // WHEN
    const outcome = await invoke(worker);

    // THEN
    expect(outcome).toEqual({ kind: 'crash', detail: 'exited with code 3' });
    expect(worker.idle).toBe(false);
  });
});

describe('the local Lambda proxy integration', () => {
  let codeDir: string;
  let taskRoot: TaskRoot | undefined;
  let integration: LambdaProxyIntegration | undefined;

  beforeEach(() => {
    codeDir = mkdtempSync(path.join(os.tmpdir(), 'proxy-test-code-'));
  });

  afterEach(async () => {
    await integration?.stop();
    integration = undefined;
    taskRoot?.remove();
    rmSync(codeDir, { recursive: true, force: true });
  });

  function integrationFor(source: string, binaryMediaTypes: string[] = []): LambdaProxyIntegration {
    writeFileSync(path.join(codeDir, 'index.js'), source);
    const root = prepareTaskRoot(codeDir);
    taskRoot = root;
    integration = new LambdaProxyIntegration({
      name: 'proxy test',
      functionArn: 'arn',
      functionTimeoutSeconds: 10,
      binaryMediaTypes,
      startWorker: (name) => testWorker(root, name),
      log: () => undefined,
    });
    return integration;
  }

  function request(proxy: LambdaProxyIntegration) {
    return proxy.invoke({ resource: '/test', path: '/test', httpMethod: 'POST', headers: {}, body: Buffer.from('{}'), requestContext: {} });
  }

  test.each([
    ['application/x-www-form-urlencoded', true],
    ['multipart/form-data; boundary=x', true],
    ['image/jpeg', true],
    ['application/json', false],
    ['text/plain; charset=utf-8', false],
  ])('as API Gateway, it base64-encodes a body only when its type is a binary media type: %s -> %s', async (contentType, binary) => {
    // GIVEN the API's binary media types, and a function that answers with the body it was given
    const proxy = integrationFor(`exports.handler = async (event) => ({
      statusCode: 200,
      body: JSON.stringify({ body: event.body, isBase64Encoded: event.isBase64Encoded }),
    });`, ['image/*', 'application/octet-stream', 'application/x-www-form-urlencoded', 'multipart/form-data']);
    const body = '{"filename": "fotó.jpg"}';

    // WHEN
    const response = await proxy.invoke({
      resource: '/echo', path: '/echo', httpMethod: 'POST', headers: { 'content-type': contentType }, body: Buffer.from(body), requestContext: {},
    });

    // THEN
    expect(JSON.parse(response.body)).toEqual(binary
      ? { body: Buffer.from(body).toString('base64'), isBase64Encoded: true }
      : { body, isBase64Encoded: false });
  });

  test('an answer whose body is not a string is a malformed proxy response: 502, as API Gateway answers', async () => {
    // GIVEN a handler that forgot to JSON.stringify its body
    const proxy = integrationFor('exports.handler = async () => ({ statusCode: 200, body: { message: \'hello\' } });');

    // WHEN
    const response = await request(proxy);

    // THEN it is API Gateway's own answer, marked so that the local API gives it DEFAULT_5XX's headers
    expect(response).toEqual({
      status: 502, headers: { 'Content-Type': 'application/json' }, body: '{"message": "Internal server error"}', integrationFailed: true,
    });
  });

  test('an answer without a body is an empty response with its status', async () => {
    // GIVEN
    const proxy = integrationFor('exports.handler = async () => ({ statusCode: 204 });');

    // WHEN
    const response = await request(proxy);

    // THEN
    expect(response).toEqual({ status: 204, headers: {}, body: '' });
  });
});

describe('which machines can run the sharp layers', () => {
  test.each([
    ['Linux with glibc on x64', 'linux', 'x64', '2.36', undefined],
    ['Linux with glibc on arm64', 'linux', 'arm64', '2.34', undefined],
    ['macOS', 'darwin', 'arm64', undefined, 'this is darwin, not Linux'],
    ['Windows', 'win32', 'x64', undefined, 'this is win32, not Linux'],
    ['Alpine (musl)', 'linux', 'x64', undefined, 'this Linux has no glibc (musl, as on Alpine?)'],
    ['Linux with glibc on a 32-bit processor', 'linux', 'ia32', '2.36', 'this processor is ia32, not x64 or arm64'],
  ])('%s', (_case, platform, arch, glibc, problem) => {
    expect(hostProblem(platform, arch, glibc)).toBe(problem);
  });
});

describe('LOCAL_RUNTIME', () => {
  test.each([
    [undefined, undefined],
    ['', undefined],
    ['host', 'host'],
    ['deployed', 'deployed'],
  ])('%j chooses %j', (value, choice) => {
    expect(runtimeChoiceFromEnv({ LOCAL_RUNTIME: value })).toBe(choice);
  });

  test('any other value is refused, naming the two', () => {
    expect(() => runtimeChoiceFromEnv({ LOCAL_RUNTIME: 'arm64' })).toThrow('LOCAL_RUNTIME must be host or deployed, got "arm64"');
  });
});

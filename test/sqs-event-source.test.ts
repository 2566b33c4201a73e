/**
 * The local stand-in for Lambda's SQS event source mapping, on the suite's moto with a small handler in real
 * worker processes: how it gathers a batch within the batching window, and what it does when SQS fails it.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateQueueCommand, DeleteQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { prepareTaskRoot, TaskRoot } from '../local/lambda-runtime/task-root';
import { eventually } from '../local/pipeline-probes';
import { Invocation, SqsEventSource, SqsEventSourceOptions } from '../local/sqs-event-source';
import { testWorker } from './support/test-worker';

const OUTCOME_WITHIN_MS = 15_000;

/** One SDK call to SQS, and what it returned once it has. */
interface SentCall {
  readonly command: string;
  readonly input: Record<string, any>;
  output?: Record<string, any>;
}

describe('the local SQS event source', () => {
  let codeDir: string;
  let taskRoot: TaskRoot;
  let sqs: SQSClient;
  let queueUrl: string;
  let source: SqsEventSource | undefined;
  let sent: SentCall[];
  /** Answers a call instead of SQS, or lets it through with undefined. */
  let fault: (call: SentCall) => { readonly output?: object; readonly error?: Error } | undefined;
  let invocations: Invocation[];
  let errors: unknown[];

  beforeAll(() => {
    codeDir = mkdtempSync(path.join(os.tmpdir(), 'event-source-test-code-'));
    writeFileSync(path.join(codeDir, 'index.js'), 'exports.handler = async () => ({});');
    taskRoot = prepareTaskRoot(codeDir);
  });

  afterAll(() => {
    taskRoot?.remove();
    rmSync(codeDir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    sent = [];
    fault = () => undefined;
    invocations = [];
    errors = [];
    sqs = new SQSClient({ endpoint: process.env.MOTO_ENDPOINT });
    sqs.middlewareStack.add((next, context) => async (args) => {
      const call: SentCall = { command: context.commandName!, input: args.input as Record<string, any> };
      sent.push(call);
      const injected = fault(call);
      if (injected?.error) {
        throw injected.error;
      }
      const result = injected?.output ? { output: { $metadata: {}, ...injected.output }, response: {} } : await next(args);
      call.output = result.output as Record<string, any>;
      return result;
    }, { step: 'initialize' });
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `event-source-${randomUUID()}` }))).QueueUrl!;
  });

  afterEach(async () => {
    await source?.stop();
    source = undefined;
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    sqs.destroy();
  });

  function start(options: Partial<SqsEventSourceOptions> = {}): SqsEventSource {
    source = new SqsEventSource({
      sqs,
      queueUrl,
      queueArn: 'arn:aws:sqs:us-east-1:123456789012:event-source-test',
      region: 'us-east-1',
      functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:event-source-test',
      batchSize: 10,
      maxBatchingWindowSeconds: 0,
      maxConcurrency: 2,
      reportBatchItemFailures: true,
      functionTimeoutSeconds: 10,
      startWorker: (name) => testWorker(taskRoot, name),
      onInvocation: (invocation) => invocations.push(invocation),
      onError: (error) => errors.push(error),
      ...options,
    });
    source.start();
    return source;
  }

  async function send(body: string): Promise<string> {
    return (await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }))).MessageId!;
  }

  const receives = () => sent.filter((call) => call.command === 'ReceiveMessageCommand');

  /** The receives after the first that returned messages: those that gather the rest of its batch. */
  function windowReceives(): SentCall[] {
    const all = receives();
    return all.slice(all.findIndex((call) => call.output?.Messages?.length) + 1);
  }

  test('a batching window longer than one receive may wait is gathered in several receives, none over the limit', async () => {
    // GIVEN a window of 3 s where one receive may wait at most 1 s
    const id = await send('first');
    start({ maxBatchingWindowSeconds: 3, maxReceiveWaitSeconds: 1 });

    // WHEN
    const invocation = await eventually('the invocation', OUTCOME_WITHIN_MS, async () => invocations[0]);

    // THEN
    expect(invocation.messages.map((m) => m.id)).toEqual([id]);
    expect(invocation.succeeded).toEqual([id]);
    expect(windowReceives().length).toBeGreaterThanOrEqual(2);
    expect(windowReceives().map((call) => call.input.WaitTimeSeconds).filter((wait) => wait > 1)).toEqual([]);
    expect(errors).toEqual([]);
  });

  test('a receive that fails within the batching window: what was received is invoked, and the error is reported', async () => {
    // GIVEN the receive after the one that returns the message fails
    let failed = false;
    fault = (call) => {
      if (call.command === 'ReceiveMessageCommand' && !failed && receives().some((c) => c.output?.Messages?.length)) {
        failed = true;
        return { error: new Error('injected receive failure') };
      }
      return undefined;
    };
    const id = await send('first');

    // WHEN
    start({ maxBatchingWindowSeconds: 5 });

    // THEN
    const invocation = await eventually('the invocation', OUTCOME_WITHIN_MS, async () => invocations[0]);
    expect(invocation.messages.map((m) => m.id)).toEqual([id]);
    expect(invocation.succeeded).toEqual([id]);
    expect(errors).toEqual([expect.objectContaining({ message: 'injected receive failure' })]);
  });

  test('a processed message SQS does not delete is reported as left on the queue, with the reason', async () => {
    // GIVEN SQS refuses to delete anything, as it does once a message has moved to the dead-letter queue
    fault = (call) => (call.command === 'DeleteMessageBatchCommand'
      ? {
        output: {
          Successful: [],
          Failed: call.input.Entries.map((entry: { Id: string }) => ({ Id: entry.Id, SenderFault: true, Code: 'ReceiptHandleIsInvalid', Message: 'not a valid receipt handle' })),
        },
      }
      : undefined);
    const kept = await send('kept');

    // WHEN
    start();

    // THEN
    const invocation = await eventually('the invocation', OUTCOME_WITHIN_MS, async () => invocations[0]);
    expect(invocation).toMatchObject({ outcome: { kind: 'result' }, succeeded: [], failed: [kept] });
    await eventually('the error', OUTCOME_WITHIN_MS, async () => errors[0]);
    expect(errors).toEqual([expect.objectContaining({ message: expect.stringContaining('ReceiptHandleIsInvalid') })]);
  });

  test('a worker whose process dies between invocations leaves the workers, and the next batch gets a new one', async () => {
    // GIVEN a worker that has run a batch and waits for the next
    const events = start();
    await send('first');
    await eventually('the first invocation', OUTCOME_WITHIN_MS, async () => invocations[0]);
    const [worker] = events.currentWorkers;

    // WHEN its process dies
    process.kill(worker.pid!, 'SIGKILL');

    // THEN
    await eventually('the dead worker gone', OUTCOME_WITHIN_MS, async () => (events.currentWorkers.length === 0 ? true : undefined));
    await send('second');
    const second = await eventually('the second invocation', OUTCOME_WITHIN_MS, async () => invocations[1]);
    expect(second).toMatchObject({ outcome: { kind: 'result' }, worker: 'worker 2' });
    expect(events.currentWorkers.map((w) => [w.name, w.idle])).toEqual([['worker 2', true]]);
  });
});

/**
 * The local stand-in for Lambda's SQS event source mapping, on the suite's moto with a small handler in real
 * worker processes: how it gathers a batch within the batching window, which messages of a batch it leaves on the
 * queue, and what it does when SQS fails it.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { prepareTaskRoot, TaskRoot } from '../local/lambda-runtime/task-root';
import { eventually } from '../local/pipeline-probes';
import { Invocation, SqsEventSource, SqsEventSourceOptions } from '../local/sqs-event-source';
import { testWorker } from './support/test-worker';

const OUTCOME_WITHIN_MS = 15_000;

/** How long the test function works on a batch with a message `slow`. */
const SLOW_BATCH_MS = 3_000;

/**
 * What the test function does is chosen by the bodies in its batch: one of the whole-batch failures, or else it
 * reports the messages whose body starts with `fail` as failed items (after a wait, with a message `slow`).
 */
const HANDLER = `exports.handler = async (event) => {
  const bodies = event.Records.map((record) => record.body);
  if (bodies.includes('slow')) await new Promise((resolve) => setTimeout(resolve, ${SLOW_BATCH_MS}));
  if (bodies.includes('throw')) throw new Error('the handler failed');
  if (bodies.includes('hang')) return new Promise(() => undefined);
  if (bodies.includes('name-unknown')) return { batchItemFailures: [{ itemIdentifier: 'not-in-this-batch' }] };
  if (bodies.includes('name-empty')) return { batchItemFailures: [{ itemIdentifier: '' }] };
  return { batchItemFailures: event.Records.filter((record) => record.body.startsWith('fail')).map((record) => ({ itemIdentifier: record.messageId })) };
};`;

/** One SDK call to SQS, and what it returned once it has. */
interface SentCall {
  readonly command: string;
  readonly input: Record<string, any>;
  output?: Record<string, any>;
}

/**
 * A fault that answers a batch command as SQS does once the messages' receipt handles are no longer valid (they
 * moved to the dead-letter queue): every entry refused.
 */
function refusingEveryEntryOf(command: string) {
  return (call: SentCall) => (call.command === command
    ? {
      output: {
        Successful: [],
        Failed: call.input.Entries.map((entry: { Id: string }) => ({ Id: entry.Id, SenderFault: true, Code: 'ReceiptHandleIsInvalid', Message: 'not a valid receipt handle' })),
      },
    }
    : undefined);
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
    writeFileSync(path.join(codeDir, 'index.js'), HANDLER);
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

  test('a processed message SQS does not delete is reported as left on the queue, with the reason, and given the local visibility timeout', async () => {
    // GIVEN SQS refuses to delete anything, as it does once a message has moved to the dead-letter queue
    fault = refusingEveryEntryOf('DeleteMessageBatchCommand');
    const kept = await send('kept');

    // WHEN
    start({ visibilityTimeoutSeconds: 5 });

    // THEN
    const invocation = await eventually('the invocation', OUTCOME_WITHIN_MS, async () => invocations[0]);
    expect(invocation).toMatchObject({ outcome: { kind: 'result' }, succeeded: [], failed: [kept] });
    const receiptHandle = receives().flatMap((call) => call.output?.Messages ?? []).find((m) => m.MessageId === kept).ReceiptHandle;
    expect(sent.filter((call) => call.command === 'ChangeMessageVisibilityBatchCommand').map((call) => call.input.Entries))
      .toEqual([[{ Id: '0', ReceiptHandle: receiptHandle, VisibilityTimeout: 5 }]]);
    await eventually('the error', OUTCOME_WITHIN_MS, async () => errors[0]);
    expect(errors).toEqual([expect.objectContaining({ message: expect.stringContaining('ReceiptHandleIsInvalid') })]);
  });

  test('a message SQS does not let come back sooner is reported, and stays left on the queue', async () => {
    // GIVEN SQS refuses every change of visibility
    fault = refusingEveryEntryOf('ChangeMessageVisibilityBatchCommand');
    const failed = await send('fail');

    // WHEN
    start({ visibilityTimeoutSeconds: 1 });

    // THEN
    const invocation = await eventually('the invocation', OUTCOME_WITHIN_MS, async () => invocations[0]);
    expect(invocation).toMatchObject({ outcome: { kind: 'result' }, succeeded: [], failed: [failed] });
    await eventually('the error', OUTCOME_WITHIN_MS, async () => errors[0]);
    expect(errors).toEqual([expect.objectContaining({ message: expect.stringMatching(new RegExp(`to 1 s: .*ReceiptHandleIsInvalid.*${failed}`)) })]);
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

  test('a local visibility timeout shorter than an invocation does not deliver its messages again while it runs', async () => {
    // GIVEN a batch that takes three times the local visibility timeout
    const slow = await send('slow');

    // WHEN
    start({ visibilityTimeoutSeconds: 1 });

    // THEN SQS handed the message out once, and the one invocation deleted it
    await eventually('the invocation', OUTCOME_WITHIN_MS, async () => invocations.find((i) => i.succeeded.includes(slow)));
    const deliveries = receives().flatMap((call) => call.output?.Messages ?? []).filter((m) => m.MessageId === slow);
    expect(deliveries.map((m) => m.MessageId)).toEqual([slow]);
    expect(invocations.map((i) => i.succeeded)).toEqual([[slow]]);
    expect(errors).toEqual([]);
  });

  describe('which messages of a batch stay on the queue', () => {
    const ids = (invocation: Invocation) => invocation.messages.map((m) => m.id).sort();

    test('with ReportBatchItemFailures, only those the function lists: the others are deleted', async () => {
      // GIVEN one batch of three, one of which the function reports as failed
      const ok = [await send('ok-1'), await send('ok-2')];
      const failed = await send('fail');

      // WHEN
      start({ visibilityTimeoutSeconds: 1 });

      // THEN the listed message comes back alone once its visibility timeout ends
      const [first, second] = await eventually('two invocations', OUTCOME_WITHIN_MS, async () => (invocations.length >= 2 ? invocations : undefined));
      expect(ids(first)).toEqual([...ok, failed].sort());
      expect(first).toMatchObject({ outcome: { kind: 'result' }, failed: [failed] });
      expect(first.succeeded.sort()).toEqual(ok.sort());
      expect(ids(second)).toEqual([failed]);
      // Received with the queue's visibility timeout; the local one only for the message left, once its invocation ended.
      expect(receives().map((call) => call.input.VisibilityTimeout).filter((timeout) => timeout !== undefined)).toEqual([]);
      const firstReceipt = receives().flatMap((call) => call.output?.Messages ?? []).find((m) => m.MessageId === failed)!.ReceiptHandle;
      expect(sent.filter((call) => call.command === 'ChangeMessageVisibilityBatchCommand')[0].input.Entries)
        .toEqual([{ Id: '0', ReceiptHandle: firstReceipt, VisibilityTimeout: 1 }]);
    });

    test.each([
      ['names a message that is not in the batch', 'name-unknown', 'result', {}],
      ['names an empty itemIdentifier', 'name-empty', 'result', {}],
      ['throws', 'throw', 'error', {}],
      ['runs past its timeout', 'hang', 'timeout', { functionTimeoutSeconds: 1 }],
    ])('all of them when the function %s', async (_case, body, kind, options: Partial<SqsEventSourceOptions>) => {
      // GIVEN a batch with a message the function has no quarrel with
      const batch = [await send('ok'), await send(body)].sort();

      // WHEN
      start({ visibilityTimeoutSeconds: 2, maxConcurrency: 1, ...options });

      // THEN the whole batch comes back once its visibility timeout ends
      const [first, second] = await eventually('two invocations', OUTCOME_WITHIN_MS, async () => (invocations.length >= 2 ? invocations : undefined));
      expect(first).toMatchObject({ outcome: { kind }, succeeded: [] });
      expect(first.failed.sort()).toEqual(batch);
      expect(ids(second)).toEqual(batch);
    });

    test('after maxReceiveCount failures the queue\'s own redrive policy moves a message to the dead-letter queue', async () => {
      // GIVEN a queue that sends a message to its dead-letter queue after 2 receives
      const deadLetterQueueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `event-source-dlq-${randomUUID()}` }))).QueueUrl!;
      try {
        const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: deadLetterQueueUrl, AttributeNames: ['QueueArn'] }));
        await sqs.send(new SetQueueAttributesCommand({
          QueueUrl: queueUrl,
          Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes!.QueueArn, maxReceiveCount: 2 }) },
        }));
        const ok = await send('ok');
        const failed = await send('fail');

        // WHEN
        start({ visibilityTimeoutSeconds: 1 });

        // THEN
        const dead = await eventually('the message in the dead-letter queue', OUTCOME_WITHIN_MS, async () => {
          const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: deadLetterQueueUrl, WaitTimeSeconds: 1 }));
          return received.Messages?.[0];
        });
        expect(dead).toMatchObject({ MessageId: failed, Body: 'fail' });
        expect(invocations.filter((invocation) => invocation.messages.some((m) => m.id === failed))).toHaveLength(2);
        expect(invocations.flatMap((invocation) => invocation.succeeded)).toEqual([ok]);
        // The event source only receives, deletes and shortens the wait of what it leaves: the move is the queue's.
        const sourceCalls = sent.filter((call) => call.input.QueueUrl === queueUrl && call.command !== 'SetQueueAttributesCommand' && call.command !== 'SendMessageCommand');
        expect(new Set(sourceCalls.map((call) => call.command))).toEqual(new Set(['ReceiveMessageCommand', 'DeleteMessageBatchCommand', 'ChangeMessageVisibilityBatchCommand']));
      } finally {
        await sqs.send(new DeleteQueueCommand({ QueueUrl: deadLetterQueueUrl }));
      }
    });
  });
});

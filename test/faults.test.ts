/**
 * Faults at run time, on the local pipeline with the shipped bundle: errors and dropped connections injected
 * between the function and the emulator (local/fault-proxy.ts), a worker killed in the middle of a batch, a
 * repeated event, and the dead-letter queue's redrive. Nothing may be lost: every upload ends resized, or in
 * the dead-letter queue from where the redrive finishes it.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import sharp from 'sharp';
import { AwsRequest, Fault, FAULTS, FaultProxy } from '../local/fault-proxy';
import { eventually, queueDepth, queueDepths, uploadThroughApi } from '../local/pipeline-probes';
import { corpusPhoto } from './support/corpus';
import { eventKeys, Harness, startHarness } from './support/pipeline-harness';
import { resizedKey } from '../src/handler/keys';

const PROJECT_ROOT = path.join(__dirname, '..');
const SAMPLES = path.join(PROJECT_ROOT, 'samples');
const OUTCOME_WITHIN_MS = 45_000;
/** How soon a message left on the queue comes back here, once its invocation has ended (instead of the queue's 6 minutes). */
const VISIBILITY_SECONDS = 5;

const execFileAsync = promisify(execFile);

function sample(name: string): Buffer {
  return readFileSync(path.join(SAMPLES, name));
}

/** The function reading the original. */
const readingOriginal = (h: Harness, key: string) => (r: AwsRequest) =>
  r.service === 's3' && r.operation === 'GetObject' && r.bucket === h.pipeline.uploadBucket && r.key === key;
/** The function writing any of the original's copies. */
const writingCopy = (h: Harness, key: string) => (r: AwsRequest) =>
  r.service === 's3' && r.operation === 'PutObject' && r.bucket === h.pipeline.resizedBucket &&
  h.sizes.some((size) => r.key?.startsWith(resizedKey(size.name, key, '')));
/** The function publishing the notification about the original. */
const publishing = (_h: Harness, key: string) => (r: AwsRequest) => r.service === 'sns' && r.operation === 'Publish' && (r.params.Message ?? '').includes(key);

describe('faults between the function and the emulator', () => {
  let proxy: FaultProxy;
  let harness: Harness;

  beforeAll(async () => {
    proxy = await FaultProxy.start(process.env.MOTO_ENDPOINT!);
    harness = await startHarness({ nameSuffix: '-faults', functionEndpoint: proxy.url, visibilityTimeoutSeconds: VISIBILITY_SECONDS });
  });

  afterAll(async () => {
    await harness?.stop();
    await proxy?.stop();
  });

  /**
   * The last column is the copies a failed attempt leaves: none when the original cannot be read or no copy can
   * be written (the writes all settle before the attempt fails), every size when only the notification fails.
   */
  const CASES: Array<[string, (h: Harness, key: string) => (r: AwsRequest) => boolean, Fault, 'none' | 'every size']> = [
    ['S3 GetObject answering 500 InternalError', readingOriginal, FAULTS.s3InternalError, 'none'],
    ['S3 GetObject answering 503 SlowDown', readingOriginal, FAULTS.s3SlowDown, 'none'],
    ['S3 GetObject dropping the connection', readingOriginal, FAULTS.connectionReset, 'none'],
    ['S3 PutObject answering 503 SlowDown', writingCopy, FAULTS.s3SlowDown, 'none'],
    ['SNS Publish answering 400 Throttling', publishing, FAULTS.snsThrottling, 'every size'],
    ['SNS Publish answering 500 InternalError', publishing, FAULTS.snsInternalError, 'every size'],
  ];

  async function copiesBytes(key: string): Promise<Map<string, Buffer>> {
    const copies = await harness.copiesOf(key);
    return new Map(await Promise.all(copies.map(async (copy) => [copy, await harness.readCopy(copy)] as const)));
  }

  const slug = (name: string) => name.toLowerCase().replace(/[^a-z0-9]+/g, '-');

  describe.each(CASES)('%s', (name, matching, fault, copiesLeft) => {
    afterEach(() => {
      proxy.clear();
    });

    test('twice is absorbed by the SDK\'s retries within one attempt', async () => {
      // GIVEN
      const key = `sdk-retry/${slug(name)}.jpg`;
      const injection = proxy.inject({ when: matching(harness, key), times: 2, fault });

      // WHEN
      await uploadThroughApi(harness.pipeline, key, sample('landscape.jpg'));

      // THEN
      expect(await harness.outcome(key, OUTCOME_WITHIN_MS)).toMatchObject({ status: 'resized' });
      expect(injection.hits).toBe(2);
      expect((await harness.finishedAttempts(key)).length).toBe(1);
      expect(harness.failuresFor(key)).toBe(0);
    });

    test('until an attempt fails: the record is received again and resized, its copies rewritten byte for byte', async () => {
      // GIVEN the fault lasts until the function gives the record back to the queue
      const key = `sqs-retry/${slug(name)}.jpg`;
      const injection = proxy.inject({ when: matching(harness, key), fault });
      await uploadThroughApi(harness.pipeline, key, sample('landscape.jpg'));
      await eventually('a failed attempt', OUTCOME_WITHIN_MS, async () => (harness.failuresFor(key) > 0 ? true : undefined), 20);
      injection.remove();
      const afterFailure = await copiesBytes(key);
      const requestsBefore = proxy.requests.length;

      // WHEN the record comes back after the visibility timeout
      const outcome = await harness.outcome(key, OUTCOME_WITHIN_MS);

      // THEN
      expect(outcome).toMatchObject({ status: 'resized' });
      expect(harness.failuresFor(key)).toBe(1);
      const final = await copiesBytes(key);
      expect([...final.keys()].sort()).toEqual(harness.sizes.map((size) => resizedKey(size.name, key, 'jpg')).sort());
      expect(afterFailure.size).toBe(copiesLeft === 'none' ? 0 : harness.sizes.length);
      for (const [copy, bytes] of afterFailure) {
        expect(final.get(copy)?.equals(bytes)).toBe(true);
      }
      // Copies the failed attempt wrote were written again, not just left as they were.
      const rewritten = proxy.requests.slice(requestsBefore).filter((r) => writingCopy(harness, key)(r) && r.outcome === 'forwarded');
      expect([...afterFailure.keys()].filter((copy) => !rewritten.some((r) => r.key === copy))).toEqual([]);
      expect(harness.receiver.received.filter((n) => n.document.key === key)).toHaveLength(1);
    });
  });

  describe('a fault that persists', () => {
    const deadKey = (name: string) => `dead-letter/${slug(name)}.jpg`;

    /** Every case at once, each on its own upload, so that their attempts overlap rather than add up. */
    beforeAll(async () => {
      for (const [name, matching, fault] of CASES) {
        proxy.inject({ when: matching(harness, deadKey(name)), fault });
        expect((await uploadThroughApi(harness.pipeline, deadKey(name), sample('landscape.jpg'))).status).toBe(200);
      }
    });

    afterAll(() => {
      proxy.clear();
    });

    async function inDeadLetterQueue(key: string): Promise<boolean> {
      const { Messages } = await harness.pipeline.clients.sqs.send(new ReceiveMessageCommand({
        QueueUrl: harness.pipeline.deadLetterQueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0, WaitTimeSeconds: 1,
      }));
      return (Messages ?? []).some((m) => eventKeys(m.Body!).includes(key));
    }

    test.each(CASES)('%s: the record ends in the dead-letter queue after maxReceiveCount attempts, and no more', async (name) => {
      // GIVEN (beforeAll)
      const key = deadKey(name);
      const maxReceiveCount = harness.pipeline.definition.queue.maxReceiveCount;

      // WHEN
      const outcome = await harness.outcome(key, OUTCOME_WITHIN_MS);

      // THEN
      expect(outcome).toEqual({ status: 'dead-lettered', key, attempts: maxReceiveCount });
      // SQS moves it at the receive after the last attempt, once the visibility timeout is over.
      await eventually('the event in the dead-letter queue', 3 * VISIBILITY_SECONDS * 1000, async () => ((await inDeadLetterQueue(key)) ? true : undefined));
      expect(harness.attemptsFor(key)).toHaveLength(maxReceiveCount);
      expect(harness.receiver.received.filter((n) => n.document.key === key)).toEqual([]);
    });

    test('once the faults are gone, the redrive command moves the dead-letter queue back and every upload in it is resized', async () => {
      // GIVEN
      proxy.clear();
      const { pipeline } = harness;
      const waiting = await queueDepth(pipeline.clients.sqs, pipeline.deadLetterQueueUrl);
      expect(waiting).toEqual({ visible: CASES.length, inFlight: 0 });

      // WHEN (as `npx projen redrive` runs it)
      const run = await execFileAsync('npx', ['ts-node', '--project', 'tsconfig.dev.json', 'local/redrive.ts', '--endpoint', pipeline.s3Endpoint, '--queue-url', pipeline.queueUrl], {
        cwd: PROJECT_ROOT,
      });

      // THEN (execFile rejects on a non-zero exit)
      expect(run.stdout).toContain(
        `redrive: ${CASES.length} message(s) moved from ${pipeline.deadLetterQueueUrl} to ${pipeline.queueUrl}, 0 could not be moved`);
      const notified = await Promise.all(CASES.map(([name]) => harness.receiver.waitFor(deadKey(name), OUTCOME_WITHIN_MS)
        .then((n) => n.document.status, () => 'no notification')));
      expect(Object.fromEntries(CASES.map(([name], i) => [name, notified[i]]))).toEqual(Object.fromEntries(CASES.map(([name]) => [name, 'resized'])));
      await eventually('both queues empty', OUTCOME_WITHIN_MS, async () => {
        const { queue, deadLetterQueue } = await queueDepths(pipeline);
        return queue.visible + queue.inFlight + deadLetterQueue.visible + deadLetterQueue.inFlight === 0 ? true : undefined;
      });
    });
  });

  test('an upload\'s event delivered again leaves its copies byte for byte as they were', async () => {
    // GIVEN
    const key = 'rerun/portrait.jpg';
    await uploadThroughApi(harness.pipeline, key, sample('portrait-exif6.jpg'));
    expect(await harness.outcome(key, OUTCOME_WITHIN_MS)).toMatchObject({ status: 'resized' });
    const before = await copiesBytes(key);
    const event = (await harness.finishedAttempts(key))[0].messages.find((m) => eventKeys(m.body).includes(key))!;

    // WHEN S3's event is delivered again, as at-least-once delivery may
    await harness.pipeline.clients.sqs.send(new SendMessageCommand({ QueueUrl: harness.pipeline.queueUrl, MessageBody: event.body }));

    // THEN
    await eventually('the re-run', OUTCOME_WITHIN_MS, async () =>
      (harness.successesFor(key) >= 2 ? true : undefined));
    expect(harness.failuresFor(key)).toBe(0);
    const after = await copiesBytes(key);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [copy, bytes] of before) {
      expect(after.get(copy)!.equals(bytes)).toBe(true);
    }
  });

});

describe('faults in the middle of slow work', () => {
  let proxy: FaultProxy;
  let harness: Harness;

  beforeAll(async () => {
    proxy = await FaultProxy.start(process.env.MOTO_ENDPOINT!);
    harness = await startHarness({ nameSuffix: '-faults-slow', functionEndpoint: proxy.url, visibilityTimeoutSeconds: VISIBILITY_SECONDS });
  });

  afterAll(async () => {
    await harness?.stop();
    await proxy?.stop();
  });

  test('a worker killed in the middle of a batch loses nothing: the batch comes back and every upload is resized', async () => {
    // GIVEN five large photographs waiting to be taken in one batch
    const photo = readFileSync(corpusPhoto('Elephants_3840x2160.jpg'));
    const keys = [1, 2, 3, 4, 5].map((i) => `killed/elephants-${i}.jpg`);
    const { pipeline } = harness;
    await pipeline.disableEventSource();
    for (const key of keys) {
      await harness.putStraight(key, photo);
    }
    await eventually('the five events on the queue', 10_000, async () =>
      ((await queueDepth(pipeline.clients.sqs, pipeline.queueUrl)).visible >= keys.length ? true : undefined));
    const logged = harness.functionLog.length;
    pipeline.enableEventSource();

    // WHEN the worker has resized the first photograph, it is killed
    const firstDone = await eventually('the first photograph resized', OUTCOME_WITHIN_MS, async () =>
      harness.functionLog.slice(logged).find((line) => line.includes('"Upload resized"') && line.includes('killed/elephants-')), 10);
    const workerName = /^\[([^\]]+)\]/.exec(firstDone)![1];
    const worker = pipeline.functionWorkers().find((w) => w.name === workerName)!;
    process.kill(worker.pid!, 'SIGKILL');

    // THEN the batch's invocation crashed...
    const crashed = await eventually('the crashed invocation', 10_000, async () =>
      harness.invocations.find((i) => i.outcome.kind === 'crash' && i.messages.some((m) => eventKeys(m.body).some((k) => keys.includes(k)))));
    expect(crashed).toMatchObject({ worker: workerName, succeeded: [] });
    expect(crashed.messages.length).toBe(keys.length);
    // ...and after the visibility timeout every upload is resized in every size.
    for (const key of keys) {
      expect(await harness.outcome(key, OUTCOME_WITHIN_MS)).toMatchObject({ status: 'resized' });
      expect(await harness.copiesOf(key)).toHaveLength(harness.sizes.length);
    }
    expect(pipeline.functionWorkers().map((w) => w.name)).not.toContain(workerName);
    await eventually('the queue empty', OUTCOME_WITHIN_MS, async () => {
      const depth = await queueDepth(pipeline.clients.sqs, pipeline.queueUrl);
      return depth.visible + depth.inFlight === 0 ? true : undefined;
    });
  });

  test('an upload replaced while its copies are still being written ends with the copies of the replacement', async () => {
    // GIVEN the first upload's copies are held on their way to S3
    const key = 'replaced-in-flight/photo.jpg';
    const held = proxy.inject({ when: writingCopy(harness, key), times: harness.sizes.length, fault: { kind: 'hold' } });
    await uploadThroughApi(harness.pipeline, key, sample('landscape.jpg'));
    await eventually('the first upload\'s copies held', OUTCOME_WITHIN_MS, async () => (held.hits === harness.sizes.length ? true : undefined));

    // WHEN the replacement is uploaded and resized, and only then the first upload's copies arrive
    await uploadThroughApi(harness.pipeline, key, sample('portrait-exif6.jpg'));
    expect(await harness.outcome(key, OUTCOME_WITHIN_MS)).toMatchObject({ status: 'resized', input: { width: 1200, height: 1600 } });
    held.release();
    await eventually('both events settled', OUTCOME_WITHIN_MS, async () =>
      (harness.successesFor(key) >= 2 ? true : undefined));

    // THEN the copies are of the image now in the upload bucket
    const large = await harness.readCopy(resizedKey('large', key, 'jpg'));
    expect(await sharp(large).metadata()).toMatchObject({ width: 1200, height: 1600 });
  });
});

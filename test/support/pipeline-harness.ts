/**
 * A local pipeline on the suite's moto with an http subscriber, a record of every invocation, and the one
 * question the robustness tests ask of each upload: how did it end?
 */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { NotificationReceiver } from '../../local/notification-receiver';
import { LocalPipeline, LocalPipelineOptions, startLocalPipeline } from '../../local/pipeline';
import { listKeys } from '../../local/pipeline-probes';
import { Invocation } from '../../local/sqs-event-source';
import { LOCAL_CALLER_HEADER } from '../../local/upload-api-server';
import { ENV, SizeSpec } from '../../src/handler/config';
import { decodeFormEncodedKey, resizedKey } from '../../src/handler/keys';
import type { NotificationDocument } from '../../src/handler/notification';

const RECORD_WITHIN_MS = 10_000;

export type Outcome =
  | NotificationDocument
  /** Every receive failed, so SQS moves the event to the dead-letter queue (at its next receive). */
  | { readonly status: 'dead-lettered'; readonly key: string; readonly attempts: number };

export interface Harness {
  readonly pipeline: LocalPipeline;
  readonly receiver: NotificationReceiver;
  readonly invocations: Invocation[];
  /** Every line the function wrote, prefixed with its worker's name. */
  readonly functionLog: string[];
  readonly sizes: SizeSpec[];
  /**
   * The first notification about `key` that `accept` takes, at any of the receivers, or the dead-letter queue,
   * whichever comes first.
   */
  outcome(key: string, timeoutMs: number, accept?: (document: NotificationDocument) => boolean): Promise<Outcome>;
  /** The invocations whose batch held an event about `key`, oldest first. */
  attemptsFor(key: string): Invocation[];
  /** How many times an event about `key` was left on the queue to be received again. */
  failuresFor(key: string): number;
  /** How many times an event about `key` was processed and deleted from the queue. */
  successesFor(key: string): number;
  /**
   * The attempts for `key` once one has finished it (a notification is published during the invocation, so
   * the invocation's record can come a moment after it).
   */
  finishedAttempts(key: string): Promise<Invocation[]>;
  /** The resized bucket's objects that are copies of `key`, whatever their extension. */
  copiesOf(key: string): Promise<string[]>;
  readCopy(copyKey: string): Promise<Buffer>;
  /**
   * Puts a file straight into the upload bucket with its uploader recorded, as the presigned POST of
   * `POST /upload-url` stores one: the way in for files over API Gateway's 10 MB.
   *
   * @param uploader @default - the local API's default caller
   */
  putStraight(key: string, body: Buffer, uploader?: string): Promise<void>;
  /** Subscribes one more receiver through the API as `caller`; {@link outcome} then also reads what it receives. */
  subscribeAs(caller: string): Promise<void>;
  stop(): Promise<void>;
}

/** The objects an S3 event message body names, decoded; none for S3's test event. */
export function eventKeys(body: string): string[] {
  const records = (JSON.parse(body) as { Records?: Array<{ s3: { object: { key: string } } }> }).Records ?? [];
  return records.map((record) => decodeFormEncodedKey(record.s3.object.key));
}

export async function startHarness(options: Omit<LocalPipelineOptions, 'onInvocation' | 'functionLog' | 'motoEndpoint'>): Promise<Harness> {
  const invocations: Invocation[] = [];
  const functionLog: string[] = [];
  const receiver = await NotificationReceiver.start();
  let pipeline: LocalPipeline;
  try {
    pipeline = await startLocalPipeline({
      port: 0,
      motoEndpoint: process.env.MOTO_ENDPOINT,
      ...options,
      onInvocation: (invocation) => invocations.push(invocation),
      functionLog: (line) => functionLog.push(line),
    });
  } catch (error) {
    await receiver.stop();
    throw error;
  }
  const receivers = [receiver];
  const subscribe = async (subscriber: NotificationReceiver, headers: Record<string, string>) => {
    const subscribed = await fetch(`${pipeline.apiUrl}/subscribe`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify({ endpoint: subscriber.url }),
    });
    if (subscribed.status !== 200) {
      throw new Error(`subscribing a test receiver answered ${subscribed.status}: ${await subscribed.text()}`);
    }
  };
  try {
    await subscribe(receiver, {});
  } catch (error) {
    await pipeline.stop();
    await receiver.stop();
    throw error;
  }
  const sizes: SizeSpec[] = JSON.parse(pipeline.functionEnvironment[ENV.sizes]);
  const maxReceiveCount = pipeline.definition.queue.maxReceiveCount;

  const attemptsFor = (key: string) => invocations.filter((i) => i.messages.some((m) => eventKeys(m.body).includes(key)));

  const successesFor = (key: string) => attemptsFor(key)
    .flatMap((a) => a.messages.filter((m) => a.succeeded.includes(m.id) && eventKeys(m.body).includes(key)))
    .length;

  /** Per message about `key`, how many receives ended with it left on the queue. */
  const failuresByMessage = (key: string): Map<string, number> => {
    const failures = new Map<string, number>();
    for (const invocation of attemptsFor(key)) {
      for (const id of invocation.failed) {
        if (invocation.messages.some((m) => m.id === id && eventKeys(m.body).includes(key))) {
          failures.set(id, (failures.get(id) ?? 0) + 1);
        }
      }
    }
    return failures;
  };

  const deadLettered = (key: string): Outcome | undefined => {
    const attempts = Math.max(0, ...failuresByMessage(key).values());
    return attempts >= maxReceiveCount ? { status: 'dead-lettered', key, attempts } : undefined;
  };

  return {
    pipeline,
    receiver,
    invocations,
    functionLog,
    sizes,
    attemptsFor,
    failuresFor: (key) => [...failuresByMessage(key).values()].reduce((sum, count) => sum + count, 0),
    successesFor,
    finishedAttempts: async (key) => {
      const deadline = Date.now() + RECORD_WITHIN_MS;
      for (;;) {
        if (successesFor(key) > 0 || deadLettered(key)) {
          return attemptsFor(key);
        }
        if (Date.now() > deadline) {
          throw new Error(`no finished attempt for "${key}" within ${RECORD_WITHIN_MS} ms`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    outcome: async (key, timeoutMs, accept = () => true) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const notified = receivers.flatMap((r) => r.received).find((n) => n.document.key === key && accept(n.document));
        if (notified) {
          return notified.document;
        }
        const dead = deadLettered(key);
        if (dead) {
          return dead;
        }
        if (Date.now() > deadline) {
          throw new Error(`no outcome for "${key}" within ${timeoutMs} ms`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    copiesOf: async (key) => {
      const copies: string[] = [];
      for (const size of sizes) {
        const prefix = resizedKey(size.name, key, '');
        copies.push(...(await listKeys(pipeline.clients.s3, pipeline.resizedBucket, prefix))
          .filter((copy) => /^[a-z0-9]+$/i.test(copy.slice(prefix.length))));
      }
      return copies;
    },
    readCopy: async (copyKey) => {
      const object = await pipeline.clients.s3.send(new GetObjectCommand({ Bucket: pipeline.resizedBucket, Key: copyKey }));
      return Buffer.from(await object.Body!.transformToByteArray());
    },
    putStraight: async (key, body, uploader = pipeline.defaultCaller) => {
      await pipeline.clients.s3.send(new PutObjectCommand({
        Bucket: pipeline.uploadBucket,
        Key: key,
        Body: body,
        Metadata: { [pipeline.definition.api.callerScope!.attribute]: uploader },
      }));
    },
    subscribeAs: async (caller) => {
      const subscriber = await NotificationReceiver.start();
      receivers.push(subscriber);
      await subscribe(subscriber, { [LOCAL_CALLER_HEADER]: caller });
    },
    stop: async () => {
      await pipeline.stop();
      for (const subscriber of receivers) {
        await subscriber.stop();
      }
    },
  };
}

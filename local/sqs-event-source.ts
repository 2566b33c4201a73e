/**
 * Plays Lambda's SQS event source mapping: polls the queue, hands batches to function workers (at most
 * MaximumConcurrency at once), deletes what succeeded and leaves the rest on the queue, where the queue's
 * visibility timeout and redrive policy take over exactly as they do in AWS.
 *
 * A local visibility timeout, for quick retries, is given only to the messages an invocation leaves on the queue,
 * once it has ended. Were it given at the receive, a message would come back while the invocation that holds it is
 * still running, whenever a batch takes longer than that timeout, as it does on a loaded machine; the function
 * would then work on it twice at once, and a third receive would move it to the dead-letter queue under the
 * invocations that still hold it. Deployed, neither happens: the construct refuses a visibility timeout shorter
 * than the function's timeout plus the batching window.
 */
import { randomUUID } from 'node:crypto';
import { ChangeMessageVisibilityBatchCommand, DeleteMessageBatchCommand, Message, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { FunctionWorker, InvocationOutcome } from './lambda-runtime/function-worker';
import { WorkerPool } from './lambda-runtime/worker-pool';

/** SQS's own limit on one ReceiveMessage. */
const MAX_MESSAGES_PER_RECEIVE = 10;
/** SQS's own limit on how long one ReceiveMessage waits; a batching window may be up to 5 minutes. */
const MAX_RECEIVE_WAIT_SECONDS = 20;
/** Short enough that disabling or stopping the source waits little for an open poll. */
const LONG_POLL_SECONDS = 2;
const ERROR_PAUSE_MS = 1_000;

export interface SqsEventSourceOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly region: string;
  readonly functionArn: string;
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  /**
   * The longest one ReceiveMessage waits; a longer batching window is gathered in several receives.
   *
   * @default 20, SQS's limit
   */
  readonly maxReceiveWaitSeconds?: number;
  readonly maxConcurrency: number;
  readonly reportBatchItemFailures: boolean;
  readonly functionTimeoutSeconds: number;
  /**
   * The visibility timeout of the messages an invocation leaves on the queue, set once it has ended, so that they
   * come back after this many seconds rather than the queue's (minutes); received messages keep the queue's.
   *
   * @default - the queue's, counted from the receive
   */
  readonly visibilityTimeoutSeconds?: number;
  readonly startWorker: (name: string) => FunctionWorker;
  /** Told about every invocation once its messages are settled. */
  readonly onInvocation: (invocation: Invocation) => void;
  /** Told about errors of SQS itself, which the poller survives. */
  readonly onError: (error: unknown) => void;
}

export interface Invocation {
  readonly requestId: string;
  readonly worker: string;
  /** The batch, in the order the function received it. */
  readonly messages: Array<{ readonly id: string; readonly body: string }>;
  /** Deleted from the queue. */
  readonly succeeded: string[];
  /**
   * Left on the queue, to be received again after the visibility timeout: those the function failed, then those
   * it processed but SQS did not delete (the event source's error says why).
   */
  readonly failed: string[];
  readonly outcome: InvocationOutcome;
  readonly durationMs: number;
}

export class SqsEventSource {
  private readonly workers: WorkerPool;
  private readonly inFlight = new Set<Promise<void>>();
  private running = false;
  private enabled = true;
  private loop?: Promise<void>;
  private poll?: AbortController;
  private wake?: () => void;

  constructor(private readonly options: SqsEventSourceOptions) {
    this.workers = new WorkerPool('worker', options.startWorker);
  }

  /** The workers whose process has not exited. */
  public get currentWorkers(): readonly FunctionWorker[] {
    return this.workers.current;
  }

  public start(): void {
    this.running = true;
    this.loop = this.run();
  }

  /**
   * Stops taking new batches, like setting the mapping's `Enabled` to false. Resolves once no poll is open,
   * so messages sent after it stay on the queue until {@link enable}.
   */
  public async disable(): Promise<void> {
    this.enabled = false;
    this.wake?.();
    while (this.poll) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  public enable(): void {
    this.enabled = true;
    this.wake?.();
  }

  /** Kills every worker; messages of unfinished invocations return to the queue after their visibility timeout. */
  public async stop(): Promise<void> {
    this.running = false;
    this.poll?.abort();
    this.wake?.();
    await this.loop;
    await this.workers.stop();
    await Promise.allSettled([...this.inFlight]);
  }

  private async run(): Promise<void> {
    while (this.running) {
      if (!this.enabled || this.inFlight.size >= this.options.maxConcurrency) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        continue;
      }
      const { messages, error } = await this.receiveBatch();
      if (messages.length > 0 && this.running) {
        const invocation = this.invoke(messages)
          .catch((invokeError) => this.options.onError(invokeError))
          .finally(() => {
            this.inFlight.delete(invocation);
            this.wake?.();
          });
        this.inFlight.add(invocation);
      }
      if (error !== undefined) {
        // Lambda's pollers keep going through errors from SQS; so does this one, after a pause.
        this.options.onError(error);
        await new Promise((resolve) => setTimeout(resolve, ERROR_PAUSE_MS));
      }
    }
  }

  /**
   * One batch: up to BatchSize messages, gathered for at most MaximumBatchingWindowInSeconds once the first arrives.
   * A receive that fails ends the batch with the messages already received: they are invisible until their
   * visibility timeout, so dropping them would cost each a receive without the function ever seeing it.
   */
  private async receiveBatch(): Promise<{ readonly messages: Message[]; readonly error?: unknown }> {
    const { batchSize, maxBatchingWindowSeconds } = this.options;
    const maxWaitSeconds = this.options.maxReceiveWaitSeconds ?? MAX_RECEIVE_WAIT_SECONDS;
    const messages: Message[] = [];
    try {
      messages.push(...await this.receive(Math.min(MAX_MESSAGES_PER_RECEIVE, batchSize), Math.min(LONG_POLL_SECONDS, maxWaitSeconds)));
      if (messages.length === 0 || maxBatchingWindowSeconds === 0) {
        return { messages };
      }
      const windowEnds = Date.now() + maxBatchingWindowSeconds * 1000;
      while (this.running && this.enabled && messages.length < batchSize && Date.now() < windowEnds) {
        const waitSeconds = Math.min(maxWaitSeconds, Math.ceil((windowEnds - Date.now()) / 1000));
        messages.push(...await this.receive(Math.min(MAX_MESSAGES_PER_RECEIVE, batchSize - messages.length), waitSeconds));
      }
      return { messages };
    } catch (error) {
      return { messages, error };
    }
  }

  private async receive(maxMessages: number, waitSeconds: number): Promise<Message[]> {
    this.poll = new AbortController();
    try {
      const response = await this.options.sqs.send(new ReceiveMessageCommand({
        QueueUrl: this.options.queueUrl,
        MaxNumberOfMessages: maxMessages,
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }), { abortSignal: this.poll.signal });
      return response.Messages ?? [];
    } catch (error) {
      if (!this.running) {
        return [];
      }
      throw error;
    } finally {
      this.poll = undefined;
    }
  }

  private async invoke(messages: Message[]): Promise<void> {
    const requestId = randomUUID();
    const started = Date.now();
    const worker = this.workers.take();
    const outcome = await worker.invoke({
      type: 'invoke',
      requestId,
      event: this.event(messages),
      invokedFunctionArn: this.options.functionArn,
    }, this.options.functionTimeoutSeconds * 1000);

    const messageIds = messages.map((m) => m.MessageId!);
    const failed = this.failedMessageIds(outcome, messageIds);
    const processed = messages.filter((m) => !failed.includes(m.MessageId!));
    const deletion = this.running ? await this.delete(processed) : { undeleted: [] };
    const left = [...failed, ...deletion.undeleted];
    const shortening = this.running ? await this.returnSooner(messages.filter((m) => left.includes(m.MessageId!))) : undefined;
    this.options.onInvocation({
      requestId,
      worker: worker.name,
      messages: messages.map((m) => ({ id: m.MessageId!, body: m.Body! })),
      succeeded: processed.map((m) => m.MessageId!).filter((id) => !deletion.undeleted.includes(id)),
      failed: left,
      outcome,
      durationMs: Date.now() - started,
    });
    if (deletion.error) {
      throw deletion.error;
    }
    if (shortening) {
      throw shortening;
    }
  }

  /**
   * Lambda's rules: any function error fails the whole batch; with ReportBatchItemFailures only the listed
   * messages fail, and a response that names a message not in the batch fails the whole batch.
   */
  private failedMessageIds(outcome: InvocationOutcome, messageIds: string[]): string[] {
    if (outcome.kind !== 'result') {
      return messageIds;
    }
    if (!this.options.reportBatchItemFailures) {
      return [];
    }
    const failures = (outcome.result as { batchItemFailures?: unknown } | null)?.batchItemFailures;
    if (failures === undefined || failures === null) {
      return [];
    }
    if (!Array.isArray(failures)) {
      return messageIds;
    }
    const ids = failures.map((f) => (f as { itemIdentifier?: unknown })?.itemIdentifier);
    if (ids.some((id) => typeof id !== 'string' || !messageIds.includes(id))) {
      return messageIds;
    }
    return ids as string[];
  }

  /** Deletes the messages; the IDs of those SQS did not delete, which stay on the queue, and why. */
  private async delete(messages: Message[]): Promise<{ readonly undeleted: string[]; readonly error?: Error }> {
    const undeleted: string[] = [];
    const reasons: string[] = [];
    for (let i = 0; i < messages.length; i += MAX_MESSAGES_PER_RECEIVE) {
      const chunk = messages.slice(i, i + MAX_MESSAGES_PER_RECEIVE);
      try {
        const response = await this.options.sqs.send(new DeleteMessageBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: chunk.map((m, index) => ({ Id: String(index), ReceiptHandle: m.ReceiptHandle! })),
        }));
        if (response.Failed?.length) {
          undeleted.push(...response.Failed.map((failure) => chunk[Number(failure.Id)].MessageId!));
          reasons.push(JSON.stringify(response.Failed));
        }
      } catch (error) {
        undeleted.push(...chunk.map((m) => m.MessageId!));
        reasons.push((error as Error).message ?? String(error));
      }
    }
    return { undeleted, error: reasons.length > 0 ? new Error(`could not delete processed messages: ${reasons.join('; ')}`) : undefined };
  }

  /**
   * Gives the messages left on the queue the local visibility timeout, if there is one. One that SQS refuses keeps
   * the queue's and comes back later; the error says which.
   */
  private async returnSooner(messages: Message[]): Promise<Error | undefined> {
    const seconds = this.options.visibilityTimeoutSeconds;
    if (seconds === undefined) {
      return undefined;
    }
    const reasons: string[] = [];
    for (let i = 0; i < messages.length; i += MAX_MESSAGES_PER_RECEIVE) {
      const chunk = messages.slice(i, i + MAX_MESSAGES_PER_RECEIVE);
      try {
        const response = await this.options.sqs.send(new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: chunk.map((m, index) => ({ Id: String(index), ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: seconds })),
        }));
        if (response.Failed?.length) {
          reasons.push(JSON.stringify(response.Failed.map((failure) => ({ ...failure, MessageId: chunk[Number(failure.Id)].MessageId }))));
        }
      } catch (error) {
        reasons.push((error as Error).message ?? String(error));
      }
    }
    return reasons.length > 0
      ? new Error(`could not shorten the visibility timeout of messages left on the queue to ${seconds} s: ${reasons.join('; ')}`)
      : undefined;
  }

  private event(messages: Message[]): SQSEvent {
    return {
      Records: messages.map((m): SQSRecord => ({
        messageId: m.MessageId!,
        receiptHandle: m.ReceiptHandle!,
        body: m.Body!,
        attributes: m.Attributes as unknown as SQSRecord['attributes'],
        messageAttributes: Object.fromEntries(Object.entries(m.MessageAttributes ?? {}).map(([name, value]) => [name, {
          stringValue: value.StringValue,
          binaryValue: value.BinaryValue ? Buffer.from(value.BinaryValue).toString('base64') : undefined,
          stringListValues: value.StringListValues ?? [],
          binaryListValues: (value.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
          dataType: value.DataType!,
        }])),
        md5OfBody: m.MD5OfBody!,
        eventSource: 'aws:sqs',
        eventSourceARN: this.options.queueArn,
        awsRegion: this.options.region,
      })),
    };
  }
}

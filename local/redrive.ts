/**
 * `npx projen redrive`: moves the messages of a dead-letter queue back to the queue they came from, so uploads
 * that failed transiently (S3 or SNS down, throttled, a bug since fixed) are processed again. Works against the
 * local pipeline's moto (`--endpoint`) and, with AWS credentials from the usual places, against a deployed
 * stack. Each message is sent to the source queue before it is deleted from the dead-letter queue, so a
 * failure half-way leaves a message in both queues, never in neither; the function is idempotent, and a
 * duplicate costs one more notification.
 *
 *   npx projen redrive --queue-url URL [--dead-letter-queue-url URL] [--endpoint http://127.0.0.1:PORT] [--region R]
 *
 * Without `--dead-letter-queue-url` the dead-letter queue is the one named by the source queue's redrive policy.
 */
import {
  DeleteMessageBatchCommand, GetQueueAttributesCommand, GetQueueUrlCommand, Message, ReceiveMessageCommand,
  SendMessageBatchCommand, SQSClient,
} from '@aws-sdk/client-sqs';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './aws-clients';
import { REDRIVEN_ATTRIBUTE } from '../src/handler/config';

/** SQS's limit on one receive and one batch. */
const BATCH = 10;
/** Long enough to send and delete a batch; a message whose move failed is visible in the dead-letter queue again after it. */
const MOVE_VISIBILITY_SECONDS = 60;

export interface RedriveOptions {
  readonly sqs: SQSClient;
  /** The queue the function reads: the messages go back there. */
  readonly queueUrl: string;
  /** @default - the dead-letter queue of `queueUrl`'s redrive policy */
  readonly deadLetterQueueUrl?: string;
  /** Told about each batch moved. */
  readonly log?: (line: string) => void;
}

export interface RedriveResult {
  readonly deadLetterQueueUrl: string;
  /** Sent to the source queue and deleted from the dead-letter queue. */
  readonly moved: number;
  /** Could not be sent; they stay in the dead-letter queue. */
  readonly failed: Array<{ readonly messageId: string; readonly reason: string }>;
}

/** Moves messages until a receive from the dead-letter queue finds none. */
export async function redrive(options: RedriveOptions): Promise<RedriveResult> {
  const { sqs, queueUrl } = options;
  const log = options.log ?? (() => undefined);
  const deadLetterQueueUrl = options.deadLetterQueueUrl ?? await deadLetterQueueOf(sqs, queueUrl);
  let moved = 0;
  const failed: RedriveResult['failed'] = [];
  const tried = new Set<string>();
  for (;;) {
    const { Messages: received = [] } = await sqs.send(new ReceiveMessageCommand({
      QueueUrl: deadLetterQueueUrl,
      MaxNumberOfMessages: BATCH,
      WaitTimeSeconds: 1,
      VisibilityTimeout: MOVE_VISIBILITY_SECONDS,
      MessageAttributeNames: ['All'],
    }));
    // A message that could not be moved is not tried again in this run; it is reported instead.
    const messages = received.filter((m) => !tried.has(m.MessageId!));
    if (messages.length === 0) {
      break;
    }
    messages.forEach((m) => tried.add(m.MessageId!));
    const sent = await sqs.send(new SendMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: messages.map((m, index) => ({
        Id: String(index),
        MessageBody: m.Body!,
        MessageAttributes: { ...m.MessageAttributes, [REDRIVEN_ATTRIBUTE]: { DataType: 'String', StringValue: 'true' } },
      })),
    }));
    for (const failure of sent.Failed ?? []) {
      failed.push({ messageId: messages[Number(failure.Id)].MessageId!, reason: `${failure.Code}: ${failure.Message ?? ''}` });
    }
    const delivered = (sent.Successful ?? []).map((entry) => messages[Number(entry.Id)]);
    await deleteMessages(sqs, deadLetterQueueUrl, delivered);
    moved += delivered.length;
    log(`moved ${delivered.length} message(s)${sent.Failed?.length ? `, ${sent.Failed.length} could not be sent` : ''}`);
  }
  return { deadLetterQueueUrl, moved, failed };
}

async function deadLetterQueueOf(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['RedrivePolicy'] }));
  if (!Attributes?.RedrivePolicy) {
    throw new Error(`${queueUrl} has no redrive policy, so it has no dead-letter queue; give --dead-letter-queue-url`);
  }
  const arn: string = JSON.parse(Attributes.RedrivePolicy).deadLetterTargetArn;
  const [, , , , accountId, queueName] = arn.split(':');
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queueName, QueueOwnerAWSAccountId: accountId }));
  return QueueUrl!;
}

async function deleteMessages(sqs: SQSClient, queueUrl: string, messages: Message[]): Promise<void> {
  if (messages.length === 0) {
    return;
  }
  const result = await sqs.send(new DeleteMessageBatchCommand({
    QueueUrl: queueUrl,
    Entries: messages.map((m, index) => ({ Id: String(index), ReceiptHandle: m.ReceiptHandle! })),
  }));
  if (result.Failed?.length) {
    throw new Error(`moved ${messages.length} message(s) but could not delete ${result.Failed.length} of them from the dead-letter queue ` +
      `(they are now in both queues): ${JSON.stringify(result.Failed)}`);
  }
}

interface CliArguments {
  readonly queueUrl: string;
  readonly deadLetterQueueUrl?: string;
  readonly endpoint?: string;
  readonly region?: string;
}

const USAGE = 'usage: npx projen redrive --queue-url URL [--dead-letter-queue-url URL] [--endpoint http://127.0.0.1:PORT] [--region REGION]';

function parseArguments(argv: string[]): CliArguments {
  const values: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (!['--queue-url', '--dead-letter-queue-url', '--endpoint', '--region'].includes(flag) || value === undefined) {
      throw new Error(`unexpected argument ${flag}\n${USAGE}`);
    }
    values[flag] = value;
  }
  if (!values['--queue-url']) {
    throw new Error(USAGE);
  }
  return {
    queueUrl: values['--queue-url'],
    deadLetterQueueUrl: values['--dead-letter-queue-url'],
    endpoint: values['--endpoint'],
    region: values['--region'],
  };
}

/**
 * `https://sqs.eu-west-1.amazonaws.com/...` (or the legacy `https://eu-west-1.queue.amazonaws.com/...`) names its
 * region; in China the domain is `amazonaws.com.cn`.
 */
export function regionOf(queueUrl: string): string | undefined {
  return /^https:\/\/(?:sqs\.)?([a-z0-9-]+)\.(?:queue\.)?amazonaws\.com(?:\.cn)?\//.exec(queueUrl)?.[1];
}

async function main(): Promise<number> {
  const args = parseArguments(process.argv.slice(2));
  // Locally the emulator takes any credentials; deployed, the SDK finds them as the AWS CLI does.
  const sqs = args.endpoint
    ? new SQSClient({ endpoint: args.endpoint, region: args.region ?? LOCAL_REGION, credentials: LOCAL_CREDENTIALS })
    : new SQSClient({ region: args.region ?? regionOf(args.queueUrl) });
  try {
    const result = await redrive({ sqs, queueUrl: args.queueUrl, deadLetterQueueUrl: args.deadLetterQueueUrl, log: (line) => console.log(line) });
    console.log(`redrive: ${result.moved} message(s) moved from ${result.deadLetterQueueUrl} to ${args.queueUrl}, ${result.failed.length} could not be moved`);
    for (const failure of result.failed) {
      console.log(`  ${failure.messageId}: ${failure.reason}`);
    }
    return result.failed.length === 0 ? 0 : 1;
  } finally {
    sqs.destroy();
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: Error) => {
      console.error(`redrive: ${error.message}`);
      process.exit(1);
    },
  );
}

/**
 * The AWS side of the handler tests, on the moto that test/setup/global-setup.ts started: real S3 notification
 * bodies come from a bucket wired to a queue, and what the handler publishes is read back from a queue
 * subscribed to its topic.
 */
import { randomUUID } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import type { NotificationDocument } from '../../src/handler/notification';

function motoEndpoint(): string {
  const endpoint = process.env.MOTO_ENDPOINT;
  if (!endpoint) {
    throw new Error('MOTO_ENDPOINT is not set: run the tests through jest, whose global set-up starts moto');
  }
  return endpoint;
}

const clientConfig = () => ({ endpoint: motoEndpoint(), region: 'us-east-1' });
const s3 = new S3Client(clientConfig());
const sqs = new SQSClient(clientConfig());
export const sns = new SNSClient(clientConfig());

/** Bucket, queue and topic names are unique per test, so tests share one moto without seeing each other. */
function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export async function createBucket(prefix: string): Promise<string> {
  const bucket = uniqueName(prefix);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

async function createQueue(prefix: string): Promise<{ url: string; arn: string }> {
  const { QueueUrl: url } = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName(prefix) }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  return { url: url!, arn: Attributes!.QueueArn! };
}

/**
 * Receives until `count` messages have arrived (or the wait is over), deleting nothing: a test that reads a
 * queue reads all it wants at once.
 */
async function receive(queueUrl: string, count: number, timeoutMs = 10_000): Promise<Message[]> {
  const messages: Message[] = [];
  const deadline = Date.now() + timeoutMs;
  while (messages.length < count && Date.now() < deadline) {
    const { Messages } = await sqs.send(new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: Math.min(10, count - messages.length),
      WaitTimeSeconds: 1,
      VisibilityTimeout: 300,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }));
    messages.push(...(Messages ?? []));
  }
  return messages;
}

/** An upload bucket that notifies a queue of every created and removed object, as the construct wires it. */
export class UploadBucket {
  static async create(): Promise<UploadBucket> {
    return UploadBucket.notifying(await createQueue('uploads'));
  }

  /** A second bucket whose notifications arrive in the same queue, so they can share a batch. */
  static async sharingQueueWith(other: UploadBucket): Promise<UploadBucket> {
    return UploadBucket.notifying({ url: other.queueUrl, arn: other.queueArn });
  }

  private static async notifying(queue: { url: string; arn: string }): Promise<UploadBucket> {
    const bucket = await createBucket('upload');
    await s3.send(new PutBucketNotificationConfigurationCommand({
      Bucket: bucket,
      NotificationConfiguration: {
        QueueConfigurations: [{ QueueArn: queue.arn, Events: ['s3:ObjectCreated:*', 's3:ObjectRemoved:*'] }],
      },
    }));
    return new UploadBucket(bucket, queue.url, queue.arn);
  }

  private constructor(readonly bucket: string, readonly queueUrl: string, readonly queueArn: string) {}

  /** `metadata` is what the upload API adds, e.g. `{ uploader: <caller> }`. */
  async upload(key: string, body: Buffer | string, metadata?: Record<string, string>): Promise<void> {
    await putObject(this.bucket, key, body, metadata);
  }

  /** The notifications S3 sent, as the Lambda event source would hand them to the function. */
  async notifications(count: number): Promise<SQSRecord[]> {
    const messages = await receive(this.queueUrl, count);
    if (messages.length !== count) {
      throw new Error(`expected ${count} notifications from ${this.bucket}, received ${messages.length}`);
    }
    return messages.map((message) => sqsRecord(message, this.queueArn));
  }

  /** Skips the `s3:TestEvent` that configuring the notification sent. */
  async uploadNotifications(count: number): Promise<SQSRecord[]> {
    const records = await this.notifications(count + 1);
    return records.filter((record) => JSON.parse(record.body).Event !== 's3:TestEvent');
  }

  /** A message on the upload queue that S3 did not send. */
  async sendForeignMessage(body: string): Promise<SQSRecord> {
    const { MessageId } = await sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: body }));
    // One at a time, as S3's test event may still be ahead of it: asking for two would wait out the receive's
    // timeout whenever it is alone in the queue.
    const messages: Message[] = [];
    while (messages.length < 2 && !messages.some((message) => message.MessageId === MessageId)) {
      const received = await receive(this.queueUrl, 1);
      if (received.length === 0) break;
      messages.push(...received);
    }
    const sent = messages.find((message) => message.MessageId === MessageId);
    if (!sent) {
      throw new Error(`message ${MessageId} did not arrive in ${this.queueUrl}`);
    }
    return sqsRecord(sent, this.queueArn);
  }

  async remove(key: string): Promise<void> {
    await s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async removeBucket(): Promise<void> {
    const { Contents } = await s3.send(new ListObjectsV2Command({ Bucket: this.bucket }));
    for (const { Key } of Contents ?? []) {
      await s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key }));
    }
    await s3.send(new DeleteBucketCommand({ Bucket: this.bucket }));
  }
}

/** The shape the Lambda SQS event source gives each message. */
function sqsRecord(message: Message, queueArn: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body!,
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'AIDAIT2UOQQY3AUEKVGXU',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody!,
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: 'us-east-1',
  };
}

export function sqsEvent(...records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

/** A topic, and a queue subscribed to it with raw delivery so each message body is the `sqs` rendering. */
export class NotificationTopic {
  static async create(): Promise<NotificationTopic> {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: uniqueName('resized') }));
    const queue = await createQueue('notified');
    await sns.send(new SubscribeCommand({
      TopicArn,
      Protocol: 'sqs',
      Endpoint: queue.arn,
      Attributes: { RawMessageDelivery: 'true' },
    }));
    return new NotificationTopic(TopicArn!, queue.url);
  }

  private constructor(readonly arn: string, private readonly queueUrl: string) {}

  /** The JSON documents published, with the `status` and `uploader` message attributes alongside. */
  async received(count: number): Promise<Array<{ status?: string; uploader?: string; document: NotificationDocument }>> {
    const messages = await receive(this.queueUrl, count);
    return messages.map((message) => ({
      status: message.MessageAttributes?.status?.StringValue,
      uploader: message.MessageAttributes?.uploader?.StringValue,
      document: JSON.parse(message.Body!) as NotificationDocument,
    }));
  }

  /** Waits briefly, so a message published late would still be caught. */
  async receivedNothing(): Promise<boolean> {
    return (await receive(this.queueUrl, 1, 2_000)).length === 0;
  }
}

export async function readObject(bucket: string, key: string): Promise<{ data: Buffer; contentType?: string; metadata: Record<string, string> }> {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return {
    data: Buffer.from(await response.Body!.transformToByteArray()),
    contentType: response.ContentType,
    metadata: response.Metadata ?? {},
  };
}

export async function putObject(bucket: string, key: string, body: Buffer | string, metadata?: Record<string, string>): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, Metadata: metadata }));
}

/** Without the quotes S3 puts around it. */
export async function etagOf(bucket: string, key: string): Promise<string> {
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  return head.ETag!.replace(/"/g, '');
}

export async function listKeys(bucket: string): Promise<string[]> {
  const { Contents } = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (Contents ?? []).map((object) => object.Key!).sort();
}

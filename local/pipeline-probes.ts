/**
 * What a test or the load test does to a running local pipeline from outside, as a user or an operator
 * would: upload through the API, and look at the queues and buckets.
 */
import { paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { LocalPipeline } from './pipeline';

/** `PUT /upload-image/{bucket}/{key}` with the body `curl --data-binary @file` sends. */
export function uploadThroughApi(pipeline: LocalPipeline, key: string, body: Buffer): Promise<Response> {
  return fetch(`${pipeline.apiUrl}/upload-image/${encodeURIComponent(pipeline.uploadBucket)}/${encodeURIComponent(key)}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body,
  });
}

export interface QueueDepth {
  /** Waiting to be received. */
  readonly visible: number;
  /** Received and neither deleted nor back yet. */
  readonly inFlight: number;
}

export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<QueueDepth> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({
    QueueUrl: queueUrl,
    AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
  }));
  return {
    visible: Number(Attributes?.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

/** The pipeline's queue and dead-letter queue. */
export async function queueDepths(pipeline: LocalPipeline): Promise<{ queue: QueueDepth; deadLetterQueue: QueueDepth }> {
  const [queue, deadLetterQueue] = await Promise.all([
    queueDepth(pipeline.clients.sqs, pipeline.queueUrl),
    queueDepth(pipeline.clients.sqs, pipeline.deadLetterQueueUrl),
  ]);
  return { queue, deadLetterQueue };
}

export async function listKeys(s3: S3Client, bucket: string, prefix?: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
    keys.push(...(page.Contents ?? []).map((object) => object.Key!));
  }
  return keys;
}

/** Polls `probe` until it gives a value; throws naming `what` after `timeoutMs`. */
export async function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() >= deadline) {
      throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

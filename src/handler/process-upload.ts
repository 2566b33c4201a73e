/**
 * One SQS record from the upload queue, from the original in S3 to the notification. Each failure is sorted
 * into one of two kinds: permanent (the message or the upload itself is the problem; retrying would only fill
 * the dead-letter queue, so the record succeeds after the uploader is told), or transient (anything else;
 * the error propagates, the record is reported in batchItemFailures and SQS delivers it again).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { MessageAttributeValue, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { SQSRecord } from 'aws-lambda';
import { ResizeConfig, UPLOADER_ATTRIBUTE } from './config';
import { ImageRejectedError, resizeImage } from './image-core';
import { FailedUpload, SnsNotification, failedNotification, resizedNotification } from './notification';
import { ResizedStore } from './resized-store';
import { UnparseableMessageError, UploadedObject, uploadedObjects } from './s3-event';

export interface UploadProcessorDependencies {
  readonly s3: S3Client;
  readonly sns: SNSClient;
  readonly config: ResizeConfig;
  readonly logger: Logger;
}

export type RecordHandler = (record: SQSRecord) => Promise<void>;

interface Original {
  readonly bytes: Buffer;
  readonly uploader?: string;
}

export function uploadRecordHandler(deps: UploadProcessorDependencies): RecordHandler {
  const { s3, sns, config, logger } = deps;
  const store = new ResizedStore(s3, config.resizedBucket);

  /** The uploader, when the API recorded one, goes along so that private subscriptions can filter on it. */
  const publish = async (notification: SnsNotification, original: Original) => {
    const attributes: Record<string, MessageAttributeValue> = { ...notification.MessageAttributes };
    if (original.uploader !== undefined) {
      attributes[UPLOADER_ATTRIBUTE] = { DataType: 'String', StringValue: original.uploader };
    }
    await sns.send(new PublishCommand({ TopicArn: config.topicArn, ...notification, MessageAttributes: attributes }));
  };

  const readOriginal = async (upload: UploadedObject): Promise<Original | undefined> => {
    try {
      const response = await s3.send(new GetObjectCommand({ Bucket: upload.bucket, Key: upload.key }));
      return {
        bytes: Buffer.from(await response.Body!.transformToByteArray()),
        uploader: response.Metadata?.[UPLOADER_ATTRIBUTE],
      };
    } catch (error) {
      if ((error as Error).name === 'NoSuchKey') {
        return undefined;
      }
      throw error;
    }
  };

  const reject = async (upload: UploadedObject, original: Original, error: ImageRejectedError) => {
    const removed = await store.removeCopiesOf(upload.key, config.sizes);
    const failure: FailedUpload = { bucket: upload.bucket, key: upload.key, reason: error.reason, message: error.message };
    await publish(failedNotification(failure), original);
    logger.warn('Upload rejected', { ...failure, removedStaleCopies: removed, cause: String(error.cause ?? '') });
  };

  const processUpload = async (upload: UploadedObject) => {
    const original = await readOriginal(upload);
    if (original === undefined) {
      logger.warn('Original no longer exists; nothing to resize', { bucket: upload.bucket, key: upload.key });
      return;
    }

    let resized: Awaited<ReturnType<typeof resizeImage>>;
    try {
      resized = await resizeImage(original.bytes, {
        sizes: config.sizes,
        format: config.format,
        quality: config.quality,
        maxInputPixels: config.maxInputPixels,
      });
    } catch (error) {
      if (error instanceof ImageRejectedError) {
        return reject(upload, original, error);
      }
      throw error;
    }

    const stored = await store.put(upload.key, resized.outputs);
    const linksExpireAt = new Date(Date.now() + config.linkExpirySeconds * 1000);
    const sizes = await Promise.all(resized.outputs.map(async (output, index) => ({
      name: output.name,
      width: output.width,
      height: output.height,
      bytes: output.data.length,
      bucket: stored[index].bucket,
      key: stored[index].key,
      url: await store.presign(stored[index], config.linkExpirySeconds),
      contentType: output.contentType,
    })));
    await publish(resizedNotification({
      bucket: upload.bucket,
      key: upload.key,
      input: resized.input,
      sizes,
      linkExpirySeconds: config.linkExpirySeconds,
      linksExpireAt,
    }), original);
    logger.info('Upload resized', {
      bucket: upload.bucket,
      key: upload.key,
      input: resized.input,
      sizes: sizes.map(({ name, width, height, bytes, key }) => ({ name, width, height, bytes, key })),
    });
  };

  return async (record) => {
    let uploads: UploadedObject[];
    try {
      uploads = uploadedObjects(record.body);
    } catch (error) {
      if (error instanceof UnparseableMessageError) {
        logger.error('Dropping a message that is not an S3 event notification; it is not retried', {
          messageId: record.messageId,
          reason: error.message,
          body: record.body.slice(0, 1_000),
        });
        return;
      }
      throw error;
    }
    for (const upload of uploads) {
      await processUpload(upload);
    }
  };
}

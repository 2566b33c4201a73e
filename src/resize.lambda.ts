/**
 * The resize function: SQS delivers batches of S3 upload notifications, each record is processed on its own,
 * retried ones first, and only the records that failed transiently, or were not started for lack of time, are
 * returned for SQS to deliver again.
 *
 * Configuration and SDK clients are made once per container. The clients take their endpoint from the SDK's
 * own settings (`AWS_ENDPOINT_URL`), which is how the tests and the local pipeline point them at moto.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { readConfig } from './handler/config';
import { uploadRecordHandler } from './handler/process-upload';
import { retriedRecordsFirst, startWhileTimeLeft } from './handler/time-left';

const logger = new Logger({ serviceName: 'image-resize' });
const handleRecord = uploadRecordHandler({
  s3: new S3Client({}),
  sns: new SNSClient({}),
  config: readConfig(process.env),
  logger,
});
const processor = new BatchProcessor(EventType.SQS);

export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  logger.addContext(context);
  return processPartialResponse(retriedRecordsFirst(event), startWhileTimeLeft(handleRecord, context, logger), processor, {
    context,
    // A batch whose every record failed still answers with its batchItemFailures, so SQS redelivers exactly
    // those records rather than treating the whole invocation as an error.
    throwOnFullBatchFailure: false,
    // One image decoded at a time: the function's memory is sized for one image at the largest accepted size.
    processInParallel: false,
  });
}

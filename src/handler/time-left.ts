/**
 * Records in a batch run one after another. When a batch outruns the function's timeout, Lambda ends the invocation
 * with none of its answer given, so SQS delivers every record again after the visibility timeout: the finished ones
 * come back with a receive count above 1, which the handler takes for a failed attempt, so they are processed and
 * announced a second time, and every record, reached or not, has spent one of its receives. So a record is started
 * only while the invocation has time left for it. One that is not started fails: only it, and the others not
 * started, are delivered again, and SQS deletes the finished ones.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { deliveriesOf } from './config';
import type { RecordHandler } from './process-upload';
import { UnparseableMessageError, uploadedObjects } from './s3-event';

/**
 * Never start a record with less than this left: the least time for the S3 and SNS requests even a quick record
 * makes (a delete, copies already current) and for the answer to reach Lambda, when every record so far was quicker.
 * It is small so that a short timeout still runs more than one record a batch: a record held back spends a receive.
 */
export const MIN_TIME_LEFT_MS = 1_000;

/**
 * Nor with less than this many times the slowest record so far in the invocation. The records so far are the only
 * measure of the next, which may be a larger image, and the two mistakes are not alike: a record started that
 * overruns sends the whole batch back, each finished record to be processed and announced again, while one held back
 * waits a visibility timeout and spends one receive.
 */
export const SLOWEST_RECORD_MULTIPLE = 2;

/**
 * What a record keeps of its time for the work after the resize: writing the copies, looking at the original again
 * and publishing, or, for a resize stopped at its deadline, removing stale copies and telling the uploader. At most
 * a quarter of the time left, so that a short timeout leaves the resize most of it.
 */
export const AFTER_RESIZE_MS = 5_000;

/**
 * The milliseconds a resize may take of `remainingMs`, or undefined when that leaves it under the second libvips
 * counts in, for no deadline but Lambda's timeout.
 */
export function resizeTime(remainingMs: number): number | undefined {
  const resizeMs = remainingMs - Math.min(AFTER_RESIZE_MS, remainingMs / 4);
  return resizeMs >= 1000 ? resizeMs : undefined;
}

/** A record that was not started for lack of time; the batch reports it as failed, so SQS delivers it again. */
class RecordNotStartedError extends Error {
  constructor(remainingMs: number, neededMs: number) {
    super(`${remainingMs} ms left in the invocation, less than the ${neededMs} ms kept for a record; not started`);
    this.name = 'RecordNotStartedError';
  }
}

/**
 * `handleRecord` for one invocation's records, holding back each once too little time is left. The first record
 * always starts: a batch whose first record did not fit could otherwise make no progress at all. Each record is
 * given the invocation's time left, and whether it is the first, which alone is sure to have had the whole timeout.
 */
export function startWhileTimeLeft(
  handleRecord: RecordHandler, context: Pick<Context, 'getRemainingTimeInMillis'>, logger: Logger,
): RecordHandler {
  let slowestRecordMs: number | undefined;
  return async (record) => {
    if (slowestRecordMs !== undefined) {
      const remainingMs = context.getRemainingTimeInMillis();
      const neededMs = Math.max(MIN_TIME_LEFT_MS, SLOWEST_RECORD_MULTIPLE * slowestRecordMs);
      if (remainingMs < neededMs) {
        const details = {
          messageId: record.messageId,
          receiveCount: record.attributes.ApproximateReceiveCount,
          remainingMs,
          neededMs: Math.round(neededMs),
          slowestRecordMs: Math.round(slowestRecordMs),
        };
        // A line for each upload, with its bucket and key as the handler's own lines have them, so that following
        // one upload's lines by its key finds this one too.
        for (const upload of uploadsIn(record)) {
          logger.warn('Too little time left in the invocation to start the record; it is retried', { ...upload, ...details });
        }
        throw new RecordNotStartedError(remainingMs, details.neededMs);
      }
    }
    const first = slowestRecordMs === undefined;
    const startedAt = performance.now();
    try {
      await handleRecord(record, { remainingMs: () => context.getRemainingTimeInMillis(), wholeInvocation: first });
    } finally {
      slowestRecordMs = Math.max(slowestRecordMs ?? 0, performance.now() - startedAt);
    }
  };
}

/**
 * The batch with the records SQS delivers again ahead of the others, the most received first, and otherwise in the
 * order SQS gave them. Only the first record of an invocation is sure to have had the whole timeout, so only there is
 * an upload whose resize runs out of time refused (`takes-too-long`) rather than retried. An upload stopped behind
 * other records is retried, and SQS, which keeps no order, could put it behind others on every receive until it went
 * to the dead-letter queue with nobody told; put first on its next receive, it has the whole timeout. A record moved
 * back from the dead-letter queue (message attribute `redriven`) counts as received once more than SQS says.
 */
export function retriedRecordsFirst(event: SQSEvent): SQSEvent {
  return { ...event, Records: [...event.Records].sort((a, b) => deliveriesOf(b) - deliveriesOf(a)) };
}

/** For the log lines; a message that is not an S3 event gets one line with neither (the handler drops it when started). */
function uploadsIn(record: SQSRecord): Array<{ bucket?: string; key?: string }> {
  try {
    const uploads = uploadedObjects(record.body).map(({ bucket, key }) => ({ bucket, key }));
    return uploads.length > 0 ? uploads : [{}];
  } catch (error) {
    if (error instanceof UnparseableMessageError) return [{}];
    throw error;
  }
}

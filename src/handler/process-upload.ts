/**
 * One SQS record from the upload queue, from an S3 event to copies that match the original and a notification.
 *
 * Every event, `ObjectCreated:*`, `ObjectRemoved:*` or `LifecycleExpiration:*`, is read as "this key changed" and
 * nothing more: S3 delivers each event at least once and in no particular order, and several batches run at once,
 * so neither the event's name nor its sequencer says what the bucket holds now. The handler looks, and brings the
 * copies in step:
 *
 * - The original exists: every size is made from its current bytes, each copy recording the original's key,
 *   ETag and uploader. When every copy already records the current ETag and uploader, nothing is read, resized,
 *   written or published: this version's subscribers were told when its copies were made, so a repeated event
 *   stays silent (two invocations handling events for one key at the same moment may both find the copies out of
 *   date before either writes, and then both announce the same version: only a lock would prevent it). The
 *   notification says `updated` when copies of an earlier version were replaced.
 * - The original is gone: its copies (found by their source-key metadata) are removed and subscribers told
 *   which, with the uploader the copies recorded; when there were none, nothing is published.
 * - The original records an uploader, and copies of its key record a different one: another caller uploaded to a
 *   key that already held someone's upload (the API's keys are file names, which any caller may pick). The upload
 *   bucket holds the later bytes by then, but the copies, and the links their subscribers were given, stay the
 *   first caller's: the later upload is refused as `name-taken` before anything is read, and its uploader told.
 *   An original put straight into the bucket records no uploader and replaces copies as any update does.
 * - Two originals whose keys differ only in their image extension map to the same copies (`cat.png` and `cat.jpg`
 *   both to `{size}/cat.jpg` under a fixed output format, `.jpeg` and `.jpg` under any). Overwriting would leave
 *   the first with links to the second's pictures and no copies of its own, so the original whose copies are
 *   there first keeps them and the other is refused as `name-taken`. Every copy is written on condition that its
 *   name still holds what was there when looked (see {@link ResizedStore.put}), so this holds for two such
 *   uploads processed at the same moment too; when each has written some names first, both are refused.
 *
 * After writing or removing, the original is looked at again, and if it changed meanwhile (a racing upload or
 * delete) the work is redone for what is there now. So whichever attempt writes last has seen its version still
 * current after writing, whatever order the events came in. An attempt whose version turns out not to be current,
 * or that meets a copy of another version written since it looked (so one of the two is not current), announces
 * nothing and withdraws what it wrote wherever that copy would change whose the name is (see `withdraw`), so no
 * later attempt takes it for a settled version's copy. One window remains: an attempt for a second caller's upload
 * that looks at the copies after a first caller's stale ones are written and before they are withdrawn takes them
 * for that caller's and refuses the upload as `name-taken`; the stale attempt then makes the second caller's copies
 * and announces them, so that caller is told `failed` and then `resized`.
 *
 * A record SQS delivers again (ApproximateReceiveCount above 1), or one moved back from the dead-letter queue by
 * `npx projen redrive` (message attribute `redriven`), is processed in full even when its copies are current,
 * because the attempt that failed may have written them and then failed to publish. For the same
 * reason a delete is announced before the copies are removed: a failed removal is retried and announced again,
 * whereas an announcement that failed after the removal could never be made again, the copies being gone.
 *
 * Each failure is one of two kinds: permanent (the message or the upload itself is the problem; retrying would
 * only fill the dead-letter queue, so the record succeeds after the uploader is told), or transient (anything
 * else; the error propagates, the record is reported in batchItemFailures and SQS delivers it again). A resize
 * stopped at its deadline, a few seconds before the invocation would end, is either: permanent (`takes-too-long`) in
 * the first record of its invocation, which had the whole timeout, and transient in a later one, which may have had
 * less; retried, it comes first in its next invocation (see `retriedRecordsFirst`).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { SQSRecord } from 'aws-lambda';
import { deliveriesOf, LOG_MESSAGES, ResizeConfig, SizeSpec, uploaderAsLogged } from './config';
import { ImageRejectedError, ResizeDeadlineError, ResizeResult, resizeImage } from './image-core';
import { resizedKey } from './keys';
import {
  Change, FailedUpload, SnsNotification, deletedNotification, failedNotification, resizedNotification,
} from './notification';
import { CurrentOriginal, Originals } from './originals';
import {
  CopiesFound, ExistingCopy, KnownCopy, MAX_USER_METADATA_BYTES, ResizedStore, SourceVersion, WrittenCopy, copyMetadataBytes,
} from './resized-store';
import { UnparseableMessageError, UploadedObject, uploadedObjects } from './s3-event';
import { resizeTime } from './time-left';

export interface UploadProcessorDependencies {
  readonly s3: S3Client;
  readonly sns: SNSClient;
  readonly config: ResizeConfig;
  readonly logger: Logger;
}

/** How much time a record has, from its invocation. */
export interface TimeAllowed {
  readonly remainingMs: () => number;
  /**
   * Whether the record is the first of its invocation, and so has the function's whole timeout: an image stopped at
   * its deadline then cannot be resized in any invocation, while a later record's might be in its next.
   */
  readonly wholeInvocation: boolean;
}

/** Without `time`, as in tests and tools, the resize has no deadline. */
export type RecordHandler = (record: SQSRecord, time?: TimeAllowed) => Promise<void>;

/**
 * How often one record looks again at an original that keeps changing under it. Past that, the record fails
 * and SQS delivers it again later, by which time the uploads have usually stopped.
 */
const MAX_ROUNDS = 3;

/** S3's limit on an object key, in UTF-8 bytes; a copy's key is its original's plus `{size name}/`. */
const MAX_S3_KEY_BYTES = 1024;

/** Whether a pass settled the copies, or the original changed under it and the pass must be made again. */
type Pass = 'settled' | 'changed';

/** An upload being brought in step, with when that started: each line that ends it says how long it took. */
interface UploadInProgress extends UploadedObject {
  /** From `performance.now()`. */
  readonly startedAt: number;
}

function elapsedMs(upload: UploadInProgress): number {
  return Math.round(performance.now() - upload.startedAt);
}

export function uploadRecordHandler(deps: UploadProcessorDependencies): RecordHandler {
  const { s3, sns, config, logger } = deps;
  const originals = new Originals(s3);
  const store = new ResizedStore(s3, config.resizedBucket);

  const publish = async (notification: SnsNotification) => {
    await sns.send(new PublishCommand({ TopicArn: config.topicArn, ...notification }));
  };

  const stillCurrent = async (upload: UploadedObject, version: SourceVersion) =>
    sameVersion(await originals.current(upload.bucket, upload.key), version);

  const removeCopies = async (upload: UploadInProgress, copies: ExistingCopy[]): Promise<Pass> => {
    if (copies.length === 0) {
      // Looked at again, as after a removal: an upload since the first look, before the copies were listed, gets
      // its copies now rather than only from its own event, and the line below is never written for an original
      // that is there.
      if (await originals.current(upload.bucket, upload.key) !== undefined) {
        return 'changed';
      }
      logger.info('Original does not exist and has no copies', {
        bucket: upload.bucket, key: upload.key, event: upload.eventName, ...eventVersion(upload), durationMs: elapsedMs(upload),
      });
      return 'settled';
    }
    const uploader = copies.find((copy) => copy.uploader !== undefined)?.uploader;
    await publish(deletedNotification({ bucket: upload.bucket, key: upload.key, removed: copies }, uploader));
    // Logged now, whatever comes next: should the removal fail, or the original be back once it is done, the pass
    // ends without the line below, and nothing else would say that subscribers were told.
    const deletion = {
      bucket: upload.bucket, key: upload.key, event: upload.eventName, ...eventVersion(upload), uploader: uploaderAsLogged(uploader),
    };
    logger.info('Original deleted; subscribers told', { ...deletion, copies: copies.map((copy) => copy.key) });
    await store.remove(copies);
    if (await originals.current(upload.bucket, upload.key) !== undefined) {
      return 'changed';
    }
    logger.info('Original deleted; its copies were removed', {
      ...deletion, removed: copies.map((copy) => copy.key), durationMs: elapsedMs(upload),
    });
    return 'settled';
  };

  /** Removes `copies` (stale ones of this original, or ones this attempt wrote), then tells the uploader. */
  const reject = async (
    upload: UploadInProgress, original: SourceVersion, copies: KnownCopy[], error: ImageRejectedError,
  ): Promise<Pass> => {
    await store.remove(copies);
    if (!await stillCurrent(upload, original)) {
      return 'changed';
    }
    const failure: FailedUpload = { bucket: upload.bucket, key: upload.key, reason: error.reason, message: error.message };
    await publish(failedNotification(failure, original.uploader));
    // `detail`, not `message`: the logger keeps `message` for the line's own text and drops any field of that name.
    logger.warn(LOG_MESSAGES.rejected, {
      bucket: upload.bucket,
      key: upload.key,
      etag: original.etag,
      ...eventVersion(upload, original.etag),
      uploader: uploaderAsLogged(original.uploader),
      reason: failure.reason,
      detail: failure.message,
      removedStaleCopies: copies.map((copy) => copy.key),
      cause: String(error.cause ?? ''),
      durationMs: elapsedMs(upload),
    });
    return 'settled';
  };

  /**
   * Removes what an attempt that stops short wrote where it changed whose the name is: at a name that was free when
   * it wrote, or that held a copy recording another uploader. Such a copy, never to be announced, would be taken
   * for a settled version's: its uploader's, refusing a later caller's upload as `name-taken`, or a leftover beside
   * the current version's copies. A copy written over the same uploader's stays, whether that copy was there when
   * the attempt looked or was another attempt's for this same version, met at the write and perhaps announced since:
   * the name was that uploader's and still is, whereas removing the copy would free it for another caller, whose
   * picture the links the first caller was given would then show; and it says that it replaced an earlier version,
   * so what replaces it is announced as `updated`.
   */
  const withdraw = async (written: WrittenCopy[], source: SourceVersion) => {
    await store.remove(written.filter((copy) => copy.replaced === undefined || copy.replaced.uploader !== source.uploader));
  };

  const makeCopies = async (
    upload: UploadInProgress, current: CurrentOriginal, { copies, heldByOthers }: CopiesFound, redelivered: boolean,
    time: TimeAllowed | undefined,
  ): Promise<Pass> => {
    if (!redelivered && madeFrom(copies, current, config.sizes)) {
      logger.info('Copies already made from this version of the original; nothing to do', {
        bucket: upload.bucket,
        key: upload.key,
        event: upload.eventName,
        etag: current.etag,
        ...eventVersion(upload, current.etag),
        durationMs: elapsedMs(upload),
      });
      return 'settled';
    }
    if (current.uploader !== undefined && copies.some((copy) => copy.uploader !== undefined && copy.uploader !== current.uploader)) {
      // The copies are another caller's: they stay, and so nothing of this upload is read.
      return reject(upload, current, [], nameHeldByAnotherCaller(upload.key));
    }
    if (current.byteLength > config.maxUploadBytes) {
      // Only the API caps an upload's size; one put into the bucket another way could be larger than the function's
      // memory, which would kill the invocation, its whole batch with it, on every attempt.
      return reject(upload, current, copies, tooManyBytes(current.byteLength, config.maxUploadBytes));
    }
    // Each copy records the original's uploader beside fields of its own: past S3's limit on metadata, S3 would
    // refuse every copy's write, on every attempt.
    const metadataBytes = copyMetadataBytes(upload.key, current);
    if (current.uploader !== undefined && metadataBytes > MAX_USER_METADATA_BYTES) {
      return reject(upload, current, copies, uploaderTooLong(current.uploader, metadataBytes));
    }
    const original = await originals.read(upload.bucket, upload.key);
    // The checks above were made on `current`. Bytes of a later version, perhaps another caller's upload between
    // the look and the read, would pass the copies' conditional writes all the same, so they are looked at again.
    if (original === undefined || !sameVersion(original, current)) {
      return 'changed';
    }

    const resizeMs = time === undefined ? undefined : resizeTime(time.remainingMs());
    let resized: ResizeResult;
    try {
      resized = await resizeImage(original.bytes, {
        sizes: config.sizes,
        format: config.format,
        quality: config.quality,
        maxInputPixels: config.maxInputPixels,
        animation: config.animation,
        deadline: resizeMs === undefined ? undefined : Date.now() + resizeMs,
      });
    } catch (error) {
      if (error instanceof ImageRejectedError) {
        return reject(upload, original, copies, error);
      }
      if (!(error instanceof ResizeDeadlineError)) {
        throw error;
      }
      // Only a deadline set can have been reached.
      const seconds = wholeSeconds(resizeMs!);
      if (time?.wholeInvocation === true) {
        return reject(upload, original, copies, tookTooLong(seconds));
      }
      throw new Error(`Resizing ${upload.key} was stopped after ${seconds} s, less than a whole invocation would give it, `
        + 'as it was not the first record of its invocation; the record is retried', { cause: error });
    }

    const copyKeys = resized.outputs.map((output) => resizedKey(output.name, upload.key, output.extension));
    const tooLong = copyKeys.find((key) => Buffer.byteLength(key, 'utf8') > MAX_S3_KEY_BYTES);
    if (tooLong !== undefined) {
      return reject(upload, original, copies, new ImageRejectedError('key-too-long',
        `The file name is too long: its resized copies' names, such as "${Array.from(tooLong).slice(0, 40).join('')}...", would be over S3's ${MAX_S3_KEY_BYTES} bytes. `
        + 'Upload it under a name shorter by the longest size name and a slash.'));
    }
    const taken = copyKeys.find((key) => heldByOthers.has(key));
    if (taken !== undefined) {
      return reject(upload, original, copies, nameTaken(taken));
    }

    const source: SourceVersion = { etag: original.etag, uploader: original.uploader };
    // Copies already made from this version were written by an earlier attempt, which recorded what it replaced.
    const change: Change = copies.some((copy) => copy.sourceEtag !== source.etag || copy.change === 'updated') ? 'updated' : 'created';
    const outcome = await store.put(upload.key, source, change, resized.outputs, copies);
    if ('superseded' in outcome) {
      await withdraw(outcome.written, source);
      return 'changed';
    }
    if ('taken' in outcome) {
      const writtenOver = (copy: KnownCopy) => outcome.written.some((written) => written.key === copy.key);
      return reject(upload, original, [...copies.filter((copy) => !writtenOver(copy)), ...outcome.written], nameTaken(outcome.taken));
    }
    const stored = outcome.stored;
    if (!await stillCurrent(upload, source)) {
      await withdraw(stored, source);
      return 'changed';
    }
    // A version of another format left copies under other extensions. Removed only once this version is known to be
    // current: were it not, its own copies beside them would be withdrawn, and these would keep the name their uploader's.
    await store.remove(copies.filter((copy) => !stored.some((written) => written.key === copy.key)));

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
      change,
      input: resized.input,
      sizes,
      linkExpirySeconds: config.linkExpirySeconds,
      linksExpireAt,
    }, source.uploader));
    logger.info(LOG_MESSAGES.resized, {
      bucket: upload.bucket,
      key: upload.key,
      event: upload.eventName,
      change,
      etag: source.etag,
      ...eventVersion(upload, source.etag),
      uploader: uploaderAsLogged(source.uploader),
      input: resized.input,
      sizes: sizes.map(({ name, width, height, bytes, key }) => ({ name, width, height, bytes, key })),
      durationMs: elapsedMs(upload),
    });
    return 'settled';
  };

  const bringInStep = async (upload: UploadInProgress, redelivered: boolean, time: TimeAllowed | undefined) => {
    for (let round = 1; round <= MAX_ROUNDS; round++) {
      const current = await originals.current(upload.bucket, upload.key);
      const found = await store.copiesOf(upload.key, config.sizes);
      const pass = current === undefined
        ? await removeCopies(upload, found.copies)
        : await makeCopies(upload, current, found, redelivered, time);
      if (pass === 'settled') {
        return;
      }
      logger.info('The original changed while its copies were brought in step; looking again', {
        bucket: upload.bucket, key: upload.key, round,
      });
    }
    throw new Error(`${upload.key} in bucket ${upload.bucket} changed ${MAX_ROUNDS} times while its copies were made; the record is retried`);
  };

  return async (record, time) => {
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
    const redelivered = deliveriesOf(record) > 1;
    for (const uploaded of uploads) {
      const upload: UploadInProgress = { ...uploaded, startedAt: performance.now() };
      try {
        await bringInStep(upload, redelivered, time);
      } catch (error) {
        // The record goes back to the queue; this line is what says why, should it end in the dead-letter queue.
        logger.error('Upload failed; the record is retried', {
          bucket: upload.bucket,
          key: upload.key,
          receiveCount: record.attributes.ApproximateReceiveCount,
          error: error as Error,
          durationMs: elapsedMs(upload),
        });
        throw error;
      }
    }
  };
}

function nameTaken(key: string): ImageRejectedError {
  return new ImageRejectedError('name-taken',
    `Its resized copies would replace "${key}", which is a copy of another upload whose name differs only in `
    + 'its extension, or a file this pipeline did not write. Nothing was replaced. Upload the image under another '
    + 'name, or delete the other upload first.');
}

function nameHeldByAnotherCaller(key: string): ImageRejectedError {
  return new ImageRejectedError('name-taken',
    `"${key}" is the name of another caller's upload, and its resized copies stay theirs: nothing was resized and `
    + 'none of their copies was replaced. Upload the image under another name.');
}

function tooManyBytes(byteLength: number, maxUploadBytes: number): ImageRejectedError {
  let [size, limit] = [byteSize(byteLength), byteSize(maxUploadBytes)];
  if (size === limit) {
    // Rounded alike ("50 MB, more than the 50 MB"), which would read as no reason at all.
    [size, limit] = [exactBytes(byteLength), exactBytes(maxUploadBytes)];
  }
  return new ImageRejectedError('too-many-bytes', `The file is ${size}, more than the ${limit} this pipeline reads. Upload a smaller file.`);
}

/** libvips stops a pipeline after the whole seconds left, so that is the time the resize had. */
function wholeSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}

function tookTooLong(seconds: number): ImageRejectedError {
  return new ImageRejectedError('takes-too-long',
    `The image takes longer to resize than the ${seconds} s this pipeline gives one upload, so it was stopped. `
    + 'Upload a smaller image, or an animation with fewer or smaller frames.');
}

/** Only a file put into the bucket without the API can carry such an uploader: the API records its caller's. */
function uploaderTooLong(uploader: string, metadataBytes: number): ImageRejectedError {
  const uploaderBytes = Buffer.byteLength(uploader, 'utf8');
  const besideBytes = metadataBytes - uploaderBytes;
  return new ImageRejectedError('uploader-too-long',
    `The uploader recorded with the file (x-amz-meta-uploader) is ${exactBytes(uploaderBytes)}: with the ${exactBytes(besideBytes)} `
    + `of metadata each resized copy records beside it, a copy would have ${exactBytes(metadataBytes)}, more than the `
    + `${exactBytes(MAX_USER_METADATA_BYTES)} S3 allows. Upload the file with an uploader of at most ${exactBytes(MAX_USER_METADATA_BYTES - besideBytes)}.`);
}

/** In the binary units the construct's `maxUploadBytes` is documented in (50 MB is 52,428,800 bytes). */
function byteSize(bytes: number): string {
  const units: Array<[string, number]> = [['GB', 1024 ** 3], ['MB', 1024 ** 2], ['KB', 1024]];
  const found = units.find(([, size]) => bytes >= size);
  return found === undefined ? exactBytes(bytes) : `${(bytes / found[1]).toFixed(1).replace(/\.0$/, '')} ${found[0]}`;
}

function exactBytes(bytes: number): string {
  return `${bytes.toLocaleString('en-US')} bytes`;
}

/**
 * The ETag of the version the event was sent for, beside the one found. When the two differ, the event was for an
 * earlier version, and the line is about the one that replaced it; equal ETags do not prove the same version (the
 * same bytes uploaded again keep theirs). S3 sends no ETag with a delete event.
 */
function eventVersion(upload: UploadedObject, foundEtag?: string): { eventEtag?: string; superseded?: true } {
  if (upload.etag === undefined) {
    return {};
  }
  return foundEtag !== undefined && upload.etag !== foundEtag ? { eventEtag: upload.etag, superseded: true } : { eventEtag: upload.etag };
}

function sameVersion(a: SourceVersion | undefined, b: SourceVersion): boolean {
  return a !== undefined && a.etag === b.etag && a.uploader === b.uploader;
}

/** Exactly one copy of every size, each made from this version. */
function madeFrom(copies: ExistingCopy[], version: SourceVersion, sizes: SizeSpec[]): boolean {
  return copies.length === sizes.length && sizes.every((size) => copies.some((copy) =>
    copy.name === size.name && copy.sourceEtag === version.etag && copy.uploader === version.uploader));
}

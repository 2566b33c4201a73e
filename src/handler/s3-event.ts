/**
 * What the upload bucket's notifications say, read from the body of an SQS message. The shape is S3's, so it
 * is checked here rather than trusted: a message that is not one can never succeed and must not be retried.
 */
import { decodeFormEncodedKey } from './keys';

export interface UploadedObject {
  readonly bucket: string;
  /** Decoded: the key the object is stored under, not the form-encoded one in the event. */
  readonly key: string;
  readonly eventName: string;
  /** Bytes; S3 reports it for created objects only. */
  readonly size?: number;
  /**
   * The ETag of the version the event was sent for, without quotes (a multipart upload's ends in `-` and its part
   * count); S3 reports it for created objects only. Only logged: the handler acts on the version it finds.
   */
  readonly etag?: string;
}

/** The message body is not an S3 event notification; retrying cannot change that. */
export class UnparseableMessageError extends Error {
  constructor(detail: string) {
    super(`not an S3 event notification: ${detail}`);
    this.name = 'UnparseableMessageError';
  }
}

/**
 * The objects an SQS message body reports. S3 sends an `s3:TestEvent` when the notification is first
 * configured; it names no object, so there is nothing to do. Nor is there for a folder: the S3 console's "Create
 * folder" writes an empty object whose key ends in `/`, which would otherwise be reported as an empty upload.
 */
export function uploadedObjects(body: string): UploadedObject[] {
  let message: unknown;
  try {
    message = JSON.parse(body);
  } catch {
    throw new UnparseableMessageError('the body is not JSON');
  }
  if (!isObject(message)) {
    throw new UnparseableMessageError('the body is not a JSON object');
  }
  if (message.Event === 's3:TestEvent') {
    return [];
  }
  if (!Array.isArray(message.Records)) {
    throw new UnparseableMessageError('it has no Records array');
  }
  return message.Records.map((record, index) => uploadedObject(record, index)).filter((object) => !isFolderMarker(object));
}

function isFolderMarker(object: UploadedObject): boolean {
  return object.key.endsWith('/') && object.size === 0;
}

function uploadedObject(record: unknown, index: number): UploadedObject {
  const s3 = isObject(record) && isObject(record.s3) ? record.s3 : undefined;
  const bucket = s3 && isObject(s3.bucket) ? s3.bucket.name : undefined;
  const object = s3 && isObject(s3.object) ? s3.object : undefined;
  const eventName = isObject(record) ? record.eventName : undefined;
  if (typeof bucket !== 'string' || typeof object?.key !== 'string' || typeof eventName !== 'string') {
    throw new UnparseableMessageError(`Records[${index}] lacks eventName, s3.bucket.name or s3.object.key`);
  }
  let key: string;
  try {
    key = decodeFormEncodedKey(object.key);
  } catch {
    throw new UnparseableMessageError(`Records[${index}] has a key that is not URL-encoded: ${object.key}`);
  }
  return {
    bucket,
    key,
    eventName,
    size: typeof object.size === 'number' ? object.size : undefined,
    etag: typeof object.eTag === 'string' ? object.eTag.replace(/"/g, '') : undefined,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

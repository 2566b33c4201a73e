/**
 * What subscribers are told about each original: its copies were made (for a new original) or made again (for
 * one that replaced an earlier version), it could not be resized, or it was deleted and its copies with it. One
 * SNS message carries two renderings: people (email, and protocols without their own entry) get readable text,
 * programs (http/https, SQS, Lambda) get a JSON document they can parse without scraping text.
 */
import type { RejectReason } from './image-rejected-error';

/** A resized copy as the notification describes it. */
export interface PublishedSize {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly bytes: number;
  readonly bucket: string;
  readonly key: string;
  /** Presigned GET URL. */
  readonly url: string;
  readonly contentType: string;
}

/** `updated` when copies made from an earlier version of the original were replaced. */
export type Change = 'created' | 'updated';

export interface ResizedUpload {
  readonly bucket: string;
  readonly key: string;
  readonly change: Change;
  readonly input: { readonly format: string; readonly width: number; readonly height: number };
  readonly sizes: PublishedSize[];
  /** How long the links were signed for, and so when they stop working. */
  readonly linkExpirySeconds: number;
  readonly linksExpireAt: Date;
}

export interface FailedUpload {
  readonly bucket: string;
  readonly key: string;
  readonly reason: RejectReason;
  /** Written for the person who uploaded the file. */
  readonly message: string;
}

/** A copy that was removed along with its original. */
export interface RemovedCopy {
  /** The size's name. */
  readonly name: string;
  readonly bucket: string;
  readonly key: string;
}

export interface DeletedOriginal {
  readonly bucket: string;
  readonly key: string;
  readonly removed: RemovedCopy[];
}

/** What http/https, SQS and Lambda subscribers receive, as JSON, when the copies are ready. */
export interface ResizedDocument {
  readonly status: 'resized';
  readonly bucket: string;
  readonly key: string;
  readonly change: Change;
  readonly input: { readonly format: string; readonly width: number; readonly height: number };
  readonly sizes: PublishedSize[];
  /** ISO 8601. */
  readonly linksExpireAt: string;
}

/** What they receive when the upload was rejected. */
export interface FailedDocument {
  readonly status: 'failed';
  readonly bucket: string;
  readonly key: string;
  readonly reason: RejectReason;
  readonly message: string;
}

/** What they receive when the original was deleted and its copies were removed. */
export interface DeletedDocument {
  readonly status: 'deleted';
  readonly bucket: string;
  readonly key: string;
  readonly removed: RemovedCopy[];
}

export type NotificationDocument = ResizedDocument | FailedDocument | DeletedDocument;

/** The parts of an SNS Publish request that depend on the upload; spread it into one with the topic. */
export interface SnsNotification {
  readonly Subject: string;
  readonly Message: string;
  readonly MessageStructure: 'json';
  readonly MessageAttributes: { readonly status: { readonly DataType: 'String'; readonly StringValue: Status } };
}

type Status = NotificationDocument['status'];

/** SNS rejects subjects of 100 characters or more, and line breaks or control characters in them. */
const MAX_SUBJECT_LENGTH = 99;

const REASON_TEXT: Record<RejectReason, string> = {
  'empty': 'the file is empty',
  'not-an-image': 'the file is not an image',
  'unsupported-format': 'the image format is not supported',
  'too-many-pixels': 'the image has more pixels than this pipeline accepts',
  'corrupt': 'the image is damaged or incomplete',
  'key-too-long': 'the file name is too long for the names of its resized copies',
  'name-taken': 'its resized copies would replace those of another file',
};

export function resizedNotification(upload: ResizedUpload): SnsNotification {
  const linksExpireAt = upload.linksExpireAt.toISOString();
  const document: ResizedDocument = {
    status: 'resized',
    bucket: upload.bucket,
    key: upload.key,
    change: upload.change,
    input: { format: upload.input.format, width: upload.input.width, height: upload.input.height },
    sizes: upload.sizes.map((size) => ({
      name: size.name,
      width: size.width,
      height: size.height,
      bytes: size.bytes,
      bucket: size.bucket,
      key: size.key,
      url: size.url,
      contentType: size.contentType,
    })),
    linksExpireAt,
  };
  const updated = upload.change === 'updated';
  const text = [
    `${upload.key} in bucket ${upload.bucket} was ${updated ? 'replaced, and its copies were made again from the new version' : 'resized'} ` +
      `(original: ${upload.input.format}, ${upload.input.width}x${upload.input.height}).`,
    ...upload.sizes.map((size) => `${size.name}: ${size.width}x${size.height}, ${size.contentType}\n${size.url}`),
    `The links stay valid for ${duration(upload.linkExpirySeconds)}, until ${linksExpireAt}.`,
  ].join('\n\n');
  return notification(`${updated ? 'Updated' : 'Resized'}: ${fileName(upload.key)}`, text, document);
}

export function failedNotification(upload: FailedUpload): SnsNotification {
  const document: FailedDocument = {
    status: 'failed',
    bucket: upload.bucket,
    key: upload.key,
    reason: upload.reason,
    message: upload.message,
  };
  const text = [
    `${upload.key} in bucket ${upload.bucket} could not be resized: ${REASON_TEXT[upload.reason]}.`,
    upload.message,
  ].join('\n\n');
  return notification(`Could not resize: ${fileName(upload.key)}`, text, document);
}

export function deletedNotification(original: DeletedOriginal): SnsNotification {
  const document: DeletedDocument = {
    status: 'deleted',
    bucket: original.bucket,
    key: original.key,
    removed: original.removed.map((copy) => ({ name: copy.name, bucket: copy.bucket, key: copy.key })),
  };
  const text = [
    `${original.key} in bucket ${original.bucket} was deleted, and so were its copies:`,
    original.removed.map((copy) => `${copy.name}: ${copy.key} in bucket ${copy.bucket}`).join('\n'),
  ].join('\n\n');
  return notification(`Deleted: ${fileName(original.key)}`, text, document);
}

function notification(subject: string, text: string, document: NotificationDocument): SnsNotification {
  const json = JSON.stringify(document);
  return {
    Subject: subjectLine(subject),
    Message: JSON.stringify({ default: text, email: text, http: json, https: json, sqs: json, lambda: json }),
    MessageStructure: 'json',
    MessageAttributes: { status: { DataType: 'String', StringValue: document.status } },
  };
}

function fileName(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1) || key;
}

/**
 * Accents are dropped and other non-ASCII characters become `?`: SNS's documentation has asked for ASCII
 * subjects, and some receivers still replace a subject that is not.
 */
function subjectLine(subject: string): string {
  const ascii = subject
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/\s+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= MAX_SUBJECT_LENGTH ? ascii : `${ascii.slice(0, MAX_SUBJECT_LENGTH - 3)}...`;
}

function duration(seconds: number): string {
  const units: Array<[string, number]> = [['day', 86_400], ['hour', 3_600], ['minute', 60], ['second', 1]];
  const [unit, size] = units.find(([, length]) => seconds % length === 0)!;
  const count = seconds / size;
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

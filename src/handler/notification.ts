/**
 * What subscribers are told about each original: its copies were made (for a new original) or made again (for
 * one that replaced an earlier version), it could not be resized, or it was deleted and its copies with it. One
 * SNS message carries two renderings: people (email) get readable text, and every other protocol (http/https,
 * SQS, Lambda, email-json, Firehose) a JSON document programs can parse without scraping text. The JSON goes under
 * `default` rather than under each protocol's own name: SNS counts every rendering against its message size limit,
 * and the presigned links, which carry the percent-encoded key and the function's session token, are most of it.
 */
import { UPLOADER_ATTRIBUTE } from './config';
import type { RejectReason } from './image-rejected-error';
import { BIDIRECTIONAL_CONTROLS, CONTROL_CHARACTERS, LINE_SEPARATORS } from '../upload-url/upload-request';

/** A resized copy as the notification describes it. */
export interface PublishedSize extends UnlinkedSize {
  /** Presigned GET URL. */
  readonly url: string;
}

/** A resized copy as a notification without links describes it. */
export interface UnlinkedSize {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly bytes: number;
  readonly bucket: string;
  readonly key: string;
  readonly contentType: string;
}

/**
 * A copy as a notification that cannot even name its key describes it. Where the copy is follows from its size's
 * name and the original's key (see {@link KEYS_LEFT_OUT}).
 */
export type KeylessSize = Omit<UnlinkedSize, 'key'>;

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

/** What every subscriber but email (http/https, SQS, Lambda, ...) receives, as JSON, when the copies are ready. */
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

/**
 * What they receive instead of a {@link ResizedDocument} when the links would take the message over
 * {@link MAX_SNS_MESSAGE_BYTES}: SNS would refuse it on every attempt, and the record would end in the dead-letter
 * queue with nobody told. The copies are there all the same; whoever may read the resized bucket can fetch them.
 * Without links a message grows only with the copies' keys, and reaches the limit only with a hundred sizes or so
 * (some twenty with keys of S3's full length made of control characters, which JSON escapes six bytes for one);
 * past that, {@link KeylessResizedDocument}.
 */
export interface UnlinkedResizedDocument {
  readonly status: 'resized';
  readonly bucket: string;
  readonly key: string;
  readonly change: Change;
  readonly input: { readonly format: string; readonly width: number; readonly height: number };
  readonly sizes: UnlinkedSize[];
  /** Why the links are missing; present only in this document. */
  readonly linksLeftOut: string;
}

/**
 * What they receive when even the copies' keys would take an {@link UnlinkedResizedDocument} over the limit. What is
 * left grows with the number of sizes only, which the function's environment (4 KB in all) keeps under two hundred
 * short entries, far below the limit.
 */
export interface KeylessResizedDocument extends Omit<UnlinkedResizedDocument, 'sizes'> {
  readonly sizes: KeylessSize[];
  /** Why the keys are missing too, and how each follows from its size's name; present only in this document. */
  readonly keysLeftOut: string;
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

/**
 * What they receive instead of a {@link DeletedDocument} whose copies' keys would take it over
 * {@link MAX_SNS_MESSAGE_BYTES}, as with {@link KeylessResizedDocument}: a delete whose announcement SNS refused would
 * be retried until it ended in the dead-letter queue, and its copies would never be removed.
 */
export interface KeylessDeletedDocument extends Omit<DeletedDocument, 'removed'> {
  readonly removed: Array<Omit<RemovedCopy, 'key'>>;
  /** Why the keys are missing, and how each followed from its size's name; present only in this document. */
  readonly keysLeftOut: string;
}

export type NotificationDocument =
  | ResizedDocument | UnlinkedResizedDocument | KeylessResizedDocument | FailedDocument | DeletedDocument | KeylessDeletedDocument;

/** The parts of an SNS Publish request that depend on the upload; spread it into one with the topic. */
export interface SnsNotification {
  readonly Subject: string;
  readonly Message: string;
  readonly MessageStructure: 'json';
  readonly MessageAttributes: {
    readonly status: StringAttribute<Status>;
    /** The uploader the API recorded, so that private subscriptions can filter on it. */
    readonly [UPLOADER_ATTRIBUTE]?: StringAttribute<string>;
  };
}

interface StringAttribute<T extends string> {
  readonly DataType: 'String';
  readonly StringValue: T;
}

type Status = NotificationDocument['status'];

/**
 * SNS's limit on one published message, in UTF-8 bytes: every rendering in the message, and every message
 * attribute's name, data type and value.
 */
export const MAX_SNS_MESSAGE_BYTES = 262_144;

const LINKS_LEFT_OUT = 'The links to the copies were left out: with them, this notification was over the 256 KB '
  + 'that SNS accepts in one message.';

const KEYS_LEFT_OUT = 'The copies\' keys were left out as well, for the same reason. Each copy\'s key is its size\'s name, '
  + 'a slash and the original\'s key, with the image extension of the copy\'s format.';

const REMOVED_KEYS_LEFT_OUT = 'The removed copies\' keys were left out: with them, this notification was over the 256 KB '
  + 'that SNS accepts in one message. Each copy\'s key was its size\'s name, a slash and the original\'s key, with the '
  + 'image extension of the copy\'s format.';

/** SNS rejects subjects of 100 characters or more, and line breaks or control characters in them. */
const MAX_SUBJECT_LENGTH = 99;

const REASON_TEXT: Record<RejectReason, string> = {
  'empty': 'the file is empty',
  'not-an-image': 'the file is not an image',
  'unsupported-format': 'the image format is not supported',
  'too-many-bytes': 'the file is larger than this pipeline reads',
  'too-many-pixels': 'the image is larger than this pipeline accepts',
  'too-large-for-format': 'a resized copy would be wider or taller than its image format allows',
  'corrupt': 'the image is damaged or incomplete',
  'takes-too-long': 'the image takes longer to resize than this pipeline allows',
  'key-too-long': 'the file name is too long for the names of its resized copies',
  'uploader-too-long': 'the uploader recorded with the file is too long for the metadata of its resized copies',
  'name-taken': 'its resized copies would replace those of another upload',
};

/**
 * With the links if they fit in one SNS message, otherwise without them (see {@link UnlinkedResizedDocument}), and
 * failing that without the copies' keys either (see {@link KeylessResizedDocument}).
 */
export function resizedNotification(upload: ResizedUpload, uploader?: string): SnsNotification {
  const document: ResizedDocument = {
    status: 'resized',
    bucket: upload.bucket,
    key: upload.key,
    change: upload.change,
    input: { format: upload.input.format, width: upload.input.width, height: upload.input.height },
    sizes: upload.sizes.map((size) => ({ ...unlinkedSize(size), url: size.url })),
    linksExpireAt: upload.linksExpireAt.toISOString(),
  };
  const subject = `${upload.change === 'updated' ? 'Updated' : 'Resized'}: ${fileName(upload.key)}`;
  const linked = notification(subject, linkedText(document, upload.linkExpirySeconds), document, uploader);
  if (publishedBytes(linked) <= MAX_SNS_MESSAGE_BYTES) {
    return linked;
  }
  // The same document without anything about links: their URLs and when they expire.
  const { sizes, linksExpireAt, ...described } = document;
  const unlinked: UnlinkedResizedDocument = { ...described, sizes: sizes.map(unlinkedSize), linksLeftOut: LINKS_LEFT_OUT };
  const withKeys = notification(subject, unlinkedText(unlinked), unlinked, uploader);
  if (publishedBytes(withKeys) <= MAX_SNS_MESSAGE_BYTES) {
    return withKeys;
  }
  const keyless: KeylessResizedDocument = {
    ...unlinked,
    sizes: unlinked.sizes.map(({ key, ...size }) => size),
    keysLeftOut: KEYS_LEFT_OUT,
  };
  return notification(subject, keylessText(keyless), keyless, uploader);
}

/** Field by field, so that nothing else the caller's object holds (a link, for one) reaches subscribers. */
function unlinkedSize(size: UnlinkedSize): UnlinkedSize {
  const { name, width, height, bytes, bucket, key, contentType } = size;
  return { name, width, height, bytes, bucket, key, contentType };
}

export function failedNotification(upload: FailedUpload, uploader?: string): SnsNotification {
  const document: FailedDocument = {
    status: 'failed',
    bucket: upload.bucket,
    key: upload.key,
    reason: upload.reason,
    message: upload.message,
  };
  return notification(`Could not resize: ${fileName(upload.key)}`, failedText(document), document, uploader);
}

/** With the copies' keys if they fit in one SNS message, and otherwise without them (see {@link KeylessDeletedDocument}). */
export function deletedNotification(original: DeletedOriginal, uploader?: string): SnsNotification {
  const document: DeletedDocument = {
    status: 'deleted',
    bucket: original.bucket,
    key: original.key,
    removed: original.removed.map((copy) => ({ name: copy.name, bucket: copy.bucket, key: copy.key })),
  };
  const subject = `Deleted: ${fileName(original.key)}`;
  const withKeys = notification(subject, deletedText(document), document, uploader);
  if (publishedBytes(withKeys) <= MAX_SNS_MESSAGE_BYTES) {
    return withKeys;
  }
  const keyless: KeylessDeletedDocument = {
    ...document,
    removed: document.removed.map(({ name, bucket }) => ({ name, bucket })),
    keysLeftOut: REMOVED_KEYS_LEFT_OUT,
  };
  return notification(subject, keylessDeletedText(keyless), keyless, uploader);
}

/**
 * The text email subscribers get for a document. The local pipeline's mail outbox, which receives the JSON, shows
 * it too; the JSON leaves out how long the links stay valid, so that comes separately.
 */
export function emailText(document: NotificationDocument, linkExpirySeconds: number): string {
  switch (document.status) {
    case 'resized':
      if ('keysLeftOut' in document) {
        return keylessText(document);
      }
      return 'linksLeftOut' in document ? unlinkedText(document) : linkedText(document, linkExpirySeconds);
    case 'failed':
      return failedText(document);
    case 'deleted':
      return 'keysLeftOut' in document ? keylessDeletedText(document) : deletedText(document);
  }
}

function linkedText(document: ResizedDocument, linkExpirySeconds: number): string {
  return [
    resizedHeading(document),
    ...document.sizes.map((size) => `${size.name}: ${size.width}x${size.height}, ${size.contentType}\n${size.url}`),
    `The links stay valid for ${duration(linkExpirySeconds)}, until ${document.linksExpireAt}.`,
  ].join('\n\n');
}

function unlinkedText(document: UnlinkedResizedDocument): string {
  return [
    resizedHeading(document),
    ...document.sizes.map((size) => `${size.name}: ${size.width}x${size.height}, ${size.contentType}\n${shown(size.key)} in bucket ${size.bucket}`),
    document.linksLeftOut,
  ].join('\n\n');
}

function keylessText(document: KeylessResizedDocument): string {
  return [
    resizedHeading(document),
    ...document.sizes.map((size) => `${size.name}: ${size.width}x${size.height}, ${size.contentType}, in bucket ${size.bucket}`),
    document.linksLeftOut,
    document.keysLeftOut,
  ].join('\n\n');
}

function resizedHeading(document: ResizedDocument | UnlinkedResizedDocument | KeylessResizedDocument): string {
  const updated = document.change === 'updated';
  return `${shown(document.key)} in bucket ${document.bucket} was ${updated ? 'replaced, and its copies were made again from the new version' : 'resized'} `
    + `(original: ${document.input.format}, ${document.input.width}x${document.input.height}).`;
}

function keylessDeletedText(document: KeylessDeletedDocument): string {
  return [
    `${shown(document.key)} in bucket ${document.bucket} was deleted, and so were its ${document.removed.length} copies:`,
    document.removed.map((copy) => `${copy.name}: in bucket ${copy.bucket}`).join('\n'),
    document.keysLeftOut,
  ].join('\n\n');
}

function failedText(document: FailedDocument): string {
  return [
    `${shown(document.key)} in bucket ${document.bucket} could not be resized: ${REASON_TEXT[document.reason]}.`,
    // Some messages quote the key, or a copy's key made from it.
    shown(document.message),
  ].join('\n\n');
}

function deletedText(document: DeletedDocument): string {
  return [
    `${shown(document.key)} in bucket ${document.bucket} was deleted, and so were its copies:`,
    document.removed.map((copy) => `${copy.name}: ${shown(copy.key)} in bucket ${copy.bucket}`).join('\n'),
  ].join('\n\n');
}

/**
 * A key, or a message that quotes one, as the text shows it. S3 keys may hold line breaks and other control
 * characters (`PUT /upload-image` passes them on), and one written raw could add paragraphs of its own, a notice with
 * a link say, to a mail that comes from the topic and, under the broadcast scope, reaches every subscriber. So the
 * groups a filename may not hold for the same reasons (control characters; U+2028 and U+2029, which some readers take
 * for line breaks; bidirectional controls, which can make a key read as another name: `invoice\u202egpj.exe` shows
 * as "invoiceexe.jpg") are shown as `\uXXXX`, and so are the directional marks U+061C, U+200E and U+200F, which a
 * filename may hold but which reorder the text around them just as well. Backslashes stay as they are, so a key that
 * holds the six characters `\u000a` reads like one with a line break; the JSON tells them apart.
 */
const ESCAPED_IN_TEXT = new RegExp(`[${CONTROL_CHARACTERS}${LINE_SEPARATORS}${BIDIRECTIONAL_CONTROLS}\\u061c\\u200e\\u200f]`, 'g');

function shown(text: string): string {
  return text.replace(ESCAPED_IN_TEXT, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Each link appears once in the text and once in the JSON, which SNS delivers to every protocol but email. */
function notification(subject: string, text: string, document: NotificationDocument, uploader: string | undefined): SnsNotification {
  return {
    Subject: subjectLine(subject),
    Message: JSON.stringify({ default: JSON.stringify(document), email: text }),
    MessageStructure: 'json',
    MessageAttributes: {
      status: { DataType: 'String', StringValue: document.status },
      ...(uploader === undefined ? {} : { [UPLOADER_ATTRIBUTE]: { DataType: 'String', StringValue: uploader } }),
    },
  };
}

/**
 * What SNS counts against {@link MAX_SNS_MESSAGE_BYTES}. The subject is counted too, though SNS does not say it
 * is: at most 99 bytes, it is cheaper to count it than to find out.
 */
function publishedBytes(published: SnsNotification): number {
  const attributes = Object.entries(published.MessageAttributes)
    .flatMap(([name, attribute]) => (attribute === undefined ? [] : [name, attribute.DataType, attribute.StringValue]));
  return [published.Subject, published.Message, ...attributes].reduce((bytes, part) => bytes + Buffer.byteLength(part, 'utf8'), 0);
}

function fileName(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1) || key;
}

/**
 * Accents are dropped and every other non-ASCII character, emoji included, becomes one `?`: SNS's documentation
 * has asked for ASCII subjects, and some receivers still replace a subject that is not. The replacement goes by
 * code point, and the cut to SNS's length comes after it, so no character counts twice or is split in two. Runs of
 * white space, line breaks included, become one space: SNS allows no line break or control character in a subject.
 */
function subjectLine(subject: string): string {
  const ascii = subject
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/\s+/g, ' ')
    .replace(/[^\x20-\x7e]/gu, '?');
  return ascii.length <= MAX_SUBJECT_LENGTH ? ascii : `${ascii.slice(0, MAX_SUBJECT_LENGTH - 3)}...`;
}

function duration(seconds: number): string {
  const units: Array<[string, number]> = [['day', 86_400], ['hour', 3_600], ['minute', 60], ['second', 1]];
  const [unit, size] = units.find(([, length]) => seconds % length === 0)!;
  const count = seconds / size;
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

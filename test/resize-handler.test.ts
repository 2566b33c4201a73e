import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { Readable } from 'node:stream';
import sharp from 'sharp';
import { corpusPhoto } from './support/corpus';
import {
  NotificationTopic,
  UploadBucket,
  createBucket,
  listKeys,
  readObject,
  sqsEvent,
} from './support/moto-aws';
import { SIZES, SentS3Command, lambdaContext, loadHandler, loadHandlerRecordingS3 } from './support/resize-handler';
import { slowAnimatedWebp } from './support/test-images';
import type { SizeSpec } from '../src/handler/config';
import { resizedKey } from '../src/handler/keys';
import { FailedDocument, NotificationDocument, ResizedDocument, UnlinkedResizedDocument } from '../src/handler/notification';

let upload: UploadBucket;
let resizedBucket: string;
let topic: NotificationTopic;
let handler: ReturnType<typeof loadHandler>;
let logged: { error: jest.SpyInstance; warn: jest.SpyInstance; info: jest.SpyInstance };

beforeEach(async () => {
  upload = await UploadBucket.create();
  resizedBucket = await createBucket('resized');
  topic = await NotificationTopic.create();
  handler = loadHandler({ resizedBucket, topicArn: topic.arn });
  logged = {
    info: jest.spyOn(console, 'info').mockImplementation(() => undefined),
    error: jest.spyOn(console, 'error').mockImplementation(() => undefined),
    warn: jest.spyOn(console, 'warn').mockImplementation(() => undefined),
  };
});

afterEach(() => {
  jest.restoreAllMocks();
});

/** The handler's log lines written through `spy`, as the JSON objects Powertools Logger writes. */
function logLines(spy: jest.SpyInstance): Array<Record<string, any> & { message: string }> {
  return spy.mock.calls.map(([line]) => JSON.parse(line));
}

function generatedImage(format: 'jpeg' | 'png', width = 400, height = 300): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 80, b: 40 } } })
    .toFormat(format)
    .toBuffer();
}

function ladybird(): Promise<Buffer> {
  return fs.readFile(corpusPhoto('LadyBird.jpg'));
}

function copiesOf(originalKey: string, extension: string): string[] {
  return SIZES.map((size) => resizedKey(size.name, originalKey, extension));
}

function resized(documents: Array<{ document: NotificationDocument }>, key: string): ResizedDocument {
  const found = documents.find(({ document }) => document.key === key && document.status === 'resized');
  if (!found) {
    throw new Error(`no "resized" notification for ${key} in ${JSON.stringify(documents)}`);
  }
  return found.document as ResizedDocument;
}

function failed(documents: Array<{ document: NotificationDocument }>, key: string): FailedDocument {
  const found = documents.find(({ document }) => document.key === key && document.status === 'failed');
  if (!found) {
    throw new Error(`no "failed" notification for ${key} in ${JSON.stringify(documents)}`);
  }
  return found.document as FailedDocument;
}

test('keys with spaces, +, % and non-ASCII characters are decoded, and their copies land under the same names', async () => {
  // GIVEN
  const keys = ['holiday photos/beach day.jpg', 'a+b=c.jpg', '100% real.jpg', 'café/写真 ünï.jpg'];
  const image = await generatedImage('jpeg');
  for (const key of keys) {
    await upload.upload(key, image);
  }
  const records = await upload.uploadNotifications(keys.length);

  // WHEN
  const response = await handler(sqsEvent(...records), lambdaContext);

  // THEN
  const eventKeys = records.map((record) => JSON.parse(record.body).Records[0].s3.object.key);
  expect(eventKeys).toEqual(expect.arrayContaining([expect.stringContaining('beach+day'), expect.stringContaining('a%2Bb')]));
  expect(response.batchItemFailures).toEqual([]);
  expect(await listKeys(resizedBucket)).toEqual(keys.flatMap((key) => copiesOf(key, 'jpg')).sort());
  for (const key of keys) {
    const copy = await readObject(resizedBucket, resizedKey('thumb', key, 'jpg'));
    expect(copy.metadata['source-key-sha256']).toBe(createHash('sha256').update(key).digest('hex'));
    expect(copy.contentType).toBe('image/jpeg');
  }
  const documents = await topic.received(keys.length);
  expect(documents.map(({ document }) => document.key).sort()).toEqual([...keys].sort());
});

test('the s3:TestEvent sent when the notification is configured is skipped', async () => {
  // GIVEN
  const records = await upload.notifications(1);
  expect(JSON.parse(records[0].body).Event).toBe('s3:TestEvent');

  // WHEN
  const response = await handler(sqsEvent(...records), lambdaContext);

  // THEN
  expect(response.batchItemFailures).toEqual([]);
  expect(await listKeys(resizedBucket)).toEqual([]);
  expect(await topic.receivedNothing()).toBe(true);
});

test('a folder made in the S3 console, an empty object named albums/, is skipped without a failure notification', async () => {
  // GIVEN
  await upload.upload('albums/', Buffer.alloc(0));
  const records = await upload.uploadNotifications(1);

  // WHEN
  const response = await handler(sqsEvent(...records), lambdaContext);

  // THEN
  expect(response.batchItemFailures).toEqual([]);
  expect(await listKeys(resizedBucket)).toEqual([]);
  expect(await topic.receivedNothing()).toBe(true);
});

test('in a batch of a non-image and a photograph, the photograph is resized, the non-image reported, neither retried', async () => {
  // GIVEN
  await upload.upload('notes.jpg', 'this is a text file with an image name');
  await upload.upload('garden/LadyBird.jpg', await ladybird());
  const records = await upload.uploadNotifications(2);

  // WHEN
  const response = await handler(sqsEvent(...records), lambdaContext);

  // THEN
  expect(response.batchItemFailures).toEqual([]);
  expect(await listKeys(resizedBucket)).toEqual(copiesOf('garden/LadyBird.jpg', 'jpg').sort());
  const notifications = await topic.received(2);
  expect(notifications.map(({ status }) => status).sort()).toEqual(['failed', 'resized']);
  expect(resized(notifications, 'garden/LadyBird.jpg')).toMatchObject({
    bucket: upload.bucket,
    input: { format: 'jpeg' },
    sizes: [
      { name: 'thumb', width: 160, height: 160, bucket: resizedBucket, key: 'thumb/garden/LadyBird.jpg' },
      { name: 'medium', width: 640, bucket: resizedBucket, key: 'medium/garden/LadyBird.jpg' },
    ],
  });
  expect(failed(notifications, 'notes.jpg')).toEqual({
    status: 'failed',
    bucket: upload.bucket,
    key: 'notes.jpg',
    reason: 'not-an-image',
    message: expect.any(String),
  });
});

test('a rejected upload\'s log line says why, with no field dropped as one of the logger\'s reserved keys', async () => {
  // GIVEN
  await upload.upload('notes.jpg', 'this is a text file with an image name');
  const records = await upload.uploadNotifications(1);

  // WHEN
  await handler(sqsEvent(...records), lambdaContext);

  // THEN
  const notification = failed(await topic.received(1), 'notes.jpg');
  const warnings = logLines(logged.warn);
  expect(warnings.filter((line) => /reserved key/.test(line.message))).toEqual([]);
  expect(warnings.find((line) => line.message === 'Upload rejected')).toMatchObject({
    key: 'notes.jpg', reason: 'not-an-image', detail: notification.message,
  });
});

test('each upload\'s outcome is logged with how long it took, and a rejected one with the version refused', async () => {
  // GIVEN a photo and a file that is not an image
  const notAnImage = 'this is a text file with an image name';
  await upload.upload('photo.jpg', await generatedImage('jpeg'));
  await upload.upload('notes.jpg', notAnImage);
  const uploads = await upload.uploadNotifications(2);

  // WHEN the uploads are processed, the photo's event again, and then its removal
  await handler(sqsEvent(...uploads), lambdaContext);
  await handler(sqsEvent(...uploads.filter((record) => record.body.includes('photo.jpg'))), lambdaContext);
  await upload.remove('photo.jpg');
  await handler(sqsEvent(...await upload.notifications(1)), lambdaContext);

  // THEN
  const lines = [...logLines(logged.info), ...logLines(logged.warn)];
  const outcome = (message: string) => lines.find((line) => line.message === message);
  expect(outcome('Upload resized')).toMatchObject({ key: 'photo.jpg', durationMs: expect.any(Number) });
  expect(outcome('Copies already made from this version of the original; nothing to do')).toMatchObject({ key: 'photo.jpg', durationMs: expect.any(Number) });
  expect(outcome('Original deleted; its copies were removed')).toMatchObject({ key: 'photo.jpg', durationMs: expect.any(Number) });
  expect(outcome('Upload rejected')).toMatchObject({
    key: 'notes.jpg', etag: createHash('md5').update(notAnImage).digest('hex'), durationMs: expect.any(Number),
  });
});

test('the resized line says whom its notification went to and which version the event was for', async () => {
  // GIVEN a caller's upload, and the event S3 sent for it
  const alice = 'arn:aws:sts::123456789012:assumed-role/uploader/alice';
  const image = await generatedImage('jpeg');
  await upload.upload('portrait.jpg', image, { uploader: alice });
  const records = await upload.uploadNotifications(1);

  // WHEN
  await handler(sqsEvent(...records), lambdaContext);

  // THEN
  const etag = createHash('md5').update(image).digest('hex');
  expect(JSON.parse(records[0].body).Records[0].s3.object.eTag.replace(/"/g, '')).toBe(etag);
  expect(logLines(logged.info).find((line) => line.message === 'Upload resized')).toMatchObject({
    key: 'portrait.jpg', uploader: alice, etag, eventEtag: etag,
  });
});

test('an event for a version since replaced says so on the line of the version found, and a line without uploader says it had none', async () => {
  // GIVEN an original put straight into the bucket, replaced before its first event is processed
  const first = await generatedImage('jpeg', 400, 300);
  const second = await generatedImage('jpeg', 300, 400);
  await upload.upload('replaced.jpg', first);
  const [firstEvent] = await upload.uploadNotifications(1);
  await upload.upload('replaced.jpg', second);
  const [secondEvent] = await upload.notifications(1);

  // WHEN the first event is processed, then the second
  await handler(sqsEvent(firstEvent), lambdaContext);
  await handler(sqsEvent(secondEvent), lambdaContext);

  // THEN the first event's line says it was for an earlier version; the second, for the version there
  const [firstEtag, secondEtag] = [first, second].map((bytes) => createHash('md5').update(bytes).digest('hex'));
  const lines = logLines(logged.info);
  expect(lines.find((line) => line.message === 'Upload resized')).toMatchObject({
    etag: secondEtag, eventEtag: firstEtag, superseded: true, uploader: '(none)',
  });
  const nothingToDo = lines.find((line) => line.message === 'Copies already made from this version of the original; nothing to do');
  expect(nothingToDo).toMatchObject({ etag: secondEtag, eventEtag: secondEtag });
  expect(nothingToDo).not.toHaveProperty('superseded');
});

test('a rejected upload\'s line for an event since replaced says which version the event was for, and that it had no uploader', async () => {
  // GIVEN an image put straight into the bucket, replaced by a file that is not an image before its event is processed
  const image = await generatedImage('jpeg');
  const notAnImage = 'this is a text file with an image name';
  await upload.upload('replaced.jpg', image);
  const [firstEvent] = await upload.uploadNotifications(1);
  await upload.upload('replaced.jpg', notAnImage);
  await upload.notifications(1);

  // WHEN
  await handler(sqsEvent(firstEvent), lambdaContext);

  // THEN
  expect(failed(await topic.received(1), 'replaced.jpg')).toMatchObject({ reason: 'not-an-image' });
  expect(logLines(logged.warn).find((line) => line.message === 'Upload rejected')).toMatchObject({
    key: 'replaced.jpg',
    eventEtag: createHash('md5').update(image).digest('hex'),
    etag: createHash('md5').update(notAnImage).digest('hex'),
    superseded: true,
    uploader: '(none)',
  });
});

test('the rejected and deleted lines say whom their notifications went to', async () => {
  // GIVEN
  const bob = 'arn:aws:sts::123456789012:assumed-role/uploader/bob';
  await upload.upload('notes.jpg', 'this is a text file with an image name', { uploader: bob });
  await upload.upload('photo.jpg', await generatedImage('jpeg'), { uploader: bob });
  await handler(sqsEvent(...await upload.uploadNotifications(2)), lambdaContext);
  await upload.remove('photo.jpg');

  // WHEN
  await handler(sqsEvent(...await upload.notifications(1)), lambdaContext);

  // THEN
  const lines = [...logLines(logged.info), ...logLines(logged.warn)];
  expect(lines.find((line) => line.message === 'Upload rejected')).toMatchObject({ key: 'notes.jpg', uploader: bob });
  expect(lines.find((line) => line.message === 'Original deleted; its copies were removed')).toMatchObject({ key: 'photo.jpg', uploader: bob });
});

test('the links in the notification download the copies, at the dimensions it states', async () => {
  // GIVEN
  const original = await ladybird();
  const { width, height } = await sharp(original).metadata();
  await upload.upload('LadyBird.jpg', original);
  const records = await upload.uploadNotifications(1);

  // WHEN
  await handler(sqsEvent(...records), lambdaContext);

  // THEN
  const document = resized(await topic.received(1), 'LadyBird.jpg');
  expect(document.input).toEqual({ format: 'jpeg', width, height });
  expect(Date.parse(document.linksExpireAt) - Date.now()).toBeGreaterThan(3_500_000);
  expect(document.sizes).toHaveLength(SIZES.length);
  for (const size of document.sizes) {
    const response = await fetch(size.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/jpeg');
    const data = Buffer.from(await response.arrayBuffer());
    expect(data.length).toBe(size.bytes);
    expect(await sharp(data).metadata()).toMatchObject({ format: 'jpeg', width: size.width, height: size.height });
  }
  const medium = document.sizes.find((size) => size.name === 'medium')!;
  expect(medium.height).toBeCloseTo((640 * height!) / width!, 0);
});

test('a record whose original cannot be read is retried, and the rest of the batch still completes', async () => {
  // GIVEN
  const vanishing = await UploadBucket.sharingQueueWith(upload);
  await upload.upload('kept.png', await generatedImage('png'));
  await vanishing.upload('lost.png', await generatedImage('png'));
  const records = await upload.uploadNotifications(3);
  const lost = records.find((record) => record.body.includes(vanishing.bucket))!;
  await vanishing.removeBucket();

  // WHEN
  const response = await handler(sqsEvent(...records), lambdaContext);

  // THEN
  expect(response.batchItemFailures).toEqual([{ itemIdentifier: lost.messageId }]);
  expect(logLines(logged.error).find((line) => line.message === 'Upload failed; the record is retried')).toMatchObject({
    bucket: vanishing.bucket, key: 'lost.png', receiveCount: '1', durationMs: expect.any(Number),
  });
  expect(await listKeys(resizedBucket)).toEqual(copiesOf('kept.png', 'png').sort());
  const notifications = await topic.received(1);
  expect(notifications).toEqual([{ status: 'resized', document: expect.objectContaining({ key: 'kept.png' }) }]);
});

test('when every record fails transiently the handler answers with all of them instead of throwing', async () => {
  // GIVEN
  const misconfigured = loadHandler({ resizedBucket: `${resizedBucket}-missing`, topicArn: topic.arn });
  await upload.upload('one.jpg', await generatedImage('jpeg'));
  await upload.upload('two.jpg', await generatedImage('jpeg'));
  const records = await upload.uploadNotifications(2);

  // WHEN
  const response = await misconfigured(sqsEvent(...records), lambdaContext);

  // THEN
  expect(response.batchItemFailures.map((failure) => failure.itemIdentifier).sort())
    .toEqual(records.map((record) => record.messageId).sort());
  expect(await topic.receivedNothing()).toBe(true);
});

test('with too little time left in the invocation, the records after the first are returned unread for SQS to deliver again', async () => {
  // GIVEN three uploads in one batch, and an invocation that has only half a second left throughout
  const { handler: recording, s3Commands } = loadHandlerRecordingS3({ resizedBucket, topicArn: topic.arn });
  for (const key of ['one.jpg', 'two.jpg', 'three.jpg']) {
    await upload.upload(key, await generatedImage('jpeg'));
  }
  const records = await upload.uploadNotifications(3);
  const [first, ...rest] = records.map((record) => ({
    messageId: record.messageId,
    key: JSON.parse(record.body).Records[0].s3.object.key as string,
  }));
  const nearlyOut = { ...lambdaContext, getRemainingTimeInMillis: () => 500 };

  // WHEN
  const response = await recording(sqsEvent(...records), nearlyOut);

  // THEN the first is resized and announced, the others are failed without a request about them, each logged
  expect(response.batchItemFailures).toEqual(rest.map(({ messageId }) => ({ itemIdentifier: messageId })));
  expect(s3Commands.filter((command) => command.name === 'GetObjectCommand').map((command) => command.input.Key)).toEqual([first.key]);
  expect(s3Commands.filter((command) => rest.some(({ key }) => command.input.Key?.endsWith(key)))).toEqual([]);
  expect(await listKeys(resizedBucket)).toEqual(copiesOf(first.key, 'jpg').sort());
  expect(await topic.received(1)).toEqual([{ status: 'resized', document: expect.objectContaining({ key: first.key }) }]);
  expect(await topic.receivedNothing()).toBe(true);
  expect(logLines(logged.warn).filter((line) => line.message === 'Too little time left in the invocation to start the record; it is retried'))
    .toEqual(rest.map(({ messageId, key }) => expect.objectContaining({ messageId, key, receiveCount: '1', remainingMs: 500 })));
});

test('an original deleted before it is processed is skipped: nothing written, nothing published, nothing retried', async () => {
  // GIVEN
  await upload.upload('short-lived.jpg', await generatedImage('jpeg'));
  const records = await upload.uploadNotifications(1);
  await upload.remove('short-lived.jpg');

  // WHEN
  const response = await handler(sqsEvent(...records), lambdaContext);

  // THEN
  expect(response.batchItemFailures).toEqual([]);
  expect(await listKeys(resizedBucket)).toEqual([]);
  expect(await topic.receivedNothing()).toBe(true);
  expect(logged.info).toHaveBeenCalledWith(expect.stringContaining('Original does not exist and has no copies'));
});

test('an original replaced by a file that is rejected takes its earlier copies with it, and only its own', async () => {
  // GIVEN
  await upload.upload('cat.jpg', await generatedImage('jpeg'));
  await upload.upload('cat.png', await generatedImage('png'));
  await handler(sqsEvent(...await upload.uploadNotifications(2)), lambdaContext);
  await topic.received(2);
  await upload.upload('cat.jpg', Buffer.alloc(0));
  const replaced = await upload.notifications(1);

  // WHEN
  const response = await handler(sqsEvent(...replaced), lambdaContext);

  // THEN
  expect(response.batchItemFailures).toEqual([]);
  expect(await listKeys(resizedBucket)).toEqual(copiesOf('cat.png', 'png').sort());
  expect(failed(await topic.received(1), 'cat.jpg')).toMatchObject({ reason: 'empty' });
});

test('originals over maxUploadBytes put straight into the bucket are refused as too-many-bytes without being read, and not retried', async () => {
  // GIVEN
  const { handler: limited, s3Commands } = loadHandlerRecordingS3({ resizedBucket, topicArn: topic.arn, maxUploadBytes: 2_048 });
  const small = await generatedImage('png', 8, 8);
  expect(small.length).toBeLessThanOrEqual(2_048);
  await upload.upload('large.jpg', await ladybird());
  await upload.upload('just-over.jpg', Buffer.alloc(2_049));
  await upload.upload('small.png', small);
  const records = await upload.uploadNotifications(3);

  // WHEN
  const response = await limited(sqsEvent(...records), lambdaContext);

  // THEN
  expect(response.batchItemFailures).toEqual([]);
  expect(s3Commands.filter((command) => command.name === 'GetObjectCommand').map((command) => command.input.Key)).toEqual(['small.png']);
  expect(await listKeys(resizedBucket)).toEqual(copiesOf('small.png', 'png').sort());
  const notifications = await topic.received(3);
  expect(failed(notifications, 'large.jpg')).toEqual({
    status: 'failed',
    bucket: upload.bucket,
    key: 'large.jpg',
    reason: 'too-many-bytes',
    message: 'The file is 343.3 KB, more than the 2 KB this pipeline reads. Upload a smaller file.',
  });
  // Both would round to 2 KB.
  expect(failed(notifications, 'just-over.jpg')).toMatchObject({
    reason: 'too-many-bytes',
    message: 'The file is 2,049 bytes, more than the 2,048 bytes this pipeline reads. Upload a smaller file.',
  });
  expect(resized(notifications, 'small.png')).toMatchObject({ input: { format: 'png', width: 8, height: 8 } });
});

/** A size of exactly one unit is counted in that unit: a limit of 1,048,576 bytes is 1 MB, not 1024 KB. */
test('an original of exactly 2 MB over a limit of exactly 1 MB is refused in whole megabytes', async () => {
  // GIVEN
  const limited = loadHandler({ resizedBucket, topicArn: topic.arn, maxUploadBytes: 1024 * 1024 });
  await upload.upload('twice-the-limit.jpg', Buffer.alloc(2 * 1024 * 1024));

  // WHEN
  const response = await limited(sqsEvent(...await upload.uploadNotifications(1)), lambdaContext);

  // THEN
  expect(response.batchItemFailures).toEqual([]);
  expect(failed(await topic.received(1), 'twice-the-limit.jpg')).toMatchObject({
    reason: 'too-many-bytes',
    message: 'The file is 2 MB, more than the 1 MB this pipeline reads. Upload a smaller file.',
  });
});

test('an original over maxUploadBytes put there between the handler\'s HEAD and its GET is refused without its bytes being read', async () => {
  // GIVEN a record whose original is gone when the handler looks with a HEAD, and back, too large, by the GET that
  // follows a HEAD's bare 404
  await upload.upload('late.jpg', Buffer.from('gone by the time the handler looks'));
  const [record] = await upload.uploadNotifications(1);
  const large = await ladybird();
  let phase: 'head' | 'get' | 'done' = 'head';
  const raceTheHandler = async (command: SentS3Command) => {
    if (command.input.Key !== 'late.jpg') {
      return;
    }
    if (phase === 'head' && command.name === 'HeadObjectCommand') {
      phase = 'get';
      await upload.remove('late.jpg');
    } else if (phase === 'get' && command.name === 'GetObjectCommand') {
      phase = 'done';
      await upload.upload('late.jpg', large);
    }
  };
  const { handler: limited, s3Commands } = loadHandlerRecordingS3(
    { resizedBucket, topicArn: topic.arn, maxUploadBytes: 2_048 }, raceTheHandler);

  // WHEN
  const response = await limited(sqsEvent(record), lambdaContext);

  // THEN
  expect(phase).toBe('done');
  expect(response.batchItemFailures).toEqual([]);
  expect(failed(await topic.received(1), 'late.jpg')).toMatchObject({ reason: 'too-many-bytes' });
  const gets = s3Commands.filter((command) => command.name === 'GetObjectCommand' && command.input.Key === 'late.jpg');
  expect(gets).toHaveLength(1);
  const { destroyed, readableEnded } = gets[0].output?.Body as Readable;
  expect({ destroyed, readableEnded }).toEqual({ destroyed: true, readableEnded: false });
});

test('an original replaced by one over maxUploadBytes takes its earlier copies with it', async () => {
  // GIVEN
  const limited = loadHandler({ resizedBucket, topicArn: topic.arn, maxUploadBytes: 2_048 });
  await upload.upload('bird.jpg', await generatedImage('jpeg', 8, 8));
  await limited(sqsEvent(...await upload.uploadNotifications(1)), lambdaContext);
  expect(await listKeys(resizedBucket)).toEqual(copiesOf('bird.jpg', 'jpg').sort());
  await topic.received(1);
  await upload.upload('bird.jpg', await ladybird());

  // WHEN
  const response = await limited(sqsEvent(...await upload.notifications(1)), lambdaContext);

  // THEN
  expect(response.batchItemFailures).toEqual([]);
  expect(await listKeys(resizedBucket)).toEqual([]);
  expect(failed(await topic.received(1), 'bird.jpg')).toMatchObject({ reason: 'too-many-bytes' });
});

test('an original replaced by one whose uploader is too long for its copies\' metadata takes its earlier copies with it', async () => {
  // GIVEN
  await upload.upload('photo.jpg', await generatedImage('jpeg'));
  await handler(sqsEvent(...await upload.uploadNotifications(1)), lambdaContext);
  expect(await listKeys(resizedBucket)).toEqual(copiesOf('photo.jpg', 'jpg').sort());
  await topic.received(1);
  await upload.upload('photo.jpg', await generatedImage('jpeg', 300, 400), { uploader: 'u'.repeat(1_900) });

  // WHEN
  const response = await handler(sqsEvent(...await upload.notifications(1)), lambdaContext);

  // THEN
  expect(response.batchItemFailures).toEqual([]);
  expect(await listKeys(resizedBucket)).toEqual([]);
  expect(failed(await topic.received(1), 'photo.jpg')).toMatchObject({ reason: 'uploader-too-long' });
});

test('a key too long for its copies\' names is refused with a message quoting their start in whole characters', async () => {
  // GIVEN 1,014 bytes of UTF-8, within S3's 1,024, but not with "medium/" and ".jpg"; each emoji is two UTF-16 code units
  const key = `ab${'😀'.repeat(253)}`;
  await upload.upload(key, await generatedImage('jpeg'));
  const records = await upload.uploadNotifications(1);

  // WHEN
  const response = await handler(sqsEvent(...records), lambdaContext);

  // THEN
  expect(response.batchItemFailures).toEqual([]);
  const { reason, message } = failed(await topic.received(1), key);
  expect(reason).toBe('key-too-long');
  const quoted = /such as "([^"]*)\.\.\."/.exec(message)![1];
  // An unpaired surrogate has no UTF-8 encoding, so it would not come back from one.
  expect(Buffer.from(quoted, 'utf8').toString('utf8')).toBe(quoted);
  expect(Array.from(quoted)).toHaveLength(40);
});

test('an uploader that makes a copy\'s metadata exactly S3\'s 2 KB is resized; one byte longer is refused unread, not retried', async () => {
  // GIVEN uploaders beside which a copy records 152 bytes: source-key-sha256 and 64 hex digits, source-etag and
  // 32, source-change and 7 letters, and the name uploader
  const { handler: recording, s3Commands } = loadHandlerRecordingS3({ resizedBucket, topicArn: topic.arn });
  const image = await generatedImage('jpeg');
  await upload.upload('fits.jpg', image, { uploader: 'f'.repeat(1_896) });
  await upload.upload('over.jpg', image, { uploader: 'o'.repeat(1_897) });
  const records = await upload.uploadNotifications(2);

  // WHEN
  const response = await recording(sqsEvent(...records), lambdaContext);

  // THEN
  expect(response.batchItemFailures).toEqual([]);
  const { metadata } = await readObject(resizedBucket, resizedKey('thumb', 'fits.jpg', 'jpg'));
  expect(Object.entries(metadata).reduce((total, [name, value]) => total + name.length + value.length, 0)).toBe(2_048);
  expect(await listKeys(resizedBucket)).toEqual(copiesOf('fits.jpg', 'jpg').sort());
  expect(s3Commands.filter((command) => command.name === 'GetObjectCommand').map((command) => command.input.Key)).toEqual(['fits.jpg']);
  const notifications = await topic.received(2);
  expect(resized(notifications, 'fits.jpg')).toMatchObject({ change: 'created' });
  expect(failed(notifications, 'over.jpg')).toMatchObject({
    reason: 'uploader-too-long',
    message: 'The uploader recorded with the file (x-amz-meta-uploader) is 1,897 bytes: with the 152 bytes of metadata each '
      + 'resized copy records beside it, a copy would have 2,049 bytes, more than the 2,048 bytes S3 allows. Upload the file '
      + 'with an uploader of at most 1,896 bytes.',
  });
});

describe('an upload that cannot be resized in the time its record has', () => {
  /** 1.4 s left whenever asked: the resize is given 1.05 s of it, and the rest is kept to tell the uploader. */
  const shortOfTime = { ...lambdaContext, getRemainingTimeInMillis: () => 1_400 };
  let slow: Buffer;
  beforeAll(async () => {
    slow = await slowAnimatedWebp();
  });

  test.each([
    [1_400, 'three quarters of it, 1.05 s'],
    [2_400, 'three quarters of it, 1.8 s, which libvips counts as 1 s, as the uploader is told'],
  ])('as the first record of its invocation, with %i ms left, is given %s, and is stopped and refused with a reason, not retried', async (remainingMs) => {
    // GIVEN
    const keeping = loadHandler({ resizedBucket, topicArn: topic.arn, animation: 'keep' });
    await upload.upload('long.webp', slow);

    // WHEN
    const records = await upload.uploadNotifications(1);
    const response = await keeping(sqsEvent(...records), { ...lambdaContext, getRemainingTimeInMillis: () => remainingMs });

    // THEN
    expect(response.batchItemFailures).toEqual([]);
    expect(await listKeys(resizedBucket)).toEqual([]);
    expect(failed(await topic.received(1), 'long.webp')).toMatchObject({
      reason: 'takes-too-long',
      message: 'The image takes longer to resize than the 1 s this pipeline gives one upload, so it was stopped. '
        + 'Upload a smaller image, or an animation with fewer or smaller frames.',
    });
  });

  test('as an update of an earlier version, is refused and the earlier version\'s copies are removed', async () => {
    // GIVEN copies of a quick image at the same key
    const keeping = loadHandler({ resizedBucket, topicArn: topic.arn, animation: 'keep' });
    await upload.upload('long.webp', await generatedImage('png'));
    expect((await keeping(sqsEvent(...await upload.uploadNotifications(1)), lambdaContext)).batchItemFailures).toEqual([]);
    expect(await listKeys(resizedBucket)).toEqual(copiesOf('long.webp', 'png').sort());
    await topic.received(1);
    await upload.upload('long.webp', slow);

    // WHEN
    const response = await keeping(sqsEvent(...await upload.notifications(1)), shortOfTime);

    // THEN
    expect(response.batchItemFailures).toEqual([]);
    expect(failed(await topic.received(1), 'long.webp')).toMatchObject({ reason: 'takes-too-long' });
    expect(await listKeys(resizedBucket)).toEqual([]);
  });

  test('behind another record of its invocation, which may have taken its time, is retried with nobody told', async () => {
    // GIVEN a record ahead of it that takes next to no time: a message that is not an S3 event, dropped at once
    const keeping = loadHandler({ resizedBucket, topicArn: topic.arn, animation: 'keep' });
    await upload.upload('long.webp', slow);
    const [slowRecord] = await upload.uploadNotifications(1);
    const foreign = await upload.sendForeignMessage('{"hello": "world"}');

    // WHEN
    const response = await keeping(sqsEvent(foreign, slowRecord), shortOfTime);

    // THEN
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: slowRecord.messageId }]);
    expect(await topic.receivedNothing()).toBe(true);
    const retried = logLines(logged.error).find((line) => line.message === 'Upload failed; the record is retried');
    expect(retried).toMatchObject({ key: 'long.webp' });
    expect(retried!.error.message).toMatch(/^Resizing long\.webp was stopped after 1 s, less than a whole invocation would give it/);
  });

  test('once retried, goes ahead of new records in its next batch, so it has the whole timeout and is refused', async () => {
    // GIVEN its second receive, behind a new upload's record
    const keeping = loadHandler({ resizedBucket, topicArn: topic.arn, animation: 'keep' });
    await upload.upload('long.webp', slow);
    await upload.upload('new.jpg', await generatedImage('jpeg'));
    const records = await upload.uploadNotifications(2);
    const [slowRecord, newRecord] = ['long.webp', 'new.jpg'].map((key) => records.find((record) => JSON.parse(record.body).Records[0].s3.object.key === key)!);
    const retried = { ...slowRecord, attributes: { ...slowRecord.attributes, ApproximateReceiveCount: '2' } };

    // WHEN
    const response = await keeping(sqsEvent(newRecord, retried), shortOfTime);

    // THEN the slow upload is settled, and the new one, with too little time left after it, waits for its next receive
    expect(failed(await topic.received(1), 'long.webp')).toMatchObject({ reason: 'takes-too-long' });
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: newRecord.messageId }]);
    expect(await listKeys(resizedBucket)).toEqual([]);
  });
});

test('a resize that fails for another reason than its deadline is retried with nobody told, though it is the first record of its invocation', async () => {
  // GIVEN a handler whose sharp fails every encode (the raw decode still works), as libvips does when memory runs out
  jest.doMock('sharp', () => {
    const real = jest.requireActual<typeof sharp>('sharp');
    return Object.assign((...args: Parameters<typeof sharp>) => {
      const pipeline = real(...args);
      const toBuffer = pipeline.toBuffer.bind(pipeline);
      const raw = () => (pipeline as unknown as { options: { formatOut: string } }).options.formatOut === 'raw';
      return Object.assign(pipeline, {
        toBuffer: (options?: sharp.OutputOptions) => raw() ? toBuffer(options as { resolveWithObject: true }) : Promise.reject(new Error('jpegsave: out of memory')),
      });
    }, real);
  });
  const failingEncodes = loadHandler({ resizedBucket, topicArn: topic.arn });
  jest.dontMock('sharp');
  await upload.upload('photo.jpg', await generatedImage('jpeg'));
  const [record] = await upload.uploadNotifications(1);

  // WHEN
  const response = await failingEncodes(sqsEvent(record), lambdaContext);

  // THEN
  expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
  expect(await topic.receivedNothing()).toBe(true);
  expect(logLines(logged.error).find((line) => line.message === 'Upload failed; the record is retried')!.error.message).toBe('jpegsave: out of memory');
});

test('a message that is not an S3 notification is logged as an error and not retried', async () => {
  // GIVEN
  const foreign = await upload.sendForeignMessage('{"hello": "world"}');

  // WHEN
  const response = await handler(sqsEvent(foreign), lambdaContext);

  // THEN
  expect(response.batchItemFailures).toEqual([]);
  expect(logged.error).toHaveBeenCalledWith(expect.stringContaining('not an S3 event notification'));
  expect(await topic.receivedNothing()).toBe(true);
});

describe('a notification that SNS would refuse for its size with all its links', () => {
  /** As long as the session token of a Lambda function's role (about 1.1 KB); the SDK signs every link with it. */
  const SESSION_TOKEN = Buffer.from(Array.from({ length: 830 }, (_, i) => (i * 37 + 11) % 256)).toString('base64');
  /** 1,012 bytes, percent-encoded to three times that in each link; `{size}/{key}` still fits in S3's 1,024 bytes. */
  const LONG_KEY = `アルバム/${'夏休みの写真'.repeat(55)}-2025.jpg`;

  function manySizes(count: number): SizeSpec[] {
    return Array.from({ length: count }, (_, i) => ({ name: `w${String(i + 1).padStart(2, '0')}`, width: 10 * (i + 1), fit: 'inside' }));
  }

  beforeEach(() => {
    process.env.AWS_SESSION_TOKEN = SESSION_TOKEN;
  });

  afterEach(() => {
    delete process.env.AWS_SESSION_TOKEN;
  });

  test('is published with each link twice, not six times: 12 sizes of a 1,012-byte CJK key fit, links included', async () => {
    // GIVEN
    expect(Buffer.byteLength(LONG_KEY)).toBe(1012);
    const sizes = manySizes(12);
    const manySized = loadHandler({ resizedBucket, topicArn: topic.arn, sizes });
    await upload.upload(LONG_KEY, await generatedImage('jpeg'));

    // WHEN
    const response = await manySized(sqsEvent(...await upload.uploadNotifications(1)), lambdaContext);

    // THEN
    expect(response.batchItemFailures).toEqual([]);
    const document = resized(await topic.received(1), LONG_KEY);
    expect(document.sizes.map((size) => size.name)).toEqual(sizes.map((size) => size.name));
    for (const size of document.sizes) {
      expect(new URL(size.url).searchParams.get('X-Amz-Security-Token')).toBe(SESSION_TOKEN);
    }
    expect((await fetch(document.sizes[0].url)).status).toBe(200);
  });

  test('leaves the links out when they do not fit even twice each, and says so; the record is not retried', async () => {
    // GIVEN
    const sizes = manySizes(40);
    const manySized = loadHandler({ resizedBucket, topicArn: topic.arn, sizes });
    await upload.upload(LONG_KEY, await generatedImage('jpeg'));

    // WHEN
    const response = await manySized(sqsEvent(...await upload.uploadNotifications(1)), lambdaContext);

    // THEN
    expect(response.batchItemFailures).toEqual([]);
    const [notification] = await topic.received(1);
    expect(notification.status).toBe('resized');
    const document = notification.document as UnlinkedResizedDocument;
    expect(document).toMatchObject({ status: 'resized', key: LONG_KEY, linksLeftOut: expect.stringContaining('256 KB') });
    expect(document.sizes).toEqual(sizes.map((size) => ({
      name: size.name,
      width: expect.any(Number),
      height: expect.any(Number),
      bytes: expect.any(Number),
      bucket: resizedBucket,
      key: resizedKey(size.name, LONG_KEY, 'jpg'),
      contentType: 'image/jpeg',
    })));
    expect(await listKeys(resizedBucket)).toEqual(sizes.map((size) => resizedKey(size.name, LONG_KEY, 'jpg')).sort());
  });

  test('leaves the copies\' keys out too when even they do not fit, and so for the delete, whose copies are then removed', async () => {
    // GIVEN a key of S3's full length made of a control character, which JSON escapes six bytes for one
    const key = `${'\u0010'.repeat(1010)}.jpg`;
    const sizes = manySizes(20);
    const manySized = loadHandler({ resizedBucket, topicArn: topic.arn, sizes });
    await upload.upload(key, await generatedImage('jpeg'));

    // WHEN it is resized, and then deleted
    const resizing = await manySized(sqsEvent(...await upload.uploadNotifications(1)), lambdaContext);
    const [resizedNotification] = await topic.received(1);
    await upload.remove(key);
    const deleting = await manySized(sqsEvent(...await upload.notifications(1)), lambdaContext);

    // THEN
    expect(resizing.batchItemFailures).toEqual([]);
    expect(resizedNotification.document).toMatchObject({
      status: 'resized',
      key,
      sizes: sizes.map((size) => ({ name: size.name, bucket: resizedBucket })),
      keysLeftOut: expect.stringContaining('left out'),
    });
    expect(deleting.batchItemFailures).toEqual([]);
    const [deletedNotification] = await topic.received(1);
    expect(deletedNotification.document).toEqual({
      status: 'deleted',
      bucket: upload.bucket,
      key,
      removed: sizes.map((size) => ({ name: size.name, bucket: resizedBucket })),
      keysLeftOut: expect.stringContaining('left out'),
    });
    expect(await listKeys(resizedBucket)).toEqual([]);
  });
});

/**
 * The copies follow the original whatever S3's events say and in whatever order they come: the handler against
 * moto, with real S3 event bodies for uploads, overwrites and deletes.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { SQSRecord } from 'aws-lambda';
import sharp from 'sharp';
import {
  NotificationTopic,
  UploadBucket,
  createBucket,
  etagOf,
  listKeys,
  putObject,
  readObject,
  sqsEvent,
} from './support/moto-aws';
import { SIZES, SentS3Command, lambdaContext, loadHandler, loadHandlerRecordingS3 } from './support/resize-handler';
import { REDRIVEN_ATTRIBUTE } from '../src/handler/config';
import { resizedKey } from '../src/handler/keys';
import { DeletedDocument, ResizedDocument } from '../src/handler/notification';
import { ResizedStore, sourceKeyDigest } from '../src/handler/resized-store';

const ALICE = 'arn:aws:sts::123456789012:assumed-role/uploader/alice';
const BOB = 'arn:aws:sts::123456789012:assumed-role/uploader/bob';
/** What S3 would store or remove; anything else the handler sends is a read. */
const WRITES = ['PutObjectCommand', 'DeleteObjectCommand', 'DeleteObjectsCommand', 'CopyObjectCommand'];

let upload: UploadBucket;
let resizedBucket: string;
let topic: NotificationTopic;

beforeEach(async () => {
  upload = await UploadBucket.create();
  resizedBucket = await createBucket('resized');
  topic = await NotificationTopic.create();
  // Each test's first notification is the s3:TestEvent that configuring the bucket sent.
  await upload.notifications(1);
  jest.spyOn(console, 'info').mockImplementation(() => undefined);
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
});

afterEach(() => {
  jest.restoreAllMocks();
});

function image(format: 'jpeg' | 'png', width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 40, g: 120, b: 200 } } }).toFormat(format).toBuffer();
}

function eventName(record: SQSRecord): string {
  return JSON.parse(record.body).Records[0].eventName;
}

/** The copies' keys, sorted, with what each says it was made from and its dimensions. */
async function copies(): Promise<Array<{ key: string; sourceEtag?: string; uploader?: string; width?: number; height?: number }>> {
  return Promise.all((await listKeys(resizedBucket)).map(async (key) => {
    const copy = await readObject(resizedBucket, key);
    const { width, height } = await sharp(copy.data).metadata();
    return { key, sourceEtag: copy.metadata['source-etag'], uploader: copy.metadata.uploader, width, height };
  }));
}

/** Uploads `key`, runs the handler on its event and reads the notification, so the copies exist as a start. */
async function resizedOnce(handler: ReturnType<typeof loadHandler>, key: string, body: Buffer, metadata?: Record<string, string>) {
  await upload.upload(key, body, metadata);
  await handler(sqsEvent(...await upload.notifications(1)), lambdaContext);
  return topic.received(1);
}

test('an overwrite with a different image remakes every size from the new bytes, drops the old ones, and says it is an update', async () => {
  // GIVEN copies of a 400x300 JPEG
  const handler = loadHandler({ resizedBucket, topicArn: topic.arn });
  const [first] = await resizedOnce(handler, 'photo.jpg', await image('jpeg', 400, 300));
  expect(first.document).toMatchObject({ status: 'resized', change: 'created' });

  // WHEN the key is overwritten with a 300x600 PNG
  await upload.upload('photo.jpg', await image('png', 300, 600));
  const response = await handler(sqsEvent(...await upload.notifications(1)), lambdaContext);

  // THEN every size is a PNG made from the new ETag, at the new shape, and the JPEG copies are gone
  expect(response.batchItemFailures).toEqual([]);
  const etag = await etagOf(upload.bucket, 'photo.jpg');
  expect(await copies()).toEqual([
    { key: 'medium/photo.png', sourceEtag: etag, width: 300, height: 600 },
    { key: 'thumb/photo.png', sourceEtag: etag, width: 160, height: 160 },
  ]);
  const [notification] = await topic.received(1);
  expect(notification.status).toBe('resized');
  expect(notification.document).toMatchObject({
    status: 'resized',
    change: 'updated',
    key: 'photo.jpg',
    input: { format: 'png', width: 300, height: 600 },
    sizes: [{ name: 'thumb', key: 'thumb/photo.png' }, { name: 'medium', key: 'medium/photo.png', width: 300, height: 600 }],
  });
});

/**
 * The record S3 sends when a lifecycle rule expires an object: moto runs no lifecycle rules, so it is the delete
 * record under that event's name, which is all that tells the two apart.
 */
function asLifecycleExpiration(record: SQSRecord): SQSRecord {
  const body = JSON.parse(record.body);
  body.Records[0].eventName = 'LifecycleExpiration:Delete';
  return { ...record, body: JSON.stringify(body) };
}

test.each([
  ['a delete', (record: SQSRecord) => record, /^ObjectRemoved:/],
  ['a lifecycle rule\'s expiration', asLifecycleExpiration, /^LifecycleExpiration:/],
])('%s removes every size, and subscribers hear which, with the uploader the copies recorded', async (_removal, recordOf, event) => {
  // GIVEN copies of alice's upload
  const handler = loadHandler({ resizedBucket, topicArn: topic.arn });
  await resizedOnce(handler, 'albums/cat.jpg', await image('jpeg', 400, 300), { uploader: ALICE });
  expect((await copies()).map((copy) => copy.uploader)).toEqual([ALICE, ALICE]);

  // WHEN
  await upload.remove('albums/cat.jpg');
  const records = (await upload.notifications(1)).map(recordOf);
  const response = await handler(sqsEvent(...records), lambdaContext);

  // THEN
  expect(eventName(records[0])).toMatch(event);
  expect(response.batchItemFailures).toEqual([]);
  expect(await listKeys(resizedBucket)).toEqual([]);
  const [notification] = await topic.received(1);
  expect(notification).toMatchObject({ status: 'deleted', uploader: ALICE });
  expect(notification.document as DeletedDocument).toEqual({
    status: 'deleted',
    bucket: upload.bucket,
    key: 'albums/cat.jpg',
    removed: [
      { name: 'thumb', bucket: resizedBucket, key: 'thumb/albums/cat.jpg' },
      { name: 'medium', bucket: resizedBucket, key: 'medium/albums/cat.jpg' },
    ],
  });
});

/**
 * The copies of one version record one uploader, but a copy may have been written without it (rewritten by hand,
 * say): the delete is still announced to the uploader that another copy records, whichever size is found first.
 */
test('a delete is announced with the uploader any of the copies records, though the first size\'s copy records none', async () => {
  // GIVEN copies of alice's upload, the thumb (the first size, looked at first) rewritten without its uploader
  const handler = loadHandler({ resizedBucket, topicArn: topic.arn });
  await resizedOnce(handler, 'albums/cat.jpg', await image('jpeg', 400, 300), { uploader: ALICE });
  const thumb = await readObject(resizedBucket, 'thumb/albums/cat.jpg');
  const { uploader: _dropped, ...withoutUploader } = thumb.metadata;
  await putObject(resizedBucket, 'thumb/albums/cat.jpg', thumb.data, withoutUploader);
  expect(SIZES[0].name).toBe('thumb');
  expect((await copies()).map((copy) => [copy.key, copy.uploader])).toEqual([
    ['medium/albums/cat.jpg', ALICE],
    ['thumb/albums/cat.jpg', undefined],
  ]);

  // WHEN
  await upload.remove('albums/cat.jpg');
  const response = await handler(sqsEvent(...await upload.notifications(1)), lambdaContext);

  // THEN
  expect(response.batchItemFailures).toEqual([]);
  expect(await listKeys(resizedBucket)).toEqual([]);
  const [notification] = await topic.received(1);
  expect(notification).toMatchObject({ status: 'deleted', uploader: ALICE });
});

test('a delete of an original that has no copies publishes nothing', async () => {
  // GIVEN an upload whose created event is never processed
  const handler = loadHandler({ resizedBucket, topicArn: topic.arn });
  await upload.upload('never-resized.jpg', await image('jpeg', 400, 300));
  await upload.notifications(1);

  // WHEN
  await upload.remove('never-resized.jpg');
  const response = await handler(sqsEvent(...await upload.notifications(1)), lambdaContext);

  // THEN
  expect(response.batchItemFailures).toEqual([]);
  expect(await topic.receivedNothing()).toBe(true);
});

/**
 * A `beforeSend` hook that, the first time the handler sends a command named `commandName` that `matches`, runs
 * `meanwhile` to the end before that command goes out: what another caller, invocation or writer could do at that
 * moment. Every later such command waits for it too.
 */
function onFirst(
  commandName: string, meanwhile: () => Promise<unknown>, matches: (command: SentS3Command) => boolean = () => true,
): { hook: (command: SentS3Command) => Promise<void>; ran: () => boolean } {
  let done: Promise<unknown> | undefined;
  return {
    hook: async (command) => {
      if (command.name === commandName && matches(command)) {
        done ??= meanwhile();
        await done;
      }
    },
    ran: () => done !== undefined,
  };
}

/**
 * `onFirst` the handler's first copy write: what another invocation or another writer could do between the
 * handler's look at the resized bucket and its writes.
 */
function beforeCopiesAreWritten(meanwhile: () => Promise<unknown>): ReturnType<typeof onFirst> {
  return onFirst('PutObjectCommand', meanwhile, (command) => command.input.Bucket === resizedBucket);
}

describe('two originals whose copies would take the same names', () => {
  test.each([
    ['a fixed output format', 'jpeg', 'pets/cat.png', 'png'],
    ['the input\'s format, for .jpeg and .jpg', 'same-as-input', 'pets/cat.jpeg', 'jpeg'],
  ] as const)('under %s, the second is refused and the first keeps its copies until it is deleted', async (_case, format, firstKey, firstFormat) => {
    // GIVEN copies of the first
    const handler = loadHandler({ resizedBucket, topicArn: topic.arn, format });
    await resizedOnce(handler, firstKey, await image(firstFormat, 400, 300));
    const firstCopies = await copies();
    expect(firstCopies).toEqual([
      { key: 'medium/pets/cat.jpg', sourceEtag: await etagOf(upload.bucket, firstKey), width: 400, height: 300 },
      { key: 'thumb/pets/cat.jpg', sourceEtag: await etagOf(upload.bucket, firstKey), width: 160, height: 160 },
    ]);

    // WHEN a different picture arrives as pets/cat.jpg
    const secondKey = 'pets/cat.jpg';
    await upload.upload(secondKey, await image('jpeg', 300, 600));
    const response = await handler(sqsEvent(...await upload.notifications(1)), lambdaContext);

    // THEN it is refused, not retried, and the first's copies are as they were
    expect(response.batchItemFailures).toEqual([]);
    const [refusal] = await topic.received(1);
    expect(refusal.document).toMatchObject({
      status: 'failed',
      key: secondKey,
      reason: 'name-taken',
      message: expect.stringContaining('"thumb/pets/cat.jpg"'),
    });
    expect(await copies()).toEqual(firstCopies);

    // WHEN the first is deleted and the second uploaded again
    await upload.remove(firstKey);
    await handler(sqsEvent(...await upload.notifications(1)), lambdaContext);
    await upload.upload(secondKey, await image('jpeg', 300, 600));
    await handler(sqsEvent(...await upload.notifications(1)), lambdaContext);

    // THEN the names hold the second's copies
    expect((await topic.received(2)).map(({ document }) => [document.status, document.key])).toEqual([
      ['deleted', firstKey],
      ['resized', secondKey],
    ]);
    const secondEtag = await etagOf(upload.bucket, secondKey);
    expect(await copies()).toEqual([
      { key: 'medium/pets/cat.jpg', sourceEtag: secondEtag, width: 300, height: 600 },
      { key: 'thumb/pets/cat.jpg', sourceEtag: secondEtag, width: 160, height: 160 },
    ]);
  });

  test('the one whose copies are written while the other is resized keeps them, and the other is refused', async () => {
    // GIVEN pets/cat.png resized and written by another invocation after pets/cat.jpg's handler looked at the names
    const other = loadHandler({ resizedBucket, topicArn: topic.arn, format: 'jpeg' });
    const meanwhile = beforeCopiesAreWritten(async () => {
      await upload.upload('pets/cat.png', await image('png', 400, 300));
      await other(sqsEvent(...await upload.notifications(1)), lambdaContext);
    });
    const { handler } = loadHandlerRecordingS3({ resizedBucket, topicArn: topic.arn, format: 'jpeg' }, meanwhile.hook);
    await upload.upload('pets/cat.jpg', await image('jpeg', 300, 600));
    const [record] = await upload.notifications(1);

    // WHEN
    const response = await handler(sqsEvent(record), lambdaContext);

    // THEN
    expect(meanwhile.ran()).toBe(true);
    expect(response.batchItemFailures).toEqual([]);
    expect((await topic.received(2)).map(({ document }) => [document.status, document.key, (document as { reason?: string }).reason]))
      .toEqual([['resized', 'pets/cat.png', undefined], ['failed', 'pets/cat.jpg', 'name-taken']]);
    const pngEtag = await etagOf(upload.bucket, 'pets/cat.png');
    expect(await copies()).toEqual([
      { key: 'medium/pets/cat.jpg', sourceEtag: pngEtag, width: 400, height: 300 },
      { key: 'thumb/pets/cat.jpg', sourceEtag: pngEtag, width: 160, height: 160 },
    ]);
  });

  test('a file put at one name after the handler looked is kept, and the copies already written at the others are removed', async () => {
    // GIVEN
    const meanwhile = beforeCopiesAreWritten(() => putObject(resizedBucket, 'medium/logo.png', 'kept by someone else'));
    const { handler } = loadHandlerRecordingS3({ resizedBucket, topicArn: topic.arn }, meanwhile.hook);
    await upload.upload('logo.png', await image('png', 400, 300));

    // WHEN
    const response = await handler(sqsEvent(...await upload.notifications(1)), lambdaContext);

    // THEN
    expect(meanwhile.ran()).toBe(true);
    expect(response.batchItemFailures).toEqual([]);
    const [refusal] = await topic.received(1);
    expect(refusal.document).toMatchObject({ status: 'failed', key: 'logo.png', reason: 'name-taken', message: expect.stringContaining('"medium/logo.png"') });
    expect(await listKeys(resizedBucket)).toEqual(['medium/logo.png']);
    expect((await readObject(resizedBucket, 'medium/logo.png')).data.toString()).toBe('kept by someone else');
  });

  test('a write that meets both a late copy of an earlier version and another\'s file looks again before refusing, and the late copy goes with the refusal', async () => {
    // GIVEN, after the handler looked, a copy of an earlier version of badge.png at thumb, as an attempt for that
    // version that has not withdrawn it yet would leave it, and someone else's file at medium
    await upload.upload('badge.png', await image('png', 200, 100));
    const earlierEtag = await etagOf(upload.bucket, 'badge.png');
    await upload.notifications(1);
    const meanwhile = beforeCopiesAreWritten(async () => {
      await putObject(resizedBucket, 'thumb/badge.png', await image('png', 160, 160), {
        'source-key-sha256': sourceKeyDigest('badge.png'), 'source-etag': earlierEtag, 'source-change': 'created',
      });
      await putObject(resizedBucket, 'medium/badge.png', 'kept by someone else');
    });
    const { handler } = loadHandlerRecordingS3({ resizedBucket, topicArn: topic.arn }, meanwhile.hook);
    await upload.upload('badge.png', await image('png', 400, 300));

    // WHEN
    const response = await handler(sqsEvent(...await upload.notifications(1)), lambdaContext);

    // THEN the upload is refused for the other's file, and of the earlier version nothing is left
    expect(meanwhile.ran()).toBe(true);
    expect(response.batchItemFailures).toEqual([]);
    const [refusal] = await topic.received(1);
    expect(refusal.document).toMatchObject({ status: 'failed', key: 'badge.png', reason: 'name-taken', message: expect.stringContaining('"medium/badge.png"') });
    expect(await listKeys(resizedBucket)).toEqual(['medium/badge.png']);
    expect(await topic.receivedNothing()).toBe(true);
  });

  test('a file in the resized bucket that this pipeline did not write is never replaced', async () => {
    // GIVEN
    const handler = loadHandler({ resizedBucket, topicArn: topic.arn });
    await putObject(resizedBucket, 'medium/logo.png', 'kept by someone else');

    // WHEN
    await upload.upload('logo.png', await image('png', 400, 300));
    const response = await handler(sqsEvent(...await upload.notifications(1)), lambdaContext);

    // THEN
    expect(response.batchItemFailures).toEqual([]);
    const [refusal] = await topic.received(1);
    expect(refusal.document).toMatchObject({ status: 'failed', key: 'logo.png', reason: 'name-taken' });
    expect(await listKeys(resizedBucket)).toEqual(['medium/logo.png']);
    expect((await readObject(resizedBucket, 'medium/logo.png')).data.toString()).toBe('kept by someone else');
  });
});

describe('a key already holding another caller\'s upload', () => {
  /** Bob was told once that his upload was resized, nothing else was published, and every copy records him. */
  async function expectOnlyBobResized(): Promise<void> {
    const [notification] = await topic.received(1);
    expect(notification).toMatchObject({ status: 'resized', uploader: BOB });
    expect(await topic.receivedNothing()).toBe(true);
    expect((await copies()).map((copy) => copy.uploader)).toEqual([BOB, BOB]);
  }

  /** The copies' own ETags, by key: unchanged ETags mean the objects were not written again. */
  async function copyEtags(): Promise<Record<string, string>> {
    const keys = await listKeys(resizedBucket);
    return Object.fromEntries(await Promise.all(keys.map(async (key) => [key, await etagOf(resizedBucket, key)])));
  }

  test.each([
    ['a different picture', () => image('png', 300, 600)],
    ['a file that is not an image', async () => Buffer.from('not a picture')],
  ])('%s uploaded there by a second caller is refused as name-taken; the first caller\'s copies stay, nothing of it is read', async (_case, body) => {
    // GIVEN alice's copies of albums/cat.jpg
    const { handler, s3Commands } = loadHandlerRecordingS3({ resizedBucket, topicArn: topic.arn });
    await resizedOnce(handler, 'albums/cat.jpg', await image('jpeg', 400, 300), { uploader: ALICE });
    const aliceEtag = await etagOf(upload.bucket, 'albums/cat.jpg');
    const aliceCopies = await copies();
    expect(aliceCopies).toEqual([
      { key: 'medium/albums/cat.jpg', sourceEtag: aliceEtag, uploader: ALICE, width: 400, height: 300 },
      { key: 'thumb/albums/cat.jpg', sourceEtag: aliceEtag, uploader: ALICE, width: 160, height: 160 },
    ]);
    const aliceCopyEtags = await copyEtags();
    s3Commands.splice(0);

    // WHEN bob uploads to the same key
    await upload.upload('albums/cat.jpg', await body(), { uploader: BOB });
    const response = await handler(sqsEvent(...await upload.notifications(1)), lambdaContext);

    // THEN bob is told, not retried, and alice's copies are the objects they were
    expect(response.batchItemFailures).toEqual([]);
    const [refusal] = await topic.received(1);
    expect(refusal).toMatchObject({ status: 'failed', uploader: BOB });
    expect(refusal.document).toEqual({
      status: 'failed',
      bucket: upload.bucket,
      key: 'albums/cat.jpg',
      reason: 'name-taken',
      message: expect.stringMatching(/^"albums\/cat\.jpg" is the name of another caller's upload.*Upload the image under another name\.$/),
    });
    expect(await copies()).toEqual(aliceCopies);
    expect(await copyEtags()).toEqual(aliceCopyEtags);
    expect(s3Commands.filter((command) => WRITES.includes(command.name))).toEqual([]);
    expect(s3Commands.filter((command) => command.name === 'GetObjectCommand')).toEqual([]);
    expect(await topic.receivedNothing()).toBe(true);
  });

  test.each([
    ['the first caller\'s event', 0],
    ['the second caller\'s event', 1],
  ])('two callers uploading one new name before either event is processed, %s first: the later bytes are the later caller\'s copies, and the earlier caller is told nothing', async (_order, first) => {
    // GIVEN alice's upload, overwritten by bob's before the function has looked at the key
    const handler = loadHandler({ resizedBucket, topicArn: topic.arn });
    await upload.upload('albums/cat.jpg', await image('jpeg', 400, 300), { uploader: ALICE });
    const aliceEvent = (await upload.notifications(1))[0];
    await upload.upload('albums/cat.jpg', await image('png', 300, 600), { uploader: BOB });
    const bobEvent = (await upload.notifications(1))[0];

    // WHEN both events are processed, one after the other
    const events = first === 0 ? [aliceEvent, bobEvent] : [bobEvent, aliceEvent];
    for (const event of events) {
      expect((await handler(sqsEvent(event), lambdaContext)).batchItemFailures).toEqual([]);
    }

    // THEN bob hears of his copies once, and alice of nothing
    const [notification] = await topic.received(1);
    expect(notification).toMatchObject({ status: 'resized', uploader: BOB, document: { change: 'created', input: { format: 'png', width: 300, height: 600 } } });
    expect(await topic.receivedNothing()).toBe(true);
    expect((await copies()).map((copy) => copy.uploader)).toEqual([BOB, BOB]);
  });

  test.each([
    ['under the input\'s format the two take different names', 'same-as-input', 'png'],
    ['under a fixed output format the two take the same names', 'jpeg', 'jpg'],
  ] as const)('a second caller uploading one new name while the first caller\'s upload is resized, and announced before that resize is written (%s): the copies stay the second caller\'s, who is told once', async (_case, format, extension) => {
    // GIVEN alice's upload, during whose resize bob uploads there and another invocation handles his event to the end
    const other = loadHandler({ resizedBucket, topicArn: topic.arn, format });
    let bobsCopyEtags: Record<string, string> = {};
    const meanwhile = beforeCopiesAreWritten(async () => {
      await upload.upload('albums/cat.jpg', await image('png', 300, 600), { uploader: BOB });
      await other(sqsEvent(...await upload.notifications(1)), lambdaContext);
      bobsCopyEtags = await copyEtags();
    });
    const { handler } = loadHandlerRecordingS3({ resizedBucket, topicArn: topic.arn, format }, meanwhile.hook);
    await upload.upload('albums/cat.jpg', await image('jpeg', 400, 300), { uploader: ALICE });
    const [aliceEvent] = await upload.notifications(1);

    // WHEN
    const response = await handler(sqsEvent(aliceEvent), lambdaContext);

    // THEN bob heard of his copies once and of nothing else, and they are still the objects his invocation wrote
    expect(meanwhile.ran()).toBe(true);
    expect(response.batchItemFailures).toEqual([]);
    const [notification] = await topic.received(1);
    expect(notification).toMatchObject({
      status: 'resized', uploader: BOB, document: { change: 'created', input: { format: 'png', width: 300, height: 600 } },
    });
    expect(await topic.receivedNothing()).toBe(true);
    const bobEtag = await etagOf(upload.bucket, 'albums/cat.jpg');
    expect(await copies()).toEqual([
      { key: `medium/albums/cat.${extension}`, sourceEtag: bobEtag, uploader: BOB, width: 300, height: 600 },
      { key: `thumb/albums/cat.${extension}`, sourceEtag: bobEtag, uploader: BOB, width: 160, height: 160 },
    ]);
    expect(await copyEtags()).toEqual(bobsCopyEtags);
  });

  test('an attempt that wrote over another attempt\'s announced copies of the same upload, and then finds a second caller\'s upload there, keeps them: the second caller is refused', async () => {
    // GIVEN alice's upload sent twice (a client's retry: one version, two events); while the first event's copies are
    // written, another invocation handles the second to the end and announces them; then bob uploads there
    const aliceBytes = await image('jpeg', 400, 300);
    await upload.upload('albums/cat.jpg', aliceBytes, { uploader: ALICE });
    const [firstEvent] = await upload.notifications(1);
    await upload.upload('albums/cat.jpg', aliceBytes, { uploader: ALICE });
    const [secondEvent] = await upload.notifications(1);
    const aliceEtag = await etagOf(upload.bucket, 'albums/cat.jpg');
    const bobBytes = await image('png', 300, 600);
    const other = loadHandler({ resizedBucket, topicArn: topic.arn });
    let announced: Promise<unknown> | undefined;
    let bobUploaded: Promise<unknown> | undefined;
    const { handler } = loadHandlerRecordingS3({ resizedBucket, topicArn: topic.arn }, async (command) => {
      if (command.name === 'PutObjectCommand' && command.input.Bucket === resizedBucket) {
        announced ??= other(sqsEvent(secondEvent), lambdaContext);
        await announced;
      } else if (announced !== undefined && command.name === 'HeadObjectCommand' && command.input.Bucket === upload.bucket) {
        bobUploaded ??= upload.upload('albums/cat.jpg', bobBytes, { uploader: BOB });
        await bobUploaded;
      }
    });

    // WHEN
    const response = await handler(sqsEvent(firstEvent), lambdaContext);

    // THEN alice was told once, bob is refused, and the copies, and so alice's links, are still alice's picture
    expect(bobUploaded).toBeDefined();
    expect(response.batchItemFailures).toEqual([]);
    const [resized, refusal] = await topic.received(2);
    expect(resized).toMatchObject({ status: 'resized', uploader: ALICE, document: { change: 'created' } });
    expect(refusal).toMatchObject({ status: 'failed', uploader: BOB, document: { reason: 'name-taken' } });
    expect(await topic.receivedNothing()).toBe(true);
    expect(await copies()).toEqual([
      { key: 'medium/albums/cat.jpg', sourceEtag: aliceEtag, uploader: ALICE, width: 400, height: 300 },
      { key: 'thumb/albums/cat.jpg', sourceEtag: aliceEtag, uploader: ALICE, width: 160, height: 160 },
    ]);
  });

  test.each([
    ['of the same format, whose copies were written over the first caller\'s', 'jpeg', 'update'],
    ['of another format, whose copies were written beside the first caller\'s', 'png', 'earlier'],
  ] as const)('a caller\'s update %s, replaced by a second caller\'s upload before it is announced, leaves the names the first caller\'s: the second caller is refused', async (_case, firstFormat, kept) => {
    // GIVEN alice's copies, and a handler for her update during whose writes bob uploads there
    const plain = loadHandler({ resizedBucket, topicArn: topic.arn });
    await resizedOnce(plain, 'albums/cat.jpg', await image(firstFormat, 400, 300), { uploader: ALICE });
    const aliceCopies = await copies();
    const meanwhile = beforeCopiesAreWritten(async () => upload.upload('albums/cat.jpg', await image('png', 300, 600), { uploader: BOB }));
    const { handler } = loadHandlerRecordingS3({ resizedBucket, topicArn: topic.arn }, meanwhile.hook);
    await upload.upload('albums/cat.jpg', await image('jpeg', 500, 500), { uploader: ALICE });
    const updateEtag = await etagOf(upload.bucket, 'albums/cat.jpg');
    const [updateEvent] = await upload.notifications(1);

    // WHEN
    const response = await handler(sqsEvent(updateEvent), lambdaContext);

    // THEN bob is refused, and every copy is one of alice's pictures: her update's where it was written over her
    // copies, and her earlier copies where it was written beside them
    expect(meanwhile.ran()).toBe(true);
    expect(response.batchItemFailures).toEqual([]);
    const [refusal] = await topic.received(1);
    expect(refusal).toMatchObject({ status: 'failed', uploader: BOB, document: { reason: 'name-taken' } });
    expect(await topic.receivedNothing()).toBe(true);
    expect(await copies()).toEqual(kept === 'earlier' ? aliceCopies : [
      { key: 'medium/albums/cat.jpg', sourceEtag: updateEtag, uploader: ALICE, width: 500, height: 500 },
      { key: 'thumb/albums/cat.jpg', sourceEtag: updateEtag, uploader: ALICE, width: 160, height: 160 },
    ]);
  });

  test('the same caller replacing their own upload is an update', async () => {
    // GIVEN
    const handler = loadHandler({ resizedBucket, topicArn: topic.arn });
    await resizedOnce(handler, 'albums/cat.jpg', await image('jpeg', 400, 300), { uploader: ALICE });

    // WHEN
    await upload.upload('albums/cat.jpg', await image('jpeg', 300, 600), { uploader: ALICE });
    const response = await handler(sqsEvent(...await upload.notifications(1)), lambdaContext);

    // THEN
    expect(response.batchItemFailures).toEqual([]);
    const [notification] = await topic.received(1);
    expect(notification).toMatchObject({ status: 'resized', uploader: ALICE, document: { change: 'updated', input: { width: 300, height: 600 } } });
    const etag = await etagOf(upload.bucket, 'albums/cat.jpg');
    expect(await copies()).toEqual([
      { key: 'medium/albums/cat.jpg', sourceEtag: etag, uploader: ALICE, width: 300, height: 600 },
      { key: 'thumb/albums/cat.jpg', sourceEtag: etag, uploader: ALICE, width: 160, height: 160 },
    ]);
  });

  test('an original put straight into the bucket, with no uploader, replaces a caller\'s copies as an update', async () => {
    // GIVEN
    const handler = loadHandler({ resizedBucket, topicArn: topic.arn });
    await resizedOnce(handler, 'albums/cat.jpg', await image('jpeg', 400, 300), { uploader: ALICE });

    // WHEN
    await upload.upload('albums/cat.jpg', await image('jpeg', 300, 600));
    const response = await handler(sqsEvent(...await upload.notifications(1)), lambdaContext);

    // THEN
    expect(response.batchItemFailures).toEqual([]);
    const [notification] = await topic.received(1);
    expect(notification).toMatchObject({ status: 'resized', uploader: undefined, document: { change: 'updated' } });
    const etag = await etagOf(upload.bucket, 'albums/cat.jpg');
    expect(await copies()).toEqual([
      { key: 'medium/albums/cat.jpg', sourceEtag: etag, width: 300, height: 600 },
      { key: 'thumb/albums/cat.jpg', sourceEtag: etag, width: 160, height: 160 },
    ]);
  });

  test('an empty uploader names nobody: the upload is resized and announced without the attribute, which SNS would refuse empty', async () => {
    // GIVEN
    const handler = loadHandler({ resizedBucket, topicArn: topic.arn });
    await upload.upload('albums/cat.jpg', await image('jpeg', 400, 300), { uploader: '' });

    // WHEN
    const response = await handler(sqsEvent(...await upload.notifications(1)), lambdaContext);

    // THEN
    expect(response.batchItemFailures).toEqual([]);
    const [notification] = await topic.received(1);
    expect(notification).toMatchObject({ status: 'resized', uploader: undefined, document: { change: 'created' } });
    for (const key of await listKeys(resizedBucket)) {
      expect((await readObject(resizedBucket, key)).metadata).not.toHaveProperty('uploader');
    }
  });

  test('copies that record an empty uploader are replaced by a caller\'s upload, and removed with their original, without the attribute', async () => {
    // GIVEN copies whose metadata says uploader "", as they were written before an empty uploader named nobody
    const handler = loadHandler({ resizedBucket, topicArn: topic.arn });
    await resizedOnce(handler, 'albums/cat.jpg', await image('jpeg', 400, 300));
    for (const key of await listKeys(resizedBucket)) {
      const copy = await readObject(resizedBucket, key);
      await putObject(resizedBucket, key, copy.data, { ...copy.metadata, uploader: '' });
    }

    // WHEN alice uploads there, and then the original is deleted
    await upload.upload('albums/cat.jpg', await image('jpeg', 300, 600), { uploader: ALICE });
    const updated = await handler(sqsEvent(...await upload.notifications(1)), lambdaContext);
    const [update] = await topic.received(1);
    for (const key of await listKeys(resizedBucket)) {
      const copy = await readObject(resizedBucket, key);
      await putObject(resizedBucket, key, copy.data, { ...copy.metadata, uploader: '' });
    }
    await upload.remove('albums/cat.jpg');
    const deleted = await handler(sqsEvent(...await upload.notifications(1)), lambdaContext);

    // THEN
    expect(updated.batchItemFailures).toEqual([]);
    expect(update).toMatchObject({ status: 'resized', uploader: ALICE, document: { change: 'updated' } });
    expect(deleted.batchItemFailures).toEqual([]);
    const [removal] = await topic.received(1);
    expect(removal).toMatchObject({ status: 'deleted', uploader: undefined });
    expect(await listKeys(resizedBucket)).toEqual([]);
  });

  test('a second caller uploading between the handler\'s look at the original and its read gets name-taken; the first caller\'s copies stay', async () => {
    // GIVEN alice's copies, and a handler for her next upload during whose read of the original bob uploads there
    const plain = loadHandler({ resizedBucket, topicArn: topic.arn });
    await resizedOnce(plain, 'albums/cat.jpg', await image('jpeg', 400, 300), { uploader: ALICE });
    const aliceCopies = await copies();
    const bobsImage = await image('png', 300, 600);
    const bobUploadsFirst = onFirst('GetObjectCommand',
      () => upload.upload('albums/cat.jpg', bobsImage, { uploader: BOB }), (command) => command.input.Bucket === upload.bucket);
    const { handler } = loadHandlerRecordingS3({ resizedBucket, topicArn: topic.arn }, bobUploadsFirst.hook);
    await upload.upload('albums/cat.jpg', await image('jpeg', 500, 500), { uploader: ALICE });
    const [aliceEvent] = await upload.notifications(1);

    // WHEN
    const response = await handler(sqsEvent(aliceEvent), lambdaContext);

    // THEN what the handler read, bob's upload, is refused, and alice's copies are as they were
    expect(bobUploadsFirst.ran()).toBe(true);
    expect(response.batchItemFailures).toEqual([]);
    const [refusal] = await topic.received(1);
    expect(refusal).toMatchObject({ status: 'failed', uploader: BOB, document: { reason: 'name-taken' } });
    expect(await copies()).toEqual(aliceCopies);
    expect(await topic.receivedNothing()).toBe(true);
  });

  test('a caller\'s upload written over copies that record no uploader, replaced by a second caller\'s before it is announced, gives the names up: the second caller\'s upload is resized', async () => {
    // GIVEN copies of an original put straight into the bucket, and a handler for alice's upload there during whose
    // writes bob uploads there
    const plain = loadHandler({ resizedBucket, topicArn: topic.arn });
    await resizedOnce(plain, 'albums/cat.jpg', await image('jpeg', 400, 300));
    const meanwhile = beforeCopiesAreWritten(async () => upload.upload('albums/cat.jpg', await image('jpeg', 300, 600), { uploader: BOB }));
    const { handler } = loadHandlerRecordingS3({ resizedBucket, topicArn: topic.arn }, meanwhile.hook);
    await upload.upload('albums/cat.jpg', await image('jpeg', 500, 500), { uploader: ALICE });
    const [aliceEvent] = await upload.notifications(1);

    // WHEN
    const response = await handler(sqsEvent(aliceEvent), lambdaContext);

    // THEN alice's copies were withdrawn, not left to make bob's upload look like a second caller's, and bob is told once
    expect(meanwhile.ran()).toBe(true);
    expect(response.batchItemFailures).toEqual([]);
    await expectOnlyBobResized();
    const bobEtag = await etagOf(upload.bucket, 'albums/cat.jpg');
    expect(await copies()).toEqual([
      { key: 'medium/albums/cat.jpg', sourceEtag: bobEtag, uploader: BOB, width: 300, height: 600 },
      { key: 'thumb/albums/cat.jpg', sourceEtag: bobEtag, uploader: BOB, width: 160, height: 160 },
    ]);
  });

  test('an attempt that wrote one copy at a free name and meets a second caller\'s copy at another withdraws the first: the second caller\'s upload is resized', async () => {
    // GIVEN a handler for alice's upload during whose medium write bob uploads there and a copy of his version
    // lands at medium, as another invocation of his would write it; the thumb name stays free
    const bobBytes = await image('jpeg', 300, 600);
    let bobsCopyWritten = false;
    const { handler } = loadHandlerRecordingS3({ resizedBucket, topicArn: topic.arn }, async (command) => {
      if (!bobsCopyWritten && command.name === 'PutObjectCommand' && command.input.Key === 'medium/albums/cat.jpg') {
        bobsCopyWritten = true;
        await upload.upload('albums/cat.jpg', bobBytes, { uploader: BOB });
        await upload.notifications(1);
        await putObject(resizedBucket, 'medium/albums/cat.jpg', await image('jpeg', 300, 600), {
          'source-key-sha256': sourceKeyDigest('albums/cat.jpg'),
          'source-etag': await etagOf(upload.bucket, 'albums/cat.jpg'),
          'source-change': 'created',
          'uploader': BOB,
        });
      }
    });
    await upload.upload('albums/cat.jpg', await image('jpeg', 400, 300), { uploader: ALICE });
    const [aliceEvent] = await upload.notifications(1);

    // WHEN
    const response = await handler(sqsEvent(aliceEvent), lambdaContext);

    // THEN alice's thumb was withdrawn, so the names are bob's, and he is told once
    expect(bobsCopyWritten).toBe(true);
    expect(response.batchItemFailures).toEqual([]);
    await expectOnlyBobResized();
  });

  test('copies of the same bytes uploaded by a second caller, met at the write, are that caller\'s: they are not written over, and the second caller is told once', async () => {
    // GIVEN a handler for alice's upload during whose first copy write bob uploads the same bytes there (so the
    // same ETag), and another invocation handles his event to the end
    const bytes = await image('jpeg', 400, 300);
    const other = loadHandler({ resizedBucket, topicArn: topic.arn });
    const meanwhile = beforeCopiesAreWritten(async () => {
      await upload.upload('albums/cat.jpg', bytes, { uploader: BOB });
      await other(sqsEvent(...await upload.notifications(1)), lambdaContext);
    });
    const { handler } = loadHandlerRecordingS3({ resizedBucket, topicArn: topic.arn }, meanwhile.hook);
    await upload.upload('albums/cat.jpg', bytes, { uploader: ALICE });
    const [aliceEvent] = await upload.notifications(1);

    // WHEN
    const response = await handler(sqsEvent(aliceEvent), lambdaContext);

    // THEN
    expect(meanwhile.ran()).toBe(true);
    expect(response.batchItemFailures).toEqual([]);
    await expectOnlyBobResized();
  });
});

test('the same record delivered twice writes nothing, reads no image and publishes nothing the second time', async () => {
  // GIVEN
  const { handler, s3Commands } = loadHandlerRecordingS3({ resizedBucket, topicArn: topic.arn });
  await upload.upload('twice.jpg', await image('jpeg', 400, 300), { uploader: ALICE });
  const [record] = await upload.notifications(1);
  await handler(sqsEvent(record), lambdaContext);
  await topic.received(1);
  const firstTime = s3Commands.splice(0);

  // WHEN
  const response = await handler(sqsEvent(record), lambdaContext);

  // THEN
  expect(response.batchItemFailures).toEqual([]);
  expect(firstTime.filter((command) => command.name === 'PutObjectCommand')).toHaveLength(SIZES.length);
  expect(s3Commands.filter((command) => WRITES.includes(command.name))).toEqual([]);
  expect(s3Commands.filter((command) => command.name === 'GetObjectCommand')).toEqual([]);
  expect(s3Commands.length).toBeGreaterThan(0);
  expect(await topic.receivedNothing()).toBe(true);
});

test('a record SQS delivers again after a failed attempt remakes and republishes, even when the copies are current', async () => {
  // GIVEN an attempt that wrote the copies (and, for all this record can know, failed to publish)
  const { handler, s3Commands } = loadHandlerRecordingS3({ resizedBucket, topicArn: topic.arn });
  await upload.upload('retried.jpg', await image('jpeg', 400, 300));
  const [record] = await upload.notifications(1);
  await handler(sqsEvent(record), lambdaContext);
  await topic.received(1);
  s3Commands.splice(0);

  // WHEN SQS delivers it a second time
  const response = await handler(sqsEvent({ ...record, attributes: { ...record.attributes, ApproximateReceiveCount: '2' } }), lambdaContext);

  // THEN
  expect(response.batchItemFailures).toEqual([]);
  expect(s3Commands.filter((command) => command.name === 'PutObjectCommand')).toHaveLength(SIZES.length);
  const [notification] = await topic.received(1);
  expect(notification.document).toMatchObject({ status: 'resized', key: 'retried.jpg' });
});

test('a record redriven from the dead-letter queue republishes though its copies are current and SQS counts a first receive', async () => {
  // GIVEN an upload whose copies were made and announced
  const handler = loadHandler({ resizedBucket, topicArn: topic.arn });
  await upload.upload('redriven.png', await image('png', 400, 300));
  const [record] = await upload.notifications(1);
  await handler(sqsEvent(record), lambdaContext);
  await topic.received(1);

  // WHEN it comes back through a redrive, which starts the receive count again but marks the message
  await handler(sqsEvent({ ...record, messageAttributes: { [REDRIVEN_ATTRIBUTE]: { dataType: 'String', stringValue: 'true' } } }), lambdaContext);

  // THEN
  const [notification] = await topic.received(1);
  expect(notification.document).toMatchObject({ status: 'resized', key: 'redriven.png' });
});

test('a delete whose announcement fails keeps the copies, so the attempt SQS makes again can still say whose they were', async () => {
  // GIVEN a caller's upload, resized, then deleted
  const handler = loadHandler({ resizedBucket, topicArn: topic.arn });
  await upload.upload('gone.png', await image('png', 400, 300), { uploader: ALICE });
  await handler(sqsEvent(...await upload.notifications(1)), lambdaContext);
  await topic.received(1);
  await upload.remove('gone.png');
  const [record] = await upload.notifications(1);

  // WHEN the first attempt cannot publish
  const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  const unpublishable = loadHandler({ resizedBucket, topicArn: 'arn:aws:sns:us-east-1:123456789012:no-such-topic' });
  const failed = await unpublishable(sqsEvent(record), lambdaContext);

  // THEN nothing is removed yet, and the next attempt announces the delete to the caller and removes the copies
  expect(failed.batchItemFailures).toHaveLength(1);
  expect(errors).toHaveBeenCalledWith(expect.stringContaining('Upload failed; the record is retried'));
  expect(await listKeys(resizedBucket)).toHaveLength(SIZES.length);
  await handler(sqsEvent({ ...record, attributes: { ...record.attributes, ApproximateReceiveCount: '2' } }), lambdaContext);
  const [notification] = await topic.received(1);
  expect(notification).toMatchObject({ uploader: ALICE, document: { status: 'deleted', key: 'gone.png' } });
  expect(await listKeys(resizedBucket)).toEqual([]);
});

test('an original of exactly maxUploadBytes, the most a presigned POST lets through, is resized', async () => {
  // GIVEN
  const original = await image('png', 8, 8);
  const handler = loadHandler({ resizedBucket, topicArn: topic.arn, maxUploadBytes: original.length });
  await upload.upload('exact.png', original);

  // WHEN
  const response = await handler(sqsEvent(...await upload.notifications(1)), lambdaContext);

  // THEN
  expect(response.batchItemFailures).toEqual([]);
  const [notification] = await topic.received(1);
  expect(notification.document).toMatchObject({ status: 'resized', key: 'exact.png' });
});

test('a copy whose conditional write meets a concurrent one (409 ConditionalRequestConflict) is looked at again, not failed', async () => {
  // GIVEN an S3 client whose first PutObject answers as S3 does when two conditional writes race
  const s3 = new S3Client({ endpoint: process.env.MOTO_ENDPOINT, region: 'us-east-1' });
  const send = s3.send.bind(s3);
  let conflicts = 0;
  jest.spyOn(s3, 'send').mockImplementation((async (command: unknown) => {
    if (command instanceof PutObjectCommand && conflicts === 0) {
      conflicts++;
      throw Object.assign(new Error('conflict'), { name: 'ConditionalRequestConflict', $metadata: { httpStatusCode: 409 } });
    }
    return send(command as PutObjectCommand);
  }) as typeof s3.send);
  const store = new ResizedStore(s3, resizedBucket);

  // WHEN
  const outcome = await store.put('c.png', { etag: 'e1' }, 'created',
    [{ name: 'thumb', extension: 'png', contentType: 'image/png', data: await image('png', 4, 4) }], []);

  // THEN
  expect(conflicts).toBe(1);
  expect(outcome).toEqual({ stored: [{ name: 'thumb', bucket: resizedBucket, key: 'thumb/c.png', etag: `"${await etagOf(resizedBucket, 'thumb/c.png')}"` }] });
  expect((await readObject(resizedBucket, 'thumb/c.png')).metadata['source-etag']).toBe('e1');
});

test('a copy is removed only while it is the object that was written or found: one written there since, or one already gone, is left alone', async () => {
  // GIVEN two copies, one of them written again since
  const store = new ResizedStore(new S3Client({ endpoint: process.env.MOTO_ENDPOINT, region: 'us-east-1' }), resizedBucket);
  const data = await image('png', 4, 4);
  const outcome = await store.put('c.png', { etag: 'e1' }, 'created', [
    { name: 'thumb', extension: 'png', contentType: 'image/png', data },
    { name: 'medium', extension: 'png', contentType: 'image/png', data },
  ], []);
  if (!('stored' in outcome)) {
    throw new Error(`expected both copies stored, got ${JSON.stringify(outcome)}`);
  }
  const [thumb, medium] = outcome.stored;
  await putObject(resizedBucket, thumb.key, 'written since');

  // WHEN both are removed, and then removed again
  await store.remove([thumb, medium]);
  await store.remove([thumb, medium]);

  // THEN
  expect(await listKeys(resizedBucket)).toEqual([thumb.key]);
  expect((await readObject(resizedBucket, thumb.key)).data.toString()).toBe('written since');
});

test('an update whose first attempt wrote every copy and then failed to publish is still announced as an update when delivered again', async () => {
  // GIVEN copies of a first version, and an attempt at the second that writes its copies but cannot publish
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
  await resizedOnce(loadHandler({ resizedBucket, topicArn: topic.arn }), 'retried.jpg', await image('jpeg', 400, 300));
  await upload.upload('retried.jpg', await image('jpeg', 300, 600));
  const [record] = await upload.notifications(1);
  const cannotPublish = loadHandler({ resizedBucket, topicArn: `${topic.arn}-deleted` });
  expect((await cannotPublish(sqsEvent(record), lambdaContext)).batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
  const etag = await etagOf(upload.bucket, 'retried.jpg');
  expect((await copies()).map((copy) => copy.sourceEtag)).toEqual([etag, etag]);

  // WHEN SQS delivers it a second time
  const handler = loadHandler({ resizedBucket, topicArn: topic.arn });
  const response = await handler(sqsEvent({ ...record, attributes: { ...record.attributes, ApproximateReceiveCount: '2' } }), lambdaContext);

  // THEN
  expect(response.batchItemFailures).toEqual([]);
  const [notification] = await topic.received(1);
  expect(notification.document).toMatchObject({ status: 'resized', change: 'updated', input: { width: 300, height: 600 } });
});

describe.each([
  ['uploaded, then deleted', 'gone'],
  ['deleted, then uploaded again', 'there'],
] as const)('when the original was %s', (_operations, finalState) => {
  test.each([
    ['the delete record', 'ObjectRemoved'],
    ['the create record', 'ObjectCreated'],
  ])('and %s arrives first, the copies end up matching the bucket, announced once', async (_first, firstEvent) => {
    // GIVEN copies of an earlier version, then the two changes, whose events wait on the queue
    const handler = loadHandler({ resizedBucket, topicArn: topic.arn });
    await resizedOnce(handler, 'flip.jpg', await image('jpeg', 400, 300));
    const replacement = await image('jpeg', 200, 500);
    if (finalState === 'gone') {
      await upload.upload('flip.jpg', replacement);
      await upload.remove('flip.jpg');
    } else {
      await upload.remove('flip.jpg');
      await upload.upload('flip.jpg', replacement);
    }
    const records = await upload.notifications(2);
    const ordered = [...records].sort((a, b) => Number(!eventName(a).startsWith(firstEvent)) - Number(!eventName(b).startsWith(firstEvent)));
    expect(eventName(ordered[0])).toMatch(new RegExp(`^${firstEvent}:`));

    // WHEN each is delivered on its own, in that order
    for (const record of ordered) {
      expect((await handler(sqsEvent(record), lambdaContext)).batchItemFailures).toEqual([]);
    }

    // THEN
    const [notification] = await topic.received(1);
    if (finalState === 'gone') {
      expect(await listKeys(resizedBucket)).toEqual([]);
      expect(notification.document).toMatchObject({ status: 'deleted', key: 'flip.jpg' });
    } else {
      const etag = await etagOf(upload.bucket, 'flip.jpg');
      expect(await copies()).toEqual([
        { key: 'medium/flip.jpg', sourceEtag: etag, width: 200, height: 500 },
        { key: 'thumb/flip.jpg', sourceEtag: etag, width: 160, height: 160 },
      ]);
      expect(notification.document).toMatchObject({ status: 'resized', change: 'updated', input: { width: 200, height: 500 } });
    }
    expect(await topic.receivedNothing()).toBe(true);
  });
});

test('an original replaced while its copies are written is looked at again, and the copies end up made from the replacement', async () => {
  // GIVEN a handler during whose first copy written the original is overwritten
  const replacement = await image('jpeg', 500, 200);
  const meanwhile = beforeCopiesAreWritten(() => upload.upload('raced.jpg', replacement));
  const { handler } = loadHandlerRecordingS3({ resizedBucket, topicArn: topic.arn }, meanwhile.hook);
  await upload.upload('raced.jpg', await image('jpeg', 400, 300));
  const [record] = await upload.notifications(1);

  // WHEN
  const response = await handler(sqsEvent(record), lambdaContext);

  // THEN the one notification and every copy are of the replacement
  expect(meanwhile.ran()).toBe(true);
  expect(response.batchItemFailures).toEqual([]);
  const etag = await etagOf(upload.bucket, 'raced.jpg');
  expect(await copies()).toEqual([
    { key: 'medium/raced.jpg', sourceEtag: etag, width: 500, height: 200 },
    { key: 'thumb/raced.jpg', sourceEtag: etag, width: 160, height: 160 },
  ]);
  const [notification] = await topic.received(1);
  expect(notification.document as ResizedDocument).toMatchObject({ status: 'resized', input: { width: 500, height: 200 } });
  expect(await topic.receivedNothing()).toBe(true);
});

/**
 * A refusal is for one version: the uploader of a file replaced by the time it would be refused is not told it
 * failed, and the replacement is what gets processed.
 */
test('an upload replaced while it is being refused is not announced as failed: the replacement is resized and announced', async () => {
  // GIVEN copies of a photograph, overwritten by a file that is not an image, which is overwritten in turn by another
  // photograph while the handler removes the stale copies on its way to refusing the file
  const replacement = await image('jpeg', 500, 200);
  const replaceDuringRefusal = onFirst('DeleteObjectCommand', () => upload.upload('swapped.jpg', replacement));
  const { handler } = loadHandlerRecordingS3({ resizedBucket, topicArn: topic.arn }, replaceDuringRefusal.hook);
  await resizedOnce(handler, 'swapped.jpg', await image('jpeg', 400, 300));
  await upload.upload('swapped.jpg', Buffer.from('not a picture'));
  const [record] = await upload.notifications(1);

  // WHEN
  const response = await handler(sqsEvent(record), lambdaContext);

  // THEN the one notification, and every copy, are of the replacement
  expect(replaceDuringRefusal.ran()).toBe(true);
  expect(response.batchItemFailures).toEqual([]);
  const [notification] = await topic.received(1);
  expect(notification.document).toMatchObject({ status: 'resized', key: 'swapped.jpg', input: { width: 500, height: 200 } });
  expect(await topic.receivedNothing()).toBe(true);
  const etag = await etagOf(upload.bucket, 'swapped.jpg');
  expect(await copies()).toEqual([
    { key: 'medium/swapped.jpg', sourceEtag: etag, width: 500, height: 200 },
    { key: 'thumb/swapped.jpg', sourceEtag: etag, width: 160, height: 160 },
  ]);
});

/**
 * An original that changes on every read is given up on after three passes, rather than chased for as long as the
 * invocation lasts: the record goes back to SQS, which delivers it again once the uploads have likely stopped.
 */
test('an original that changes before every read is given up on after three passes, and the record is retried', async () => {
  // GIVEN an original replaced by another version just before each time the handler reads it
  let versions = 0;
  const replaceBeforeEachRead = async (command: SentS3Command) => {
    if (command.name === 'GetObjectCommand' && command.input.Bucket === upload.bucket) {
      versions++;
      await upload.upload('restless.jpg', await image('jpeg', 400 + versions, 300));
    }
  };
  const { handler, s3Commands } = loadHandlerRecordingS3({ resizedBucket, topicArn: topic.arn }, replaceBeforeEachRead);
  await upload.upload('restless.jpg', await image('jpeg', 400, 300));
  const [record] = await upload.notifications(1);
  const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);

  // WHEN
  const response = await handler(sqsEvent(record), lambdaContext);

  // THEN
  expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
  expect(s3Commands.filter((command) => command.name === 'GetObjectCommand').map((command) => command.input.Key))
    .toEqual(['restless.jpg', 'restless.jpg', 'restless.jpg']);
  const failures = errors.mock.calls.map(([line]) => JSON.parse(line)).filter((line) => line.message === 'Upload failed; the record is retried');
  expect(failures).toEqual([expect.objectContaining({
    key: 'restless.jpg',
    error: expect.objectContaining({
      message: `restless.jpg in bucket ${upload.bucket} changed 3 times while its copies were made; the record is retried`,
    }),
  })]);
  expect(await listKeys(resizedBucket)).toEqual([]);
  expect(await topic.receivedNothing()).toBe(true);
});

test('copies of a later version that another invocation wrote meanwhile are neither written over with the earlier one nor taken for another upload\'s, and are announced once', async () => {
  // GIVEN a replacement of same.jpg resized by another invocation after this one looked at the resized bucket
  const other = loadHandler({ resizedBucket, topicArn: topic.arn });
  let replacementCopyEtags: string[] = [];
  const meanwhile = beforeCopiesAreWritten(async () => {
    await upload.upload('same.jpg', await image('jpeg', 500, 200));
    await other(sqsEvent(...await upload.notifications(1)), lambdaContext);
    replacementCopyEtags = await Promise.all((await listKeys(resizedBucket)).map((key) => etagOf(resizedBucket, key)));
  });
  const { handler } = loadHandlerRecordingS3({ resizedBucket, topicArn: topic.arn }, meanwhile.hook);
  await upload.upload('same.jpg', await image('jpeg', 400, 300));
  const [record] = await upload.notifications(1);

  // WHEN
  const response = await handler(sqsEvent(record), lambdaContext);

  // THEN the copies are the objects the other invocation wrote, and the one notification is of them
  expect(meanwhile.ran()).toBe(true);
  expect(response.batchItemFailures).toEqual([]);
  const etag = await etagOf(upload.bucket, 'same.jpg');
  expect(await copies()).toEqual([
    { key: 'medium/same.jpg', sourceEtag: etag, width: 500, height: 200 },
    { key: 'thumb/same.jpg', sourceEtag: etag, width: 160, height: 160 },
  ]);
  expect(await Promise.all((await listKeys(resizedBucket)).map((key) => etagOf(resizedBucket, key)))).toEqual(replacementCopyEtags);
  const [notification] = await topic.received(1);
  expect(notification.document).toMatchObject({ status: 'resized', change: 'created', input: { width: 500, height: 200, format: 'jpeg' } });
  expect(await topic.receivedNothing()).toBe(true);
});

test('an original uploaded again while its deleted copies are removed is looked at again, and ends up with copies', async () => {
  // GIVEN copies of a deleted original, which comes back while the handler removes them
  const comeback = await image('jpeg', 300, 300);
  const reuploadOnce = onFirst('DeleteObjectCommand', () => upload.upload('phoenix.jpg', comeback));
  const { handler } = loadHandlerRecordingS3({ resizedBucket, topicArn: topic.arn }, reuploadOnce.hook);
  await resizedOnce(handler, 'phoenix.jpg', await image('jpeg', 400, 300));
  await upload.remove('phoenix.jpg');
  const [removed] = await upload.notifications(1);

  // WHEN
  const response = await handler(sqsEvent(removed), lambdaContext);

  // THEN subscribers hear of the delete and of the copies made again
  expect(reuploadOnce.ran()).toBe(true);
  expect(response.batchItemFailures).toEqual([]);
  const etag = await etagOf(upload.bucket, 'phoenix.jpg');
  expect(await copies()).toEqual([
    { key: 'medium/phoenix.jpg', sourceEtag: etag, width: 300, height: 300 },
    { key: 'thumb/phoenix.jpg', sourceEtag: etag, width: 160, height: 160 },
  ]);
  const notifications = await topic.received(2);
  expect(notifications.map(({ document }) => document.status).sort()).toEqual(['deleted', 'resized']);
  expect(notifications.find(({ status }) => status === 'resized')!.document).toMatchObject({ change: 'created', input: { width: 300, height: 300 } });
  // and the logs say both went out, the delete too, though its pass found the original back
  const lines = jest.mocked(console.info).mock.calls.map(([line]) => JSON.parse(line));
  expect(lines.filter((line) => line.key === 'phoenix.jpg').map((line) => line.message)).toEqual(expect.arrayContaining([
    'Original deleted; subscribers told', 'Upload resized',
  ]));
  expect(lines.find((line) => line.message === 'Original deleted; subscribers told')).toMatchObject({
    key: 'phoenix.jpg', uploader: '(none)', copies: expect.arrayContaining(['medium/phoenix.jpg', 'thumb/phoenix.jpg']),
  });
});

test('a delete that finds no copies looks at the original again: one uploaded again since the first look ends up with copies', async () => {
  // GIVEN an original that has no copies, deleted, and back by the time the handler lists its copies
  const comeback = await image('jpeg', 300, 300);
  const reuploadOnce = onFirst('ListObjectsV2Command', () => upload.upload('lazarus.jpg', comeback));
  const { handler } = loadHandlerRecordingS3({ resizedBucket, topicArn: topic.arn }, reuploadOnce.hook);
  await upload.upload('lazarus.jpg', await image('jpeg', 400, 300));
  await upload.notifications(1);
  await upload.remove('lazarus.jpg');
  const [removed] = await upload.notifications(1);

  // WHEN only the delete's record is handled
  const response = await handler(sqsEvent(removed), lambdaContext);

  // THEN it makes the copies of what is there now and announces them, as the upload's own record would
  expect(reuploadOnce.ran()).toBe(true);
  expect(response.batchItemFailures).toEqual([]);
  const etag = await etagOf(upload.bucket, 'lazarus.jpg');
  expect(await copies()).toEqual([
    { key: 'medium/lazarus.jpg', sourceEtag: etag, width: 300, height: 300 },
    { key: 'thumb/lazarus.jpg', sourceEtag: etag, width: 160, height: 160 },
  ]);
  const [notification] = await topic.received(1);
  expect(notification.document).toMatchObject({ status: 'resized', change: 'created', input: { width: 300, height: 300 } });
  // and no line says the original does not exist
  const lines = jest.mocked(console.info).mock.calls.map(([line]) => JSON.parse(line));
  expect(lines.filter((line) => line.key === 'lazarus.jpg').map((line) => line.message)).not.toContain('Original does not exist and has no copies');
});

test('an animated GIF keeps its frames when animation is kept, and a JPEG output format gives it WebP copies', async () => {
  // GIVEN
  const handler = loadHandler({ resizedBucket, topicArn: topic.arn, format: 'jpeg', animation: 'keep' });
  const frames = await Promise.all([[255, 0, 0], [0, 255, 0], [0, 0, 255]].map(([r, g, b]) =>
    sharp({ create: { width: 400, height: 300, channels: 3, background: { r, g, b } } }).png().toBuffer()));
  const gif = await sharp(frames, { join: { animated: true } }).gif({ delay: [100, 100, 100] }).toBuffer();

  // WHEN
  const [notification] = await resizedOnce(handler, 'spinner.gif', gif);

  // THEN
  expect(notification.document).toMatchObject({
    status: 'resized',
    sizes: [
      { name: 'thumb', key: 'thumb/spinner.webp', contentType: 'image/webp', width: 160, height: 160 },
      { name: 'medium', key: 'medium/spinner.webp', contentType: 'image/webp', width: 400, height: 300 },
    ],
  });
  const thumb = await readObject(resizedBucket, resizedKey('thumb', 'spinner.gif', 'webp'));
  expect(thumb.contentType).toBe('image/webp');
  expect(await sharp(thumb.data).metadata()).toMatchObject({ format: 'webp', pages: 3, width: 160, height: 160 });
});

describe('keys that XML 1.0 cannot carry, and keys that must be decoded from a listing', () => {
  test.each([
    ['a C0 control character', '\x10ctl.jpg'],
    ['U+FFFF', 'end\uFFFF.jpg'],
    ['spaces, +, % and non-ASCII characters', 'a+b c%20d 100% 写真.jpg'],
  ])('with %s, a deleted original\'s copies are removed, announced once', async (_case, key) => {
    // GIVEN
    const handler = loadHandler({ resizedBucket, topicArn: topic.arn });
    await resizedOnce(handler, key, await image('jpeg', 400, 300));
    expect(await listKeys(resizedBucket)).toEqual(copyKeys(key));

    // WHEN
    await upload.remove(key);
    const response = await handler(sqsEvent(...await upload.notifications(1)), lambdaContext);

    // THEN
    expect(response.batchItemFailures).toEqual([]);
    expect(await listKeys(resizedBucket)).toEqual([]);
    const [notification] = await topic.received(1);
    expect(notification.document).toEqual({
      status: 'deleted',
      bucket: upload.bucket,
      key,
      removed: SIZES.map((size) => ({ name: size.name, bucket: resizedBucket, key: resizedKey(size.name, key, 'jpg') })),
    });
    expect(await topic.receivedNothing()).toBe(true);
  });

  test.each([
    ['a C0 control character', '\x10ctl.jpg'],
    ['U+FFFE', 'end\uFFFE.jpg'],
  ])('with %s, an original replaced by an empty file loses its copies, and the failure is announced once', async (_case, key) => {
    // GIVEN
    const handler = loadHandler({ resizedBucket, topicArn: topic.arn });
    await resizedOnce(handler, key, await image('jpeg', 400, 300));
    expect(await listKeys(resizedBucket)).toEqual(copyKeys(key));

    // WHEN
    await upload.upload(key, Buffer.alloc(0));
    const response = await handler(sqsEvent(...await upload.notifications(1)), lambdaContext);

    // THEN
    expect(response.batchItemFailures).toEqual([]);
    expect(await listKeys(resizedBucket)).toEqual([]);
    const [notification] = await topic.received(1);
    expect(notification.document).toMatchObject({ status: 'failed', key, reason: 'empty' });
    expect(await topic.receivedNothing()).toBe(true);
  });

  function copyKeys(key: string): string[] {
    return SIZES.map((size) => resizedKey(size.name, key, 'jpg')).sort();
  }
});

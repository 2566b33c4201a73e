/**
 * Bad and unusual uploads, end to end on the local pipeline with the shipped bundle: each gets its documented
 * outcome, and none holds up a good image. The workers reach moto through a proxy that enforces S3's key and
 * metadata limits, which moto does not, so an upload that could not be stored on AWS cannot be stored here.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { Duration } from 'aws-cdk-lib';
import sharp from 'sharp';
import { FaultProxy } from '../local/fault-proxy';
import { checkResized } from '../local/output-check';
import { eventually, listKeys, queueDepth, uploadThroughApi } from '../local/pipeline-probes';
import { MAX_KEY_BYTES, MAX_USER_METADATA_BYTES, s3LimitRules } from '../local/s3-limits';
import { Animation, OutputFormat } from '../src';
import { BAD_UPLOADS } from './support/bad-uploads';
import { corpusPhoto } from './support/corpus';
import { Harness, Outcome, startHarness } from './support/pipeline-harness';
import {
  animated, halfTransparent, heicHeader, maxChannelDifference, noise, pixelAt, pngClaiming,
  quadrantsOf, slowAnimatedWebp, solid, storedWithOrientation,
} from './support/test-images';
import { ENV } from '../src/handler/config';
import { resizedKey } from '../src/handler/keys';

const SAMPLES = path.join(__dirname, '..', 'samples');
/** 5640 x 3172, 16 MB: over API Gateway's 10 MB, so it goes straight to the bucket as POST /upload-url would put it. */
const LARGEST_PHOTO = corpusPhoto('Elephants_5640x3172.jpg');
const OUTCOME_WITHIN_MS = 45_000;

function sample(name: string): Buffer {
  return readFileSync(path.join(SAMPLES, name));
}

function expectFailed(outcome: Outcome, reason: string, message: RegExp): void {
  expect(outcome).toMatchObject({ status: 'failed', reason, message: expect.stringMatching(message) });
}

describe('hostile inputs on the local pipeline', () => {
  let proxy: FaultProxy;
  let harness: Harness;
  let maxInputPixels: number;

  beforeAll(async () => {
    proxy = await FaultProxy.start(process.env.MOTO_ENDPOINT!);
    for (const rule of s3LimitRules()) {
      proxy.inject(rule);
    }
    harness = await startHarness({
      nameSuffix: '-hostile',
      functionEndpoint: proxy.url,
      // A record that fails comes back 10 s after its invocation rather than 6 minutes after its receive, so one
      // that would end in the dead-letter queue gets there within a test.
      visibilityTimeoutSeconds: 10,
    });
    maxInputPixels = Number(harness.pipeline.functionEnvironment[ENV.maxInputPixels]);
  });

  afterAll(async () => {
    await harness?.stop();
    await proxy?.stop();
  });

  /** The outcome, after checking it was reached in one attempt: a permanent failure is never retried. */
  async function settledOnce(key: string): Promise<Outcome> {
    const outcome = await harness.outcome(key, OUTCOME_WITHIN_MS);
    expect((await harness.finishedAttempts(key)).length).toBe(1);
    expect(harness.failuresFor(key)).toBe(0);
    return outcome;
  }

  describe('each bad upload is refused once, with a notification that names it and says why', () => {
    test.each(BAD_UPLOADS)('%s', async (_case, name, make, reason, message) => {
      // GIVEN
      const key = `bad/${name}`;
      const body = await make();

      // WHEN
      const response = await uploadThroughApi(harness.pipeline, key, body);

      // THEN
      expect(response.status).toBe(200);
      const outcome = await settledOnce(key);
      expectFailed(outcome, reason, message);
      expect(harness.receiver.received.find((n) => n.document.key === key)?.subject).toBe(`Could not resize: ${name}`);
      const original = await harness.pipeline.clients.s3.send(new HeadObjectCommand({ Bucket: harness.pipeline.uploadBucket, Key: key }));
      expect(original.ContentLength).toBe(body.length);
      expect(await harness.copiesOf(key)).toEqual([]);
    });
  });

  test('a good image replaced by a bad one under the same key loses its copies, so no stale link outlives it', async () => {
    // GIVEN
    const key = 'replaced/holiday.jpg';
    await uploadThroughApi(harness.pipeline, key, sample('landscape.jpg'));
    expect(await harness.outcome(key, OUTCOME_WITHIN_MS)).toMatchObject({ status: 'resized' });
    expect(await harness.copiesOf(key)).toHaveLength(harness.sizes.length);

    // WHEN
    await uploadThroughApi(harness.pipeline, key, Buffer.from('not a picture any more'));

    // THEN
    const outcome = await harness.outcome(key, OUTCOME_WITHIN_MS, (document) => document.status === 'failed');
    expectFailed(outcome, 'not-an-image', /not an image/);
    expect(await harness.copiesOf(key)).toEqual([]);
  });

  test('bad uploads in the same batches as good ones hold none of them up', async () => {
    // GIVEN every kind of bad upload and as many good ones wait on the queue together
    const bad: Array<[string, Buffer]> = [
      ['mixed/text.jpg', Buffer.from('plain text')],
      ['mixed/empty.png', Buffer.alloc(0)],
      ['mixed/truncated.jpg', (await noise(300, 200).jpeg().toBuffer()).subarray(0, 5_000)],
      ['mixed/bomb.png', pngClaiming(await solid(16, 16, [9, 9, 9]).png().toBuffer(), 30_000, 30_000)],
      ['mixed/heic.jpg', heicHeader()],
    ];
    const good: Array<[string, Buffer]> = ['landscape.jpg', 'transparent.png', 'rings.webp', 'portrait-exif6.jpg', 'landscape.jpg']
      .map((file, i) => [`mixed/good-${i}-${file}`, sample(file)]);
    await harness.pipeline.disableEventSource();
    for (let i = 0; i < bad.length; i++) {
      for (const [key, body] of [bad[i], good[i]]) {
        expect((await uploadThroughApi(harness.pipeline, key, body)).status).toBe(200);
      }
    }
    await eventually('the ten events on the queue', 10_000, async () =>
      ((await queueDepth(harness.pipeline.clients.sqs, harness.pipeline.queueUrl)).visible >= 10 ? true : undefined));

    // WHEN
    harness.pipeline.enableEventSource();

    // THEN
    for (const [key] of good) {
      expect(await harness.outcome(key, OUTCOME_WITHIN_MS)).toMatchObject({ status: 'resized' });
    }
    for (const [key] of bad) {
      expect(await harness.outcome(key, OUTCOME_WITHIN_MS)).toMatchObject({ status: 'failed' });
    }
    for (const [key] of [...bad, ...good]) {
      expect([(await harness.finishedAttempts(key)).length, harness.failuresFor(key)]).toEqual([1, 0]);
    }
  });

  describe('the pixel limit (maxInputPixels)', () => {
    /** A real, decodable single-colour PNG: a few hundred kilobytes that decode to hundreds of megabytes. */
    async function pngOf(pixels: number): Promise<{ body: Buffer; width: number; height: number }> {
      const width = 10_000;
      const height = Math.ceil(pixels / width);
      const body = await solid(width, height, [40, 90, 140]).png({ compressionLevel: 9 }).toBuffer();
      return { body, width, height };
    }

    test('an image with more pixels than the limit is refused from its header', async () => {
      // GIVEN
      const { body, width, height } = await pngOf(maxInputPixels + 1);
      expect(width * height).toBeGreaterThan(maxInputPixels);
      expect(body.length).toBeLessThan(1024 * 1024);

      // WHEN
      await uploadThroughApi(harness.pipeline, 'limit/over.png', body);

      // THEN
      expectFailed(await settledOnce('limit/over.png'), 'too-many-pixels',
        new RegExp(`${width} x ${height} pixels .* more than the ${(maxInputPixels / 1e6).toFixed(1)} megapixels`));
    });

    test('an image with exactly the limit\'s pixels is resized', async () => {
      // GIVEN
      const { body, width, height } = await pngOf(maxInputPixels);
      expect(width * height).toBe(maxInputPixels);

      // WHEN
      await uploadThroughApi(harness.pipeline, 'limit/at.png', body);

      // THEN
      const outcome = await settledOnce('limit/at.png');
      expect(outcome).toMatchObject({ status: 'resized', input: { format: 'png', width, height } });
    });
  });

  describe('a photograph over API Gateway\'s 10 MB', () => {
    test('is resized when it is put straight into the bucket', async () => {
      // GIVEN
      const photo = readFileSync(LARGEST_PHOTO);
      expect(photo.length).toBeGreaterThan(10 * 1024 * 1024);

      // WHEN
      await harness.putStraight('large/elephants.jpg', photo);

      // THEN
      const outcome = await settledOnce('large/elephants.jpg');
      expect(outcome).toMatchObject({ status: 'resized', input: { format: 'jpeg', width: 5640, height: 3172 } });
      const checks = await checkResized(photo, outcome as Extract<Outcome, { status: 'resized' }>, harness.sizes);
      expect(checks.map((c) => [c.size.name, c.problems])).toEqual(harness.sizes.map((s) => [s.name, []]));
    });

    test.each([
      ['that photograph', () => readFileSync(LARGEST_PHOTO)],
      ['an 11 MB body', () => Buffer.alloc(11 * 1024 * 1024, 0xff)],
    ])('%s sent through the API is answered 413 with a message that says what to do, and nothing is stored', async (_case, make) => {
      // WHEN
      const response = await uploadThroughApi(harness.pipeline, 'too-large/upload.jpg', make());

      // THEN
      expect(response.status).toBe(413);
      expect(await response.json()).toEqual({ message: expect.stringMatching(/10 MB.*POST \/upload-url/) });
      expect(await listKeys(harness.pipeline.clients.s3, harness.pipeline.uploadBucket, 'too-large/')).toEqual([]);
    });
  });

  describe('unusual images come out as 8-bit sRGB JPEGs', () => {
    test.each(['gif', 'webp'] as const)('an animated %s gives its first frame', async (format) => {
      // GIVEN red, then blue; frames.gif and frames.webp would share JPEG copies' names, so each has a stem of its own
      const key = `animated/frames-${format}.${format}`;
      const input = await animated(format, 400, 300);
      expect((await sharp(input).metadata()).pages).toBe(2);

      // WHEN
      await uploadThroughApi(harness.pipeline, key, input);

      // THEN
      expect(await settledOnce(key)).toMatchObject({ status: 'resized', input: { format, width: 400, height: 300 } });
      for (const copy of await harness.copiesOf(key)) {
        const data = await harness.readCopy(copy);
        expect((await sharp(data).metadata()).pages ?? 1).toBe(1);
        expect(maxChannelDifference(await pixelAt(data, 10, 10), [255, 0, 0])).toBeLessThan(16);
      }
    });

    test.each([
      ['a CMYK JPEG', 'cmyk.jpg', () => solid(300, 200, [200, 100, 50]).toColourspace('cmyk').jpeg({ quality: 100 }).toBuffer(), 'cmyk'],
      ['a 16-bit PNG', '16-bit.png', () => solid(300, 200, [200, 100, 50]).toColourspace('rgb16').png().toBuffer(), 'rgb16'],
      ['a greyscale JPEG', 'grey.jpg', () => solid(300, 200, [90, 90, 90]).toColourspace('b-w').jpeg({ quality: 100 }).toBuffer(), 'b-w'],
      ['a JPEG with a Display P3 profile', 'p3.jpg', () => solid(300, 200, [200, 100, 50]).withIccProfile('p3').jpeg({ quality: 100 }).toBuffer(), 'srgb'],
    ])('%s', async (_case, name, make, space) => {
      // GIVEN
      const key = `colour/${name}`;
      const input = await make();
      expect((await sharp(input).metadata()).space).toBe(space);
      // sharp's own rendering of the input in sRGB, which each copy must show.
      const expected = [...(await sharp(input).toColourspace('srgb').raw().toBuffer()).subarray(0, 3)];

      // WHEN
      await uploadThroughApi(harness.pipeline, key, input);

      // THEN
      expect(await settledOnce(key)).toMatchObject({ status: 'resized' });
      const copies = await harness.copiesOf(key);
      expect(copies).toHaveLength(harness.sizes.length);
      for (const copy of copies) {
        const data = await harness.readCopy(copy);
        const written = await sharp(data).metadata();
        expect([written.format, written.space, written.channels, written.depth, written.icc]).toEqual(['jpeg', 'srgb', 3, 'uchar', undefined]);
        expect(maxChannelDifference(await pixelAt(data, 20, 20), expected)).toBeLessThanOrEqual(4);
      }
    });

    test('transparency is flattened onto white, JPEG having none', async () => {
      // GIVEN
      const key = 'colour/alpha.png';

      // WHEN
      await uploadThroughApi(harness.pipeline, key, await halfTransparent(300, 200).png().toBuffer());

      // THEN
      expect(await settledOnce(key)).toMatchObject({ status: 'resized' });
      const medium = await harness.readCopy(resizedKey('medium', key, 'jpg'));
      expect((await sharp(medium).metadata()).channels).toBe(3);
      expect(maxChannelDifference(await pixelAt(medium, 20, 100), [255, 255, 255])).toBeLessThanOrEqual(3);
      expect(maxChannelDifference(await pixelAt(medium, 280, 100), [255, 0, 0])).toBeLessThanOrEqual(6);
    });

    test.each([1, 2, 3, 4, 5, 6, 7, 8])('EXIF orientation %i comes out upright in every size', async (orientation) => {
      // GIVEN
      const key = `orientation/${orientation}.jpg`;
      const input = await storedWithOrientation(orientation);

      // WHEN
      await uploadThroughApi(harness.pipeline, key, input);

      // THEN
      const outcome = await settledOnce(key);
      expect(outcome).toMatchObject({ status: 'resized', input: { width: 64, height: 48 } });
      const checks = await checkResized(input, outcome as Extract<Outcome, { status: 'resized' }>, harness.sizes);
      expect(checks.flatMap((c) => c.problems)).toEqual([]);
      for (const copy of await harness.copiesOf(key)) {
        const data = await harness.readCopy(copy);
        expect(await quadrantsOf(data)).toEqual([0, 1, 2, 3]);
        expect((await sharp(data).metadata()).orientation).toBeUndefined();
      }
    });
  });

  describe('keys', () => {
    test.each([
      'spaces and plus/my holiday + family.jpg',
      'percent/100% sure.jpg',
      'percent/%20 is not a space.jpg',
      'non-ascii/été à Zürich 写真 📷.jpg',
    ])('"%s" is stored, resized and reported under exactly that key', async (key) => {
      // WHEN
      const response = await uploadThroughApi(harness.pipeline, key, sample('landscape.jpg'));

      // THEN
      expect(await response.json()).toEqual({ bucket: harness.pipeline.uploadBucket, key });
      expect(await settledOnce(key)).toMatchObject({ status: 'resized', key });
      expect((await harness.copiesOf(key)).sort()).toEqual(harness.sizes.map((size) => resizedKey(size.name, key, 'jpg')).sort());
    });

    /** The longest key for which every copy's key, `{size}/{key}`, is within S3's limit too. */
    function longestCopyableKeyBytes(): number {
      return MAX_KEY_BYTES - Math.max(...harness.sizes.map((size) => size.name.length + 1));
    }

    function keyOfBytes(bytes: number, stem: string): string {
      const key = `long/${stem.repeat(bytes)}`.slice(0, bytes - 4) + '.jpg';
      expect(Buffer.byteLength(key)).toBe(bytes);
      return key;
    }

    test('the longest ASCII key whose copies fit in S3\'s 1,024 bytes is resized', async () => {
      // GIVEN
      const key = keyOfBytes(longestCopyableKeyBytes(), 'a');

      // WHEN
      await harness.putStraight(key, sample('landscape.jpg'));

      // THEN
      expect(await harness.outcome(key, OUTCOME_WITHIN_MS)).toMatchObject({ status: 'resized', key });
      expect(await harness.copiesOf(key)).toHaveLength(harness.sizes.length);
    });

    test('a 700-byte key of Japanese words and spaces, well within S3\'s limits, is resized', async () => {
      // GIVEN
      const key = `long/${'夏休み 北海道 '.repeat(41)}.jpg`;
      expect(Buffer.byteLength(key)).toBeLessThan(longestCopyableKeyBytes());

      // WHEN
      await harness.putStraight(key, sample('landscape.jpg'));

      // THEN
      expect(await harness.outcome(key, OUTCOME_WITHIN_MS)).toMatchObject({ status: 'resized', key });
    });

    test('a key of the full 1,024 bytes, too long for its copies\' keys, gets a failure notification, not the dead-letter queue', async () => {
      // GIVEN
      const key = keyOfBytes(MAX_KEY_BYTES, 'b');

      // WHEN
      await harness.putStraight(key, sample('landscape.jpg'));

      // THEN
      expect(await harness.outcome(key, OUTCOME_WITHIN_MS)).toMatchObject({ status: 'failed', key });
      expect(await harness.copiesOf(key)).toEqual([]);
    });

    test('an upload whose copies would replace another upload\'s is refused, and the other keeps its copies', async () => {
      // GIVEN a red PNG resized to JPEG copies under the names clash/cat.jpg would take
      const first = 'clash/cat.png';
      await uploadThroughApi(harness.pipeline, first, await solid(600, 400, [255, 0, 0]).png().toBuffer());
      expect(await settledOnce(first)).toMatchObject({ status: 'resized' });
      const medium = resizedKey('medium', first, 'jpg');
      expect(medium).toBe(resizedKey('medium', 'clash/cat.jpg', 'jpg'));

      // WHEN a blue JPEG arrives as clash/cat.jpg
      const second = 'clash/cat.jpg';
      await uploadThroughApi(harness.pipeline, second, await solid(400, 600, [0, 0, 255]).jpeg().toBuffer());

      // THEN
      expectFailed(await settledOnce(second), 'name-taken', /would replace ".*clash\/cat\.jpg", which is a copy of another upload/);
      const kept = await harness.readCopy(medium);
      expect(await sharp(kept).metadata()).toMatchObject({ width: 600, height: 400 });
      expect(maxChannelDifference(await pixelAt(kept, 300, 200), [255, 0, 0])).toBeLessThanOrEqual(6);
      expect(await harness.copiesOf(first)).toHaveLength(harness.sizes.length);
    });
  });

  test('an original whose uploader is too long for its copies\' metadata gets a failure notification, not the dead-letter queue', async () => {
    // GIVEN an uploader the original's metadata holds within S3's 2 KB, but not with what each copy adds to it
    const uploader = `arn:aws:iam::123456789012:user/${'u'.repeat(1_969)}`;
    expect(Buffer.byteLength(`uploader${uploader}`)).toBe(2_008);
    expect(2_008).toBeLessThanOrEqual(MAX_USER_METADATA_BYTES);
    const key = 'metadata/long-uploader.jpg';
    await harness.subscribeAs(uploader);

    // WHEN
    await harness.putStraight(key, sample('landscape.jpg'), uploader);

    // THEN
    expectFailed(await harness.outcome(key, OUTCOME_WITHIN_MS), 'uploader-too-long', /2,000 bytes.* at most 1,8\d\d bytes/);
    expect([(await harness.finishedAttempts(key)).length, harness.failuresFor(key)]).toEqual([1, 0]);
    expect(await harness.copiesOf(key)).toEqual([]);
  });

  describe('timing', () => {
    test('the same key uploaded twice in quick succession ends with the copies of the second upload', async () => {
      // GIVEN
      const key = 'twice/photo.jpg';
      const [first, second] = [sample('landscape.jpg'), sample('portrait-exif6.jpg')];

      // WHEN
      await uploadThroughApi(harness.pipeline, key, first);
      await uploadThroughApi(harness.pipeline, key, second);

      // THEN both events are processed...
      await eventually('both events processed', OUTCOME_WITHIN_MS, async () => (harness.successesFor(key) >= 2 ? true : undefined));
      // ...and what is left is the second image in every size.
      const large = await harness.readCopy(resizedKey('large', key, 'jpg'));
      expect(await sharp(large).metadata()).toMatchObject({ width: 1200, height: 1600 });
      const last = harness.receiver.received.filter((n) => n.document.key === key).at(-1)!.document;
      expect(last).toMatchObject({ status: 'resized', input: { width: 1200, height: 1600 } });
    });

    test('a burst of uploads of one image under different keys: every one is resized, each copy byte for byte the same', async () => {
      // GIVEN
      const body = sample('landscape.jpg');
      const keys = Array.from({ length: 40 }, (_, i) => `burst/copy-${String(i).padStart(2, '0')}.jpg`);

      // WHEN
      const responses = await Promise.all(keys.map((key) => uploadThroughApi(harness.pipeline, key, body)));

      // THEN
      expect(responses.map((r) => r.status)).toEqual(keys.map(() => 200));
      for (const key of keys) {
        expect(await harness.outcome(key, OUTCOME_WITHIN_MS)).toMatchObject({ status: 'resized' });
      }
      for (const size of harness.sizes) {
        const copies = await Promise.all(keys.map((key) => harness.readCopy(resizedKey(size.name, key, 'jpg'))));
        expect(new Set(copies.map((copy) => copy.toString('base64'))).size).toBe(1);
      }
      // Each key with a receive left on the queue, with what the function logged about it, so a failure says why.
      const failed = keys.filter((key) => harness.failuresFor(key) > 0);
      expect(failed.map((key) => ({ key, logged: harness.functionLog.filter((line) => line.includes(key)) }))).toEqual([]);
    });
  });
});

describe('hostile inputs on a pipeline whose outputs keep the input format', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ nameSuffix: '-hostile-same', pipelineProps: { outputFormat: OutputFormat.SAME_AS_INPUT } });
  });

  afterAll(async () => {
    await harness?.stop();
  });

  test.each([
    ['a PNG', 'alpha.png', () => halfTransparent(300, 200).png().toBuffer(), 'png'],
    ['a WebP', 'alpha.webp', () => halfTransparent(300, 200).webp({ lossless: true }).toBuffer(), 'webp'],
    ['a 16-bit PNG', 'alpha-16.png', () => halfTransparent(300, 200).toColourspace('rgb16').png().toBuffer(), 'png'],
  ])('%s with transparency keeps it, in 8 bits a channel', async (_case, name, make, format) => {
    // GIVEN
    const key = `alpha/${name}`;

    // WHEN
    await uploadThroughApi(harness.pipeline, key, await make());

    // THEN
    expect(await harness.outcome(key, OUTCOME_WITHIN_MS)).toMatchObject({ status: 'resized' });
    const medium = await harness.readCopy(resizedKey('medium', key, format));
    const written = await sharp(medium).metadata();
    expect([written.format, written.space, written.depth, written.hasAlpha]).toEqual([format, 'srgb', 'uchar', true]);
    expect((await pixelAt(medium, 20, 100))[3]).toBe(0);
    expect(maxChannelDifference(await pixelAt(medium, 280, 100), [255, 0, 0, 255])).toBeLessThanOrEqual(6);
  });

  test('an animated GIF gives a one-frame GIF of its first frame', async () => {
    // GIVEN
    const key = 'animated/frames.gif';

    // WHEN
    await uploadThroughApi(harness.pipeline, key, await animated('gif', 400, 300));

    // THEN
    expect(await harness.outcome(key, OUTCOME_WITHIN_MS)).toMatchObject({ status: 'resized' });
    const medium = await harness.readCopy(resizedKey('medium', key, 'gif'));
    expect((await sharp(medium).metadata()).pages ?? 1).toBe(1);
    expect(maxChannelDifference((await pixelAt(medium, 10, 10)).slice(0, 3), [255, 0, 0])).toBeLessThan(16);
  });
});

describe('hostile inputs on a pipeline whose maxUploadBytes is below API Gateway\'s 10 MB', () => {
  const MAX_UPLOAD_BYTES = 40_000;
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ nameSuffix: '-hostile-small', pipelineProps: { maxUploadBytes: MAX_UPLOAD_BYTES } });
  });

  afterAll(async () => {
    await harness?.stop();
  });

  test('PUT /upload-image stores a file over maxUploadBytes and answers 200; the function then refuses it as too-many-bytes', async () => {
    // GIVEN
    const [over, under] = [sample('landscape.jpg'), sample('portrait-exif6.jpg')];
    expect([over.length > MAX_UPLOAD_BYTES, under.length <= MAX_UPLOAD_BYTES]).toEqual([true, true]);

    // WHEN
    const responses = [
      await uploadThroughApi(harness.pipeline, 'limit/over.jpg', over),
      await uploadThroughApi(harness.pipeline, 'limit/under.jpg', under),
    ];

    // THEN
    expect(responses.map((response) => response.status)).toEqual([200, 200]);
    expectFailed(await harness.outcome('limit/over.jpg', OUTCOME_WITHIN_MS), 'too-many-bytes', /more than the .* this pipeline reads/);
    expect(await harness.copiesOf('limit/over.jpg')).toEqual([]);
    expect(await harness.outcome('limit/under.jpg', OUTCOME_WITHIN_MS)).toMatchObject({ status: 'resized' });
  });
});

describe('hostile inputs on a pipeline that keeps animations, with a 3 s timeout', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({
      nameSuffix: '-hostile-slow',
      pipelineProps: { animation: Animation.KEEP, outputFormat: OutputFormat.SAME_AS_INPUT, timeout: Duration.seconds(3) },
    });
  });

  afterAll(async () => {
    await harness?.stop();
  });

  test('an animation that takes longer to resize than the function has is stopped, refused and not retried; the next upload is resized', async () => {
    // GIVEN seconds of work for the first record of an invocation that has 3 s in all
    const slow = await slowAnimatedWebp();

    // WHEN
    await uploadThroughApi(harness.pipeline, 'slow/frames.webp', slow);
    const outcome = await harness.outcome('slow/frames.webp', OUTCOME_WITHIN_MS);
    await uploadThroughApi(harness.pipeline, 'slow/after.jpg', await noise(400, 300).jpeg().toBuffer());

    // THEN
    expectFailed(outcome, 'takes-too-long', /^The image takes longer to resize than the [12] s this pipeline gives one upload, so it was stopped/);
    expect(harness.failuresFor('slow/frames.webp')).toBe(0);
    expect(await harness.copiesOf('slow/frames.webp')).toEqual([]);
    expect(await harness.outcome('slow/after.jpg', OUTCOME_WITHIN_MS)).toMatchObject({ status: 'resized' });
  });
});

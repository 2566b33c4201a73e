/**
 * `animation: 'keep'`: animated GIF and WebP uploads come out animated, every frame resized. The animations are
 * made here with sharp from solid frames, so each frame's colour says which frame it is.
 */
import sharp from 'sharp';
import { fixedSequence } from './support/fixed-sequence';
import { gifOf, noiseIndices } from './support/gif-writer';
import { SizeSpec } from '../src/handler/config';
import { ImageRejectedError, resizeImage, ResizeOptions } from '../src/handler/image-core';
import * as outputEncoding from '../src/handler/output-encoding';

type Rgb = [number, number, number];

const RED: Rgb = [255, 0, 0];
const GREEN: Rgb = [0, 255, 0];
const BLUE: Rgb = [0, 0, 255];

const SIZES: SizeSpec[] = [
  { name: 'thumb', width: 64, height: 64, fit: 'cover' },
  { name: 'boxed', width: 100, height: 100, fit: 'contain' },
  { name: 'medium', width: 200, fit: 'inside' },
  { name: 'large', width: 1600, fit: 'inside' },
];

const KEEP: ResizeOptions = { sizes: SIZES, format: 'same-as-input', quality: 80, maxInputPixels: 40_000_000, animation: 'keep' };

/** One solid frame per colour, 100 ms each, looping for ever. */
async function animation(format: 'gif' | 'webp', colours: Rgb[], width = 300, height = 200): Promise<Buffer> {
  const frames = await Promise.all(colours.map(([r, g, b]) =>
    sharp({ create: { width, height, channels: 3, background: { r, g, b } } }).png().toBuffer()));
  const delay = colours.map(() => 100);
  const joined = sharp(frames, { join: { animated: true } });
  return (format === 'gif' ? joined.gif({ delay, loop: 0 }) : joined.webp({ delay, loop: 0, quality: 90 })).toBuffer();
}

/** Each frame of an animation, decoded on its own. */
async function framesOf(data: Buffer): Promise<Array<{ width: number; height: number; mean: number[] }>> {
  const { pages = 1 } = await sharp(data).metadata();
  return Promise.all(Array.from({ length: pages }, async (_, page) => {
    const frame = sharp(data, { page });
    const { width, height } = await frame.metadata();
    const { channels } = await frame.stats();
    return { width: width!, height: height!, mean: channels.slice(0, 3).map((channel) => Math.round(channel.mean)) };
  }));
}

/** The dimensions a still resize of one frame has: what each frame of the animation must have too. */
async function stillDimensions(width: number, height: number, size: SizeSpec): Promise<[number, number]> {
  const { info } = await sharp({ create: { width, height, channels: 3, background: 'white' } })
    .resize(size.width, size.height, { fit: size.fit, withoutEnlargement: true })
    .toBuffer({ resolveWithObject: true });
  return [info.width, info.height];
}

function expectColour(actual: number[], expected: Rgb, tolerance: number): void {
  actual.forEach((value, i) => expect(Math.abs(value - expected[i])).toBeLessThanOrEqual(tolerance));
}

test.each(['gif', 'webp'] as const)('an animated %s keeps every frame in every size, each frame at a still resize\'s dimensions', async (format) => {
  // GIVEN
  const input = await animation(format, [RED, GREEN, BLUE]);

  // WHEN
  const result = await resizeImage(input, KEEP);

  // THEN
  expect(result.input).toEqual({ format, width: 300, height: 200 });
  expect(result.outputs).toHaveLength(SIZES.length);
  for (const [index, output] of result.outputs.entries()) {
    const [width, height] = await stillDimensions(300, 200, SIZES[index]);
    expect(output).toMatchObject({ name: SIZES[index].name, width, height, format, extension: format, contentType: `image/${format}` });
    const metadata = await sharp(output.data).metadata();
    expect(metadata).toMatchObject({ format, pages: 3, width, height, delay: [100, 100, 100], loop: 0 });
    const frames = await framesOf(output.data);
    expect(frames.map((frame) => [frame.width, frame.height])).toEqual([[width, height], [width, height], [width, height]]);
    if (SIZES[index].fit !== 'contain') {
      frames.forEach((frame, i) => expectColour(frame.mean, [RED, GREEN, BLUE][i], 16));
    }
  }
});

// sharp rounds an animation's frame height half to even, a still's half up: 480 / (640 / 150) = 112.5 became 112.
test.each<[string, SizeSpec, [number, number]]>([
  ['width 150', { name: 'narrow', width: 150, fit: 'inside' }, [150, 113]],
  ['150 x 150 inside', { name: 'square', width: 150, height: 150, fit: 'inside' }, [150, 113]],
  ['width 214', { name: 'wider', width: 214, fit: 'inside' }, [214, 161]],
])('a 640 x 480 animated GIF at %s has a still resize\'s dimensions where its frame height is a half', async (_box, size, expected) => {
  // GIVEN
  const input = await animation('gif', [RED, GREEN, BLUE], 640, 480);
  expect(await stillDimensions(640, 480, size)).toEqual(expected);

  // WHEN
  const [output] = (await resizeImage(input, { ...KEEP, sizes: [size] })).outputs;

  // THEN
  expect([output.width, output.height]).toEqual(expected);
  const frames = await framesOf(output.data);
  expect(frames.map((frame) => [frame.width, frame.height])).toEqual([expected, expected, expected]);
  frames.forEach((frame, i) => expectColour(frame.mean, [RED, GREEN, BLUE][i], 16));
});

test.each([
  ['jpeg', 'gif'],
  ['avif', 'webp'],
  ['webp', 'gif'],
] as const)('with the output format %s an animated %s becomes an animated WebP', async (outputFormat, inputFormat) => {
  // GIVEN
  const input = await animation(inputFormat, [RED, BLUE]);

  // WHEN
  const result = await resizeImage(input, { ...KEEP, format: outputFormat, sizes: [SIZES[0]] });

  // THEN
  const [output] = result.outputs;
  expect(output).toMatchObject({ format: 'webp', extension: 'webp', contentType: 'image/webp', width: 64, height: 64 });
  expect(await sharp(output.data).metadata()).toMatchObject({ format: 'webp', pages: 2, width: 64, height: 64 });
});

test('a still image takes the still path when animation is kept: JPEG stays JPEG', async () => {
  // GIVEN
  const input = await sharp({ create: { width: 300, height: 200, channels: 3, background: { r: 0, g: 0, b: 255 } } }).jpeg().toBuffer();

  // WHEN
  const result = await resizeImage(input, { ...KEEP, format: 'jpeg', sizes: [SIZES[0]] });

  // THEN
  expect(result.outputs[0]).toMatchObject({ format: 'jpeg', width: 64, height: 64 });
  expect((await sharp(result.outputs[0].data).metadata()).pages ?? 1).toBe(1);
});

test('the pixel limit counts every frame of a kept animation, and only the first of one that is not', async () => {
  // GIVEN 3 frames of 100 x 50: 5,000 pixels each, 15,000 in all
  const input = await animation('gif', [RED, GREEN, BLUE], 100, 50);
  const limit = 10_000;

  // WHEN
  const kept = await resizeImage(input, { ...KEEP, maxInputPixels: limit }).then(() => undefined, (error: unknown) => error);
  const firstFrame = await resizeImage(input, { ...KEEP, maxInputPixels: limit, animation: 'first-frame' });

  // THEN
  expect(kept).toBeInstanceOf(ImageRejectedError);
  expect((kept as ImageRejectedError).reason).toBe('too-many-pixels');
  expect((kept as ImageRejectedError).message).toBe(
    'The animation is 100 x 50 pixels in 3 frames (15000 pixels in all), more than the 10000 pixels this pipeline ' +
    'accepts. Upload a smaller image.');
  expect((await sharp(firstFrame.outputs[0].data).metadata()).pages ?? 1).toBe(1);
});

/** Red and blue frames of 4 x 4 by turns: the GIF encoder merges a frame into the one before when they are alike. */
async function alternatingFrames(count: number): Promise<Buffer> {
  const [red, blue] = await Promise.all([RED, BLUE].map(([r, g, b]) =>
    sharp({ create: { width: 4, height: 4, channels: 3, background: { r, g, b } } }).png().toBuffer()));
  return sharp(Array.from({ length: count }, (_, index) => index % 2 === 0 ? red : blue), { join: { animated: true } }).gif().toBuffer();
}

test('a kept animation of more than 1,000 frames is refused from its header, and its first frame resized when frames are not kept', async () => {
  // GIVEN 1,001 frames of 4 x 4: 16,016 pixels in all, far under the limit, but resizing them takes time that grows
  // faster than the frame count (50,000 frames of 10 x 10 took about 100 s)
  const input = await alternatingFrames(1001);

  // WHEN
  const kept = await resizeImage(input, KEEP).then(() => undefined, (error: unknown) => error);
  const firstFrame = await resizeImage(input, { ...KEEP, animation: 'first-frame' });

  // THEN
  expect(kept).toBeInstanceOf(ImageRejectedError);
  expect((kept as ImageRejectedError).reason).toBe('too-many-pixels');
  expect((kept as ImageRejectedError).message).toBe(
    'The animation has 1001 frames, more than the 1,000 this pipeline keeps. Upload a shorter animation, or one ' +
    'frame of it as a still image.');
  expect((await sharp(firstFrame.outputs[0].data).metadata()).pages ?? 1).toBe(1);
});

test('a kept animation of exactly 1,000 frames keeps them all', async () => {
  // GIVEN
  const input = await alternatingFrames(1000);
  expect((await sharp(input).metadata()).pages).toBe(1000);

  // WHEN
  const result = await resizeImage(input, { ...KEEP, sizes: [SIZES[0]] });

  // THEN
  expect((await sharp(result.outputs[0].data).metadata()).pages).toBe(1000);
});

test.each([2, 3, 4, 5, 6, 7, 8])('an animated WebP with EXIF orientation %i comes out upright in every frame, as its first frame would', async (orientation) => {
  // GIVEN a 300 x 200 animation whose frames have a white top-left corner, stored with an orientation tag
  const corner = await sharp({ create: { width: 150, height: 100, channels: 3, background: 'white' } }).png().toBuffer();
  const frames = await Promise.all([RED, BLUE].map(([r, g, b]) =>
    sharp({ create: { width: 300, height: 200, channels: 3, background: { r, g, b } } })
      .composite([{ input: corner, left: 0, top: 0 }])
      .png()
      .toBuffer()));
  const input = await sharp(frames, { join: { animated: true } }).withMetadata({ orientation }).webp({ lossless: true }).toBuffer();
  expect((await sharp(input).metadata()).orientation).toBe(orientation);
  const size: SizeSpec = { name: 'medium', width: 120, fit: 'inside' };

  // WHEN
  const [kept] = (await resizeImage(input, { ...KEEP, sizes: [size] })).outputs;
  const [still] = (await resizeImage(input, { ...KEEP, sizes: [size], animation: 'first-frame' })).outputs;

  // THEN both frames are the still's shape, and the white corner is where the still has it
  expect([kept.width, kept.height]).toEqual([still.width, still.height]);
  const keptFrames = await sharp(kept.data, { animated: true }).raw().toBuffer({ resolveWithObject: true });
  const stillPixels = await sharp(still.data).raw().toBuffer({ resolveWithObject: true });
  const frameBytes = kept.width * kept.height * keptFrames.info.channels;
  const quadrantMeans = (pixels: Buffer, channels: number) => [[0, 0], [1, 0], [0, 1], [1, 1]].map(([qx, qy]) => {
    let sum = 0;
    let count = 0;
    for (let y = qy * Math.floor(kept.height / 2) + 2; y < (qy + 1) * Math.floor(kept.height / 2) - 2; y++) {
      for (let x = qx * Math.floor(kept.width / 2) + 2; x < (qx + 1) * Math.floor(kept.width / 2) - 2; x++) {
        sum += pixels[(y * kept.width + x) * channels + 1];
        count++;
      }
    }
    return Math.round(sum / count);
  });
  const whiteQuadrant = (means: number[]) => means.indexOf(Math.max(...means));
  const expected = whiteQuadrant(quadrantMeans(stillPixels.data, stillPixels.info.channels));
  for (const frame of [0, 1]) {
    const pixels = keptFrames.data.subarray(frame * frameBytes, (frame + 1) * frameBytes);
    expect(whiteQuadrant(quadrantMeans(pixels, keptFrames.info.channels))).toBe(expected);
  }
});

// A still resize of a WebP starts from its shrink-on-load, which rounds at 64 x 34 / 4 = 16 x 8.5 to 16 x 8; scaled
// straight from the full frames, an upright 64 x 34 at 16 x 16 `inside` would come out 16 x 9.
test.each([2, 3, 4, 5, 6, 7, 8])('an animated WebP with EXIF orientation %i has a still resize\'s dimensions where WebP shrink-on-load rounds them', async (orientation) => {
  // GIVEN 64 x 34 frames stored with an orientation tag: upright 64 x 34 for 2-4, 34 x 64 for the quarter turns 5-8
  const frames = await Promise.all([RED, BLUE].map(([r, g, b]) =>
    sharp({ create: { width: 64, height: 34, channels: 3, background: { r, g, b } } }).png().toBuffer()));
  const input = await sharp(frames, { join: { animated: true } }).withMetadata({ orientation }).webp({ lossless: true }).toBuffer();
  const size: SizeSpec = { name: 'tiny', width: 16, height: 16, fit: 'inside' };
  const { info: direct } = await sharp(input).autoOrient().resize(16, 16, { fit: 'inside', withoutEnlargement: true })
    .toBuffer({ resolveWithObject: true });
  const expected = orientation < 5 ? [16, 8] : [8, 16];
  expect([direct.width, direct.height]).toEqual(expected);

  // WHEN
  const [kept] = (await resizeImage(input, { ...KEEP, sizes: [size] })).outputs;
  const [still] = (await resizeImage(input, { ...KEEP, sizes: [size], animation: 'first-frame' })).outputs;

  // THEN
  expect([still.width, still.height]).toEqual(expected);
  expect([kept.width, kept.height]).toEqual(expected);
  expect((await framesOf(kept.data)).map((frame) => [frame.width, frame.height])).toEqual([expected, expected]);
});

test('an animated WebP turned upright keeps its own frame delays and loop count, which its raw frames no longer carry', async () => {
  // GIVEN
  const frames = await Promise.all([RED, GREEN, BLUE].map(([r, g, b]) =>
    sharp({ create: { width: 300, height: 200, channels: 3, background: { r, g, b } } }).png().toBuffer()));
  const input = await sharp(frames, { join: { animated: true } }).withMetadata({ orientation: 6 }).webp({ delay: [70, 250, 40], loop: 3 }).toBuffer();
  expect(await sharp(input).metadata()).toMatchObject({ orientation: 6, delay: [70, 250, 40], loop: 3 });

  // WHEN
  const [output] = (await resizeImage(input, { ...KEEP, format: 'webp', sizes: [{ name: 'medium', width: 150, fit: 'inside' }] })).outputs;

  // THEN
  expect(await sharp(output.data).metadata()).toMatchObject({ pages: 3, width: 150, height: 225, delay: [70, 250, 40], loop: 3 });
});

/**
 * The animation with its first frame's delay set to `delay` ms, which sharp will not write above 65,535 ms. GIF
 * counts it in hundredths of a second, in the first Graphic Control Extension (21 F9 04, flags, delay); WebP in
 * milliseconds, 24 bits 20 bytes into the first ANMF chunk.
 */
function withFirstDelay(format: 'gif' | 'webp', data: Buffer, delay: number): Buffer {
  const patched = Buffer.from(data);
  if (format === 'gif') {
    patched.writeUInt16LE(delay / 10, patched.indexOf(Buffer.from([0x21, 0xf9, 0x04])) + 4);
  } else {
    patched.writeUIntLE(delay, patched.indexOf('ANMF') + 20, 3);
  }
  return patched;
}

describe('a frame that shows longer than 65,535 ms', () => {
  const SIZE: SizeSpec[] = [{ name: 'medium', width: 150, fit: 'inside' }];

  test.each(['gif', 'webp'] as const)('in an animated %s is kept at 65,535 ms, the longest sharp writes, and the other frames keep theirs', async (format) => {
    // GIVEN
    const input = withFirstDelay(format, await animation(format, [RED, GREEN, BLUE]), 70_000);
    expect((await sharp(input).metadata()).delay).toEqual([70_000, 100, 100]);

    // WHEN
    const [output] = (await resizeImage(input, { ...KEEP, sizes: SIZE })).outputs;

    // THEN GIF counts hundredths of a second: libvips rounds 65,535 ms to 6,554 of them
    const longest = format === 'gif' ? 65_540 : 65_535;
    expect(await sharp(output.data).metadata()).toMatchObject({ format, pages: 3, width: 150, delay: [longest, 100, 100] });
  });

  test('in an animated WebP turned upright is kept at 65,535 ms too', async () => {
    // GIVEN
    const frames = await Promise.all([RED, GREEN, BLUE].map(([r, g, b]) =>
      sharp({ create: { width: 300, height: 200, channels: 3, background: { r, g, b } } }).png().toBuffer()));
    const oriented = await sharp(frames, { join: { animated: true } }).withMetadata({ orientation: 6 }).webp({ delay: [100, 250, 40] }).toBuffer();
    const input = withFirstDelay('webp', oriented, 70_000);
    expect(await sharp(input).metadata()).toMatchObject({ orientation: 6, delay: [70_000, 250, 40] });

    // WHEN
    const [output] = (await resizeImage(input, { ...KEEP, sizes: SIZE })).outputs;

    // THEN
    expect(await sharp(output.data).metadata()).toMatchObject({ pages: 3, width: 150, height: 225, delay: [65_535, 250, 40] });
  });
});

test('a multi-page TIFF is no animation: with animation kept it takes the still path, its first page as JPEG', async () => {
  // GIVEN a red page, then a blue one
  const pages = await Promise.all([RED, BLUE].map(([r, g, b]) =>
    sharp({ create: { width: 200, height: 100, channels: 3, background: { r, g, b } } }).png().toBuffer()));
  const input = await sharp(pages, { join: { animated: true } }).tiff().toBuffer();
  expect((await sharp(input).metadata()).pages).toBe(2);

  // WHEN
  const [output] = (await resizeImage(input, { ...KEEP, sizes: [{ name: 'medium', width: 100, fit: 'inside' }] })).outputs;

  // THEN
  expect(output).toMatchObject({ format: 'jpeg', width: 100, height: 50 });
  const written = await sharp(output.data).metadata();
  expect([written.format, written.pages ?? 1]).toEqual(['jpeg', 1]);
});

test('an animated WebP with damaged frame data is rejected as damaged, not retried', async () => {
  // GIVEN an animation whose header is intact and whose frame data has 16 bytes inverted halfway through (WebP:
  // libvips' GIF decoder passes over much damage, so whether a damaged GIF is refused depends on the bytes hit)
  const damaged = Buffer.from(await animation('webp', [RED, GREEN, BLUE]));
  const middle = Math.floor(damaged.length / 2);
  for (let i = middle; i < middle + 16; i++) {
    damaged[i] = 255 - damaged[i];
  }
  expect((await sharp(damaged).metadata()).pages).toBe(3);

  // WHEN
  const error = await resizeImage(damaged, KEEP).then(() => undefined, (thrown: unknown) => thrown);

  // THEN
  expect(error).toBeInstanceOf(ImageRejectedError);
  expect((error as ImageRejectedError).reason).toBe('corrupt');
  expect((error as ImageRejectedError).message).toMatch(/^The animated WEBP is damaged or incomplete/);
});

describe('an encoder failure', () => {
  const encoderFailure = new Error('the encoder ran out of memory');
  let encodeSpy: jest.SpyInstance;

  beforeEach(() => {
    encodeSpy = jest.spyOn(outputEncoding, 'encode')
      .mockImplementation(() => ({ toBuffer: () => Promise.reject(encoderFailure) }) as unknown as sharp.Sharp);
  });

  afterEach(() => encodeSpy.mockRestore());

  async function webp(orientation: number): Promise<Buffer> {
    const frames = await Promise.all([RED, BLUE].map(([r, g, b]) =>
      sharp({ create: { width: 64, height: 34, channels: 3, background: { r, g, b } } }).png().toBuffer()));
    return sharp(frames, { join: { animated: true } }).withMetadata({ orientation }).webp({ lossless: true }).toBuffer();
  }

  test('for an oriented animated WebP, whose frames are decoded before the encoder runs, is not the upload\'s fault and stays an error to retry', async () => {
    // WHEN
    const error = await resizeImage(await webp(6), { ...KEEP, sizes: [SIZES[0]] }).then(() => undefined, (thrown: unknown) => thrown);

    // THEN
    expect(encodeSpy).toHaveBeenCalledTimes(1);
    expect(error).toBe(encoderFailure);
  });

  test('for an unoriented animated WebP, which the encoder\'s pipeline reads from the file, is the upload\'s: it is rejected as damaged', async () => {
    // WHEN
    const error = await resizeImage(await webp(1), { ...KEEP, sizes: [SIZES[0]] }).then(() => undefined, (thrown: unknown) => thrown);

    // THEN
    expect(encodeSpy).toHaveBeenCalledTimes(1);
    expect(error).toBeInstanceOf(ImageRejectedError);
    expect((error as ImageRejectedError).reason).toBe('corrupt');
  });
});

test('an animated GIF whose frames are too tall for WebP is refused as too large for the format, not as damaged', async () => {
  // GIVEN two 300 x 20000 frames: a GIF holds them, and with a JPEG output format they would become a WebP
  const input = await animation('gif', [RED, BLUE], 300, 20_000);

  // WHEN
  const error = await resizeImage(input, { ...KEEP, format: 'jpeg' }).then(() => undefined, (thrown: unknown) => thrown);

  // THEN "medium" (200 x 13333) fits; "large", which never enlarges, keeps the frames' 300 x 20000
  expect(error).toBeInstanceOf(ImageRejectedError);
  expect((error as ImageRejectedError).reason).toBe('too-large-for-format');
  expect((error as ImageRejectedError).message).toMatch(
    /^Its "large" copy would be 300 x 20000 pixels, but a WebP image can be at most 16,383 pixels tall\./);
});

describe('an animated GIF whose second frame\'s compressed pixels end half-way', () => {
  const width = 120;
  const height = 80;
  const indices = noiseIndices(width, height, 32);
  const damagedSecondFrame = () => gifOf(
    { width, height, indices },
    { width, height, indices, endAfter: indices.length / 2 },
  );

  test('kept whole is refused as corrupt, although libvips decodes both frames without an error', async () => {
    // GIVEN
    const gif = damagedSecondFrame();
    await expect(sharp(gif, { animated: true, failOn: 'warning' }).raw().toBuffer()).resolves.toBeInstanceOf(Buffer);

    // WHEN
    const error = await resizeImage(gif, KEEP).then(() => undefined, (thrown: unknown) => thrown);

    // THEN
    expect(error).toBeInstanceOf(ImageRejectedError);
    expect((error as ImageRejectedError).reason).toBe('corrupt');
  });

  test('gives its first frame, which is whole, when only the first frame is used', async () => {
    const result = await resizeImage(damagedSecondFrame(), { ...KEEP, animation: 'first-frame' });

    expect(result.outputs.map((output) => output.format)).toEqual(SIZES.map(() => 'gif'));
  });
});

describe('an animated GIF cut short', () => {
  /**
   * Six 200 x 200 frames of noise, so that each frame takes about a sixth of the file and a cut at a fraction of it
   * lands inside a known frame. The noise is a fixed sequence, so every run cuts the same bytes.
   */
  async function sixFrameGif(): Promise<Buffer> {
    const next = fixedSequence(1);
    const frames = await Promise.all(Array.from({ length: 6 }, (_, frame) => {
      const pixels = Buffer.alloc(200 * 200 * 3);
      for (let i = 0; i < pixels.length; i++) {
        pixels[i] = (frame * 40 + Math.floor(next() / 65536) % 64) % 256;
      }
      return sharp(pixels, { raw: { width: 200, height: 200, channels: 3 } }).png().toBuffer();
    }));
    return sharp(frames, { join: { animated: true } }).gif({ delay: frames.map(() => 100), loop: 0 }).toBuffer();
  }

  const ONE_SIZE: ResizeOptions = { ...KEEP, sizes: [{ name: 'medium', width: 100, fit: 'inside' }] };

  /** Where the second frame's graphic control extension starts: the first frame and nothing more lie before it. */
  function secondFrameStart(gif: Buffer): number {
    const graphicControl = Buffer.from([0x21, 0xf9, 0x04]);
    return gif.indexOf(graphicControl, gif.indexOf(graphicControl) + 1);
  }

  test.each([
    ['inside its fifth frame', (gif: Buffer) => gif.subarray(0, Math.floor(gif.length * 0.75)), 5],
    ['after its first frame, so that it reads as a still', (gif: Buffer) => gif.subarray(0, secondFrameStart(gif)), 1],
    ['just before its trailer, every frame whole', (gif: Buffer) => gif.subarray(0, gif.length - 1), 6],
  ])('kept whole is refused as corrupt when it ends %s', async (_where, cut, framesLibvipsCounts) => {
    // GIVEN
    const truncated = cut(await sixFrameGif());
    expect((await sharp(truncated).metadata()).pages).toBe(framesLibvipsCounts);

    // WHEN
    const error = await resizeImage(truncated, ONE_SIZE).then(() => undefined, (thrown: unknown) => thrown);

    // THEN
    expect(error).toBeInstanceOf(ImageRejectedError);
    expect((error as ImageRejectedError).reason).toBe('corrupt');
    expect((error as ImageRejectedError).message).toBe(
      'The GIF image is damaged or incomplete (was the upload cut short?), so it cannot be decoded.');
  });

  test('is whole when only bytes after its trailer follow, as some encoders append: every frame is kept', async () => {
    // GIVEN
    const gif = Buffer.concat([await sixFrameGif(), Buffer.from('appended by an encoder')]);

    // WHEN
    const [output] = (await resizeImage(gif, ONE_SIZE)).outputs;

    // THEN
    expect(await sharp(output.data).metadata()).toMatchObject({ format: 'gif', pages: 6 });
  });

  test('gives its first frame, exactly as the whole file does, when only the first frame is used', async () => {
    // GIVEN a cut inside the fifth frame; libvips cannot read the header of one cut inside the first
    const gif = await sixFrameGif();
    const truncated = gif.subarray(0, Math.floor(gif.length * 0.75));
    const firstFrame: ResizeOptions = { ...ONE_SIZE, animation: 'first-frame' };

    // WHEN
    const [fromTruncated] = (await resizeImage(truncated, firstFrame)).outputs;
    const [fromWhole] = (await resizeImage(gif, firstFrame)).outputs;

    // THEN
    expect(fromTruncated.data.equals(fromWhole.data)).toBe(true);
  });
});

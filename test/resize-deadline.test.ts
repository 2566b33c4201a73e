import sharp from 'sharp';
import { ImageRejectedError, ResizeDeadlineError, resizeImage, ResizeOptions } from '../src/handler/image-core';
import { DEFAULT_SIZES, ImageFit } from '../src/image-size';
import { animated, noise, slowAnimatedWebp } from './support/test-images';

const OPTIONS: ResizeOptions = {
  sizes: DEFAULT_SIZES.map((size) => ({ ...size, fit: size.fit ?? ImageFit.INSIDE })),
  format: 'jpeg',
  quality: 80,
  maxInputPixels: 40_000_000,
};

async function stopped(input: Buffer, options: ResizeOptions): Promise<ResizeDeadlineError> {
  const error = await resizeImage(input, options).then(() => undefined, (thrown: unknown) => thrown);
  expect(error).toBeInstanceOf(ResizeDeadlineError);
  return error as ResizeDeadlineError;
}

afterEach(() => {
  jest.restoreAllMocks();
});

describe('a resize with a deadline', () => {
  test('is stopped by libvips at the deadline, in the middle of an encode far longer than the time it had', async () => {
    // GIVEN seconds of work, with 1 s allowed (libvips counts whole seconds)
    const input = await slowAnimatedWebp();
    const options: ResizeOptions = {
      ...OPTIONS, sizes: [{ name: 'whole', width: 640, fit: 'inside' }], format: 'same-as-input', animation: 'keep', deadline: Date.now() + 2_000,
    };

    // WHEN
    const error = await stopped(input, options);

    // THEN sharp's own report of the stop is kept as the cause
    expect(String((error.cause as Error | undefined)?.message)).toMatch(/^timeout: \d+% complete/);
  });

  test('is stopped by libvips in the middle of a still\'s WebP encode, which libwebp runs after every pixel is made', async () => {
    // GIVEN a 12 MP still of noise, whose WebP encode took about 5 s here, with 1 s allowed for it
    const input = await noise(4000, 3000).jpeg().toBuffer();
    const options: ResizeOptions = { ...OPTIONS, sizes: [{ name: 'whole', width: 4000, fit: 'inside' }], format: 'webp', deadline: Date.now() + 2_000 };

    // WHEN
    const error = await stopped(input, options);

    // THEN the encoder itself was stopped, with every pixel made
    expect(String((error.cause as Error | undefined)?.message)).toMatch(/^timeout: 100% complete[\s\S]*webpsave: unable to encode/);
  });

  test.each([
    ['a still', () => noise(320, 240).png().toBuffer(), OPTIONS],
    ['a kept GIF animation', () => animated('gif'), { ...OPTIONS, format: 'same-as-input', animation: 'keep' }],
    ['a kept WebP animation with an EXIF orientation, whose frames are decoded and turned first',
      async () => {
        const oriented = await sharp(await animated('webp'), { animated: true }).withMetadata({ orientation: 6 }).webp().toBuffer();
        expect((await sharp(oriented).metadata()).orientation).toBe(6);
        return oriented;
      },
      { ...OPTIONS, format: 'same-as-input', animation: 'keep' }],
  ] as const)('of %s, under a second away, starts no work and is not taken for damage', async (_, build, options) => {
    // GIVEN
    const input = await build();

    // WHEN
    const error = await stopped(input, { ...options, deadline: Date.now() + 500 });

    // THEN not an ImageRejectedError ('corrupt'), which would tell the uploader the file is damaged
    expect(error).not.toBeInstanceOf(ImageRejectedError);
    expect(error.cause).toBeUndefined();
  });

  test.each([
    ['a still, decoded once and then encoded for each size', () => noise(320, 240).jpeg().toBuffer(), OPTIONS],
    ['a kept WebP animation with an EXIF orientation, decoded and turned a frame at a time before each size',
      async () => sharp(await animated('webp'), { animated: true }).withMetadata({ orientation: 6 }).webp().toBuffer(),
      { ...OPTIONS, format: 'same-as-input', animation: 'keep' }],
  ] as const)('of %s, runs every pipeline under libvips\' timeout, none of them unbounded', async (_, build, options) => {
    // GIVEN
    const input = await build();
    const timeout = jest.spyOn(sharp.prototype as sharp.Sharp, 'timeout');
    const toBuffer = jest.spyOn(sharp.prototype, 'toBuffer');

    // WHEN
    await resizeImage(input, { ...options, deadline: Date.now() + 60_000 });

    // THEN every pipeline whose output is asked for was given a timeout of some seconds first
    const timed = new Set(timeout.mock.contexts.filter((_pipeline, call) => timeout.mock.calls[call][0].seconds > 0));
    expect(toBuffer.mock.contexts.length).toBeGreaterThan(options.sizes.length);
    expect(toBuffer.mock.contexts.filter((pipeline) => !timed.has(pipeline as sharp.Sharp))).toEqual([]);
  });

  test('gives libvips the whole seconds left, rounded down, so that it stops before the deadline and not after', async () => {
    // GIVEN 1.9 s left when the work starts
    jest.spyOn(Date, 'now').mockReturnValue(1_000_000);
    const timeout = jest.spyOn(sharp.prototype as sharp.Sharp, 'timeout');
    const input = await noise(320, 240).jpeg().toBuffer();

    // WHEN
    await resizeImage(input, { ...OPTIONS, deadline: 1_001_900 });

    // THEN
    expect(timeout.mock.calls.length).toBeGreaterThan(0);
    expect(new Set(timeout.mock.calls.map(([options]) => options.seconds))).toEqual(new Set([1]));
  });

  test('of a damaged image is refused as damaged, not taken for a stop at the deadline', async () => {
    // GIVEN a JPEG cut in half, whose header still reads
    const jpeg = await noise(320, 240).jpeg().toBuffer();

    // WHEN
    const error = await resizeImage(jpeg.subarray(0, jpeg.length / 2), { ...OPTIONS, deadline: Date.now() + 60_000 })
      .then(() => undefined, (thrown: unknown) => thrown);

    // THEN
    expect(error).toBeInstanceOf(ImageRejectedError);
    expect((error as ImageRejectedError).reason).toBe('corrupt');
  });

  test('far enough away changes nothing in the copies', async () => {
    // GIVEN
    const input = await noise(640, 480).jpeg().toBuffer();

    // WHEN
    const timed = await resizeImage(input, { ...OPTIONS, deadline: Date.now() + 60_000 });
    const untimed = await resizeImage(input, OPTIONS);

    // THEN
    expect(timed.outputs.map((output) => output.data)).toEqual(untimed.outputs.map((output) => output.data));
  });
});

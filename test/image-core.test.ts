import { readFileSync } from 'fs';
import { crc32, deflateSync, gzipSync } from 'zlib';
import sharp from 'sharp';
import { CorpusPhoto, corpusPhoto } from './support/corpus';
import { gifOf, noiseIndices } from './support/gif-writer';
import { Fit, FITS, SizeSpec } from '../src/handler/config';
import { decodesHeic, PROBE_HEIC } from '../src/handler/heic-support';
import { ImageRejectedError, RejectReason, resizeImage, ResizeOptions } from '../src/handler/image-core';
import { hasHeicBrand, MAX_FTYP_BYTES } from '../src/handler/image-inspection';
import { chooseEncoding, refuseOversizeOutputs } from '../src/handler/output-encoding';
import { pixelCount } from '../src/handler/pixel-count';
import { DEFAULT_SIZES, ImageFit } from '../src/image-size';
import {
  noise, ORIENTATION_HEIGHT, ORIENTATION_WIDTH, pixelAt, pngClaiming, quadrantsOf, Rgb, solid, storedWithOrientation, unreadableImages,
} from './support/test-images';

const SIZES: SizeSpec[] = DEFAULT_SIZES.map((size) => ({
  name: size.name,
  width: size.width,
  height: size.height,
  fit: size.fit ?? ImageFit.INSIDE,
}));

const OPTIONS: ResizeOptions = { sizes: SIZES, format: 'jpeg', quality: 80, maxInputPixels: 40_000_000 };

function corpus(name: CorpusPhoto): Buffer {
  return readFileSync(corpusPhoto(name));
}

async function decoded(data: Buffer) {
  return sharp(data).raw().toBuffer({ resolveWithObject: true });
}

function expectClose(actual: number[], expected: number[], tolerance: number): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((value, i) => expect(Math.abs(value - expected[i])).toBeLessThanOrEqual(tolerance));
}

/** The largest of the per-channel mean absolute differences between two images of the same dimensions. */
function meanAbsoluteDifference(a: Buffer, b: Buffer, channels: number): number {
  const sums = new Array<number>(channels).fill(0);
  for (let i = 0; i < a.length; i++) {
    sums[i % channels] += Math.abs(a[i] - b[i]);
  }
  return Math.max(...sums.map((sum) => sum / (a.length / channels)));
}

/** The straightforward way: one sharp pipeline per size from the original, with the handler's encoder settings. */
function directResize(input: Buffer, size: SizeSpec): sharp.Sharp {
  return sharp(input)
    .rotate()
    .resize(size.width, size.height, { fit: size.fit, withoutEnlargement: true })
    .flatten({ background: '#ffffff' })
    .jpeg({ quality: 80, progressive: false, mozjpeg: false });
}

async function rejection(input: Buffer, options: ResizeOptions = OPTIONS): Promise<ImageRejectedError> {
  const error = await resizeImage(input, options).then(() => undefined, (thrown: unknown) => thrown);
  expect(error).toBeInstanceOf(ImageRejectedError);
  return error as ImageRejectedError;
}

async function expectRejected(input: Buffer, reason: RejectReason, message: RegExp, options?: ResizeOptions): Promise<void> {
  const error = await rejection(input, options);
  expect(error.reason).toBe(reason);
  expect(error.message).toMatch(message);
}

describe('corpus photographs', () => {
  test.each<CorpusPhoto>(['Dune.jpg', 'goldfish.png', 'adwaita-l.webp'])(
    '%s: each default size has its box, the original aspect ratio and no more pixels than the original', async (name) => {
      // GIVEN
      const input = corpus(name);
      const original = await sharp(input).metadata();

      // WHEN
      const result = await resizeImage(input, OPTIONS);

      // THEN
      expect(result.input).toEqual({ format: original.format, width: original.width, height: original.height });
      expect(result.outputs.map((output) => output.name)).toEqual(['thumbnail', 'medium', 'large']);
      const [thumbnail, medium, large] = result.outputs;
      expect([thumbnail.width, thumbnail.height]).toEqual([150, 150]);
      expect(medium.width).toBe(800);
      expect(large.width).toBe(Math.min(1600, original.width));
      for (const output of [medium, large]) {
        expect(Math.abs(output.height - (original.height * output.width) / original.width)).toBeLessThanOrEqual(0.5);
      }
      for (const output of result.outputs) {
        const written = await sharp(output.data).metadata();
        expect([written.format, written.width, written.height]).toEqual(['jpeg', output.width, output.height]);
      }
    });

  test('every size matches a direct per-size resize: exactly in dimensions, closely in pixels', async () => {
    // GIVEN
    const sizes: SizeSpec[] = [
      ...SIZES,
      { name: 'letterbox', width: 500, height: 300, fit: 'contain' },
      { name: 'outside', width: 300, height: 300, fit: 'outside' },
      { name: 'stretched', width: 333, height: 222, fit: 'fill' },
    ];
    /**
     * Measured with sharp 0.35.5 on these images: at most 4.7 (Dune.jpg's thumbnail). The difference is mostly
     * the direct resize's: its JPEG shrink-on-load decodes at 1/4 or 1/8 scale in the DCT, which is sharper and
     * more aliased than our resize from the large size (ours was the closer of the two to a full-resolution
     * lanczos3 resize: 0.3 against 4.0 for that thumbnail).
     */
    const MAX_MEAN_ABSOLUTE_DIFFERENCE = 6;

    for (const name of ['Dune.jpg', 'Elephants_3840x2160.jpg', 'goldfish.png', 'adwaita-l.webp'] as const) {
      const input = corpus(name);

      // WHEN
      const result = await resizeImage(input, { ...OPTIONS, sizes });

      // THEN
      for (const [i, size] of sizes.entries()) {
        const ours = await decoded(result.outputs[i].data);
        const direct = await decoded(await directResize(input, size).toBuffer());
        expect([ours.info.width, ours.info.height, ours.info.channels])
          .toEqual([direct.info.width, direct.info.height, direct.info.channels]);
        const difference = meanAbsoluteDifference(ours.data, direct.data, ours.info.channels);
        expect(difference).toBeLessThan(MAX_MEAN_ABSOLUTE_DIFFERENCE);
        if (size.name === 'large') {
          // The largest size drives the one decode, so it is the direct resize itself.
          expect(difference).toBe(0);
        }
      }
    }
  });

  test.each<[Fit, SizeSpec]>([
    ['cover', { name: 'square', width: 300, height: 300, fit: 'cover' }],
    ['contain', { name: 'letterbox', width: 500, height: 300, fit: 'contain' }],
  ])('a lone %s size is the direct resize itself, pixel for pixel', async (_fit, size) => {
    // GIVEN
    const input = corpus('goldfish.png');

    // WHEN
    const [output] = (await resizeImage(input, { ...OPTIONS, sizes: [size] })).outputs;

    // THEN it drove the one decode, scaled as a direct resize scales before it crops or pads
    const ours = await decoded(output.data);
    const direct = await decoded(await directResize(input, size).toBuffer());
    expect([ours.info.width, ours.info.height]).toEqual([direct.info.width, direct.info.height]);
    expect(meanAbsoluteDifference(ours.data, direct.data, ours.info.channels)).toBe(0);
  });
});

describe('fits and sizes', () => {
  const box = (fit: Fit): SizeSpec => ({ name: fit, width: 200, height: 200, fit });

  test('each fit gives the box sharp gives it', async () => {
    // GIVEN
    const input = await solid(400, 300, [240, 120, 0]).png().toBuffer();

    // WHEN
    const result = await resizeImage(input, { ...OPTIONS, sizes: FITS.map(box) });

    // THEN
    expect(result.outputs.map(({ name, width, height }) => [name, width, height])).toEqual([
      ['cover', 200, 200],
      ['contain', 200, 200],
      ['fill', 200, 200],
      ['inside', 200, 150],
      ['outside', 267, 200],
    ]);
    const contain = result.outputs[1].data;
    expectClose(await pixelAt(contain, 100, 10), [0, 0, 0], 8);
    expectClose(await pixelAt(contain, 100, 100), [240, 120, 0], 8);
  });

  test('a width alone or a height alone keeps the aspect ratio with inside and cover', async () => {
    // GIVEN
    const input = await solid(900, 600, [0, 0, 255]).png().toBuffer();

    // WHEN
    const result = await resizeImage(input, {
      ...OPTIONS,
      sizes: [{ name: 'wide', width: 300, fit: 'inside' }, { name: 'tall', height: 100, fit: 'cover' }],
    });

    // THEN
    expect(result.outputs.map(({ width, height }) => [width, height])).toEqual([[300, 200], [150, 100]]);
  });

  test('fill with one side scales that side alone: the other keeps the original\'s length', async () => {
    // GIVEN
    const input = await solid(1000, 800, [0, 0, 255]).png().toBuffer();

    // WHEN
    const result = await resizeImage(input, {
      ...OPTIONS,
      sizes: [{ name: 'narrow', width: 120, fit: 'fill' }, { name: 'flat', height: 120, fit: 'fill' }],
    });

    // THEN
    expect(result.outputs.map(({ width, height }) => [width, height])).toEqual([[120, 800], [1000, 120]]);
  });

  test('contain with one side pads an image smaller than that side to it, in opaque black', async () => {
    // GIVEN
    const input = await solid(100, 80, [0, 200, 0]).png().toBuffer();

    // WHEN
    const result = await resizeImage(input, {
      ...OPTIONS,
      sizes: [{ name: 'wide', width: 120, fit: 'contain' }, { name: 'tall', height: 100, fit: 'contain' }],
    });

    // THEN
    expect(result.outputs.map(({ width, height }) => [width, height])).toEqual([[120, 80], [100, 100]]);
    const [wide, tall] = result.outputs.map((output) => output.data);
    expectClose(await pixelAt(wide, 5, 40), [0, 0, 0], 8);
    expectClose(await pixelAt(wide, 60, 40), [0, 200, 0], 8);
    expectClose(await pixelAt(tall, 50, 5), [0, 0, 0], 8);
    expectClose(await pixelAt(tall, 50, 50), [0, 200, 0], 8);
  });

  test.each(['cover', 'outside'] as const)('%s with one side scales to it as inside does', async (fit) => {
    // GIVEN
    const input = await solid(1000, 800, [0, 0, 255]).png().toBuffer();

    // WHEN
    const [output] = (await resizeImage(input, { ...OPTIONS, sizes: [{ name: 'one-side', width: 120, fit }] })).outputs;

    // THEN
    expect([output.width, output.height]).toEqual([120, 96]);
  });

  test('cover crops an image smaller than its box only where it is larger, so the copy is smaller than the box', async () => {
    // GIVEN
    const input = await solid(100, 80, [0, 200, 0]).png().toBuffer();

    // WHEN
    const [output] = (await resizeImage(input, { ...OPTIONS, sizes: [{ name: 'banner', width: 200, height: 50, fit: 'cover' }] })).outputs;

    // THEN
    expect([output.width, output.height]).toEqual([100, 50]);
  });

  test('no fit enlarges an image smaller than its box', async () => {
    // GIVEN
    const input = await solid(120, 80, [0, 200, 0]).png().toBuffer();
    const sizes = [...FITS.map(box), { name: 'wide', width: 1600, fit: 'inside' as Fit }];

    // WHEN
    const result = await resizeImage(input, { ...OPTIONS, sizes });

    // THEN
    expect(result.outputs.map(({ name, width, height }) => [name, width, height])).toEqual([
      ['cover', 120, 80],
      ['contain', 200, 200],
      ['fill', 120, 80],
      ['inside', 120, 80],
      ['outside', 120, 80],
      ['wide', 120, 80],
    ]);
    // contain pads the box but the picture inside stays 120x80: its edges sit 40 and 60 pixels in.
    const contain = result.outputs[1].data;
    expectClose(await pixelAt(contain, 100, 57), [0, 0, 0], 8);
    expectClose(await pixelAt(contain, 100, 63), [0, 200, 0], 8);
    expectClose(await pixelAt(contain, 37, 100), [0, 0, 0], 8);
    expectClose(await pixelAt(contain, 43, 100), [0, 200, 0], 8);
  });

  test.each([
    ['above and below a wide image', 301, 100],
    ['left and right of a tall image', 100, 301],
  ])('the contain letterbox %s is sharp\'s own: opaque black even where the output has alpha, the odd line of padding where sharp puts it', async (_where, width, height) => {
    // GIVEN opaque white with an alpha channel: scaled to 100 x 33 (or 33 x 100) it leaves 67 lines of padding
    const input = await sharp({ create: { width, height, channels: 4, background: { r: 255, g: 255, b: 255, alpha: 1 } } }).png().toBuffer();
    const size: SizeSpec = { name: 'box', width: 100, height: 100, fit: 'contain' };

    // WHEN
    const [output] = (await resizeImage(input, { ...OPTIONS, format: 'same-as-input', sizes: [size] })).outputs;

    // THEN
    const ours = await decoded(output.data);
    const direct = await decoded(await sharp(input).resize(100, 100, { fit: 'contain', withoutEnlargement: true }).png().toBuffer());
    expect([ours.info.width, ours.info.height, ours.info.channels]).toEqual([100, 100, 4]);
    expect(await pixelAt(output.data, 0, 0)).toEqual([0, 0, 0, 255]);
    expect(ours.data.equals(direct.data)).toBe(true);
  });

  test('cover never enlarges one side to fill the box with the other', async () => {
    // GIVEN
    const input = await solid(300, 100, [0, 200, 0]).png().toBuffer();

    // WHEN
    const result = await resizeImage(input, { ...OPTIONS, sizes: [box('cover')] });

    // THEN
    expect([result.outputs[0].width, result.outputs[0].height]).toEqual([200, 100]);
  });
});

describe('output formats', () => {
  const SMALL: SizeSpec[] = [{ name: 'small', width: 32, fit: 'inside' }];

  test.each([
    ['jpeg', 'jpeg', 'jpg', 'image/jpeg'],
    ['webp', 'webp', 'webp', 'image/webp'],
    ['avif', 'heif', 'avif', 'image/avif'],
  ] as const)('format %s writes %s data named .%s, %s', async (format, written, extension, contentType) => {
    // GIVEN
    const input = await noise(64, 48).png().toBuffer();

    // WHEN
    const [output] = (await resizeImage(input, { ...OPTIONS, sizes: SMALL, format })).outputs;

    // THEN
    expect(output).toMatchObject({ format, extension, contentType, width: 32, height: 24 });
    expect((await sharp(output.data).metadata()).format).toBe(written);
  });

  test.each([
    ['jpeg', 'jpeg', 'jpg'],
    ['png', 'png', 'png'],
    ['webp', 'webp', 'webp'],
    ['avif', 'avif', 'avif'],
    ['gif', 'gif', 'gif'],
    ['tiff', 'jpeg', 'jpg'],
  ] as const)('same-as-input turns %s into %s', async (inputFormat, outputFormat, extension) => {
    // GIVEN
    const input = await noise(64, 48).toFormat(inputFormat).toBuffer();

    // WHEN
    const result = await resizeImage(input, { ...OPTIONS, sizes: SMALL, format: 'same-as-input' });

    // THEN
    expect(result.input.format).toBe(inputFormat);
    expect(result.outputs[0]).toMatchObject({ format: outputFormat, extension, contentType: `image/${outputFormat}` });
    const written = await sharp(result.outputs[0].data).metadata();
    expect(written.format === 'heif' ? 'avif' : written.format).toBe(outputFormat);
  });

  test('JPEG copies are baseline, not progressive', async () => {
    // GIVEN
    const input = await noise(400, 300).png().toBuffer();

    // WHEN
    const [output] = (await resizeImage(input, { ...OPTIONS, sizes: [{ name: 'medium', width: 200, fit: 'inside' }] })).outputs;

    // THEN
    expect(await sharp(output.data).metadata()).toMatchObject({ format: 'jpeg', isProgressive: false });
  });

  test('same-as-input gives HEIC, which most browsers do not show, as JPEG', () => {
    expect(chooseEncoding('same-as-input', 'heic')).toMatchObject({ format: 'jpeg', extension: 'jpg', contentType: 'image/jpeg' });
  });

  test.each(['jpeg', 'webp', 'avif'] as const)('quality applies to %s', async (format) => {
    // GIVEN
    const input = await noise(256, 256).png().toBuffer();
    const sizes: SizeSpec[] = [{ name: 'same', width: 256, fit: 'inside' }];

    // WHEN
    const low = await resizeImage(input, { ...OPTIONS, sizes, format, quality: 30 });
    const high = await resizeImage(input, { ...OPTIONS, sizes, format, quality: 90 });

    // THEN
    expect(low.outputs[0].data.length).toBeLessThan(high.outputs[0].data.length * 0.8);
  });
});

describe('EXIF orientation', () => {
  test.each([1, 2, 3, 4, 5, 6, 7, 8])('orientation %i comes out upright, at full size and scaled', async (orientation) => {
    // GIVEN
    const input = await storedWithOrientation(orientation);
    expect((await sharp(input).metadata()).orientation).toBe(orientation);

    // WHEN
    const result = await resizeImage(input, {
      ...OPTIONS,
      sizes: [{ name: 'full', width: 1000, fit: 'inside' }, { name: 'half', width: 32, fit: 'inside' }],
    });

    // THEN
    expect([result.input.width, result.input.height]).toEqual([ORIENTATION_WIDTH, ORIENTATION_HEIGHT]);
    const [full, half] = result.outputs;
    expect([full.width, full.height, half.width, half.height]).toEqual([ORIENTATION_WIDTH, ORIENTATION_HEIGHT, 32, 24]);
    for (const output of result.outputs) {
      expect(await quadrantsOf(output.data)).toEqual([0, 1, 2, 3]);
      expect((await sharp(output.data).metadata()).orientation).toBeUndefined();
    }
  });
});

describe('colour and metadata', () => {
  test.each(['jpeg', 'webp', 'avif'] as const)('%s outputs carry no EXIF, XMP, ICC profile or orientation', async (format) => {
    // GIVEN
    const input = await noise(200, 150)
      .withIccProfile('p3')
      .withExif({ IFD0: { Copyright: 'Jane Doe', ImageDescription: 'kitchen, 12 Acacia Avenue' } })
      .withXmp('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
        '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>Jane</dc:creator></rdf:Description>' +
        '</rdf:RDF></x:xmpmeta>')
      .jpeg()
      .toBuffer();
    const before = await sharp(input).metadata();
    expect([before.exif, before.icc, before.xmp].every(Boolean)).toBe(true);

    // WHEN
    const result = await resizeImage(input, { ...OPTIONS, format });

    // THEN
    expect(result.outputs).toHaveLength(OPTIONS.sizes.length);
    for (const output of result.outputs) {
      const after = await sharp(output.data).metadata();
      expect({ exif: after.exif, icc: after.icc, xmp: after.xmp, orientation: after.orientation })
        .toEqual({ exif: undefined, icc: undefined, xmp: undefined, orientation: undefined });
    }
  });

  test('an image with a Display P3 profile is converted to sRGB, not just stripped of its profile', async () => {
    // GIVEN sRGB (200, 100, 50), stored as P3 values with the P3 profile
    const input = await solid(64, 64, [200, 100, 50]).withIccProfile('p3').jpeg({ quality: 100 }).toBuffer();
    const stored = await sharp(input, { ignoreIcc: true }).raw().toBuffer();

    // WHEN
    const [output] = (await resizeImage(input, { ...OPTIONS, quality: 100 })).outputs;

    // THEN
    const pixel = await pixelAt(output.data, 32, 32);
    expectClose(pixel, [200, 100, 50], 3);
    expect(Math.max(...pixel.map((value, i) => Math.abs(value - stored[i])))).toBeGreaterThan(8);
  });

  test('a CMYK JPEG comes out as 8-bit sRGB', async () => {
    // GIVEN
    const input = await solid(64, 64, [200, 100, 50]).toColourspace('cmyk').jpeg({ quality: 100 }).toBuffer();
    expect((await sharp(input).metadata()).space).toBe('cmyk');
    const sharpsOwnConversion = await sharp(input).toColourspace('srgb').raw().toBuffer();

    // WHEN
    const [output] = (await resizeImage(input, { ...OPTIONS, quality: 100 })).outputs;

    // THEN
    const written = await sharp(output.data).metadata();
    expect([written.space, written.channels, written.depth]).toEqual(['srgb', 3, 'uchar']);
    expectClose(await pixelAt(output.data, 32, 32), [...sharpsOwnConversion.subarray(0, 3)], 3);
  });

  describe('a TIFF with a channel beyond its colours and alpha', () => {
    // sharp writes no such TIFF, so these are built by hand (the fuzz audit's reproducers, 64 x 48, solid).
    const RGBA_PLUS_ONE = Buffer.from(
      'SUkqAIQAAAB4nO3QQQEAEAAAMZlkEkQ8D6F0cN8tws6adw9+HX+Jv8Zf46/x1/hr/DX+Gn+Nv8Zf46/x1/hr/DX+Gn+Nv8Zf46/x1/hr/DX+Gn+Nv8Zf46/x1/hr/DX+Gn+Nv8Zf46/x1/hr/DX+Gn+Nv8Zf46/x1/hr/I3kAVU0f+EAEQAAAQMAAQAAAEAAAAABAQMAAQAAADAAAAACAQMABQAAAGYBAAADAQMAAQAAAAgAAAAGAQMAAQAAAAIAAAARAQQAAQAAAAgAAAASAQMAAQAAAAEAAAAVAQMAAQAAAAUAAAAWAQMAAQAAAAABAAAXAQQAAQAAAHsAAAAaAQUAAQAAAFYBAAAbAQUAAQAAAF4BAAAcAQMAAQAAAAEAAAAoAQMAAQAAAAIAAAA9AQMAAQAAAAIAAABSAQMAAgAAAAIAAgBTAQMABQAAAHABAAAAAAAAMzPLAAAACAAzM8sAAAAIAAgACAAIAAgACAABAAEAAQABAAEA',
      'base64');
    const GREY_ALPHA_PLUS_ONE = Buffer.from(
      'SUkqAAgAAAANAAABBAABAAAAQAAAAAEBBAABAAAAMAAAAAIBAwADAAAAqgAAAAMBAwABAAAACAAAAAYBAwABAAAAAQAAABEBBAADAAAAsAAAABIBAwABAAAAAQAAABUBAwABAAAAAwAAABYBBAABAAAAEAAAABcBBAADAAAAvAAAABwBAwABAAAAAQAAAFIBAwACAAAAAgAAAFMBAwADAAAAyAAAAAAAAAAIAAgACADOAAAA7AAAAAoBAAAeAAAAHgAAAB4AAAABAAEAAQB42u3CAQ0AAAwCoGLGMY6hH+Qw0kVVVf3xAMn+sD142u3CAQ0AAAwCoGLGMY6hH+Qw0kVVVf3xAMn+sD142u3CAQ0AAAwCoGLGMY6hH+Qw0kVVVf3xAMn+sD0=',
      'base64');
    /** 8 x 6, uncompressed: a header for three 16-bit samples a pixel (grey, alpha and one more), then the pixels. */
    const GREY16_ALPHA_PLUS_ONE = Buffer.concat([Buffer.from(
      'SUkqAAgAAAALAAABAwABAAAACAAAAAEBAwABAAAABgAAAAIBAwADAAAAkgAAAAMBAwABAAAAAQAAAAYBAwABAAAAAQAAABEBBAABAAAAmAAAABUBAwABAAAAAwAAABYBAwABAAAABgAAABcBBAABAAAAIAEAABwBAwABAAAAAQAAAFIBAwACAAAAAgAAAAAAAAAQABAAEAA=',
      'base64'), Buffer.alloc(8 * 6 * 3 * 2, 0x80)]);
    /** CMYK and an alpha channel: five channels, all of them colour or alpha. */
    const CMYK_ALPHA = Buffer.from(
      'SUkqAAgAAAANAAABBAABAAAAQAAAAAEBBAABAAAAMAAAAAIBAwAFAAAAqgAAAAMBAwABAAAACAAAAAYBAwABAAAABQAAABEBBAADAAAAtAAAABIBAwABAAAAAQAAABUBAwABAAAABQAAABYBBAABAAAAEAAAABcBBAADAAAAwAAAABwBAwABAAAAAQAAAFIBAwABAAAAAgAAAFMBAwAFAAAAzAAAAAAAAAAIAAgACAAIAAgA1gAAAP0AAAAkAQAAJwAAACcAAAAnAAAAAQABAAEAAQABAHja7cTBFAAACAUwsY8TTjjhBJNHbzss1bORJEmSJEmS9LEDtOvwl3ja7cTBFAAACAUwsY8TTjjhBJNHbzss1bORJEmSJEmS9LEDtOvwl3ja7cTBFAAACAUwsY8TTjjhBJNHbzss1bORJEmSJEmS9LEDtOvwlw==',
      'base64');

    test.each([
      ['RGBA and one more', 'webp', RGBA_PLUS_ONE],
      ['RGBA and one more', 'jpeg', RGBA_PLUS_ONE],
      ['grey, alpha and one more', 'webp', GREY_ALPHA_PLUS_ONE],
      ['grey, alpha and one more', 'same-as-input', GREY_ALPHA_PLUS_ONE],
      ['16-bit grey, alpha and one more', 'webp', GREY16_ALPHA_PLUS_ONE],
    ] as const)('%s, as %s, is refused as a format not supported, naming its channels', async (_, format, input) => {
      expect((await sharp(input).metadata()).format).toBe('tiff');

      await expectRejected(input, 'unsupported-format', /The TIFF image has \d channels: \d for colour, and 1 more besides an alpha channel/, { ...OPTIONS, format });
    });

    test.each(['jpeg', 'webp'] as const)('CMYK with alpha, as %s, comes out as sRGB', async (format) => {
      // GIVEN
      const metadata = await sharp(CMYK_ALPHA).metadata();
      expect([metadata.space, metadata.channels]).toEqual(['cmyk', 5]);

      // WHEN
      const [output] = (await resizeImage(CMYK_ALPHA, { ...OPTIONS, format })).outputs;

      // THEN
      const written = await sharp(output.data).metadata();
      expect([written.format, written.space, written.channels]).toEqual([format, 'srgb', format === 'jpeg' ? 3 : 4]);
    });
  });

  test.each([3, 4] as const)('a 16-bit PNG with %i channels comes out 8-bit', async (channels) => {
    // GIVEN
    const input = await sharp({ create: { width: 64, height: 64, channels, background: { r: 200, g: 100, b: 50, alpha: 1 } } })
      .toColourspace('rgb16')
      .png()
      .toBuffer();
    expect((await sharp(input).metadata()).depth).toBe('ushort');

    // WHEN
    const [output] = (await resizeImage(input, { ...OPTIONS, format: 'same-as-input' })).outputs;

    // THEN
    const written = await sharp(output.data).metadata();
    expect([written.format, written.space, written.depth, written.bitsPerSample]).toEqual(['png', 'srgb', 'uchar', 8]);
    expectClose((await pixelAt(output.data, 32, 32)).slice(0, 3), [200, 100, 50], 1);
  });

  // sharp works on 16-bit RGB in Display P3; left there, sRGB (255, 0, 0) came out as (234, 51, 34).
  test.each([
    [[255, 0, 0], 'srgb', 3],
    [[200, 100, 50], 'srgb', 4],
    [[200, 100, 50], 'p3', 3],
  ] as const)('a 16-bit PNG of sRGB %j tagged %s, with %i channels, comes out in sRGB', async (srgb, profile, channels) => {
    // GIVEN sRGB `srgb`, stored as 16-bit values in `profile`
    const [r, g, b] = srgb;
    const input = await sharp({ create: { width: 64, height: 64, channels, background: { r, g, b, alpha: 1 } } })
      .toColourspace('rgb16')
      .withIccProfile(profile)
      .png()
      .toBuffer();
    const written = await sharp(input).metadata();
    expect([written.space, written.hasProfile]).toEqual(['rgb16', true]);

    // WHEN
    const [output] = (await resizeImage(input, { ...OPTIONS, format: 'same-as-input' })).outputs;

    // THEN
    expectClose((await pixelAt(output.data, 32, 32)).slice(0, 3), [...srgb], 2);
  });

  test('a 10-bit AVIF tagged sRGB is converted to sRGB', async () => {
    // GIVEN
    const input = await solid(64, 64, [200, 100, 50]).withIccProfile('srgb').avif({ bitdepth: 10, lossless: true }).toBuffer();
    const written = await sharp(input).metadata();
    expect([written.space, written.bitsPerSample, written.hasProfile]).toEqual(['rgb16', 10, true]);

    // WHEN
    const [output] = (await resizeImage(input, { ...OPTIONS, quality: 100 })).outputs;

    // THEN
    expectClose(await pixelAt(output.data, 32, 32), [200, 100, 50], 3);
  });

  test('a greyscale image comes out as sRGB with equal channels', async () => {
    // GIVEN
    const grey = Buffer.alloc(64 * 64, 90);
    const input = await sharp(grey, { raw: { width: 64, height: 64, channels: 1 } })
      .toColourspace('b-w')
      .jpeg({ quality: 100 })
      .toBuffer();
    expect((await sharp(input).metadata()).channels).toBe(1);

    // WHEN
    const [output] = (await resizeImage(input, { ...OPTIONS, quality: 100 })).outputs;

    // THEN
    const written = await sharp(output.data).metadata();
    expect([written.space, written.channels]).toEqual(['srgb', 3]);
    expectClose(await pixelAt(output.data, 32, 32), [90, 90, 90], 2);
  });

  describe('transparency', () => {
    /** Left half fully transparent, right half opaque red. */
    async function halfTransparent(): Promise<Buffer> {
      const pixels = Buffer.alloc(64 * 64 * 4);
      for (let i = 0; i < 64 * 64; i++) {
        if (i % 64 >= 32) {
          pixels.set([255, 0, 0, 255], i * 4);
        }
      }
      return sharp(pixels, { raw: { width: 64, height: 64, channels: 4 } }).png().toBuffer();
    }

    test.each(['webp', 'avif', 'same-as-input'] as const)('is kept in %s outputs', async (format) => {
      // GIVEN
      const input = await halfTransparent();

      // WHEN
      const [output] = (await resizeImage(input, { ...OPTIONS, format })).outputs;

      // THEN
      expect((await sharp(output.data).metadata()).hasAlpha).toBe(true);
      expect((await pixelAt(output.data, 8, 32))[3]).toBe(0);
      expectClose(await pixelAt(output.data, 56, 32), [255, 0, 0, 255], 6);
    });

    test('is flattened onto white in JPEG outputs', async () => {
      // GIVEN
      const input = await halfTransparent();

      // WHEN
      const [output] = (await resizeImage(input, OPTIONS)).outputs;

      // THEN
      expect((await sharp(output.data).metadata()).channels).toBe(3);
      expectClose(await pixelAt(output.data, 8, 32), [255, 255, 255], 3);
      expectClose(await pixelAt(output.data, 56, 32), [255, 0, 0], 6);
    });
  });
});

describe('animated images', () => {
  test.each(['gif', 'webp'] as const)('an animated %s gives its first frame only', async (format) => {
    // GIVEN a red frame, then a blue one
    const frames = await Promise.all([[255, 0, 0], [0, 0, 255]].map((rgb) => solid(40, 30, rgb as Rgb).png().toBuffer()));
    const input = await sharp(frames, { join: { animated: true } }).toFormat(format).toBuffer();
    expect((await sharp(input).metadata()).pages).toBe(2);

    // WHEN
    const result = await resizeImage(input, {
      ...OPTIONS,
      format: 'same-as-input',
      sizes: [{ name: 'small', width: 20, fit: 'inside' }],
    });

    // THEN
    expect([result.input.width, result.input.height]).toEqual([40, 30]);
    const [output] = result.outputs;
    expect([output.width, output.height]).toEqual([20, 15]);
    expect((await sharp(output.data).metadata()).pages ?? 1).toBe(1);
    expectClose((await pixelAt(output.data, 10, 7)).slice(0, 3), [255, 0, 0], 12);
  });
});

describe('refused uploads', () => {
  test('zero bytes are empty', async () => {
    await expectRejected(Buffer.alloc(0), 'empty', /empty \(0 bytes\)/);
  });

  test.each([
    ['random bytes', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251))],
    ['plain text', Buffer.from('Dear customer, please find my holiday photo attached.\n')],
    ['an HTML page', Buffer.from('<!doctype html><html><body><img src="cat.jpg"></body></html>')],
    ['an HTML page with an inline SVG', Buffer.from('<html><body><svg width="10" height="10"></svg></body></html>')],
  ])('%s are not an image', async (_, input) => {
    await expectRejected(input, 'not-an-image', /not an image.*JPEG, PNG, WebP, GIF, AVIF or TIFF/);
  });

  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><image href="http://169.254.169.254/"/></svg>';
  test.each([
    ['a plain SVG', Buffer.from(svg)],
    ['an SVG behind an XML declaration and a byte-order mark', Buffer.from(`\uFEFF<?xml version="1.0"?>\n${svg}`)],
    ['an SVG behind a comment and a doctype', Buffer.from(
      `<!-- drawn by hand -->\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n${svg}`)],
    ['an SVG behind a long comment', Buffer.from(`<?xml version="1.0"?><!-- ${'x'.repeat(5000)} -->${svg}`)],
    ['a gzip-compressed SVG (.svgz)', gzipSync(Buffer.from(svg))],
    // Known only by the pre-check: libvips cannot parse it, and would have it called no image at all.
    ['a malformed SVG behind an XML declaration', Buffer.from(`<?xml version="1.0"?>\n${svg.replace('"/>', '">')}`)],
  ])('%s is refused because it can reference external resources', async (_, input) => {
    await expectRejected(input, 'unsupported-format', /SVG.*external resources/);
  });

  /** An ISO-BMFF `ftyp` box followed by a few bytes: all it takes to look like a HEIF file. */
  function isoBmff(major: string, compatible: string[]): Buffer {
    const ftyp = Buffer.alloc(16 + 4 * compatible.length);
    ftyp.writeUInt32BE(ftyp.length, 0);
    ftyp.write('ftyp', 4, 'latin1');
    ftyp.write(major, 8, 'latin1');
    compatible.forEach((brand, i) => ftyp.write(brand, 16 + 4 * i, 'latin1'));
    return Buffer.concat([ftyp, Buffer.alloc(64)]);
  }

  test.each([
    ['heic', ['mif1', 'heic']],
    ['heix', ['mif1', 'heix']],
    ['mif1', ['mif1', 'heic']],
    ['hevc', ['msf1', 'hevc']],
  ])('a HEIC photo (brand %s) is refused with a clear message', async (major, compatible) => {
    await expectRejected(isoBmff(major, compatible), 'unsupported-format', /HEIC.*Export the photo as JPEG/);
  });

  test('a real HEIC photo is refused with the same message while the sharp in use has no HEVC decoder (sharp\'s prebuilt one has none)', async () => {
    // GIVEN a HEIC whose header libvips reads, and this machine's sharp, which cannot decode it
    expect(await sharp(PROBE_HEIC).metadata()).toMatchObject({ format: 'heif', compression: 'hevc', width: 64, height: 48 });
    expect(await decodesHeic()).toBe(false);

    // WHEN / THEN
    await expectRejected(PROBE_HEIC, 'unsupported-format', /HEIC.*no HEVC decoder.*Export the photo as JPEG/);
  });

  test('an AVIF is not mistaken for HEIC although it carries the generic mif1 brand', async () => {
    // GIVEN
    const input = await noise(64, 48).avif().toBuffer();
    expect(input.toString('latin1', 16, 32)).toContain('mif1');

    // WHEN
    const result = await resizeImage(input, OPTIONS);

    // THEN
    expect(result.input.format).toBe('avif');
  });

  test('an AVIF brand as the major brand wins over the generic HEIF brands after it', () => {
    expect(hasHeicBrand(isoBmff('avif', ['mif1', 'miaf']))).toBe(false);
    expect(hasHeicBrand(isoBmff('mif1', ['miaf']))).toBe(true);
  });

  test('BMP, PSD, ICO, JPEG XL and JPEG 2000 files are refused as formats not supported, naming the format and the ones accepted', async () => {
    // GIVEN
    const images = await unreadableImages();

    // WHEN
    const refusals = await Promise.all(images.map(async ([, body]) => rejection(body)));

    // THEN
    expect(refusals.map((error) => [error.reason, error.message])).toEqual(images.map(([name]) => [
      'unsupported-format',
      `${name} images are not supported: the image library cannot read them. Upload the picture as JPEG, PNG, WebP, GIF, AVIF or TIFF.`,
    ]));
  });

  test('text that happens to start like a BMP ("BM") is still not an image', async () => {
    await expectRejected(Buffer.from('BMW owners club: the spring meeting is on Saturday.\n'), 'not-an-image', /not an image/);
  });

  describe('an ftyp box that declares more bytes than any real one', () => {
    /** `ftyp` declaring 0xFFFFFFFF bytes, major brand `isom`, then zeros, with `brand` written at `at`. */
    function hugeFtyp(length: number, brand?: { name: string; at: number }): Buffer {
      const file = Buffer.alloc(length);
      file.writeUInt32BE(0xffffffff, 0);
      file.write('ftypisom', 4, 'latin1');
      if (brand) {
        file.write(brand.name, brand.at, 'latin1');
      }
      return file;
    }

    test('is read only as far as MAX_FTYP_BYTES: a HEIC brand inside counts, one past it is not looked at', () => {
      // GIVEN 1 MB that declares a 4 GB ftyp box
      const length = 1024 * 1024;

      // WHEN / THEN
      expect(MAX_FTYP_BYTES).toBeLessThanOrEqual(1024);
      expect(hasHeicBrand(hugeFtyp(length))).toBe(false);
      expect(hasHeicBrand(hugeFtyp(length, { name: 'heic', at: MAX_FTYP_BYTES - 4 }))).toBe(true);
      expect(hasHeicBrand(hugeFtyp(length, { name: 'heic', at: MAX_FTYP_BYTES }))).toBe(false);
      expect(hasHeicBrand(hugeFtyp(length, { name: 'heic', at: length - 4 }))).toBe(false);
    });

    test('a crafted 64 MB upload declaring a 4 GB ftyp box with a HEIC brand is refused as HEIC', async () => {
      // GIVEN
      const crafted = hugeFtyp(64 * 1024 * 1024, { name: 'heic', at: 8 });

      // WHEN / THEN
      await expectRejected(crafted, 'unsupported-format', /^HEIC\/HEIF photos/);
    });
  });

  describe('damaged images', () => {
    let jpeg: Buffer;
    let png: Buffer;
    beforeAll(async () => {
      jpeg = await noise(400, 300).jpeg().toBuffer();
      png = await noise(400, 300).png().toBuffer();
    });

    test('a JPEG cut in half is corrupt, not half a picture', async () => {
      await expectRejected(jpeg.subarray(0, jpeg.length / 2), 'corrupt', /JPEG image is damaged or incomplete/);
    });

    test('a PNG missing its end is corrupt', async () => {
      await expectRejected(png.subarray(0, png.length - 100), 'corrupt', /PNG image is damaged or incomplete/);
    });

    test('a JPEG whose header is cut off is corrupt', async () => {
      await expectRejected(jpeg.subarray(0, 200), 'corrupt', /damaged: its header .* cannot be read/);
    });

    describe('a GIF whose compressed pixels are damaged, which libvips decodes without an error, is corrupt', () => {
      const width = 200;
      const height = 150;
      const indices = noiseIndices(width, height, 64);

      test('when its data ends half-way: libvips fills the rest of the frame', async () => {
        // GIVEN
        const halfway = gifOf({ width, height, indices, endAfter: indices.length / 2 });
        await expect(sharp(halfway, { failOn: 'warning' }).raw().toBuffer()).resolves.toBeInstanceOf(Buffer);

        // WHEN / THEN
        await expectRejected(halfway, 'corrupt', /^The GIF image is damaged or incomplete/);
      });

      test('when its LZW minimum code size is damaged to 0: libvips decodes one flat colour', async () => {
        // GIVEN
        const damaged = gifOf({ width, height, indices, minimumCodeBits: 0 });
        const { channels } = await sharp(damaged, { failOn: 'warning' }).stats();
        expect(channels.map((channel) => channel.stdev)).toEqual(channels.map(() => 0));

        // WHEN / THEN
        await expectRejected(damaged, 'corrupt', /^The GIF image is damaged or incomplete/);
      });

      test('and whole, it is resized', async () => {
        const result = await resizeImage(gifOf({ width, height, indices }), OPTIONS);
        expect(result.input).toEqual({ format: 'gif', width, height });
      });
    });

    test('a JPEG with a stray marker in its compressed data is corrupt', async () => {
      // A marker inside the entropy-coded data makes libjpeg give up on the rest of the scan with a warning.
      const damaged = Buffer.from(jpeg);
      damaged.set([0xff, 0xd3], damaged.length / 2);
      await expectRejected(damaged, 'corrupt', /JPEG image is damaged or incomplete/);
    });
  });

  describe('pixel limits', () => {
    /** Rewrites the dimensions in a baseline JPEG's SOF0 segment. */
    function jpegClaiming(jpeg: Buffer, width: number, height: number): Buffer {
      const bomb = Buffer.from(jpeg);
      const sof = bomb.indexOf(Buffer.from([0xff, 0xc0]));
      bomb.writeUInt16BE(height, sof + 5);
      bomb.writeUInt16BE(width, sof + 7);
      return bomb;
    }

    test.each([
      ['PNG', () => solid(16, 16, [9, 9, 9]).png().toBuffer(), pngClaiming],
      ['JPEG', () => solid(16, 16, [9, 9, 9]).jpeg().toBuffer(), jpegClaiming],
    ] as const)('a %s header claiming 30000 x 30000 pixels is refused from the header, before any decoding', async (_, make, claiming) => {
      // GIVEN a few hundred bytes that would need 2.7 GB decoded
      const bomb = claiming(await make(), 30000, 30000);
      expect(bomb.length).toBeLessThan(2000);
      expect(await sharp(bomb, { limitInputPixels: false }).metadata()).toMatchObject({ width: 30000, height: 30000 });

      // WHEN
      const error = await rejection(bomb);

      // THEN the pixel data (a 16x16 image's) was never decoded: that would have failed as corrupt, not this
      expect(error.reason).toBe('too-many-pixels');
      expect(error.message).toMatch(/30000 x 30000 pixels \(900\.0 megapixels\), more than the 40\.0 megapixels/);
    });

    /**
     * A black PNG of 1 bit a pixel, written by hand: one of 16400 x 16400 pixels takes 33 KB and a fifth of a second
     * to make, where sharp takes seconds to encode as many pixels.
     */
    function blackPng(width: number, height: number): Buffer {
      const chunk = (type: string, data: Buffer) => {
        const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
        const length = Buffer.alloc(4);
        length.writeUInt32BE(data.length);
        const crc = Buffer.alloc(4);
        crc.writeUInt32BE(crc32(typed));
        return Buffer.concat([length, typed, crc]);
      };
      const header = Buffer.alloc(13);
      header.writeUInt32BE(width, 0);
      header.writeUInt32BE(height, 4);
      // Bit depth 1, greyscale; then deflate, adaptive filtering and no interlacing, all 0.
      header[8] = 1;
      // Each row is its filter type byte (0, none) and its pixels, 8 to a byte.
      const rows = Buffer.alloc((1 + Math.ceil(width / 8)) * height);
      return Buffer.concat([
        Buffer.from('89504e470d0a1a0a', 'hex'), chunk('IHDR', header), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0)),
      ]);
    }

    test('an image above sharp\'s own default limit (16383 x 16383 pixels) is resized when maxInputPixels allows it', async () => {
      // GIVEN 268,960,000 pixels, more than sharp's 268,402,689
      const input = blackPng(16_400, 16_400);

      // WHEN
      const result = await resizeImage(input, { ...OPTIONS, maxInputPixels: 300_000_000, sizes: [{ name: 'large', width: 1600, fit: 'inside' }] });

      // THEN
      expect(result.input).toEqual({ format: 'png', width: 16_400, height: 16_400 });
      expect(result.outputs[0]).toMatchObject({ width: 1600, height: 1600 });
      expectClose(await pixelAt(result.outputs[0].data, 800, 800), [0, 0, 0], 2);
    });

    test('the limit is inclusive', async () => {
      // GIVEN
      const input = await solid(100, 100, [9, 9, 9]).png().toBuffer();

      // WHEN
      const atLimit = await resizeImage(input, { ...OPTIONS, maxInputPixels: 10_000 });

      // THEN
      expect(atLimit.outputs).toHaveLength(3);
      await expectRejected(input, 'too-many-pixels', /100 x 100 pixels \(10000 pixels\), more than the 9999 pixels/,
        { ...OPTIONS, maxInputPixels: 9_999 });
    });

    test.each([
      ['wide', 100_000, 2],
      ['tall', 2, 100_000],
    ] as const)('a %s image with a side over 65,535 pixels is refused from its header, however high maxInputPixels is', async (_, width, height) => {
      // GIVEN 200,000 pixels, far under the limit, in a shape that needs gigabytes to resize at 10,000,000 x 5
      const input = await solid(width, height, [9, 9, 9]).png().toBuffer();
      const message = new RegExp(`^The image is ${width} x ${height} pixels: a side longer than 65,535 pixels, which this pipeline does not accept\\. `);

      // WHEN / THEN
      await expectRejected(input, 'too-many-pixels', message);
      await expectRejected(input, 'too-many-pixels', message, { ...OPTIONS, maxInputPixels: 1_000_000_000 });
    });

    test('a side of exactly 65,535 pixels is accepted', async () => {
      // GIVEN
      const input = await solid(65_535, 2, [9, 9, 9]).png().toBuffer();

      // WHEN
      const result = await resizeImage(input, OPTIONS);

      // THEN
      expect(result.input).toEqual({ format: 'png', width: 65_535, height: 2 });
    });

    /**
     * Rewrites the dimensions in an AVIF's image spatial extents (`ispe`) property, which is where its header gives
     * them: after the fourcc, 4 bytes of version and flags, then the width and the height.
     */
    function avifClaiming(avif: Buffer, width: number, height: number): Buffer {
      const bomb = Buffer.from(avif);
      const ispe = bomb.indexOf('ispe');
      expect(bomb.indexOf('ispe', ispe + 1)).toBe(-1);
      bomb.writeUInt32BE(width, ispe + 8);
      bomb.writeUInt32BE(height, ispe + 12);
      return bomb;
    }

    test('a 10-bit AVIF just under the default 50 megapixels, which would need about 1.2 GB to decode, is refused from its header', async () => {
      // GIVEN a 16 x 16 10-bit AVIF whose header claims 7071 x 7071 = 49,999,041 pixels: encoding as many would take
      // seconds and gigabytes
      const bomb = avifClaiming(await solid(16, 16, [20, 120, 200]).avif({ effort: 0, bitdepth: 10 }).toBuffer(), 7071, 7071);
      expect(await sharp(bomb).metadata()).toMatchObject({ width: 7071, height: 7071, bitsPerSample: 10 });

      // WHEN / THEN the pixel data (a 16x16 image's) was never decoded: libheif refuses it as not the size the header gives
      await expectRejected(bomb, 'too-many-pixels',
        new RegExp('^The image is 7071 x 7071 pixels \\(50\\.0 megapixels\\), more than the 18\\.1 megapixels this pipeline accepts in a 10-bit AVIF '
          + 'image, which takes more memory to decode than other formats\\. Upload a smaller image, or this one as JPEG or PNG '
          + '\\(up to 50\\.0 megapixels\\)\\.$'),
        { ...OPTIONS, maxInputPixels: 50_000_000 });
    });

    test('an image just over its limit is told a larger figure than the limit, as the limit is rounded down and the image up', async () => {
      // GIVEN 400 x 400 = 160,000 pixels, and a limit of floor(439,998 / 2.75) = 159,999 for a 10-bit AVIF: to one
      // decimal both are 0.2 megapixels
      const input = await solid(400, 400, [20, 120, 200]).avif({ effort: 0, bitdepth: 10 }).toBuffer();

      // WHEN
      const error = await rejection(input, { ...OPTIONS, maxInputPixels: 439_998 });

      // THEN
      expect(error.reason).toBe('too-many-pixels');
      const [, image, limit] = error.message.match(/pixels \((.+?)\), more than the (.+?) this pipeline accepts/) ?? [];
      expect({ image, limit }).toEqual({ image: '0.2 megapixels', limit: '0.1 megapixels' });
    });

    test('a count is in pixels below 0.1 megapixels and in megapixels from there', () => {
      expect(pixelCount(99_999, 'up')).toBe('99999 pixels');
      expect(pixelCount(100_000, 'down')).toBe('0.1 megapixels');
    });

    test('an image\'s count is rounded up to the tenth and a limit\'s down, the whole megapixels cut, not rounded', () => {
      expect(pixelCount(100_001, 'up')).toBe('0.2 megapixels');
      expect(pixelCount(1_500_000, 'down')).toBe('1.5 megapixels');
      expect(pixelCount(1_960_000, 'down')).toBe('1.9 megapixels');
      expect(pixelCount(1_960_000, 'up')).toBe('2.0 megapixels');
    });

    test.each([
      // 40 x 40 = 1600 pixels, counted 2.75 times: 4400
      ['10-bit', 10, 4400, /40 x 40 pixels \(1600 pixels\), more than the 1599 pixels this pipeline accepts in a 10-bit AVIF image/],
      // counted twice: 3200
      ['8-bit', 8, 3200, /40 x 40 pixels \(1600 pixels\), more than the 1599 pixels this pipeline accepts in an 8-bit AVIF image/],
    ] as const)('an AVIF of %s counts its pixels by its decoding cost, inclusively', async (_, bitdepth, weighted, message) => {
      // GIVEN
      const input = await solid(40, 40, [20, 120, 200]).avif({ effort: 0, bitdepth }).toBuffer();

      // WHEN
      const atLimit = await resizeImage(input, { ...OPTIONS, maxInputPixels: weighted });

      // THEN
      expect(atLimit.outputs).toHaveLength(3);
      await expectRejected(input, 'too-many-pixels', message, { ...OPTIONS, maxInputPixels: weighted - 1 });
    });

    test('a limit of one pixel is quoted as "1 pixel"', async () => {
      const input = await solid(1, 2, [9, 9, 9]).png().toBuffer();
      await expectRejected(input, 'too-many-pixels', /^The image is 1 x 2 pixels \(2 pixels\), more than the 1 pixel this pipeline accepts\. Upload a smaller image\.$/,
        { ...OPTIONS, maxInputPixels: 1 });
    });

    test.each([['an 8-bit', 8], ['a 10-bit', 10]] as const)('%s AVIF\'s limit, counted by its decoding cost, is at least 1 pixel: rounded down to 0 it would refuse every AVIF as too large', async (_, bitdepth) => {
      // GIVEN a limit of 1 pixel, which 2 or 2.75 would round down to 0
      const options = { ...OPTIONS, maxInputPixels: 1 };

      // WHEN
      const single = await resizeImage(await solid(1, 1, [20, 120, 200]).avif({ effort: 0, bitdepth }).toBuffer(), options);

      // THEN
      expect(single.input).toEqual({ format: 'avif', width: 1, height: 1 });
      await expectRejected(await solid(1, 2, [20, 120, 200]).avif({ effort: 0, bitdepth }).toBuffer(), 'too-many-pixels',
        /^The image is 1 x 2 pixels \(2 pixels\), more than the 1 pixel this pipeline accepts\. Upload a smaller image\.$/, options);
    });
  });

  describe('copies larger than the output format holds', () => {
    const WIDTHS: SizeSpec[] = [{ name: 'medium', width: 800, fit: 'inside' }, { name: 'large', width: 1600, fit: 'inside' }];

    test('a 1000 x 20000 PNG under sizes bounded only in width is refused for WebP, naming the size that does not fit', async () => {
      // GIVEN "medium" is 800 x 16000, within WebP's 16,383; "large" keeps 1000 x 20000
      const input = await solid(1000, 20_000, [9, 9, 9]).png().toBuffer();

      // WHEN / THEN
      await expectRejected(input, 'too-large-for-format',
        /^Its "large" copy would be 1000 x 20000 pixels, but a WebP image can be at most 16,383 pixels tall\. Upload the picture at most 16,383 pixels wide and tall/,
        { ...OPTIONS, sizes: WIDTHS, format: 'webp' });
    });

    test('a wide image under a height-only size is refused as too wide', async () => {
      const input = await solid(20_000, 100, [9, 9, 9]).png().toBuffer();
      await expectRejected(input, 'too-large-for-format', /"banner" copy would be 20000 x 100 pixels, .* AVIF image can be at most 16,384 pixels wide/,
        { ...OPTIONS, sizes: [{ name: 'banner', height: 400, fit: 'inside' }], format: 'avif' });
    });

    test('a PNG header claiming 1 x 65,535 pixels is refused from the header, before any decoding', async () => {
      // GIVEN the tallest side accepted, over JPEG's 65,500, whose pixel data is a 16 x 16 image's: decoding it would
      // fail as corrupt
      const input = pngClaiming(await solid(16, 16, [9, 9, 9]).png().toBuffer(), 1, 65_535);

      // WHEN / THEN
      await expectRejected(input, 'too-large-for-format', /^Its "medium" copy would be 1 x 65535 pixels, but a JPEG image can be at most 65,500 pixels tall/);
    });

    test.each([
      ['webp', 16_383],
      ['avif', 16_384],
      ['jpeg', 65_500],
    ] as const)('%s: a copy %i pixels tall is written, one a pixel taller refused', async (format, limit) => {
      // GIVEN
      const options: ResizeOptions = { ...OPTIONS, sizes: [WIDTHS[0]], format };
      const atLimit = await solid(1, limit, [9, 9, 9]).png().toBuffer();
      const overLimit = await solid(1, limit + 1, [9, 9, 9]).png().toBuffer();

      // WHEN
      const written = await resizeImage(atLimit, options);

      // THEN
      expect(await sharp(written.outputs[0].data).metadata()).toMatchObject({ format: format === 'avif' ? 'heif' : format, width: 1, height: limit });
      await expectRejected(overLimit, 'too-large-for-format', new RegExp(`1 x ${limit + 1} pixels`), options);
    });

    test('the width limit is inclusive too: a WebP copy 16,383 pixels wide is allowed, one a pixel wider refused', () => {
      const webp = chooseEncoding('webp', 'jpeg');
      expect(() => refuseOversizeOutputs(webp, [{ name: 'wide', width: 16_383, height: 10 }])).not.toThrow();
      expect(() => refuseOversizeOutputs(webp, [{ name: 'wide', width: 16_384, height: 10 }])).toThrow(/at most 16,383 pixels wide/);
    });
  });
});

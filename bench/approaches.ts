/**
 * The ways of making the default sizes that the benchmark compares, each from the original's bytes to encoded
 * JPEGs, the way the pipeline would have to.
 */
import { Jimp } from 'jimp';
import sharp from 'sharp';
import { SizeSpec } from '../src/handler/config';
import { resizeImage } from '../src/handler/image-core';
import { withoutUnusedJpegMetadata } from '../src/handler/jpeg-metadata';
import { DEFAULT_SIZES, ImageFit } from '../src/image-size';

export const SIZES: SizeSpec[] = DEFAULT_SIZES.map((size) => ({
  name: size.name,
  width: size.width,
  height: size.height,
  fit: size.fit ?? ImageFit.INSIDE,
}));

export const QUALITY = 80;

export type Approach = (input: Buffer) => Promise<unknown>;

export const APPROACHES = {
  /** The handler's own code. */
  project: (input) => resizeImage(input, { sizes: SIZES, format: 'jpeg', quality: QUALITY, maxInputPixels: 0x3fff * 0x3fff }),

  /**
   * A new sharp pipeline per size from the original bytes, metadata and all, as AWS's S3-triggered thumbnail
   * tutorial does.
   */
  naive: async (input) => {
    for (const size of SIZES) {
      await directResize(input, size).toBuffer();
    }
  },

  /** Pure JavaScript: decode once, then resize and encode a copy per size. */
  jimp: async (input) => {
    const original = await Jimp.read(input);
    for (const size of SIZES) {
      const copy = original.clone();
      if (size.width !== undefined && size.height !== undefined) {
        copy.cover({ w: Math.min(size.width, copy.width), h: Math.min(size.height, copy.height) });
      } else if (size.width !== undefined && copy.width > size.width) {
        copy.resize({ w: size.width });
      }
      await copy.getBuffer('image/jpeg', { quality: QUALITY });
    }
  },

  /**
   * Only the largest output, in one sharp pipeline: the least work any approach must do. That excludes reading
   * metadata no output carries, so the floor cuts it out first as the project does.
   */
  floor: async (input) => {
    const largest = SIZES.reduce((a, b) => ((a.width ?? 0) >= (b.width ?? 0) ? a : b));
    await directResize(withoutUnusedJpegMetadata(input), largest).toBuffer();
  },
} satisfies Record<string, Approach>;

export type ApproachName = keyof typeof APPROACHES;

/** What a direct resize of one size with the project's encoder settings looks like. */
export function directResize(input: Buffer, size: SizeSpec): sharp.Sharp {
  return sharp(input)
    .rotate()
    .resize(size.width, size.height, { fit: size.fit, withoutEnlargement: true })
    .flatten({ background: '#ffffff' })
    .jpeg({ quality: QUALITY, progressive: false, mozjpeg: false });
}

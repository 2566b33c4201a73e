/**
 * Which encoding each resized copy gets, and the encoder settings behind it.
 */
import type { Sharp } from 'sharp';
import { OutputFormatName } from './config';
import { AnimationInfo, SourceFormat } from './image-inspection';

export type OutputFormat = 'jpeg' | 'png' | 'webp' | 'avif' | 'gif';

export interface Encoding {
  readonly format: OutputFormat;
  readonly extension: string;
  readonly contentType: string;
  /** JPEG has no alpha channel: transparent areas become white, as they look on most web pages. */
  readonly flattenOnto?: string;
}

const ENCODINGS: Record<OutputFormat, Encoding> = {
  jpeg: { format: 'jpeg', extension: 'jpg', contentType: 'image/jpeg', flattenOnto: '#ffffff' },
  png: { format: 'png', extension: 'png', contentType: 'image/png' },
  webp: { format: 'webp', extension: 'webp', contentType: 'image/webp' },
  avif: { format: 'avif', extension: 'avif', contentType: 'image/avif' },
  gif: { format: 'gif', extension: 'gif', contentType: 'image/gif' },
};

/**
 * sharp's default AVIF effort (4) spent 7 to 15 s of CPU on one 1600-pixel-wide output on a single thread in our
 * measurements; effort 2 spent 0.6 to 2 s for files about 8% larger.
 */
const AVIF_EFFORT = 2;

/**
 * `same-as-input` keeps formats browsers display; TIFF and HEIC, which most don't, become JPEG. An animation needs a
 * format that holds one: GIF stays GIF under `same-as-input`, everything else becomes WebP, which browsers play
 * and which is far smaller than GIF.
 */
export function chooseEncoding(requested: OutputFormatName, source: SourceFormat, animated = false): Encoding {
  if (animated) {
    return requested === 'same-as-input' && source === 'gif' ? ENCODINGS.gif : ENCODINGS.webp;
  }
  if (requested !== 'same-as-input') {
    return ENCODINGS[requested];
  }
  return source === 'tiff' || source === 'heic' ? ENCODINGS.jpeg : ENCODINGS[source];
}

/**
 * Baseline rather than progressive JPEG: cheaper to encode and to decode, and at thumbnail sizes no slower to show.
 * sharp's Huffman optimisation stays on although it doubles the JPEG encode: without it the files are larger, and
 * those bytes cost more to serve than the CPU saved (figures in the README's "Performance and cost").
 * `quality` (1-100) applies to the lossy encoders; PNG and GIF are lossless apart from GIF's palette.
 *
 * @param animation for an animation, its timing, which pixels that have been through raw form no longer carry
 */
export function encode(pipeline: Sharp, encoding: Encoding, quality: number, animation?: AnimationInfo): Sharp {
  const timing = animation === undefined ? {} : { delay: animation.delay, loop: animation.loop };
  switch (encoding.format) {
    case 'jpeg':
      return pipeline.jpeg({ quality, progressive: false, mozjpeg: false });
    case 'webp':
      return pipeline.webp({ quality, ...timing });
    case 'avif':
      return pipeline.avif({ quality, effort: AVIF_EFFORT });
    case 'png':
      return pipeline.png();
    case 'gif':
      return pipeline.gif(timing);
  }
}

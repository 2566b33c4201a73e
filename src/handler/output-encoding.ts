/**
 * Which encoding each resized copy gets, and the encoder settings behind it.
 */
import type { Sharp } from 'sharp';
import { OutputFormatName } from './config';
import { AnimationInfo, SourceFormat } from './image-inspection';
import { ImageRejectedError } from './image-rejected-error';

export type OutputFormat = 'jpeg' | 'png' | 'webp' | 'avif' | 'gif';

export interface Encoding {
  readonly format: OutputFormat;
  /** As people write it, for messages. */
  readonly name: string;
  readonly extension: string;
  readonly contentType: string;
  /** JPEG has no alpha channel: transparent areas become white, as they look on most web pages. */
  readonly flattenOnto?: string;
  /** The longest side, in pixels, the encoder writes (of one frame, for an animation); absent for no limit. */
  readonly maxSide?: number;
}

/**
 * The longest side each encoder writes, of the image or, in an animation, of one frame: sharp 0.35's own check
 * (`AssertImageTypeDimensions`: "Processed image is too large for the WebP format") allows WebP 16,383, AVIF (HEIF)
 * 16,384, GIF 65,535 and JPEG 65,535, and libjpeg then stops JPEG at 65,500 (`JPEG_MAX_DIMENSION`). Each was
 * measured with sharp 0.35.5 and libvips 8.18: a side of the limit is written, one a pixel longer is not. PNG has no
 * such check; a 1 x 20,000,000 PNG was written.
 */
const ENCODINGS: Record<OutputFormat, Encoding> = {
  jpeg: { format: 'jpeg', name: 'JPEG', extension: 'jpg', contentType: 'image/jpeg', flattenOnto: '#ffffff', maxSide: 65_500 },
  png: { format: 'png', name: 'PNG', extension: 'png', contentType: 'image/png' },
  webp: { format: 'webp', name: 'WebP', extension: 'webp', contentType: 'image/webp', maxSide: 16_383 },
  avif: { format: 'avif', name: 'AVIF', extension: 'avif', contentType: 'image/avif', maxSide: 16_384 },
  gif: { format: 'gif', name: 'GIF', extension: 'gif', contentType: 'image/gif', maxSide: 65_535 },
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

/** An output's name and dimensions (of one frame, for an animation), as planned before anything is decoded. */
export interface PlannedOutput {
  readonly name: string;
  readonly width: number;
  readonly height: number;
}

/**
 * Refuses, before anything is decoded, an upload one of whose copies the encoder could not write. A size never
 * enlarges, but one with only a width (or only a height, or `outside`) leaves the other side to follow the
 * image, so a long, narrow upload can give a copy taller or wider than the output format holds. The encoder would
 * fail on every attempt; this says why, at once, and costs no decoding.
 *
 * @throws ImageRejectedError (`too-large-for-format`) naming the first such size
 */
export function refuseOversizeOutputs(encoding: Encoding, outputs: readonly PlannedOutput[]): void {
  const limit = encoding.maxSide;
  if (limit === undefined) {
    return;
  }
  const over = outputs.find((output) => output.width > limit || output.height > limit);
  if (over === undefined) {
    return;
  }
  const side = over.height > limit ? 'tall' : 'wide';
  const limitText = limit.toLocaleString('en-US');
  throw new ImageRejectedError('too-large-for-format',
    `Its "${over.name}" copy would be ${over.width} x ${over.height} pixels, but a ${encoding.name} image can be at most `
    + `${limitText} pixels ${side}. Upload the picture at most ${limitText} pixels wide and tall (scale it down or `
    + 'crop it).');
}

/** The longest frame delay, in milliseconds, sharp's gif() and webp() accept. */
const MAX_ENCODABLE_DELAY = 65_535;

/**
 * sharp refuses any delay over 65,535 ms although GIF holds up to 655.35 s and WebP 16,777 s, and would fail the
 * whole valid upload; so a longer frame shows for 65.5 s instead.
 */
function encodableDelay(delay: number): number {
  return Math.min(delay, MAX_ENCODABLE_DELAY);
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
  const timing = animation === undefined ? {} : { delay: animation.delay?.map(encodableDelay), loop: animation.loop };
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

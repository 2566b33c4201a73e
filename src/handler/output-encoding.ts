/**
 * Which encoding each resized copy gets, and the encoder settings behind it.
 */
import type { Sharp } from 'sharp';
import { OutputFormatName } from './config';
import { SourceFormat } from './image-inspection';

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

/** `same-as-input` keeps formats browsers display; TIFF, which they don't, becomes JPEG. */
export function chooseEncoding(requested: OutputFormatName, source: SourceFormat): Encoding {
  if (requested !== 'same-as-input') {
    return ENCODINGS[requested];
  }
  return source === 'tiff' ? ENCODINGS.jpeg : ENCODINGS[source];
}

/**
 * Baseline rather than progressive JPEG: cheaper to encode and to decode, and at thumbnail sizes no slower to show.
 * `quality` (1-100) applies to the lossy encoders; PNG and GIF are lossless apart from GIF's palette.
 */
export function encode(pipeline: Sharp, encoding: Encoding, quality: number): Sharp {
  switch (encoding.format) {
    case 'jpeg':
      return pipeline.jpeg({ quality, progressive: false, mozjpeg: false });
    case 'webp':
      return pipeline.webp({ quality });
    case 'avif':
      return pipeline.avif({ quality, effort: AVIF_EFFORT });
    case 'png':
      return pipeline.png();
    case 'gif':
      return pipeline.gif();
  }
}

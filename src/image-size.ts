/**
 * How an image is fitted into a size's box. These are sharp's own fit modes with `withoutEnlargement`, so sharp's
 * documentation describes them exactly. No fit enlarges the image itself. With only `width` or only `height`, the box
 * is that one side: `COVER`, `INSIDE` and `OUTSIDE` all scale the image to it, keeping the aspect ratio.
 *
 * @see https://sharp.pixelplumbing.com/api-resize
 */
export enum ImageFit {
  /**
   * Crop to fill the box, keeping the aspect ratio. The image is not enlarged to fill it: a side shorter than the
   * box's stays as it is, so a 100x80 original in a 200x50 box gives 100x50.
   */
  COVER = 'cover',
  /**
   * Letterbox inside the box, keeping the aspect ratio. The bars are opaque black, also in outputs that keep
   * transparency. An image smaller than the box is padded to the whole box; with one side given, an image smaller
   * than that side is padded to it (a 100x80 original with `width` 120 gives 120x80).
   */
  CONTAIN = 'contain',
  /**
   * Stretch to the box, ignoring the aspect ratio: each side is scaled on its own, never enlarged. With one side
   * given, only that side is scaled: a 1000x800 original with `width` 120 gives 120x800.
   */
  FILL = 'fill',
  /** As large as possible while both sides stay within the box, keeping the aspect ratio. */
  INSIDE = 'inside',
  /** As small as possible while both sides cover the box, keeping the aspect ratio. */
  OUTSIDE = 'outside',
}

/** One output of the pipeline: every upload is written once per size. */
export interface ImageSize {
  /**
   * Names the size in notifications and is the key prefix of its outputs (`{name}/{original key}`), so it
   * must be a safe S3 key segment: letters, digits, `-` and `_`, at most 64 characters. It must be a literal, not a
   * token such as a CfnParameter's value: that is checked when the pipeline is created, before any token has a value.
   */
  readonly name: string;
  /**
   * Largest width in pixels, a whole number from 1 to 16383 (WebP's limit, the lowest of the output formats').
   * Images are never enlarged.
   *
   * @default - no width limit; `height` and `fit` decide (see `ImageFit`)
   */
  readonly width?: number;
  /**
   * Largest height in pixels, a whole number from 1 to 16383 (WebP's limit, the lowest of the output formats').
   * Images are never enlarged.
   *
   * @default - no height limit; `width` and `fit` decide (see `ImageFit`)
   */
  readonly height?: number;
  /**
   * How the image is fitted into `width` and `height`. It matters with one of them too: `FILL` then scales that side
   * alone, and `CONTAIN` pads an image smaller than it.
   *
   * @default ImageFit.INSIDE
   */
  readonly fit?: ImageFit;
}

/** The encoding of every resized output. */
export enum OutputFormat {
  /** Baseline JPEG: smallest decode cost for viewers, no transparency (alpha is flattened onto white). */
  JPEG = 'jpeg',
  /** WebP: smaller than JPEG at the same quality, keeps transparency. */
  WEBP = 'webp',
  /** AVIF: smallest files, slowest to encode, keeps transparency. */
  AVIF = 'avif',
  /** The input's own format where it is JPEG, PNG, WebP, AVIF or GIF, and JPEG otherwise. */
  SAME_AS_INPUT = 'same-as-input',
}

/** The three sizes a pipeline makes when none are given. */
export const DEFAULT_SIZES: ImageSize[] = [
  { name: 'thumbnail', width: 150, height: 150, fit: ImageFit.COVER },
  { name: 'medium', width: 800 },
  { name: 'large', width: 1600 },
];

/**
 * The exact pixel dimensions sharp gives one size, worked out from the header alone.
 *
 * The handler decodes an upload once and derives every size from that one decode, yet each output must have
 * the dimensions a plain `sharp(original).autoOrient().resize(width, height, { fit, withoutEnlargement: true })`
 * would give. Those depend on sharp's and libvips' rounding, including the coarser pixel grid that JPEG and
 * WebP shrink-on-load start from, so this module repeats that arithmetic step for step (sharp 0.35
 * `ResolveShrink` and the shrink-on-load choice in `pipeline.cc`; libvips 8.18 `vips_resize`, `jpeg2vips`,
 * `webp2vips`). The tests compare it with sharp itself over many random dimensions.
 */
import type { Sharp } from 'sharp';
import { Fit, SizeSpec } from './config';

/** Which decoder shortcut sharp takes when the first resize of a pipeline shrinks the image. */
export type ShrinkOnLoad = 'jpeg' | 'webp' | 'none';

export interface Region {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

export interface SizeGeometry {
  /** The scaled image, before a `cover` crop or a `contain` letterbox. */
  readonly scaledWidth: number;
  readonly scaledHeight: number;
  /** The output. */
  readonly width: number;
  readonly height: number;
  /** `cover`: the part of the scaled image that is kept. */
  readonly crop?: Region;
  /** `contain`: where the scaled image sits inside the output; the rest is background. */
  readonly embed?: Region;
}

/**
 * @param width upright width of the original (after EXIF orientation)
 * @param height upright height of the original
 * @param shrinkOnLoad the original's decoder shortcut, which moves where rounding happens
 */
export function planSize(width: number, height: number, size: SizeSpec, shrinkOnLoad: ShrinkOnLoad): SizeGeometry {
  const boxWidth = size.width ?? 0;
  const boxHeight = size.height ?? 0;
  const [loadedWidth, loadedHeight] = loadedDimensions(
    width, height, resolveShrink(width, height, boxWidth, boxHeight, size.fit), shrinkOnLoad);
  const [hshrink, vshrink] = resolveShrink(loadedWidth, loadedHeight, boxWidth, boxHeight, size.fit);
  const scaledWidth = reducedLength(loadedWidth, hshrink);
  const scaledHeight = reducedLength(loadedHeight, vshrink);
  const targetWidth = boxWidth > 0 ? boxWidth : scaledWidth;
  const targetHeight = boxHeight > 0 ? boxHeight : scaledHeight;
  const fitsExactly = scaledWidth === targetWidth && scaledHeight === targetHeight;

  if (size.fit === 'cover' && !fitsExactly) {
    const outWidth = Math.min(targetWidth, scaledWidth);
    const outHeight = Math.min(targetHeight, scaledHeight);
    return {
      scaledWidth,
      scaledHeight,
      width: outWidth,
      height: outHeight,
      crop: {
        left: Math.floor((scaledWidth - outWidth + 1) / 2),
        top: Math.floor((scaledHeight - outHeight + 1) / 2),
        width: outWidth,
        height: outHeight,
      },
    };
  }
  if (size.fit === 'contain' && !fitsExactly) {
    const outWidth = Math.max(targetWidth, scaledWidth);
    const outHeight = Math.max(targetHeight, scaledHeight);
    return {
      scaledWidth,
      scaledHeight,
      width: outWidth,
      height: outHeight,
      embed: {
        left: Math.floor((outWidth - scaledWidth) / 2),
        top: Math.floor((outHeight - scaledHeight) / 2),
        width: scaledWidth,
        height: scaledHeight,
      },
    };
  }
  return { scaledWidth, scaledHeight, width: scaledWidth, height: scaledHeight };
}

/**
 * The size's `cover` crop or `contain` letterbox, applied to a pipeline that scales to `scaledWidth` x `scaledHeight`.
 * The letterbox is sharp's default for `contain`, opaque black, so it looks as a direct resize's would.
 */
export function cropOrPad(scaled: Sharp, geometry: SizeGeometry): Sharp {
  if (geometry.crop) {
    return scaled.extract(geometry.crop);
  }
  if (geometry.embed) {
    const { left, top, width, height } = geometry.embed;
    return scaled.extend({
      left,
      top,
      right: geometry.width - width - left,
      bottom: geometry.height - height - top,
      background: { r: 0, g: 0, b: 0, alpha: 1 },
    });
  }
  return scaled;
}

/** sharp's `ResolveShrink` with `withoutEnlargement`: the factor each axis is divided by. */
function resolveShrink(width: number, height: number, boxWidth: number, boxHeight: number, fit: Fit): [number, number] {
  let hshrink = 1;
  let vshrink = 1;
  if (boxWidth > 0 && boxHeight > 0) {
    hshrink = width / boxWidth;
    vshrink = height / boxHeight;
    if (fit === 'cover' || fit === 'outside') {
      hshrink = vshrink = Math.min(hshrink, vshrink);
    } else if (fit === 'contain' || fit === 'inside') {
      hshrink = vshrink = Math.max(hshrink, vshrink);
    }
  } else if (boxWidth > 0) {
    hshrink = width / boxWidth;
    if (fit !== 'fill') {
      vshrink = hshrink;
    }
  } else if (boxHeight > 0) {
    vshrink = height / boxHeight;
    if (fit !== 'fill') {
      hshrink = vshrink;
    }
  }
  return [
    Math.min(Math.max(1, hshrink), width),
    Math.min(Math.max(1, vshrink), height),
  ];
}

/** The dimensions the decoder hands over once sharp has picked its shrink-on-load for this size. */
function loadedDimensions(
  width: number, height: number, [hshrink, vshrink]: [number, number], shrinkOnLoad: ShrinkOnLoad,
): [number, number] {
  const shrink = Math.min(hshrink, vshrink);
  if (shrinkOnLoad === 'jpeg') {
    let factor = shrink >= 8 ? 8 : shrink >= 4 ? 4 : shrink >= 2 ? 2 : 1;
    // sharp steps back one factor where libjpeg's scaled rounding is known to go wrong.
    if (factor > 1 && Math.trunc(shrink) === factor) {
      factor /= 2;
    }
    return [Math.floor(width / factor), Math.floor(height / factor)];
  }
  if (shrinkOnLoad === 'webp' && shrink > 1) {
    const scale = 1 / shrink;
    return [roundHalfEven(width * scale), roundHalfEven(height * scale)];
  }
  return [width, height];
}

/** The length `vips_resize` gives an axis that sharp asks it to divide by `shrink`. */
function reducedLength(length: number, shrink: number): number {
  const scale = Math.max(1 / shrink, 1 / length);
  return scale < 1 ? Math.floor(length / (1 / scale) + 0.5) : length;
}

/** C's `rint` in the default rounding mode, for positive numbers. */
function roundHalfEven(value: number): number {
  const rounded = Math.round(value);
  return rounded - value === 0.5 && rounded % 2 === 1 ? rounded - 1 : rounded;
}

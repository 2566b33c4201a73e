/**
 * A count of pixels as a message gives it, to a tenth of a megapixel from 0.1 MP on. Limits are rounded down and an
 * image's count up, so an image over its limit never reads as the limit's own figure. Without sharp, so that the
 * construct's synth warnings quote `maxInputPixels` as the function's refusals do.
 */
export function pixelCount(pixels: number, rounding: 'down' | 'up'): string {
  if (pixels < 100_000) {
    return pixels === 1 ? '1 pixel' : `${pixels} pixels`;
  }
  const tenths = (rounding === 'down' ? Math.floor : Math.ceil)(pixels / 100_000);
  return `${Math.floor(tenths / 10)}.${tenths % 10} megapixels`;
}

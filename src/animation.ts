/** What happens to animated GIF and WebP uploads. */
export enum Animation {
  /** Every size is a still image of the first frame, in the configured output format. */
  FIRST_FRAME = 'first-frame',
  /**
   * Every size keeps every frame. Animation needs a format that holds it: WebP, or GIF for a GIF input with
   * `OutputFormat.SAME_AS_INPUT`; an animated upload is written as WebP when the output format is JPEG or AVIF.
   * `maxInputPixels` counts the pixels of all frames together. Every frame of every size is encoded again, GIF about
   * 4 times slower than WebP, so a long animation can need a longer `timeout` or more `memorySize` (which buys CPU)
   * than a still: one that does not fit in the timeout is refused as `takes-too-long`.
   */
  KEEP = 'keep',
}

/**
 * Animated GIF and WebP uploads with every frame kept (`Animation.KEEP`).
 *
 * Each size is one resize of the whole animation from the file, made one size after another. The still path's
 * decode-once does not carry over: its intermediate is every pixel raw, which for an animation means every frame
 * at once (up to `maxInputPixels` across them), whereas libvips resizes an animation straight from the file a
 * frame at a time. Sizes are made in turn rather than together for the same reason: memory.
 */
import sharp, { Sharp } from 'sharp';
import type { ResizedImage, ResizeOptions } from './image-core';
import { AnimationInfo, SourceImage } from './image-inspection';
import { ImageRejectedError } from './image-rejected-error';
import { chooseEncoding, encode, refuseOversizeOutputs } from './output-encoding';
import { outputBefore, ResizeDeadlineError } from './resize-deadline';
import { cropOrPad, planSize } from './resize-geometry';

/** sharp's own default level, as for stills: a damaged animation is an error, not a silently broken one. */
const FAIL_ON = 'warning';

/** All frames, upright, ready to be resized. */
interface Frames {
  /** A fresh pipeline over them. */
  readonly open: () => Sharp;
  /** Whether that pipeline reads the file: then its failures are the file's; otherwise the frames are decoded already. */
  readonly readsFile: boolean;
}

/**
 * @returns in the order of `options.sizes`; every frame has the dimensions a still resize of it would have, and
 *   `height` is that of one frame
 * @throws ImageRejectedError when a size's frames would be larger than the output format holds (before anything is
 *   decoded), or the animation is damaged
 * @throws ResizeDeadlineError when `options.deadline` came before the work was done
 */
export async function resizeAnimation(
  input: Buffer, source: SourceImage, animation: AnimationInfo, options: ResizeOptions,
): Promise<ResizedImage[]> {
  const encoding = chooseEncoding(options.format, source.format, true);
  // Planned as a still of the file, with its shrink-on-load, even where the frames are scaled from raw (an oriented
  // WebP, see openFrames): they are forced to the planned size below, and a still's dimensions are the promise.
  const plans = options.sizes.map((size) => ({ size, geometry: planSize(source.width, source.height, size, source.shrinkOnLoad) }));
  refuseOversizeOutputs(encoding, plans.map(({ size, geometry }) => ({ name: size.name, width: geometry.width, height: geometry.height })));
  const frames = await openFrames(input, source, animation, options.deadline);
  const outputs: ResizedImage[] = [];
  for (const { size, geometry } of plans) {
    // The planned size, not the fit: sharp rounds an animation's frame height half to even where a still's rounds
    // half up, so a 640 x 480 GIF at width 150 had frames of 150 x 112 against a still's 150 x 113.
    const scaled = frames.open().resize(geometry.scaledWidth, geometry.scaledHeight, { fit: 'fill' });
    const pipeline = cropOrPad(scaled, geometry);
    let result: { data: Buffer; info: sharp.OutputInfo };
    try {
      result = await outputBefore(encode(pipeline, encoding, options.quality, animation), options.deadline);
    } catch (error) {
      // Frames already decoded cannot be damaged; whatever else failed is not the upload's fault, and is retried.
      throw frames.readsFile && !(error instanceof ResizeDeadlineError) ? damaged(source, error) : error;
    }
    const { data, info } = result;
    outputs.push({
      name: size.name,
      width: info.width,
      height: info.pageHeight ?? info.height,
      format: encoding.format,
      extension: encoding.extension,
      contentType: encoding.contentType,
      data,
    });
  }
  return outputs;
}

/**
 * All frames, upright. libvips cannot rotate an animation, so one that carries an EXIF orientation (a WebP may) is
 * decoded once and each frame turned on its own, one after another, back into the same buffer: a turned frame has
 * the same number of bytes as before (a quarter turn swaps width and height), and the frames of a strip lie one
 * after another whatever their shape. So the animation is held raw once, plus one frame, rather than three times
 * (decoded, turned, and joined into one strip): for 50 frames of 1000 x 1000 that took peak RSS from 630 MB to
 * 420 MB, against 335 MB for the same animation without an orientation, which libvips reads a frame at a time.
 */
async function openFrames(input: Buffer, source: SourceImage, animation: AnimationInfo, deadline: number | undefined): Promise<Frames> {
  const options = { animated: true, failOn: FAIL_ON, limitInputPixels: source.maxPixels } as const;
  if (animation.orientation === 1) {
    return { open: () => sharp(input, options), readsFile: true };
  }
  let decoded: { data: Buffer; info: sharp.OutputInfo };
  try {
    decoded = await outputBefore(sharp(input, options).raw(), deadline);
  } catch (error) {
    throw error instanceof ResizeDeadlineError ? error : damaged(source, error);
  }
  const strip = decoded.data;
  const { width, channels } = decoded.info;
  const frameHeight = decoded.info.height / animation.frames;
  const frameBytes = width * frameHeight * channels;
  let turned: sharp.OutputInfo | undefined;
  for (let index = 0; index < animation.frames; index++) {
    const offset = index * frameBytes;
    const frame = sharp(strip.subarray(offset, offset + frameBytes), { raw: { width, height: frameHeight, channels } });
    const upright = await outputBefore(orient(frame, animation.orientation).raw(), deadline);
    upright.data.copy(strip, offset);
    turned = upright.info;
  }
  const raw = { width: turned!.width, height: turned!.height * animation.frames, channels, pageHeight: turned!.height };
  return { open: () => sharp(strip, { raw, animated: true }), readsFile: false };
}

/** What `autoOrient` does for each EXIF orientation, in sharp's own order of operations. */
function orient(frame: Sharp, orientation: number): Sharp {
  switch (orientation) {
    case 2: return frame.flop();
    case 3: return frame.rotate(180);
    case 4: return frame.flip();
    case 5: return frame.rotate(90).flip();
    case 6: return frame.rotate(90);
    case 7: return frame.rotate(90).flop();
    case 8: return frame.rotate(270);
    default: return frame;
  }
}

function damaged(source: SourceImage, cause: unknown): ImageRejectedError {
  return new ImageRejectedError('corrupt',
    `The animated ${source.format.toUpperCase()} is damaged or incomplete (was the upload cut short?), so it cannot ` +
    'be decoded.', cause);
}

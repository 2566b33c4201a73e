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
import { chooseEncoding, encode } from './output-encoding';

/** sharp's own default level, as for stills: a damaged animation is an error, not a silently broken one. */
const FAIL_ON = 'warning';

/**
 * @returns in the order of `options.sizes`; every frame has the dimensions a still resize of it would have, and
 *   `height` is that of one frame
 */
export async function resizeAnimation(
  input: Buffer, source: SourceImage, animation: AnimationInfo, options: ResizeOptions,
): Promise<ResizedImage[]> {
  const encoding = chooseEncoding(options.format, source.format, true);
  const frames = await openFrames(input, source, animation, options.maxInputPixels);
  const outputs: ResizedImage[] = [];
  for (const size of options.sizes) {
    const pipeline = frames().resize(size.width, size.height, { fit: size.fit, withoutEnlargement: true });
    let result: { data: Buffer; info: sharp.OutputInfo };
    try {
      result = await encode(pipeline, encoding, options.quality, animation).toBuffer({ resolveWithObject: true });
    } catch (error) {
      throw damaged(source, error);
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
 * A fresh pipeline over all frames, upright. libvips cannot rotate an animation, so one that carries an EXIF
 * orientation (a WebP may) is decoded once and each frame turned on its own.
 */
async function openFrames(input: Buffer, source: SourceImage, animation: AnimationInfo, maxInputPixels: number): Promise<() => Sharp> {
  const options = { animated: true, failOn: FAIL_ON, limitInputPixels: maxInputPixels } as const;
  if (animation.orientation === 1) {
    return () => sharp(input, options);
  }
  let decoded: { data: Buffer; info: sharp.OutputInfo };
  try {
    decoded = await sharp(input, options).raw().toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw damaged(source, error);
  }
  const { width, channels } = decoded.info;
  const frameHeight = decoded.info.height / animation.frames;
  const frameBytes = width * frameHeight * channels;
  const upright = await Promise.all(Array.from({ length: animation.frames }, (_, index) => {
    const frame = sharp(decoded.data.subarray(index * frameBytes, (index + 1) * frameBytes), { raw: { width, height: frameHeight, channels } });
    return orient(frame, animation.orientation).raw().toBuffer({ resolveWithObject: true });
  }));
  const turned = upright[0].info;
  const strip = Buffer.concat(upright.map((frame) => frame.data));
  const raw = { width: turned.width, height: turned.height * animation.frames, channels, pageHeight: turned.height };
  return () => sharp(strip, { raw, animated: true });
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

/**
 * The resize handler's image work, with no AWS in it: bytes in, encoded sizes out.
 */
import sharp from 'sharp';
import { AnimationName, Fit, OutputFormatName, SizeSpec } from './config';
import { resizeAnimation } from './image-animation';
import { inspectImage, SourceImage } from './image-inspection';
import { ImageRejectedError } from './image-rejected-error';
import { withoutUnusedJpegMetadata } from './jpeg-metadata';
import { chooseEncoding, encode, Encoding, OutputFormat, refuseOversizeOutputs } from './output-encoding';
import { outputBefore, ResizeDeadlineError } from './resize-deadline';
import { cropOrPad, planSize, SizeGeometry } from './resize-geometry';

export { ImageRejectedError } from './image-rejected-error';
export type { RejectReason } from './image-rejected-error';
export { ResizeDeadlineError } from './resize-deadline';

/**
 * Each invocation decodes a different upload, so libvips' operation cache would only hold memory that a
 * Lambda function's budget needs for the next image.
 */
sharp.cache(false);

export interface ResizeOptions {
  readonly sizes: SizeSpec[];
  readonly format: OutputFormatName;
  /** 1-100, for the lossy encodings (JPEG, WebP, AVIF). */
  readonly quality: number;
  /** Larger images are refused from their header, before anything is decoded; an animation's frames count together. */
  readonly maxInputPixels: number;
  /**
   * Whether animated GIF and WebP uploads keep every frame.
   *
   * @default 'first-frame'
   */
  readonly animation?: AnimationName;
  /**
   * The `Date.now()` by which the image work must end. Past it, libvips stops, and `ResizeDeadlineError` is thrown.
   *
   * @default no deadline
   */
  readonly deadline?: number;
}

export interface ResizedImage {
  /** The size's name. */
  readonly name: string;
  readonly width: number;
  /** Of one frame, for an animation. */
  readonly height: number;
  readonly format: OutputFormat;
  /** Without the dot. */
  readonly extension: string;
  readonly contentType: string;
  readonly data: Buffer;
}

export interface ResizeResult {
  /** `width` and `height` are upright, i.e. after the EXIF orientation is applied. */
  readonly input: { readonly format: string; readonly width: number; readonly height: number };
  /** In the order of `options.sizes`. */
  readonly outputs: ResizedImage[];
}

/** sharp's own default level: a truncated or damaged image is an error, not a silently grey half-picture. */
const FAIL_ON = 'warning';

/** For each fit, the fit that scales the image by the same factor but neither crops nor pads it. */
const UNCUT_FIT: Record<Fit, Fit> = { cover: 'outside', contain: 'inside', fill: 'fill', inside: 'inside', outside: 'outside' };

interface SizePlan {
  readonly size: SizeSpec;
  readonly geometry: SizeGeometry;
}

/** The pixels every size is cut from: upright, sRGB, 8 bits a channel, uncompressed. */
interface Intermediate {
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 2 | 3 | 4;
}

/**
 * Makes every size of one upload.
 *
 * The format is read from the bytes, never from a name. Outputs are upright (EXIF orientation applied), sRGB with
 * 8 bits a channel, and carry no metadata (no EXIF, GPS position or ICC profile). Transparency is kept in PNG, WebP,
 * AVIF and GIF outputs and flattened onto white in JPEG. An animated GIF or WebP gives its first frame only, unless
 * `animation` is `keep`: then every size keeps every frame (see image-animation.ts), in a format that can hold them.
 *
 * Each size matches what `sharp(input).autoOrient().resize(width, height, { fit, withoutEnlargement: true })`
 * gives: exactly its dimensions and nearly its pixels. So no image is ever enlarged; `contain` pads to the box
 * (black, sharp's default) even around an image smaller than the box, while `cover` crops to the box but never
 * beyond the image.
 *
 * The original is decoded once: one pipeline (with JPEG and WebP shrink-on-load) scales it to the largest size any
 * output needs, and every size is made from that. A straightforward resize per size would decode it once per size.
 * A JPEG's bulky metadata is left out before either of the two reads, its header's and its pixels' (see
 * jpeg-metadata.ts).
 *
 * @throws ImageRejectedError when the upload is no image, an image the pipeline refuses, too large (in pixels, or
 *   for one of its copies to fit the output format), or damaged: retrying cannot help
 * @throws ResizeDeadlineError when `options.deadline` came before the work was done
 */
export async function resizeImage(upload: Buffer, options: ResizeOptions): Promise<ResizeResult> {
  if (options.sizes.length === 0) {
    throw new Error('resizeImage: at least one size is required');
  }
  const input = withoutUnusedJpegMetadata(upload);
  const source = await inspectImage(input, options.maxInputPixels, options.animation === 'keep');
  const described = { format: source.format, width: source.width, height: source.height };
  if (source.animation !== undefined) {
    return { input: described, outputs: await resizeAnimation(input, source, source.animation, options) };
  }
  const encoding = chooseEncoding(options.format, source.format);
  const plans = options.sizes.map((size) => ({
    size,
    geometry: planSize(source.width, source.height, size, source.shrinkOnLoad),
  }));
  refuseOversizeOutputs(encoding, plans.map(({ size, geometry }) => ({ name: size.name, width: geometry.width, height: geometry.height })));

  const intermediate = await decodeOnce(input, source, plans, encoding, options.deadline);
  // One size after another, not all at once: the function has less than one vCPU below 1,769 MB, so parallel
  // renders only take turns, and each holds its own buffers meanwhile. Over the reference corpus in one long-lived
  // process, rendering them in parallel raised peak RSS from about 420 MB to 540 to 630 MB and saved no CPU time.
  const outputs: ResizedImage[] = [];
  for (const plan of plans) {
    outputs.push(await renderSize(intermediate, plan, encoding, options.quality, options.deadline));
  }
  return { input: described, outputs };
}

/**
 * Scales the original to the smallest image from which every size can still be made without enlarging.
 *
 * With the usual sizes one of them needs that whole image: its resize (with `cover` as `outside` and `contain` as
 * `inside`, which scale alike but neither crop nor pad) drives the pipeline, so sharp chooses the same
 * shrink-on-load and scale factors as for a direct resize of that size, which then comes out pixel for pixel the
 * same. Other sizes mix shapes no single size covers and scale to the union of their dimensions.
 */
async function decodeOnce(
  input: Buffer, source: SourceImage, plans: SizePlan[], encoding: Encoding, deadline: number | undefined,
): Promise<Intermediate> {
  const width = Math.max(...plans.map((plan) => plan.geometry.scaledWidth));
  const height = Math.max(...plans.map((plan) => plan.geometry.scaledHeight));
  const driver = plans.find((plan) => plan.geometry.scaledWidth === width && plan.geometry.scaledHeight === height);
  let pipeline = sharp(input, { autoOrient: true, failOn: FAIL_ON, limitInputPixels: source.maxPixels });
  pipeline = driver === undefined
    ? pipeline.resize(width, height, { fit: 'fill' })
    : pipeline.resize(driver.size.width, driver.size.height, { fit: UNCUT_FIT[driver.size.fit], withoutEnlargement: true });
  if (encoding.flattenOnto !== undefined) {
    pipeline = pipeline.flatten({ background: encoding.flattenOnto });
  }
  // Not for every image: sharp converts to the profile asked for from its working one, P3 for any 16-bit RGB, though
  // untagged pixels never entered P3.
  if (source.decodesToP3) {
    pipeline = pipeline.withIccProfile('srgb');
  }
  try {
    const { data, info } = await outputBefore(pipeline.toColourspace('srgb').raw(), deadline);
    return { data, width: info.width, height: info.height, channels: info.channels };
  } catch (error) {
    if (error instanceof ResizeDeadlineError) {
      throw error;
    }
    throw new ImageRejectedError('corrupt',
      `The ${source.format.toUpperCase()} image is damaged or incomplete (was the upload cut short?), so it cannot ` +
      'be decoded.', error);
  }
}

async function renderSize(
  intermediate: Intermediate, { size, geometry }: SizePlan, encoding: Encoding, quality: number, deadline: number | undefined,
): Promise<ResizedImage> {
  const { width, height, channels } = intermediate;
  let pipeline = sharp(intermediate.data, { raw: { width, height, channels } });
  if (geometry.scaledWidth !== width || geometry.scaledHeight !== height) {
    pipeline = pipeline.resize(geometry.scaledWidth, geometry.scaledHeight, { fit: 'fill' });
  }
  const { data, info } = await outputBefore(encode(cropOrPad(pipeline, geometry), encoding, quality), deadline);
  return {
    name: size.name,
    width: info.width,
    height: info.height,
    format: encoding.format,
    extension: encoding.extension,
    contentType: encoding.contentType,
    data,
  };
}

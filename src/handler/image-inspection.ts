/**
 * Decides from the bytes alone, before any pixel is decoded, whether an upload is an image the pipeline will
 * resize. The name and Content-Type an uploader sends are never trusted: only what the bytes say.
 */
import sharp from 'sharp';
import { gifFramesDecodeWhole, reachesGifTrailer } from './gif-blocks';
import { decodesHeic } from './heic-support';
import { ImageRejectedError } from './image-rejected-error';
import { pixelCount } from './pixel-count';
import { ShrinkOnLoad } from './resize-geometry';

/** `heic` only where the sharp in use decodes HEVC, i.e. with a sharp layer of one's own. */
export type SourceFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'avif' | 'tiff' | 'heic';

export interface SourceImage {
  readonly format: SourceFormat;
  /** Upright, i.e. after the EXIF orientation is applied; of one frame, for an animation. */
  readonly width: number;
  readonly height: number;
  readonly shrinkOnLoad: ShrinkOnLoad;
  /**
   * The most pixels an image of this format and bit depth may have: `maxInputPixels`, less for AVIF and HEIC. The
   * decode is held to it too, so that sharp's own check agrees with this one.
   */
  readonly maxPixels: number;
  /**
   * Whether sharp converts the pixels to Display P3 as it decodes them, and back to sRGB only when asked: it does for
   * RGB of more than 8 bits a sample (a 16-bit PNG, a 10-bit AVIF) with an ICC profile. Left in P3, they read as
   * desaturated sRGB.
   */
  readonly decodesToP3: boolean;
  /** Present when the image is an animation whose frames are all to be kept. */
  readonly animation?: AnimationInfo;
}

export interface AnimationInfo {
  readonly frames: number;
  /** Milliseconds each frame shows, as the file gives them. */
  readonly delay?: number[];
  /** How often it plays; 0 for ever. */
  readonly loop?: number;
  /** The EXIF orientation (1-8), which a WebP may carry. */
  readonly orientation: number;
}

/**
 * The longest side accepted, whatever `maxInputPixels` allows: the most a GIF or JPEG header can state (16 bits; WebP
 * holds 14), so only a PNG or TIFF can pass it. Resizing needs memory that grows with the long side, not only with the
 * pixels: with the default sizes a PNG of 65,535 x 762 (50 MP) peaked at 421 MB, one of 1,000,000 x 50 at 700 MB and
 * one of 10,000,000 x 5 (also 50 MP, 218 KB) at 4.5 GB, which ran the default 1024 MB function out of memory on every
 * receive until its message went to the dead-letter queue.
 */
const MAX_SIDE = 65_535;

/**
 * The most frames a kept animation may have, however small they are: resizing takes time that grows faster than the
 * frame count. A GIF of 50,000 frames of 10 x 10 (5 MP in all) took about 100 s of CPU, past the function's 60 s
 * timeout, so every receive timed out until its message went to the dead-letter queue; 5,000 frames took 3 s and
 * 1,000 frames under 1 s, with the default sizes and output format.
 */
const MAX_KEPT_FRAMES = 1_000;

/** Only these hold animations sharp can read and write. */
const ANIMATED_FORMATS: ReadonlySet<SourceFormat> = new Set(['gif', 'webp']);

const ACCEPTED = 'JPEG, PNG, WebP, GIF, AVIF or TIFF';

const GIF_DAMAGED = 'The GIF image is damaged or incomplete (was the upload cut short?), so it cannot be decoded.';

/**
 * How many pixels one pixel of an 8-bit AVIF or HEIC counts as against `maxInputPixels`, so that the largest one
 * accepted needs no more memory than the largest image of another format. libheif has no shrink-on-load and decodes
 * the whole image into buffers of its own before libvips copies it. Peak RSS above the baseline of a fresh process
 * with the function's malloc settings and the default sizes, from 18 to 50 MP: 18 to 19 bytes a pixel for an 8-bit
 * AVIF, with or without alpha, and 25 to 26 for a 10-bit one, against about 9.4 for the costliest other format, a
 * 16-bit interlaced PNG. Uncounted, a 10-bit AVIF of 50 MP needed 1.2 GB and ran the default 1024 MB function out of
 * memory. HEIC goes through libheif the same way (not measured: sharp's prebuilt libvips cannot decode it).
 */
const HEIF_8_BIT_PIXEL_WEIGHT = 2;
/** As {@link HEIF_8_BIT_PIXEL_WEIGHT}, for 10 and 12 bits a sample, which libheif and libvips hold in 16. */
const HEIF_DEEP_PIXEL_WEIGHT = 2.75;

/**
 * Brands of ISO-BMFF files that hold HEVC-coded HEIF images. The generic `mif1`/`msf1` also appear in AVIF files,
 * so an AVIF brand anywhere in the `ftyp` box wins.
 */
const HEIC_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'hevm', 'hevs', 'mif1', 'msf1', 'mif2']);
const AVIF_BRANDS = new Set(['avif', 'avis']);

/**
 * How far into a file its root element is looked for. An SVG with a longer prologue gets past this look but not
 * past sharp, which names it `svg` from its header.
 */
const SVG_SNIFF_BYTES = 4096;
/** What may stand before an XML document's root element: declaration, processing instructions, comments, doctype. */
const XML_PROLOGUE = /^(\s*(<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE[^>]*>))*/i;

/**
 * @param keepAnimation whether an animated GIF or WebP keeps its frames; its pixels are then those of all frames
 * @throws ImageRejectedError when the bytes are no image, an image this pipeline refuses, one too large to decode
 *   within `maxInputPixels` or with a side over {@link MAX_SIDE}, a GIF with damaged pixel data in a frame to be
 *   decoded, or a GIF cut short or an animation of more than {@link MAX_KEPT_FRAMES} frames whose frames are to be
 *   kept, or a TIFF with channels it cannot show
 */
export async function inspectImage(input: Buffer, maxInputPixels: number, keepAnimation = false): Promise<SourceImage> {
  if (input.length === 0) {
    throw new ImageRejectedError('empty', 'The upload is empty (0 bytes), so there is no image to resize.');
  }
  if (hasHeicBrand(input) && !await decodesHeic()) {
    throw new ImageRejectedError('unsupported-format', heicMessage());
  }
  refuseSvg(input);

  const metadata = await readHeader(input);
  const format = await sourceFormat(metadata);
  // Only a kept animation needs every frame: libvips cannot read the header of a GIF cut inside its first frame, and
  // one cut later gives that frame whole.
  if (keepAnimation && format === 'gif' && !reachesGifTrailer(input)) {
    throw new ImageRejectedError('corrupt', GIF_DAMAGED);
  }
  const frames = metadata.pages ?? 1;
  const animated = keepAnimation && frames > 1 && ANIMATED_FORMATS.has(format);
  if (metadata.width > MAX_SIDE || metadata.height > MAX_SIDE) {
    throw new ImageRejectedError('too-many-pixels',
      `${animated ? 'Each frame of the animation is' : 'The image is'} ${metadata.width} x ${metadata.height} pixels: a side longer than ` +
      `${MAX_SIDE.toLocaleString('en-US')} pixels, which this pipeline does not accept. Upload the picture at most ` +
      `${MAX_SIDE.toLocaleString('en-US')} pixels wide and tall (scale it down or crop it).`);
  }
  if (animated && frames > MAX_KEPT_FRAMES) {
    throw new ImageRejectedError('too-many-pixels',
      `The animation has ${frames} frames, more than the ${MAX_KEPT_FRAMES.toLocaleString('en-US')} this pipeline keeps. ` +
      'Upload a shorter animation, or one frame of it as a still image.');
  }
  const pixels = metadata.width * metadata.height * (animated ? frames : 1);
  const maxPixels = maxPixelsFor(format, metadata.bitsPerSample, maxInputPixels);
  if (pixels > maxPixels) {
    const size = animated
      ? `The animation is ${metadata.width} x ${metadata.height} pixels in ${frames} frames (${pixelCount(pixels, 'up')} in all)`
      : `The image is ${metadata.width} x ${metadata.height} pixels (${pixelCount(pixels, 'up')})`;
    const limit = maxPixels === maxInputPixels
      ? `more than the ${pixelCount(maxPixels, 'down')} this pipeline accepts. Upload a smaller image.`
      : `more than the ${pixelCount(maxPixels, 'down')} this pipeline accepts in ${heifKind(format, metadata.bitsPerSample)} image, ` +
        'which takes more memory to decode than other formats. Upload a smaller image, or this one as JPEG or PNG ' +
        `(up to ${pixelCount(maxInputPixels, 'down')}).`;
    throw new ImageRejectedError('too-many-pixels', `${size}, ${limit}`);
  }
  if (format === 'tiff') {
    refuseExtraChannels(metadata);
  }
  // Only the frames that are to be decoded, and only once the pixel limits are met, since this reads their LZW codes.
  if (format === 'gif' && !gifFramesDecodeWhole(input, animated ? frames : 1)) {
    throw new ImageRejectedError('corrupt', GIF_DAMAGED);
  }
  return {
    format,
    width: metadata.autoOrient.width,
    height: metadata.autoOrient.height,
    shrinkOnLoad: format === 'jpeg' || format === 'webp' ? format : 'none',
    maxPixels,
    decodesToP3: metadata.space === 'rgb16' && metadata.hasProfile === true,
    animation: animated
      ? { frames, delay: metadata.delay, loop: metadata.loop, orientation: metadata.orientation ?? 1 }
      : undefined,
  };
}

/**
 * How much of a file the `ftyp` box is read from, whatever size the box declares. A real one holds a major brand, a
 * version and a few compatible brands: tens of bytes (28 in libheif's HEIC and AVIF files alike). 256 bytes allow
 * 60 compatible brands. Trusting the declared size instead let a crafted upload (`0xFFFFFFFF` then `ftyp`) have
 * the whole file read four bytes at a time: a 100 MB upload took 10 s and 1.4 GB.
 */
export const MAX_FTYP_BYTES = 256;

/**
 * From the `ftyp` box alone, so that the refusal names HEIC even when libvips cannot read the header. Only its first
 * {@link MAX_FTYP_BYTES} are read.
 */
export function hasHeicBrand(input: Buffer): boolean {
  if (input.length < 16 || input.toString('latin1', 4, 8) !== 'ftyp') {
    return false;
  }
  // A declared size of 0 means "to the end of the file"; either way the scan stops at MAX_FTYP_BYTES.
  const declared = input.readUInt32BE(0);
  const boxEnd = Math.min(declared === 0 ? input.length : declared, input.length, MAX_FTYP_BYTES);
  // The major brand (bytes 8-11), then, after the minor version (bytes 12-15), the compatible brands.
  const major = input.toString('latin1', 8, 12);
  if (AVIF_BRANDS.has(major)) {
    return false;
  }
  let heic = HEIC_BRANDS.has(major);
  for (let offset = 16; offset + 4 <= boxEnd; offset += 4) {
    const brand = input.toString('latin1', offset, offset + 4);
    if (AVIF_BRANDS.has(brand)) {
      return false;
    }
    heic ||= HEIC_BRANDS.has(brand);
  }
  return heic;
}

function heicMessage(): string {
  return 'HEIC/HEIF photos (the default format of iPhone cameras) cannot be resized here: the image library has no ' +
    `HEVC decoder. Export the photo as JPEG (or set the camera to "Most Compatible") and upload it as ${ACCEPTED}.`;
}

function refuseSvg(input: Buffer): void {
  const head = input.toString('utf8', 0, SVG_SNIFF_BYTES).replace(/^\uFEFF/, '');
  if (/^\s*<svg[\s>]/i.test(head.replace(XML_PROLOGUE, ''))) {
    throw new ImageRejectedError('unsupported-format', svgMessage());
  }
}

function svgMessage(): string {
  return 'SVG images are refused: an SVG can reference external resources (other files and web addresses), which ' +
    `the server must not fetch. Upload the picture as ${ACCEPTED} instead.`;
}

interface Header {
  readonly format: string;
  readonly compression?: string;
  /** Of one frame, for an animation. */
  readonly width: number;
  readonly height: number;
  readonly autoOrient: { readonly width: number; readonly height: number };
  readonly pages?: number;
  readonly delay?: number[];
  readonly loop?: number;
  readonly orientation?: number;
  readonly bitsPerSample?: number;
  readonly space?: string;
  readonly channels?: number;
  readonly hasProfile?: boolean;
}

/**
 * Image formats sharp's libvips cannot read, known by their first bytes so that the refusal names the format rather
 * than calling the upload no image at all.
 */
const UNREADABLE_FORMATS: ReadonlyArray<{ readonly name: string; readonly matches: (input: Buffer) => boolean }> = [
  { name: 'BMP', matches: isBmp },
  // Version 1 (PSD) or 2 (PSB, "large document format").
  { name: 'Photoshop (PSD)', matches: (input) => input.length >= 6 && startsWith(input, '8BPS') && [1, 2].includes(input.readUInt16BE(4)) },
  // Reserved 0, type 1 (icon), then at least one image.
  { name: 'ICO (icon)', matches: (input) => input.length >= 22 && startsWith(input, '\0\0\x01\0') && input.readUInt16LE(4) > 0 },
  // The bare codestream, or the signature box of the ISO-BMFF container.
  { name: 'JPEG XL', matches: (input) => startsWith(input, '\xff\x0a') || startsWith(input, '\0\0\0\x0cJXL \r\n\x87\n') },
  // The JP2 signature box, or a bare J2K codestream (SOC then SIZ marker).
  { name: 'JPEG 2000', matches: (input) => startsWith(input, '\0\0\0\x0cjP  \r\n\x87\n') || startsWith(input, '\xff\x4f\xff\x51') },
];

/** "BM", then the size of the DIB header that follows the 14-byte file header: one of the sizes its versions have. */
function isBmp(input: Buffer): boolean {
  return input.length >= 18 && startsWith(input, 'BM') && [12, 16, 40, 52, 56, 64, 108, 124].includes(input.readUInt32LE(14));
}

function startsWith(input: Buffer, signature: string): boolean {
  return input.length >= signature.length && input.toString('latin1', 0, signature.length) === signature;
}

/** Reads only the header: the pixel limit is checked here, so it must not make sharp refuse before we can say why. */
async function readHeader(input: Buffer): Promise<Header> {
  try {
    return await sharp(input, { limitInputPixels: false }).metadata();
  } catch (error) {
    const unreadable = UNREADABLE_FORMATS.find((format) => format.matches(input));
    if (unreadable !== undefined) {
      throw new ImageRejectedError('unsupported-format',
        `${unreadable.name} images are not supported: the image library cannot read them. Upload the picture as ${ACCEPTED}.`, error);
    }
    const detail = error instanceof Error ? error.message : String(error);
    // libvips tries any markup that mentions <svg as an SVG and calls it corrupt when it is HTML or other XML.
    if (detail.includes('unsupported image format') || looksLikeMarkup(input)) {
      throw new ImageRejectedError('not-an-image',
        `The upload is not an image: its contents match none of the formats this pipeline reads (${ACCEPTED}).`, error);
    }
    throw new ImageRejectedError('corrupt',
      'The image is damaged: its header (the part that says how large it is and how it is stored) cannot be read. ' +
      'Was the upload cut short?', error);
  }
}

/** Colour channels per colour space; any other space sharp converts from has three. */
const COLOUR_CHANNELS: Partial<Record<string, number>> = { 'b-w': 1, 'grey16': 1, 'cmyk': 4 };

/**
 * Refuses a TIFF with channels beyond its colours and one alpha channel (TIFF's extra samples). libvips keeps them
 * through the colour conversion and takes the last channel for alpha, so such an image cannot be flattened for JPEG,
 * and its five-channel pixels are more than raw input can be read back as. Only TIFF holds them among the formats
 * accepted.
 *
 * @throws ImageRejectedError (`unsupported-format`) naming the channels
 */
function refuseExtraChannels(header: Header): void {
  const { channels = 0, space = 'srgb' } = header;
  const colour = COLOUR_CHANNELS[space] ?? 3;
  if (channels <= colour + 1) {
    return;
  }
  throw new ImageRejectedError('unsupported-format',
    `The TIFF image has ${channels} channels: ${colour} for colour, and ${channels - colour - 1} more besides an alpha `
    + 'channel, which cannot be shown. Save it with only its colour channels and at most one alpha channel (for '
    + 'example as RGB or RGBA).');
}

function looksLikeMarkup(input: Buffer): boolean {
  return /^\s*</.test(input.toString('utf8', 0, 64).replace(/^\uFEFF/, ''));
}

async function sourceFormat(header: Header): Promise<SourceFormat> {
  switch (header.format) {
    case 'jpeg':
    case 'png':
    case 'webp':
    case 'gif':
    case 'tiff':
      return header.format;
    case 'heif':
      if (header.compression === 'av1') {
        return 'avif';
      }
      if (header.compression === 'hevc' && await decodesHeic()) {
        return 'heic';
      }
      throw new ImageRejectedError('unsupported-format', heicMessage());
    case 'svg':
      throw new ImageRejectedError('unsupported-format', svgMessage());
    default:
      throw new ImageRejectedError('unsupported-format',
        `${header.format.toUpperCase()} files are not supported. Upload the picture as ${ACCEPTED}.`);
  }
}

/**
 * The most pixels an image of this format and bit depth may have under `maxInputPixels`. A HEIF header that does not
 * give the bit depth is counted as the costlier, deep kind. Never below 1: a limit of 0 would refuse every AVIF as
 * larger than allowed whatever its size (and sharp reads a `limitInputPixels` of 0 as no limit at all), while one
 * pixel costs nothing to decode in any format.
 */
export function maxPixelsFor(format: SourceFormat, bitsPerSample: number | undefined, maxInputPixels: number): number {
  if (format !== 'avif' && format !== 'heic') {
    return maxInputPixels;
  }
  return Math.max(1, Math.floor(maxInputPixels / (bitsPerSample === 8 ? HEIF_8_BIT_PIXEL_WEIGHT : HEIF_DEEP_PIXEL_WEIGHT)));
}

/** "an 8-bit AVIF", "a 10-bit HEIC", or without the depth where the header does not give it. */
function heifKind(format: SourceFormat, bitsPerSample: number | undefined): string {
  const kind = `${bitsPerSample === undefined ? '' : `${bitsPerSample}-bit `}${format.toUpperCase()}`;
  return `${/^(8|A)/.test(kind) ? 'an' : 'a'} ${kind}`;
}

/**
 * Images made with sharp for tests that push them through the pipeline: the same bytes on every run, and each
 * with the one property under test (a colour space, a bit depth, an orientation, a damaged header...).
 */
import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { corpusPhoto } from './corpus';

export type Rgb = [number, number, number];

/** Repeatable detail, so encoders and damaged data have real work. */
export function noise(width: number, height: number): sharp.Sharp {
  const pixels = Buffer.alloc(width * height * 3);
  let state = 1;
  for (let i = 0; i < pixels.length; i++) {
    state = (state * 48271) % 2147483647;
    pixels[i] = state % 256;
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } });
}

export function solid(width: number, height: number, [r, g, b]: Rgb): sharp.Sharp {
  return sharp({ create: { width, height, channels: 3, background: { r, g, b } } });
}

/** The colour at (x, y) of any image sharp reads, one value a channel. */
export async function pixelAt(data: Buffer, x: number, y: number): Promise<number[]> {
  const { data: pixels, info } = await sharp(data).raw().toBuffer({ resolveWithObject: true });
  const offset = (y * info.width + x) * info.channels;
  return [...pixels.subarray(offset, offset + info.channels)];
}

export function maxChannelDifference(actual: number[], expected: number[]): number {
  return Math.max(...expected.map((value, i) => Math.abs(value - actual[i])));
}

/** A baseline JPEG with its frame header's length field destroyed: the header cannot be parsed. */
export function jpegWithDamagedHeader(jpeg: Buffer): Buffer {
  const damaged = Buffer.from(jpeg);
  const startOfFrame = damaged.indexOf(Buffer.from([0xff, 0xc0]));
  damaged.writeUInt16BE(0xffff, startOfFrame + 2);
  return damaged;
}

/** Rewrites the dimensions in a PNG's IHDR chunk (CRC included); the pixel data stays that of the small image. */
export function pngClaiming(png: Buffer, width: number, height: number): Buffer {
  const bomb = Buffer.from(png);
  bomb.writeUInt32BE(width, 16);
  bomb.writeUInt32BE(height, 20);
  bomb.writeUInt32BE(crc32(bomb.subarray(12, 29)), 29);
  return bomb;
}

/** What an iPhone's HEIC starts with: an ISO-BMFF `ftyp` box with the `heic` brand, then (here) zeros. */
export function heicHeader(): Buffer {
  const ftyp = Buffer.alloc(24);
  ftyp.writeUInt32BE(ftyp.length, 0);
  ftyp.write('ftypheic', 4, 'latin1');
  ftyp.write('mif1heic', 16, 'latin1');
  return Buffer.concat([ftyp, Buffer.alloc(256)]);
}

/** A 2 x 2, 24-bit Windows bitmap, blue: a real BMP, in a format sharp cannot read. */
export function bmp(): Buffer {
  const rowBytes = 8; // 2 pixels of 3 bytes, padded to 4
  const file = Buffer.alloc(54 + 2 * rowBytes);
  file.write('BM', 0, 'latin1');
  file.writeUInt32LE(file.length, 2);
  file.writeUInt32LE(54, 10); // where the pixels start
  file.writeUInt32LE(40, 14); // BITMAPINFOHEADER
  file.writeInt32LE(2, 18);
  file.writeInt32LE(2, 22);
  file.writeUInt16LE(1, 26); // planes
  file.writeUInt16LE(24, 28); // bits a pixel
  file.writeUInt32LE(2 * rowBytes, 34);
  for (const pixel of [54, 57, 54 + rowBytes, 57 + rowBytes]) {
    file[pixel] = 255; // B, G, R
  }
  return file;
}

/**
 * Images, or at least their opening bytes, in the formats sharp's prebuilt libvips cannot read that people still
 * upload: each as its real file starts.
 */
export async function unreadableImages(): Promise<Array<[name: string, body: Buffer]>> {
  const png = await solid(16, 16, [255, 0, 0]).png().toBuffer();
  const icoHeader = Buffer.alloc(22);
  icoHeader.writeUInt16LE(1, 2); // type: icon
  icoHeader.writeUInt16LE(1, 4); // one image, a PNG (as Windows Vista and later store them)
  icoHeader.set([16, 16], 6);
  icoHeader.writeUInt16LE(1, 10);
  icoHeader.writeUInt16LE(32, 12);
  icoHeader.writeUInt32LE(png.length, 14);
  icoHeader.writeUInt32LE(icoHeader.length, 18);
  const psd = Buffer.alloc(26 + 4 * 3 + 2 + 2 * 2 * 3);
  psd.write('8BPS', 0, 'latin1');
  psd.writeUInt16BE(1, 4); // version
  psd.writeUInt16BE(3, 12); // channels
  psd.writeUInt32BE(2, 14);
  psd.writeUInt32BE(2, 18);
  psd.writeUInt16BE(8, 22); // bits a channel
  psd.writeUInt16BE(3, 24); // RGB
  const tail = Buffer.alloc(64);
  return [
    ['BMP', bmp()],
    ['Photoshop (PSD)', psd],
    ['ICO (icon)', Buffer.concat([icoHeader, png])],
    ['JPEG XL', Buffer.concat([Buffer.from('ff0afa1f420c', 'hex'), tail])],
    ['JPEG XL', Buffer.concat([Buffer.from('0000000c4a584c200d0a870a00000014667479706a786c20000000006a786c20', 'hex'), tail])],
    ['JPEG 2000', Buffer.concat([Buffer.from('0000000c6a5020200d0a870a00000014667479706a703220000000006a703220', 'hex'), tail])],
    ['JPEG 2000', Buffer.concat([Buffer.from('ff4fff51002f0000', 'hex'), tail])],
  ];
}

/** Two frames, red then blue. */
export async function animated(format: 'gif' | 'webp', width = 40, height = 30): Promise<Buffer> {
  const frames = await Promise.all([[255, 0, 0], [0, 0, 255]].map((rgb) => solid(width, height, rgb as Rgb).png().toBuffer()));
  return sharp(frames, { join: { animated: true } }).toFormat(format).toBuffer();
}

/** Left half fully transparent, right half opaque red. */
export function halfTransparent(width = 64, height = 64): sharp.Sharp {
  const pixels = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    if (i % width >= width / 2) {
      pixels.set([255, 0, 0, 255], i * 4);
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 4 } });
}

export const ORIENTATION_WIDTH = 64;
export const ORIENTATION_HEIGHT = 48;
/** Upright: red top left, green top right, blue bottom left, yellow bottom right. */
export const QUADRANTS: Rgb[] = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0]];

/** Where the upright pixel (x, y) is stored under each EXIF orientation (TIFF 6.0 / EXIF 2.3 definitions). */
const STORED: Record<number, (x: number, y: number) => [number, number]> = {
  1: (x, y) => [x, y],
  2: (x, y) => [ORIENTATION_WIDTH - 1 - x, y],
  3: (x, y) => [ORIENTATION_WIDTH - 1 - x, ORIENTATION_HEIGHT - 1 - y],
  4: (x, y) => [x, ORIENTATION_HEIGHT - 1 - y],
  5: (x, y) => [y, x],
  6: (x, y) => [y, ORIENTATION_WIDTH - 1 - x],
  7: (x, y) => [ORIENTATION_HEIGHT - 1 - y, ORIENTATION_WIDTH - 1 - x],
  8: (x, y) => [ORIENTATION_HEIGHT - 1 - y, x],
};

/** A JPEG that shows {@link QUADRANTS} upright only when its EXIF orientation is applied. */
export async function storedWithOrientation(orientation: number): Promise<Buffer> {
  const [storedWidth, storedHeight] = orientation >= 5 ? [ORIENTATION_HEIGHT, ORIENTATION_WIDTH] : [ORIENTATION_WIDTH, ORIENTATION_HEIGHT];
  const pixels = Buffer.alloc(storedWidth * storedHeight * 3);
  for (let y = 0; y < ORIENTATION_HEIGHT; y++) {
    for (let x = 0; x < ORIENTATION_WIDTH; x++) {
      const [sx, sy] = STORED[orientation](x, y);
      const quadrant = QUADRANTS[(y < ORIENTATION_HEIGHT / 2 ? 0 : 2) + (x < ORIENTATION_WIDTH / 2 ? 0 : 1)];
      pixels.set(quadrant, (sy * storedWidth + sx) * 3);
    }
  }
  return sharp(pixels, { raw: { width: storedWidth, height: storedHeight, channels: 3 } })
    .withMetadata({ orientation })
    .jpeg({ quality: 95 })
    .toBuffer();
}

/** Which of {@link QUADRANTS} each quarter of an image shows, read at the quarters' centres. */
export async function quadrantsOf(data: Buffer): Promise<number[]> {
  const { width, height } = await sharp(data).metadata();
  const found: number[] = [];
  for (const [fx, fy] of [[0.25, 0.25], [0.75, 0.25], [0.25, 0.75], [0.75, 0.75]]) {
    const pixel = await pixelAt(data, Math.floor(width * fx), Math.floor(height * fy));
    const distance = (colour: Rgb) => colour.reduce((sum, value, i) => sum + Math.abs(value - pixel[i]), 0);
    found.push(QUADRANTS.reduce((best, colour, i) => (distance(colour) < distance(QUADRANTS[best]) ? i : best), 0));
  }
  return found;
}

/** A JPEG marker segment: the marker, its length and `payload`. */
export function segment(marker: number, payload: Buffer): Buffer {
  const header = Buffer.from([0xff, marker, 0, 0]);
  header.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([header, payload]);
}

/** Photoshop-style extended XMP: `count` APP1 segments of about 60 KB each, and an APP13 with IPTC. */
export function bulkyMetadata(count: number): Buffer {
  const chunk = Buffer.alloc(60_000, 'x');
  const extendedXmp = Buffer.concat([Buffer.from('http://ns.adobe.com/xmp/extension/\0'), Buffer.alloc(40, '0'), chunk]);
  const photoshop = Buffer.concat([Buffer.from('Photoshop 3.0\0'), Buffer.alloc(5_000, 'i')]);
  return Buffer.concat([...Array.from({ length: count }, () => segment(0xe1, extendedXmp)), segment(0xed, photoshop)]);
}

/** `metadata` spliced in right after the start-of-image marker, ahead of everything the JPEG had. */
export function withMetadataAhead(jpeg: Buffer, metadata: Buffer): Buffer {
  return Buffer.concat([jpeg.subarray(0, 2), metadata, jpeg.subarray(2)]);
}

/**
 * An animated WebP of `frames` frames of 640 x 400 cut from a photograph, written at libwebp's least effort, so that
 * it is made in about a second while resizing it with its frames kept takes seconds: 60 frames, each encoded again
 * at full size and the usual effort, took over 4 s of CPU time here.
 */
export async function slowAnimatedWebp(frames = 60): Promise<Buffer> {
  const photo = await sharp(readFileSync(corpusPhoto('Elephants_3840x2160.jpg'))).resize(1280).raw().toBuffer({ resolveWithObject: true });
  const cuts = await Promise.all(Array.from({ length: frames }, (_, i) =>
    sharp(photo.data, { raw: photo.info }).extract({ left: 10 * i, top: 5 * i, width: 640, height: 400 }).raw().toBuffer()));
  return sharp(Buffer.concat(cuts), { raw: { width: 640, height: 400 * frames, channels: 3, pageHeight: 400 } }).webp({ effort: 0 }).toBuffer();
}

/**
 * What the load test uploads: small images of the kinds people send (camera JPEGs, some sideways by EXIF,
 * PNGs with transparency, WebP, GIF) and, now and then, something the pipeline must refuse. Made once per run
 * with sharp, the same bytes every time.
 */
import sharp from 'sharp';

export interface LoadInput {
  /** Names the kind in keys and reports, e.g. `photo.jpg`. */
  readonly name: string;
  readonly body: Buffer;
  /** The notification the upload must end in. */
  readonly expected: 'resized' | 'failed';
}

/** One upload in this many is bad. */
export const BAD_EVERY = 20;

/** Colour ramps with a checker pattern: detail for the encoders, quick to decode. */
function pattern(width: number, height: number, channels: 3 | 4): sharp.Sharp {
  const pixels = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const offset = (y * width + x) * channels;
      pixels[offset] = Math.round((x / width) * 255);
      pixels[offset + 1] = Math.round((y / height) * 255);
      pixels[offset + 2] = (Math.floor(x / 16) + Math.floor(y / 16)) % 2 === 0 ? 60 : 190;
      if (channels === 4) {
        pixels[offset + 3] = x < width / 3 ? 0 : 255;
      }
    }
  }
  return sharp(pixels, { raw: { width, height, channels } });
}

export async function loadInputs(): Promise<{ good: LoadInput[]; bad: LoadInput[] }> {
  const photo = await pattern(640, 480, 3).jpeg({ quality: 85 }).toBuffer();
  const good: LoadInput[] = [
    { name: 'photo.jpg', body: photo, expected: 'resized' },
    { name: 'sideways.jpg', body: await pattern(480, 360, 3).withMetadata({ orientation: 6 }).jpeg({ quality: 85 }).toBuffer(), expected: 'resized' },
    { name: 'logo.png', body: await pattern(400, 300, 4).png().toBuffer(), expected: 'resized' },
    { name: 'banner.webp', body: await pattern(800, 300, 3).webp({ quality: 80 }).toBuffer(), expected: 'resized' },
    { name: 'icon.gif', body: await pattern(200, 200, 3).gif().toBuffer(), expected: 'resized' },
  ];
  const bad: LoadInput[] = [
    { name: 'not-an-image.jpg', body: Buffer.from('This is a text file with an image name.\n'), expected: 'failed' },
    { name: 'empty.png', body: Buffer.alloc(0), expected: 'failed' },
    { name: 'truncated.jpg', body: photo.subarray(0, Math.floor(photo.length / 2)), expected: 'failed' },
  ];
  return { good, bad };
}

/** The input for upload number `index`: good kinds in turn, and every {@link BAD_EVERY}th a bad one. */
export function inputFor(index: number, inputs: { good: LoadInput[]; bad: LoadInput[] }): LoadInput {
  if (index % BAD_EVERY === BAD_EVERY - 1) {
    return inputs.bad[Math.floor(index / BAD_EVERY) % inputs.bad.length];
  }
  return inputs.good[index % inputs.good.length];
}

/**
 * Makes the repository's sample images. They are drawn pixel by pixel from arithmetic (no fonts, no SVG
 * renderer, no randomness), so the same sharp version writes the same bytes on every machine, and nobody has
 * to wonder about a photograph's licence.
 *
 *   npx ts-node --project tsconfig.dev.json samples/generate.ts
 */
import { writeFileSync } from 'fs';
import * as path from 'path';
import sharp from 'sharp';

type Rgba = [number, number, number, number];
type Painter = (x: number, y: number) => Rgba;

const SAMPLES_DIR = __dirname;

function raw(width: number, height: number, paint: Painter): sharp.Sharp {
  const pixels = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      pixels.set(paint(x, y), (y * width + x) * 4);
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 4 } });
}

function mix(a: number, b: number, t: number): number {
  return Math.round(a + (b - a) * t);
}

function inCircle(x: number, y: number, cx: number, cy: number, r: number): boolean {
  return (x - cx) ** 2 + (y - cy) ** 2 <= r ** 2;
}

/** A sky-to-sand gradient with a sun and two hills: wide, like most camera uploads. */
const landscape: Painter = (x, y) => {
  const w = 2400;
  const h = 1600;
  if (inCircle(x, y, 1750, 420, 210)) return [250, 204, 80, 255];
  if (y > h * 0.62 + 120 * Math.sin((x / w) * Math.PI * 2)) return [54, mix(120, 80, y / h), 62, 255];
  if (y > h * 0.7 + 90 * Math.cos((x / w) * Math.PI * 3)) return [90, 140, 70, 255];
  const t = y / h;
  return [mix(70, 240, t), mix(130, 200, t), mix(220, 160, t), 255];
};

/**
 * An upright portrait scene: an arrow pointing up on a vertical gradient. It is stored turned on its side
 * with EXIF orientation 6, as phones write portraits, so an output that ignores the tag shows the arrow
 * pointing sideways.
 */
const portraitUpright: Painter = (x, y) => {
  const w = 1200;
  const inHead = y >= 300 && y < 700 && Math.abs(x - w / 2) <= (y - 300) * 0.75;
  const inShaft = y >= 700 && y < 1300 && Math.abs(x - w / 2) <= 110;
  if (inHead || inShaft) return [200, 40, 60, 255];
  const t = y / 1600;
  return [mix(245, 120, t), mix(235, 170, t), mix(200, 230, t), 255];
};

/** Discs on a transparent background, so a JPEG output has to flatten alpha and a WebP output keeps it. */
const transparentDiscs: Painter = (x, y) => {
  if (inCircle(x, y, 380, 380, 300)) return [30, 144, 255, 255];
  if (inCircle(x, y, 820, 520, 240)) return [255, 99, 71, 200];
  if (x > 300 && x < 900 && y > 760 && y < 860) return [46, 139, 87, 128];
  return [0, 0, 0, 0];
};

/** Concentric rings: any resampling error shows as moire. */
const rings: Painter = (x, y) => {
  const d = Math.hypot(x - 900, y - 600);
  const band = Math.floor(d / 60) % 2;
  return band === 0 ? [mix(20, 200, x / 1800), 80, mix(200, 40, y / 1200), 255] : [240, 240, mix(180, 255, x / 1800), 255];
};

async function main() {
  const out = (name: string) => path.join(SAMPLES_DIR, name);

  await raw(2400, 1600, landscape).jpeg({ quality: 80 }).toFile(out('landscape.jpg'));

  const upright = await raw(1200, 1600, portraitUpright).png().toBuffer();
  await sharp(upright).rotate(270).jpeg({ quality: 80 }).withMetadata({ orientation: 6 }).toFile(out('portrait-exif6.jpg'));

  await raw(1200, 900, transparentDiscs).png({ compressionLevel: 9, palette: true }).toFile(out('transparent.png'));

  await raw(1800, 1200, rings).webp({ quality: 75 }).toFile(out('rings.webp'));

  writeFileSync(out('not-an-image.jpg'), 'This is a text file with a .jpg name. The pipeline must report it as a failure, not crash.\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

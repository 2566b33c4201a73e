/**
 * Peak RSS of one `resizeImage` call (default sizes, JPEG q80) per input, each in a fresh process: the corpus's
 * largest photograph, a generated 40-megapixel image in each layout that decodes differently, and AVIFs as large as
 * the default `maxInputPixels` allows them. Then the same inputs one after another in one long-lived process, as a
 * warm container meets them. What it prints is the evidence for the default `maxInputPixels`.
 *
 *   ts-node --project tsconfig.dev.json bench/memory.ts [--corpus-image FILE] [--only NAME,...]
 *
 * `--only` measures just the inputs of those file names (the corpus image's too, if named).
 *
 * The generated inputs are kept in bench/out/memory-inputs/ (not committed) and reused on later runs.
 */
import { existsSync } from 'fs';
import { mkdir, stat } from 'fs/promises';
import * as path from 'path';
import sharp from 'sharp';
import { ApproachProcess } from './approach-process';
import type { CallMeasurement } from './approach-worker';
import { maxPixelsFor } from '../src/handler/image-inspection';

const REPO_ROOT = path.join(__dirname, '..');
const INPUTS = path.join(__dirname, 'out', 'memory-inputs');

/** 7744 x 5164 = 39.99 megapixels, a 3:2 camera frame. */
const WIDTH = 7744;
const HEIGHT = 5164;

/** Each layout makes libvips hold a different amount of the image at once. */
const LAYOUTS: Record<string, (photo: sharp.Sharp) => sharp.Sharp> = {
  'baseline.jpg': (photo) => photo.jpeg({ quality: 90 }),
  'progressive.jpg': (photo) => photo.jpeg({ quality: 90, progressive: true }),
  'rotated-exif-6.jpg': (photo) => photo.jpeg({ quality: 90 }).withMetadata({ orientation: 6 }),
  'plain.png': (photo) => photo.png({ compressionLevel: 1 }),
  'interlaced.png': (photo) => photo.png({ compressionLevel: 1, progressive: true }),
  '16-bit.png': (photo) => photo.toColourspace('rgb16').png({ compressionLevel: 1 }),
  'lossy.webp': (photo) => photo.webp({ quality: 80 }),
  'tiled.tiff': (photo) => photo.tiff({ compression: 'lzw', tile: true }),
};

/** The pipeline's default. */
const MAX_INPUT_PIXELS = 50_000_000;

/** About 3:2, a camera frame, and as close to `pixels` as whole rows and columns allow without going over. */
function largest3By2(pixels: number): { width: number; height: number } {
  const height = Math.floor(Math.sqrt((pixels * 2) / 3));
  return { width: Math.floor(pixels / height), height };
}

/**
 * libheif decodes an AVIF whole, so it counts more than once against `maxInputPixels` and is generated at the most
 * pixels that allows for its bit depth rather than at 40 megapixels. An alpha channel is decoded as a second image.
 */
const LARGEST_AVIFS: Record<string, { readonly bitdepth: 8 | 10; readonly alpha: boolean }> = {
  '8-bit.avif': { bitdepth: 8, alpha: false },
  '8-bit-alpha.avif': { bitdepth: 8, alpha: true },
  '10-bit.avif': { bitdepth: 10, alpha: false },
  '10-bit-alpha.avif': { bitdepth: 10, alpha: true },
};

/**
 * The worst case an uploader can choose: an interlaced PNG must be decoded whole, 16-bit RGBA is 8 bytes a pixel,
 * and a flat colour compresses so well that the file passes any upload size limit.
 */
function worstCase(): sharp.Sharp {
  return sharp({ create: { width: WIDTH, height: HEIGHT, channels: 4, background: { r: 20, g: 120, b: 200, alpha: 0.5 } } })
    .toColourspace('rgb16')
    .png({ compressionLevel: 9, progressive: true });
}

async function generatedInputs(source: string, wanted: (file: string) => boolean): Promise<string[]> {
  await mkdir(INPUTS, { recursive: true });
  const generators: Array<[string, () => sharp.Sharp]> = [
    ...Object.entries(LAYOUTS).map(([name, layout]): [string, () => sharp.Sharp] =>
      [name, () => layout(sharp(source).resize(WIDTH, HEIGHT, { fit: 'fill' }))]),
    ['flat-interlaced-16-bit-alpha.png', worstCase],
    ...Object.entries(LARGEST_AVIFS).map(([name, { bitdepth, alpha }]): [string, () => sharp.Sharp] => {
      const { width, height } = largest3By2(maxPixelsFor('avif', bitdepth, MAX_INPUT_PIXELS));
      const photo = sharp(source).resize(width, height, { fit: 'fill' });
      return [name, () => (alpha ? photo.ensureAlpha(0.8) : photo).avif({ effort: 0, bitdepth })];
    }),
  ];
  const files: string[] = [];
  for (const [name, generate] of generators.filter(([generated]) => wanted(generated))) {
    const file = path.join(INPUTS, name);
    if (!existsSync(file)) {
      console.log(`generating ${name}...`);
      await generate().toFile(file);
    }
    files.push(file);
  }
  return files;
}

interface Input {
  readonly file: string;
  readonly fileMb: number;
  readonly megapixels: number;
}

async function describe(file: string): Promise<Input> {
  const { width, height } = await sharp(file).metadata();
  return { file, fileMb: (await stat(file)).size / 2 ** 20, megapixels: (width * height) / 1e6 };
}

const HEADER = `${'input'.padEnd(33)}  file MB  megapixels  CPU ms  baseline RSS MB  peak RSS MB  peak - baseline`;

function row(input: Input, measurement: CallMeasurement): string {
  return [
    path.basename(input.file).padEnd(33),
    input.fileMb.toFixed(1).padStart(8),
    input.megapixels.toFixed(1).padStart(11),
    measurement.cpuMs.toFixed(0).padStart(7),
    measurement.rssBeforeMb.toFixed(0).padStart(16),
    measurement.peakRssMb.toFixed(0).padStart(12),
    (measurement.peakRssMb - measurement.rssBeforeMb).toFixed(0).padStart(16),
  ].join('  ');
}

async function main(): Promise<void> {
  const flag = process.argv.indexOf('--corpus-image');
  const corpusImage = flag >= 0
    ? path.resolve(process.argv[flag + 1])
    : path.join(REPO_ROOT, '..', 'shared', 'corpus', 'Elephants_5640x3172.jpg');
  const only = process.argv.indexOf('--only');
  const names = only >= 0 ? new Set(process.argv[only + 1].split(',')) : undefined;
  const wanted = (file: string) => names?.has(path.basename(file)) ?? true;
  const files = [corpusImage, ...(await generatedInputs(corpusImage, wanted))].filter(wanted);
  const inputs = await Promise.all(files.map(describe));

  console.log(HEADER);
  for (const input of inputs) {
    // A fresh process per input, and no warm-up: one call's peak, as the first image in a new Lambda container.
    const worker = await ApproachProcess.start('project', [input.file]);
    console.log(row(input, await worker.run(0).finally(() => worker.stop())));
  }

  // A warm container meets them one after another: what earlier images left behind (buffers V8 has not collected
  // yet, memory glibc keeps for reuse) is there on top of each one's own need.
  console.log(`\nthe same inputs one after another in one long-lived process, twice over:\n${HEADER}`);
  const warm = await ApproachProcess.start('project', files);
  let highest = 0;
  try {
    for (let pass = 0; pass < 2; pass++) {
      for (const [index, input] of inputs.entries()) {
        const measurement = await warm.run(index);
        highest = Math.max(highest, measurement.peakRssMb);
        console.log(row(input, measurement));
      }
    }
  } finally {
    warm.stop();
  }
  console.log(`highest peak RSS in the long-lived process: ${highest.toFixed(0)} MB`);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});

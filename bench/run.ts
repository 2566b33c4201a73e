/**
 * Compares the handler's resize (`project`) with a pipeline per size (`naive`), pure JavaScript (`jimp`) and the
 * least work possible (`floor`) on the same images and the default sizes, one libvips thread, each pass of each
 * approach in a process of its own. Passes take turns between approaches, so a machine that gets busier or quieter
 * during the run skews no approach more than another. Prints a table and writes `results.json` and `results.svg`.
 *
 *   ts-node --project tsconfig.dev.json bench/run.ts [--dir DIR] [--out DIR] [--iterations N] [--quick]
 *
 * --dir         images to use (default: ../shared/corpus beside the repository)
 * --out         where results.json and results.svg go (default: bench/)
 * --iterations  passes over all images per approach, each after one untimed warm-up call (default 3)
 * --quick       a smoke test: only the smallest image, one pass
 */
import { mkdir, readdir, writeFile } from 'fs/promises';
import * as path from 'path';
import sharp from 'sharp';
import { APPROACHES, ApproachName, SIZES } from './approaches';
import { renderChart } from './chart';
import { forkMeasurement } from './fork-measurement';
import { BenchImage, Measurement } from './measure-approach';

const REPO_ROOT = path.join(__dirname, '..');

/** The formats every approach reads: jimp has no WebP or AVIF decoder, and ratios need the same images throughout. */
const COMMON_FORMATS = new Set(['jpeg', 'png']);

interface Options {
  readonly dir: string;
  readonly out: string;
  readonly iterations: number;
  readonly quick: boolean;
}

export interface ApproachResult {
  readonly mpPerSec: number;
  readonly cpuMsPerImage: number;
  readonly peakRssMb: number;
}

function parseArgs(args: string[]): Options {
  let dir = path.join(REPO_ROOT, '..', 'shared', 'corpus');
  let out = __dirname;
  let iterations = 3;
  let quick = false;
  for (let i = 0; i < args.length; i++) {
    const value = () => {
      const next = args[++i];
      if (next === undefined) {
        throw new Error(`bench: ${args[i - 1]} needs a value`);
      }
      return next;
    };
    switch (args[i]) {
      case '--dir': dir = path.resolve(value()); break;
      case '--out': out = path.resolve(value()); break;
      case '--iterations': iterations = Number(value()); break;
      case '--quick': quick = true; break;
      default: throw new Error(`bench: unknown argument ${args[i]}; see the comment at the top of bench/run.ts`);
    }
  }
  if (!Number.isInteger(iterations) || iterations < 1) {
    throw new Error('bench: --iterations must be a positive integer');
  }
  return { dir, out, iterations: quick ? 1 : iterations, quick };
}

async function findImages(dir: string, quick: boolean): Promise<{ used: BenchImage[]; skipped: string[] }> {
  const used: BenchImage[] = [];
  const skipped: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const file = path.join(dir, name);
    const metadata = await sharp(file).metadata().catch(() => undefined);
    if (metadata === undefined || !COMMON_FORMATS.has(metadata.format)) {
      skipped.push(name);
    } else {
      used.push({ path: file, megapixels: (metadata.width * metadata.height) / 1e6 });
    }
  }
  if (used.length === 0) {
    throw new Error(`bench: no JPEG or PNG images in ${dir}`);
  }
  if (quick) {
    const smallest = used.reduce((a, b) => (a.megapixels <= b.megapixels ? a : b));
    return { used: [smallest], skipped: [...skipped, ...used.filter((image) => image !== smallest).map((image) => path.basename(image.path))] };
  }
  return { used, skipped };
}

/** CPU and megapixels add up over the passes; the peak RSS is the highest any one pass reached. */
function summarise(passes: Measurement[]): ApproachResult {
  const cpuMs = passes.reduce((sum, pass) => sum + pass.cpuMs, 0);
  const megapixels = passes.reduce((sum, pass) => sum + pass.megapixels, 0);
  const images = passes.reduce((sum, pass) => sum + pass.images, 0);
  return {
    mpPerSec: round(megapixels / (cpuMs / 1000)),
    cpuMsPerImage: round(cpuMs / images),
    peakRssMb: round(Math.max(...passes.map((pass) => pass.peakRssMb))),
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function printTable(results: Record<ApproachName, ApproachResult>, baselines: Record<ApproachName, number>): void {
  const header = ['approach', 'CPU ms/image', 'MP per CPU s', 'peak RSS MB', 'baseline RSS MB', 'project MP/s ÷ this'];
  const rows = (Object.keys(results) as ApproachName[]).map((name) => [
    name,
    results[name].cpuMsPerImage.toFixed(1),
    results[name].mpPerSec.toFixed(2),
    results[name].peakRssMb.toFixed(0),
    baselines[name].toFixed(0),
    (results.project.mpPerSec / results[name].mpPerSec).toFixed(2),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  for (const row of [header, ...rows]) {
    console.log(row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  '));
  }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const { used, skipped } = await findImages(options.dir, options.quick);
  const megapixels = used.reduce((sum, image) => sum + image.megapixels, 0);
  console.log(`images: ${used.map((image) => path.basename(image.path)).join(', ')} (${megapixels.toFixed(1)} MP)`);
  if (skipped.length > 0) {
    console.log(`not used: ${skipped.join(', ')}`);
  }
  console.log(`sizes: ${SIZES.map((size) => `${size.name} ${size.width ?? ''}x${size.height ?? ''} ${size.fit}`).join(', ')}; ` +
    `JPEG q80; ${options.iterations} pass(es) per approach, each after a warm-up; one libvips thread\n`);

  const approaches = Object.keys(APPROACHES) as ApproachName[];
  const passes = Object.fromEntries(approaches.map((name) => [name, [] as Measurement[]])) as Record<ApproachName, Measurement[]>;
  for (let pass = 0; pass < options.iterations; pass++) {
    for (let turn = 0; turn < approaches.length; turn++) {
      const approach = approaches[(pass + turn) % approaches.length];
      passes[approach].push(await forkMeasurement({ approach, images: used, warmUp: true }));
    }
  }
  const results = Object.fromEntries(approaches.map((name) => [name, summarise(passes[name])])) as Record<ApproachName, ApproachResult>;
  const baselines = Object.fromEntries(approaches.map((name) => [name, passes[name][0].baselineRssMb])) as Record<ApproachName, number>;
  printTable(results, baselines);

  await mkdir(options.out, { recursive: true });
  await writeFile(path.join(options.out, 'results.json'), `${JSON.stringify(results, undefined, 2)}\n`);
  const baseline = Math.max(...Object.values(baselines));
  await writeFile(path.join(options.out, 'results.svg'), renderChart(
    `Default sizes from ${used.length} image(s), ${megapixels.toFixed(0)} MP, one libvips thread`,
    `Peak RSS includes about ${baseline.toFixed(0)} MB that node and ts-node hold before any image.`,
    approaches.map((name) => ({ label: name, ...results[name] }))));
  console.log(`\nwrote ${path.join(options.out, 'results.json')} and results.svg`);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});

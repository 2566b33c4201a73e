/**
 * Compares the handler's resize (`project`) with a pipeline per size (`naive`), pure JavaScript (`jimp`) and the
 * least work possible (`floor`) on the same images and the default sizes, one call after another (never two at
 * once) with one libvips thread. Prints a table and writes `results.json` and `results.svg`.
 *
 *   ts-node --project tsconfig.dev.json bench/run.ts [--dir DIR] [--out DIR] [--iterations N] [--quick]
 *
 * --dir         images to use (default: ../shared/corpus beside the repository)
 * --out         where results.json and results.svg go (default: bench/, or bench/out/ with --quick, which git
 *               ignores, so that a quick run leaves the committed results alone)
 * --iterations  passes over all images (default 7)
 * --quick       a smoke test: only the smallest image, one pass
 *
 * Each approach runs in a process of its own for the whole run (see approach-worker.ts), so its peak RSS is its
 * own and, as in a warm Lambda container, each call finds what the earlier ones left (heap, garbage, allocator
 * state). The approaches take turns image by image, in an order that rotates, so a machine that gets busier or
 * quieter during the run weighs on every approach alike.
 *
 * The figures are totals: all CPU time over all megapixels, since that is what a bill adds up. On a shared machine
 * a neighbour's burst can double one call's CPU time (cache and memory bandwidth are shared), so the table also
 * gives the ratios from each image's median pass, which such bursts do not move, and the ratio pass by pass.
 */
import { mkdir, readdir, writeFile } from 'fs/promises';
import * as path from 'path';
import sharp from 'sharp';
import { ApproachProcess } from './approach-process';
import type { CallMeasurement } from './approach-worker';
import { APPROACHES, ApproachName, SIZES } from './approaches';
import { renderChart } from './chart';
import { median } from './median';
import { PEAK_RSS_RESETTABLE } from './process-memory';
import { parseArgs } from './run-options';

/** The formats every approach reads: jimp has no WebP or AVIF decoder, and ratios need the same images throughout. */
const COMMON_FORMATS = new Set(['jpeg', 'png']);

interface BenchImage {
  readonly name: string;
  readonly path: string;
  /** Upright megapixels of the original: the unit of work all approaches share. */
  readonly megapixels: number;
}

export interface ApproachResult {
  readonly mpPerSec: number;
  readonly cpuMsPerImage: number;
  readonly peakRssMb: number;
}

/** What one approach used, over all passes. */
interface Tally {
  /** By image, one figure a pass. */
  readonly cpuMs: number[][];
  peakRssMb: number;
  /** Before any image: what the approach's process holds for node, ts-node and the code. */
  baselineRssMb: number;
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
      used.push({ name, path: file, megapixels: (metadata.autoOrient.width * metadata.autoOrient.height) / 1e6 });
    }
  }
  if (used.length === 0) {
    throw new Error(`bench: no JPEG or PNG images in ${dir}`);
  }
  if (quick) {
    const smallest = used.reduce((a, b) => (a.megapixels <= b.megapixels ? a : b));
    return { used: [smallest], skipped: [...skipped, ...used.filter((image) => image !== smallest).map((image) => image.name)] };
  }
  return { used, skipped };
}

function record(tally: Tally, image: number, call: CallMeasurement): void {
  tally.cpuMs[image].push(call.cpuMs);
  tally.peakRssMb = Math.max(tally.peakRssMb, call.peakRssMb);
}

function mean(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** `perImage` picks one CPU figure for each image from its passes. */
function summarise(tally: Tally, images: BenchImage[], perImage: (passes: number[]) => number): ApproachResult {
  const cpuMs = tally.cpuMs.reduce((sum, passes) => sum + perImage(passes), 0);
  const megapixels = images.reduce((sum, image) => sum + image.megapixels, 0);
  return {
    mpPerSec: round(megapixels / (cpuMs / 1000)),
    cpuMsPerImage: round(cpuMs / images.length),
    peakRssMb: round(tally.peakRssMb),
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  for (const row of [header, ...rows]) {
    console.log(row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  '));
  }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const { used, skipped } = await findImages(options.dir, options.quick);
  const megapixels = used.reduce((sum, image) => sum + image.megapixels, 0);
  console.log(`images: ${used.map((image) => image.name).join(', ')} (${megapixels.toFixed(1)} MP)`);
  if (skipped.length > 0) {
    console.log(`not used: ${skipped.join(', ')}`);
  }
  console.log(`sizes: ${SIZES.map((size) => `${size.name} ${size.width ?? ''}x${size.height ?? ''} ${size.fit}`).join(', ')}; ` +
    `JPEG q80; ${options.iterations} pass(es), after one warm-up call per approach; one libvips thread`);
  if (!PEAK_RSS_RESETTABLE) {
    console.log('peak RSS: this system cannot reset it, so each figure is its process\'s peak since it started');
  }
  console.log('');

  const approaches = Object.keys(APPROACHES) as ApproachName[];
  const tallies = Object.fromEntries(approaches.map((name): [ApproachName, Tally] => [name, {
    cpuMs: used.map(() => []), peakRssMb: 0, baselineRssMb: 0,
  }])) as Record<ApproachName, Tally>;
  const processes: ApproachProcess[] = [];
  try {
    for (const name of approaches) {
      const started = await ApproachProcess.start(name, used.map((image) => image.path));
      processes.push(started);
      // The first call pays for lazy initialisation (libvips, JIT) that a warm Lambda has already paid.
      tallies[name].baselineRssMb = (await started.run(0)).rssBeforeMb;
    }
    let turn = 0;
    for (let pass = 0; pass < options.iterations; pass++) {
      for (let index = 0; index < used.length; index++) {
        for (let i = 0; i < processes.length; i++) {
          const next = processes[(turn + i) % processes.length];
          record(tallies[next.approach], index, await next.run(index));
        }
        turn++;
      }
    }
  } finally {
    processes.forEach((started) => started.stop());
  }

  const summariseAll = (perImage: (passes: number[]) => number) =>
    Object.fromEntries(approaches.map((name) => [name, summarise(tallies[name], used, perImage)])) as Record<ApproachName, ApproachResult>;
  const results = summariseAll(mean);
  const fromMedians = summariseAll(median);
  printTable(
    ['approach', 'CPU ms/image', 'MP per CPU s', 'peak RSS MB', 'baseline RSS MB', 'project MP/s ÷ this', 'the same from medians'],
    approaches.map((name) => [
      name,
      results[name].cpuMsPerImage.toFixed(1),
      results[name].mpPerSec.toFixed(2),
      results[name].peakRssMb.toFixed(0),
      tallies[name].baselineRssMb.toFixed(0),
      (results.project.mpPerSec / results[name].mpPerSec).toFixed(2),
      (fromMedians.project.mpPerSec / fromMedians[name].mpPerSec).toFixed(2),
    ]));
  // How far one pass can stray from another on this machine: a guide to how much a single run's ratios can move.
  const passTotal = (name: ApproachName, pass: number) => tallies[name].cpuMs.reduce((sum, passes) => sum + passes[pass], 0);
  const byPass = Array.from({ length: options.iterations }, (_, pass) => (passTotal('floor', pass) / passTotal('project', pass)).toFixed(2));
  console.log(`\nproject MP/s ÷ floor MP/s, pass by pass: ${byPass.join(', ')}`);
  console.log('\nCPU ms per call, by image (median of the passes):');
  printTable(
    ['image', 'MP', ...approaches, 'floor ÷ project'],
    used.map((image, index) => {
      const cpuMs = (name: ApproachName) => median(tallies[name].cpuMs[index]);
      return [image.name, image.megapixels.toFixed(1), ...approaches.map((name) => cpuMs(name).toFixed(1)),
        (cpuMs('floor') / cpuMs('project')).toFixed(2)];
    }));

  await mkdir(options.out, { recursive: true });
  await writeFile(path.join(options.out, 'results.json'), `${JSON.stringify(results, undefined, 2)}\n`);
  const baseline = Math.max(...approaches.map((name) => tallies[name].baselineRssMb));
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

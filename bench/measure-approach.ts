/**
 * One approach in a process of its own, so the peak RSS it reports is that approach's and no other's.
 * Forked by `bench/run.ts` and `bench/memory.ts`, which send it one `Job` and get one `Measurement` back.
 */
import { existsSync, readFileSync } from 'fs';
import { readFile } from 'fs/promises';
import sharp from 'sharp';
import { APPROACHES, ApproachName } from './approaches';

export interface BenchImage {
  readonly path: string;
  /** Upright megapixels of the original: the unit of work all approaches share. */
  readonly megapixels: number;
}

/** One pass over `images`. */
export interface Job {
  readonly approach: ApproachName;
  readonly images: BenchImage[];
  /** Whether one untimed call comes first. Memory measurements skip it: they want one call's peak. */
  readonly warmUp: boolean;
}

export interface Measurement {
  readonly images: number;
  readonly megapixels: number;
  readonly cpuMs: number;
  /** After loading the code, before any image: what every approach pays for node and its modules. */
  readonly baselineRssMb: number;
  readonly peakRssMb: number;
}

/**
 * Linux carries `ru_maxrss` across exec, so `process.resourceUsage().maxRSS` in a freshly spawned child starts at
 * its parent's RSS when it was spawned. The address space's own high-water mark, VmHWM, starts afresh.
 */
function peakRssMb(): number {
  const status = existsSync('/proc/self/status') ? readFileSync('/proc/self/status', 'utf8') : '';
  const highWaterMark = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  return highWaterMark ? Number(highWaterMark[1]) / 1024 : process.resourceUsage().maxRSS / 1024;
}

process.once('message', async (job: Job) => {
  // One libvips thread makes CPU time comparable between approaches and with a Lambda's fraction of a vCPU.
  sharp.concurrency(1);
  sharp.cache(false);
  const baselineRssMb = process.memoryUsage().rss / 2 ** 20;
  const approach = APPROACHES[job.approach];

  if (job.warmUp) {
    // The first call pays for lazy initialisation (libvips, JIT) that a warm Lambda has already paid.
    await approach(await readFile(job.images[0].path));
  }

  let cpuMicros = 0;
  let megapixels = 0;
  let images = 0;
  for (const image of job.images) {
    const input = await readFile(image.path);
    const start = process.cpuUsage();
    await approach(input);
    const used = process.cpuUsage(start);
    cpuMicros += used.user + used.system;
    megapixels += image.megapixels;
    images += 1;
  }
  const measurement: Measurement = {
    images,
    megapixels,
    cpuMs: cpuMicros / 1000,
    baselineRssMb,
    peakRssMb: peakRssMb(),
  };
  process.send!(measurement, () => process.disconnect());
});

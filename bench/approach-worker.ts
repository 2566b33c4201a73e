/**
 * A process that runs one approach on request, forked by `ApproachProcess`. Keeping each approach in a process of
 * its own keeps each one's peak RSS its own: jimp's JavaScript heap, for one, is not given back to the system after
 * a garbage collection, and would count against whichever approach ran next in a shared process.
 */
import { readFile } from 'fs/promises';
import sharp from 'sharp';
import { APPROACHES, ApproachName } from './approaches';
import { peakRssMb, resetPeakRss } from './process-memory';

export type WorkerRequest =
  | { readonly kind: 'load'; readonly approach: ApproachName; readonly paths: string[] }
  | { readonly kind: 'run'; readonly image: number };

export interface CallMeasurement {
  readonly cpuMs: number;
  /** Just before the call. */
  readonly rssBeforeMb: number;
  /** The process's peak during the call. */
  readonly peakRssMb: number;
}

// One libvips thread makes CPU time comparable between approaches and with a Lambda's fraction of a vCPU.
sharp.concurrency(1);
sharp.cache(false);

let approach: ApproachName | undefined;
let paths: string[] = [];

async function run(image: number): Promise<CallMeasurement> {
  // Read before the measurement starts, and only the one image: a Lambda container holds one upload at a time.
  const input = await readFile(paths[image]);
  const rssBeforeMb = process.memoryUsage().rss / 2 ** 20;
  resetPeakRss();
  const start = process.cpuUsage();
  await APPROACHES[approach!](input);
  const used = process.cpuUsage(start);
  return { cpuMs: (used.user + used.system) / 1000, rssBeforeMb, peakRssMb: peakRssMb() };
}

function handle(request: WorkerRequest): Promise<CallMeasurement | undefined> {
  if (request.kind === 'run') {
    return run(request.image);
  }
  approach = request.approach;
  paths = request.paths;
  return Promise.resolve(undefined);
}

process.on('message', (request: WorkerRequest) => {
  handle(request).then(
    (result) => process.send!({ ok: result ?? null }),
    (error: unknown) => process.send!({ error: error instanceof Error ? error.stack : String(error) }),
  );
});

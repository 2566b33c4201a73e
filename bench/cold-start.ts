/**
 * What a cold start adds, measured in fresh Node.js processes as Lambda starts a new container:
 * - the size of the handler bundle (the SDK clients the runtime provides are left out of it);
 * - init: loading the bundle, which loads sharp and libvips from the layer once per container;
 * - the first resize in a process against the later ones, which find what the first one initialised.
 *
 *   ts-node --project tsconfig.dev.json bench/cold-start.ts [RUNS]
 *
 * RUNS  fresh processes (default 5)
 *
 * It runs what deploys: the bundle from `npx projen bundle` and this machine's sharp layer from
 * `npx projen sharp-layers`, in a task root outside the repository with the layer and the runtime's SDK on
 * NODE_PATH (local/lambda-runtime/task-root.ts), with the function's environment: its settings for the default
 * sizes and its malloc settings. The image core is bundled beside the handler, so it loads the same sharp.
 */
import { spawnSync } from 'child_process';
import { statSync } from 'fs';
import * as path from 'path';
import { Duration } from 'aws-cdk-lib';
import { buildSync } from 'esbuild';
import { QUALITY, SIZES } from './approaches';
import { median } from './median';
import { FUNCTION_CODE_DIR, layerNodeModules } from '../local/function-assets';
import { prepareTaskRoot } from '../local/lambda-runtime/task-root';
import { Animation } from '../src/animation';
import { ENV } from '../src/handler/config';
import { OutputFormat } from '../src/image-size';
import { resizeEnvironment } from '../src/resize-environment';

const REPO_ROOT = path.join(__dirname, '..');
const SAMPLE = path.join(REPO_ROOT, 'samples', 'landscape.jpg');
/** The pipeline's defaults for `maxInputPixels` and `maxUploadBytes`. */
const MAX_INPUT_PIXELS = 50_000_000;
const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;

interface ProbeResult {
  readonly initMs: number;
  readonly firstMs: number;
  readonly warmMs: number;
  /** The files of sharp's native module and libvips that the process mapped. */
  readonly nativeFiles: string[];
}

/**
 * Runs in each fresh process: times loading the bundle, then resizes the sample six times with the image core and
 * reports the first call and the median of the others.
 */
function probe(bundle: string, core: string): string {
  return `
    const started = process.hrtime.bigint();
    require(${JSON.stringify(bundle)});
    const initMs = Number(process.hrtime.bigint() - started) / 1e6;
    const { resizeImage } = require(${JSON.stringify(core)});
    const input = require('fs').readFileSync(${JSON.stringify(SAMPLE)});
    const options = { sizes: JSON.parse(process.env.${ENV.sizes}), format: 'jpeg', quality: ${QUALITY}, maxInputPixels: ${MAX_INPUT_PIXELS} };
    (async () => {
      const times = [];
      for (let i = 0; i < 6; i++) {
        const t = process.hrtime.bigint();
        await resizeImage(input, options);
        times.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
      const warmMs = times.slice(1).sort((a, b) => a - b)[2];
      const nativeFiles = [...new Set(require('fs').readFileSync('/proc/self/maps', 'utf8').split('\\n')
        .map((line) => (line.includes('/') ? line.slice(line.indexOf('/')) : ''))
        .filter((file) => /(sharp|vips)[^/]*$/.test(file)))];
      console.log(JSON.stringify({ initMs, firstMs: times[0], warmMs, nativeFiles }));
    })();
  `;
}

function parseRuns(args: string[]): number {
  const runs = Number(args[0] ?? 5);
  if (args.length > 1 || !Number.isInteger(runs) || runs < 1) {
    throw new Error('bench:cold-start: the one argument is the number of fresh processes, a positive integer');
  }
  return runs;
}

function main(): void {
  const runs = parseRuns(process.argv.slice(2));
  const layer = layerNodeModules();
  const taskRoot = prepareTaskRoot(FUNCTION_CODE_DIR, layer);
  try {
    const core = path.join(taskRoot.taskRoot, 'image-core.js');
    buildSync({
      entryPoints: [path.join(REPO_ROOT, 'src', 'handler', 'image-core.ts')],
      outfile: core,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: `node${process.versions.node.split('.')[0]}`,
      external: ['sharp'],
      logLevel: 'error',
    });
    // The construct's own function environment, malloc settings included, so a variable it adds reaches the probe too.
    const functionEnvironment = resizeEnvironment({
      sizes: SIZES,
      outputFormat: OutputFormat.JPEG,
      quality: QUALITY,
      maxInputPixels: MAX_INPUT_PIXELS,
      linkExpiry: Duration.hours(1),
      animation: Animation.FIRST_FRAME,
      maxUploadBytes: MAX_UPLOAD_BYTES,
    }, 'bench', 'arn:aws:sns:us-east-1:123456789012:bench');
    const env = {
      PATH: process.env.PATH,
      NODE_PATH: taskRoot.nodePath,
      AWS_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: '1',
      ...functionEnvironment,
    };
    const script = probe(path.join(taskRoot.taskRoot, 'index.js'), core);
    const results: ProbeResult[] = [];
    for (let i = 0; i < runs; i++) {
      const child = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8', cwd: taskRoot.taskRoot });
      if (child.status !== 0) {
        throw new Error(`bench:cold-start: the probe failed: ${child.stderr}`);
      }
      const result = JSON.parse(child.stdout.trim().split('\n').pop()!) as ProbeResult;
      const elsewhere = result.nativeFiles.filter((file) => !file.startsWith(layer + path.sep));
      if (result.nativeFiles.length === 0 || elsewhere.length > 0) {
        throw new Error(`bench:cold-start: sharp and libvips must load from the layer ${layer}, but the probe mapped ${JSON.stringify(result.nativeFiles)}`);
      }
      results.push(result);
    }

    console.log(`sharp and libvips loaded from ${path.relative(REPO_ROOT, layer)}`);
    console.log(`bundle: ${(statSync(path.join(FUNCTION_CODE_DIR, 'index.js')).size / 1024).toFixed(0)} KB (assets/resize.lambda/index.js)`);
    console.log(`init (load the bundle, sharp and libvips): median ${median(results.map((r) => r.initMs)).toFixed(0)} ms over ${runs} fresh process(es)`);
    const first = median(results.map((r) => r.firstMs));
    const warm = median(results.map((r) => r.warmMs));
    console.log(`first resize of samples/landscape.jpg: median ${first.toFixed(0)} ms; later ones: ${warm.toFixed(0)} ms; first-call extra ${(first - warm).toFixed(0)} ms`);
  } finally {
    taskRoot.remove();
  }
}

try {
  main();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}

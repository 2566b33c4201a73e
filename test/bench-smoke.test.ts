import { execFile } from 'child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { promisify } from 'util';
import sharp from 'sharp';
import { parseArgs } from '../bench/run-options';
import { FUNCTION_CODE_DIR } from '../local/function-assets';
import { bulkyMetadata, noise, withMetadataAhead } from './support/test-images';
import { withoutUnusedJpegMetadata } from '../src/handler/jpeg-metadata';

const REPO_ROOT = path.join(__dirname, '..');

/**
 * Runs the command of a projen task's exec step as `npx projen TASK ARGS...` would (ts-node type-checks, where a
 * transpile-only run would not), so that what breaks the task breaks this test too. Spawned steps are not run.
 */
function runTask(task: string, args: string[], timeout: number): Promise<{ stdout: string; stderr: string }> {
  const tasks = JSON.parse(readFileSync(path.join(REPO_ROOT, '.projen', 'tasks.json'), 'utf8')).tasks;
  const exec: string = tasks[task].steps.find((step: { exec?: string }) => step.exec !== undefined).exec;
  const [command, ...taskArgs] = exec.split(' ');
  const PATH = [path.join(REPO_ROOT, 'node_modules', '.bin'), process.env.PATH].join(path.delimiter);
  return promisify(execFile)(command, [...taskArgs, ...args], { cwd: REPO_ROOT, timeout, env: { ...process.env, PATH } });
}

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'bench-smoke-'));
});
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

test('npx projen bench --quick runs every approach and writes positive figures for each', async () => {
  // GIVEN one small photograph-like image
  const images = path.join(scratch, 'images');
  const out = path.join(scratch, 'out');
  mkdirSync(images);
  await sharp({ create: { width: 1200, height: 800, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
    .jpeg()
    .toFile(path.join(images, 'noise.jpg'));

  // WHEN
  await runTask('bench', ['--quick', '--dir', images, '--out', out], 110_000);

  // THEN
  const results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8'));
  expect(Object.keys(results).sort()).toEqual(['floor', 'jimp', 'naive', 'project']);
  for (const figures of Object.values(results)) {
    expect(Object.keys(figures as object).sort()).toEqual(['cpuMsPerImage', 'mpPerSec', 'peakRssMb']);
    for (const value of Object.values(figures as object)) {
      expect(typeof value).toBe('number');
      expect(Number.isFinite(value) && value > 0).toBe(true);
    }
  }
  expect(readFileSync(path.join(out, 'results.svg'), 'utf8')).toMatch(/^<svg [^>]*>[\s\S]*<\/svg>\n$/);
});

test('npx projen bench:cold-start loads the handler bundle with sharp and libvips from the layer and times a resize', async () => {
  // WHEN one fresh process, on the bundle and the layer that the test task builds first
  const { stdout } = await runTask('bench:cold-start', ['1'], 110_000);

  // THEN
  const layer = path.join('assets', 'sharp-layer', process.arch, 'nodejs', 'node_modules');
  expect(stdout).toContain(`sharp and libvips loaded from ${layer}`);
  expect(stdout).toMatch(/^bundle: [1-9]\d* KB/m);
  expect(stdout).toMatch(/^init \(load the bundle, sharp and libvips\): median [1-9]\d* ms over 1 fresh process/m);
  expect(stdout).toMatch(/^first resize of samples\/landscape\.jpg: median [1-9]\d* ms; later ones: [1-9]\d* ms/m);
});

test('the README gives the handler bundle\'s size within 5% of the bundle the test task builds, in KB as bench:cold-start prints it', () => {
  // GIVEN
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const stated = /The handler bundle is (\d+) KB/.exec(readme);
  expect(stated).not.toBeNull();

  // WHEN
  const builtKb = statSync(path.join(FUNCTION_CODE_DIR, 'index.js')).size / 1024;

  // THEN
  expect(Math.abs(Number(stated![1]) - builtKb) / builtKb).toBeLessThanOrEqual(0.05);
});

test('a quick benchmark writes to bench/out/, not over the committed results, unless --out says where', () => {
  const bench = path.join(REPO_ROOT, 'bench');
  expect(parseArgs(['--quick']).out).toBe(path.join(bench, 'out'));
  expect(parseArgs(['--quick', '--out', scratch]).out).toBe(scratch);
  expect(parseArgs([]).out).toBe(bench);
});

test('the floor, like the project, leaves out the JPEG metadata no output needs before sharp reads it; naive does not', async () => {
  // GIVEN a photo with 300 KB of XMP, and the approaches loaded with a sharp that records the size of what it opens
  const photo = withMetadataAhead(await noise(320, 240).jpeg().toBuffer(), bulkyMetadata(5));
  const opened: number[] = [];
  let approaches: typeof import('../bench/approaches')['APPROACHES'] | undefined;
  jest.isolateModules(() => {
    jest.doMock('sharp', () => {
      const real = jest.requireActual('sharp');
      return Object.assign((input: Buffer, ...rest: unknown[]) => {
        opened.push(input.length);
        return real(input, ...rest);
      }, real);
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    approaches = (require('../bench/approaches') as typeof import('../bench/approaches')).APPROACHES;
  });

  // WHEN
  await approaches!.floor(photo);
  const byFloor = opened.splice(0);
  await approaches!.naive(photo);

  // THEN
  expect(byFloor).toEqual([withoutUnusedJpegMetadata(photo).length]);
  expect(withoutUnusedJpegMetadata(photo).length).toBeLessThan(photo.length - 300_000);
  expect(opened).toEqual([photo.length, photo.length, photo.length]);
});

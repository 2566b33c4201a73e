import { execFile } from 'child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { promisify } from 'util';
import sharp from 'sharp';

const REPO_ROOT = path.join(__dirname, '..');

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'bench-smoke-'));
});
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

test('the quick benchmark runs every approach and writes positive figures for each', async () => {
  // GIVEN one small photograph-like image
  const images = path.join(scratch, 'images');
  const out = path.join(scratch, 'out');
  mkdirSync(images);
  await sharp({ create: { width: 1200, height: 800, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
    .jpeg()
    .toFile(path.join(images, 'noise.jpg'));

  // WHEN
  await promisify(execFile)(
    process.execPath,
    [require.resolve('ts-node/dist/bin'), '--project', path.join(REPO_ROOT, 'tsconfig.dev.json'), '--transpile-only',
      path.join(REPO_ROOT, 'bench', 'run.ts'), '--quick', '--dir', images, '--out', out],
    { cwd: REPO_ROOT, timeout: 110_000 },
  );

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

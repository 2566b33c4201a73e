/**
 * Where the built function code and the sharp layer are, and how to (re)build them. The local pipeline runs
 * exactly these artifacts, the ones that deploy, not the TypeScript sources.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const PROJECT_ROOT = path.resolve(__dirname, '..');

/** The bundle projen's `bundle` task writes from src/resize.lambda.ts (the function asset's directory). */
export const FUNCTION_CODE_DIR = path.join(PROJECT_ROOT, 'assets', 'resize.lambda');

/** The bundle the same task writes from src/upload-url/upload-url.lambda.ts, for `POST /upload-url`. */
export const UPLOAD_URL_CODE_DIR = path.join(PROJECT_ROOT, 'assets', 'upload-url', 'upload-url.lambda');

/** The layer for this machine's processor: the binaries have to run here, whatever the function deploys on. */
export function layerNodeModules(arch: string = process.arch): string {
  return path.join(PROJECT_ROOT, 'assets', 'sharp-layer', arch === 'arm64' ? 'arm64' : 'x64', 'nodejs', 'node_modules');
}

/**
 * Rebuilds the bundle (so a changed handler is what runs) and the layers (a no-op while their stamp matches),
 * with the same projen tasks the package build uses.
 */
export function buildFunctionAssets(): void {
  for (const task of ['bundle', 'sharp-layers']) {
    const result = spawnSync('npx', ['projen', task], { cwd: PROJECT_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    if (result.status !== 0) {
      throw new Error(`\`npx projen ${task}\` failed (${result.error?.message ?? (result.signal ? `killed by ${result.signal}` : `exit code ${result.status}`)})`);
    }
  }
}

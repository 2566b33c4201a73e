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

/**
 * The layer for the processor the function's code runs on here: this machine's, whatever the function deploys on,
 * unless it runs under emulation (see lambda-runtime/node-runtime.ts).
 */
export function layerNodeModules(arch: string = process.arch): string {
  if (arch === process.arch) {
    checkHostRunsLayers();
  }
  return path.join(PROJECT_ROOT, 'assets', 'sharp-layer', arch, 'nodejs', 'node_modules');
}

/**
 * Why this machine cannot run the layers' sharp binaries, if it cannot. They are built for Lambda (Linux with
 * glibc, x64 or arm64), and the local pipeline loads the layer of this machine's processor.
 */
export function hostProblem(platform: string, arch: string, glibcVersion: string | undefined): string | undefined {
  if (platform !== 'linux') {
    return `this is ${platform}, not Linux`;
  }
  if (glibcVersion === undefined) {
    return 'this Linux has no glibc (musl, as on Alpine?)';
  }
  if (arch !== 'x64' && arch !== 'arm64') {
    return `this processor is ${arch}, not x64 or arm64`;
  }
  return undefined;
}

function checkHostRunsLayers(): void {
  const header = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header;
  const problem = hostProblem(process.platform, process.arch, header?.glibcVersionRuntime);
  if (problem !== undefined) {
    throw new Error(`The local pipeline runs the sharp layer's binaries, built for Lambda's Linux with glibc on x64 or arm64, on this machine, but ${problem}. `
      + 'Run it on such a Linux, e.g. in a container or a virtual machine.');
  }
}

/**
 * Rebuilds the bundle (so a changed handler is what runs) and the layers (a no-op while their stamp matches),
 * with the same projen tasks the package build uses. A machine that cannot run the layers is refused first.
 */
export function buildFunctionAssets(): void {
  checkHostRunsLayers();
  for (const task of ['bundle', 'sharp-layers']) {
    const result = spawnSync('npx', ['projen', task], { cwd: PROJECT_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    if (result.status !== 0) {
      throw new Error(`\`npx projen ${task}\` failed (${result.error?.message ?? (result.signal ? `killed by ${result.signal}` : `exit code ${result.status}`)})`);
    }
  }
}

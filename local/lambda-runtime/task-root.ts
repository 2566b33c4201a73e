/**
 * Lays out, outside the repository, what a Lambda sandbox has: the function's code in a task root, the layer's
 * modules and the runtime-provided AWS SDK on NODE_PATH, and the runtime itself. A `require` in the bundle
 * therefore resolves here as it would on Lambda, and an external that is in neither the layer nor the SDK fails
 * here too, instead of being found in the repository's own node_modules.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
/** The scopes that make up the AWS SDK for JavaScript v3, which the Node.js runtimes include. */
const RUNTIME_SDK_SCOPES = ['@aws-sdk', '@smithy', '@aws-crypto'];

export interface TaskRoot {
  /** Where the function's code is, as LAMBDA_TASK_ROOT. */
  readonly taskRoot: string;
  /** The runtime's entry point, run by each worker process. */
  readonly bootstrap: string;
  /** Layer modules first, then the runtime's SDK, as Lambda orders them. */
  readonly nodePath: string;
  remove(): void;
}

/**
 * @param codeDirectory the built function asset (its whole directory, as Lambda receives it)
 * @param layerNodeModules the layer's `nodejs/node_modules` for this machine's architecture, for a function with a layer
 */
export function prepareTaskRoot(codeDirectory: string, layerNodeModules?: string): TaskRoot {
  const layers = layerNodeModules === undefined ? [] : [layerNodeModules];
  for (const required of [codeDirectory, ...layers]) {
    if (!existsSync(required)) {
      throw new Error(`${required} is missing; build it first (npx projen bundle; npx projen sharp-layers)`);
    }
  }
  const root = mkdtempSync(path.join(os.tmpdir(), 'image-resize-lambda-'));
  const taskRoot = path.join(root, 'task');
  cpSync(codeDirectory, taskRoot, { recursive: true });

  const runtimeDir = path.join(root, 'runtime');
  const runtimeModules = path.join(runtimeDir, 'node_modules');
  mkdirSync(runtimeModules, { recursive: true });
  for (const scope of RUNTIME_SDK_SCOPES) {
    symlinkSync(path.join(PROJECT_ROOT, 'node_modules', scope), path.join(runtimeModules, scope), 'dir');
  }
  const bootstrap = path.join(runtimeDir, 'bootstrap.js');
  buildSync({
    entryPoints: [path.join(__dirname, 'bootstrap.ts')],
    outfile: bootstrap,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: `node${process.versions.node.split('.')[0]}`,
    logLevel: 'error',
  });

  return {
    taskRoot,
    bootstrap,
    nodePath: [...layers, runtimeModules].join(path.delimiter),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

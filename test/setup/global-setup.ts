/**
 * One moto for the whole jest run. Workers are forked after this runs, so what it puts in process.env reaches
 * every test file. The SDK gets dummy credentials and moto as its endpoint here, so no test can reach AWS.
 *
 * The run also gets a temporary directory of its own, which global-teardown removes. Every `new App()` without an
 * `outdir` synthesizes into a fresh directory under the system's temporary directory and CDK never removes it;
 * with the sharp layers staged into each one, a whole run would otherwise leave several gigabytes behind.
 *
 * The reference photographs some tests read are checked for first, before moto starts: a checkout without them
 * stops here, with one message naming what is missing.
 */
import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { MOTO_HANDLE, RUN_TMPDIR_HANDLE } from './moto-handle';
import { startMoto } from '../../local/moto';
import { checkCorpus } from '../support/corpus';

export default async function globalSetup(): Promise<void> {
  checkCorpus();
  const moto = await startMoto();
  (globalThis as Record<symbol, unknown>)[MOTO_HANDLE] = moto;
  const runTmpdir = mkdtempSync(path.join(tmpdir(), 'image-resize-pipeline-jest-'));
  (globalThis as Record<symbol, unknown>)[RUN_TMPDIR_HANDLE] = runTmpdir;
  for (const name of ['AWS_PROFILE', 'AWS_SESSION_TOKEN']) {
    delete process.env[name];
  }
  Object.assign(process.env, {
    MOTO_ENDPOINT: moto.endpoint,
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    // The SDK warns once per module instance that its 2027 releases need Node 22; every test file and every
    // jest.isolateModules load is a new instance, so the one warning would be printed dozens of times.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // os.tmpdir() reads it on every call, in the workers and in every process they start.
    TMPDIR: runTmpdir,
  });
}

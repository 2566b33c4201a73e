/**
 * One moto for the whole jest run. Workers are forked after this runs, so what it puts in process.env reaches
 * every test file. The SDK gets dummy credentials and moto as its endpoint here, so no test can reach AWS.
 */
import { MOTO_HANDLE } from './moto-handle';
import { startMoto } from '../../local/moto';

export default async function globalSetup(): Promise<void> {
  const moto = await startMoto();
  (globalThis as Record<symbol, unknown>)[MOTO_HANDLE] = moto;
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
  });
}

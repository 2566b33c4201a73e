import { rmSync } from 'fs';
import { MOTO_HANDLE, RUN_TMPDIR_HANDLE } from './moto-handle';
import type { MotoServer } from '../../local/moto';

export default async function globalTeardown(): Promise<void> {
  const handles = globalThis as Record<symbol, unknown>;
  await (handles[MOTO_HANDLE] as MotoServer | undefined)?.stop();
  const runTmpdir = handles[RUN_TMPDIR_HANDLE] as string | undefined;
  if (runTmpdir !== undefined) {
    rmSync(runTmpdir, { recursive: true, force: true });
  }
}

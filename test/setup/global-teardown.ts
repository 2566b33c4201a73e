import { MOTO_HANDLE } from './moto-handle';
import type { MotoServer } from '../../local/moto';

export default async function globalTeardown(): Promise<void> {
  await ((globalThis as Record<symbol, unknown>)[MOTO_HANDLE] as MotoServer | undefined)?.stop();
}

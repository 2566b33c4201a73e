/**
 * Tools the tests and the local pipeline install on first use into `.local/` (moto's venv, the deployed Lambda
 * runtime). Each is built in a directory of its own and renamed into place only when complete, so a process that
 * races this one, or one that was killed half-way, never leaves or sees a half-built installation; the loser of a race
 * throws its copy away. A stamp file, written last, says what the installation holds: one without it, or with another
 * stamp, is built again.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export interface Installation {
  /** Where it goes, e.g. `.local/venv`. */
  readonly dir: string;
  /** The stamp's file name inside {@link dir}. */
  readonly stampFile: string;
  /** What the stamp says when the installation holds what is wanted. */
  readonly stamp: string;
  /**
   * What the installation needs besides the stamp to be used, e.g. a venv's interpreter, which goes when the Python it
   * was made from does.
   *
   * @default - the stamp is enough
   */
  readonly usable?: (dir: string) => boolean;
  /** Fills the directory it is given, which may not exist yet; it is renamed to {@link dir} afterwards. */
  build(buildDir: string): Promise<void>;
}

export async function ensureInstalled(installation: Installation): Promise<void> {
  const { dir } = installation;
  if (await holdsWanted(installation)) {
    return;
  }
  const parent = path.dirname(dir);
  await fs.mkdir(parent, { recursive: true });
  await removeAbandonedBuilds(parent, path.basename(dir));
  const build = `${dir}.build-${process.pid}`;
  await fs.rm(build, { recursive: true, force: true });
  try {
    await installation.build(build);
    await fs.writeFile(path.join(build, installation.stampFile), installation.stamp);
    if (!await holdsWanted(installation)) {
      await replace(dir, build);
    }
  } finally {
    await fs.rm(build, { recursive: true, force: true });
  }
  if (!await holdsWanted(installation)) {
    throw new Error(`${dir} does not hold what ${installation.stampFile} should say after installing it: ${installation.stamp}`);
  }
}

async function holdsWanted({ dir, stampFile, stamp, usable }: Installation): Promise<boolean> {
  try {
    return await fs.readFile(path.join(dir, stampFile), 'utf8') === stamp && (usable?.(dir) ?? true);
  } catch {
    return false;
  }
}

/** An outdated installation is moved aside before the new one takes its name; rename cannot replace a non-empty directory. */
async function replace(dir: string, build: string): Promise<void> {
  const retired = `${dir}.retired-${process.pid}`;
  await fs.rename(dir, retired).catch(ignoreCode('ENOENT'));
  await fs.rename(build, dir).catch(ignoreCode('ENOTEMPTY', 'EEXIST'));
  await fs.rm(retired, { recursive: true, force: true });
}

/** Builds and retired installations named after `name`, left by processes that no longer exist. */
async function removeAbandonedBuilds(parent: string, name: string): Promise<void> {
  for (const entry of await fs.readdir(parent)) {
    const suffix = entry.startsWith(`${name}.`) ? /^\.(?:build|retired)-(\d+)$/.exec(entry.slice(name.length)) : null;
    if (suffix && !isAlive(Number(suffix[1]))) {
      await fs.rm(path.join(parent, entry), { recursive: true, force: true });
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ignoreCode(...codes: string[]): (error: NodeJS.ErrnoException) => void {
  return (error) => {
    if (!codes.includes(error.code ?? '')) {
      throw error;
    }
  };
}

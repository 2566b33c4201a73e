/**
 * Puts the reference photographs (see corpus.ts) into the corpus directory, taking each from the Debian package it
 * comes from, so that a fresh checkout, CI's included, can run the tests and the benchmark:
 *
 *   npx projen corpus:fetch [DIR]     (DIR: by default ../shared/corpus, where the tests look)
 *
 * Each package must have the SHA-256 Debian's archive lists for it before anything is taken from it, so the
 * photographs are byte for byte the ones the tests and the benchmark's figures were made with. A photograph already
 * in the directory is left as it is, and a package none of whose photographs is missing is not downloaded.
 *
 * It reads the .deb itself and hands its data archive to tar, which needs xz support (GNU tar with xz-utils, or
 * bsdtar): dpkg is not needed, so it runs on macOS too.
 */
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { CORPUS_DIR } from './corpus';

export interface DebianPackage {
  /** The package's path in Debian's archive (`apt-cache show`'s Filename). */
  readonly filename: string;
  /** The SHA-256 Debian's archive lists for the package (`apt-cache show`'s SHA256). */
  readonly sha256: string;
  /** snapshot.debian.org serves every file it has archived by its SHA-1, long after the pool has dropped it. */
  readonly sha1: string;
  /** Each photograph's name in the corpus, and its path in the package's data archive. */
  readonly files: Readonly<Record<string, string>>;
}

/** Every photograph in the corpus: the seven the tests read, and the three more the benchmark's figures used. */
export const CORPUS_PACKAGES: readonly DebianPackage[] = [
  {
    filename: 'pool/main/m/mate-backgrounds/mate-backgrounds_1.26.0-1_all.deb',
    sha256: '7bf4c2209f34b4f61ba6d24c8b58c28b361e82e4b943aae6d42c030169af9e04',
    sha1: '00dc62fcfd2f45c98fe8ee348a333d43c053faca',
    files: {
      'Dune.jpg': './usr/share/backgrounds/mate/nature/Dune.jpg',
      'Elephants_3840x2160.jpg': './usr/share/backgrounds/mate/abstract/Elephants_3840x2160.jpg',
      'Elephants_5640x3172.jpg': './usr/share/backgrounds/mate/abstract/Elephants_5640x3172.jpg',
      'LadyBird.jpg': './usr/share/backgrounds/mate/nature/LadyBird.jpg',
      'RainDrops.jpg': './usr/share/backgrounds/mate/nature/RainDrops.jpg',
      'Storm.jpg': './usr/share/backgrounds/mate/nature/Storm.jpg',
      'TwoWings.jpg': './usr/share/backgrounds/mate/nature/TwoWings.jpg',
    },
  },
  {
    filename: 'pool/main/g/gnome-backgrounds/gnome-backgrounds_43.1-1_all.deb',
    sha256: 'a670dea21572652127d6e55f9cdb3a226d0037854fdbfd037003c7d00ee0dc4e',
    sha1: '375c36818c1d6dcbb30bbd5d3e66eda86accfeda',
    files: {
      'adwaita-l.webp': './usr/share/backgrounds/gnome/adwaita-l.webp',
    },
  },
  {
    filename: 'pool/main/u/ukui-wallpapers/ukui-wallpapers_20.04.3-1.1_all.deb',
    sha256: '6d49be70152e6d603163458e177e501deb0be8f2916389ccbfcf59b0d7fc0262',
    sha1: '98b39df3f36105c597a13d75243dbe09653005af',
    files: {
      'goldfish.png': './usr/share/backgrounds/goldfish.png',
      'rhythm.jpg': './usr/share/backgrounds/rhythm.jpg',
    },
  },
];

/** Copies into `dir` each photograph of `packages` that it lacks, and returns their names. */
export async function fetchCorpus(dir: string = CORPUS_DIR, packages: readonly DebianPackage[] = CORPUS_PACKAGES): Promise<string[]> {
  const copied: string[] = [];
  const work = mkdtempSync(path.join(tmpdir(), 'corpus-fetch-'));
  try {
    for (const pkg of packages) {
      const missing = Object.keys(pkg.files).filter((name) => !existsSync(path.join(dir, name)));
      if (missing.length === 0) {
        continue;
      }
      const unpacked = path.join(work, path.basename(pkg.filename));
      mkdirSync(unpacked);
      extract(await download(pkg), missing.map((name) => pkg.files[name]), unpacked);
      mkdirSync(dir, { recursive: true });
      for (const name of missing) {
        // Copied under another name first: a copy cut short must not pass for the photograph on the next run.
        const partial = path.join(dir, `.${name}.partial`);
        copyFileSync(path.join(unpacked, pkg.files[name]), partial);
        renameSync(partial, path.join(dir, name));
        copied.push(name);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.log(copied.length > 0 ? `corpus: copied ${copied.join(', ')} into ${dir}` : `corpus: ${dir} already holds every photograph`);
  return copied;
}

/** The package's bytes, from Debian's pool or else from snapshot.debian.org, once they have the pinned SHA-256. */
async function download(pkg: DebianPackage): Promise<Buffer> {
  const failures: string[] = [];
  for (const url of [`https://deb.debian.org/debian/${pkg.filename}`, `https://snapshot.debian.org/file/${pkg.sha1}`]) {
    console.log(`corpus: downloading ${url}`);
    try {
      const response = await fetch(url);
      if (!response.ok) {
        failures.push(`${url}: HTTP ${response.status}`);
        continue;
      }
      const bytes = Buffer.from(await response.arrayBuffer());
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      if (sha256 === pkg.sha256) {
        return bytes;
      }
      failures.push(`${url}: SHA-256 ${sha256}, not ${pkg.sha256}`);
    } catch (error) {
      const cause = (error as Error).cause as Error | undefined;
      failures.push(`${url}: ${(error as Error).message}${cause ? ` (${cause.message})` : ''}`);
    }
  }
  throw new Error(`could not download ${path.basename(pkg.filename)}:\n  ${failures.join('\n  ')}`);
}

/** Extracts `members` of a .deb's data archive under `into`. A .deb is an ar archive; its data.tar.* holds the files. */
function extract(deb: Buffer, members: string[], into: string): void {
  if (deb.toString('latin1', 0, 8) !== '!<arch>\n') {
    throw new Error('the package is not an ar archive');
  }
  // Each member: a 60-byte header (name in bytes 0-15, decimal size in 48-57), then its data, padded to an even length.
  for (let offset = 8; offset + 60 <= deb.length;) {
    const name = deb.toString('latin1', offset, offset + 16).trim().replace(/\/$/, '');
    const size = Number.parseInt(deb.toString('latin1', offset + 48, offset + 58).trim(), 10);
    const start = offset + 60;
    if (name.startsWith('data.tar')) {
      const archive = path.join(into, name);
      writeFileSync(archive, deb.subarray(start, start + size));
      execFileSync('tar', ['-xf', archive, '-C', into, ...members]);
      return;
    }
    offset = start + size + (size % 2);
  }
  throw new Error('the package has no data.tar member');
}

if (require.main === module) {
  fetchCorpus(process.argv[2] === undefined ? CORPUS_DIR : path.resolve(process.argv[2])).catch((error: Error) => {
    console.error(`corpus: ${error.message}`);
    process.exit(1);
  });
}

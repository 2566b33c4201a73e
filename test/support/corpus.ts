/**
 * The reference photographs: real files (a 16 MB JPEG, a Photoshop export with megabytes of XMP, PNG and WebP
 * wallpapers) that the images the tests make do not stand in for. They are not in the repository, whose licence is
 * not theirs, but in `shared/corpus` beside it. The jest set-up checks for them before any test starts, so that a
 * checkout without them fails once, saying what is missing, instead of with an ENOENT in each test that reads one.
 */
import { existsSync } from 'fs';
import * as path from 'path';

export const CORPUS_DIR = path.join(__dirname, '..', '..', '..', 'shared', 'corpus');

/** Every photograph a test reads: a test reads one through `corpusPhoto`, so the set-up checks for it too. */
export const CORPUS_PHOTOS = [
  'Dune.jpg',
  'Elephants_3840x2160.jpg',
  'Elephants_5640x3172.jpg',
  'LadyBird.jpg',
  'adwaita-l.webp',
  'goldfish.png',
  'rhythm.jpg',
] as const;

export type CorpusPhoto = typeof CORPUS_PHOTOS[number];

export function corpusPhoto(name: CorpusPhoto): string {
  return path.join(CORPUS_DIR, name);
}

/** Throws, naming the directory and the photographs it must hold, unless `dir` holds every one of them. */
export function checkCorpus(dir: string = CORPUS_DIR): void {
  const fix = 'Run `npx projen corpus:fetch`, which copies them there from the Debian packages they come from (the README says '
    + 'which, under "Try it without an AWS account"), and run the tests again.';
  if (!existsSync(dir)) {
    throw new Error(`The tests read reference photographs from ${dir}, beside the repository and not part of it, which does not exist. `
      + `It must hold ${CORPUS_PHOTOS.join(', ')}. ${fix}`);
  }
  const missing = CORPUS_PHOTOS.filter((name) => !existsSync(path.join(dir, name)));
  if (missing.length > 0) {
    throw new Error(`The tests read reference photographs from ${dir}, which lacks ${missing.join(', ')}. ${fix}`);
  }
}

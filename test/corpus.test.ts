import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { checkCorpus, CORPUS_DIR, CORPUS_PHOTOS } from './support/corpus';

let scratch: string;
beforeEach(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'corpus-'));
});
afterEach(() => {
  rmSync(scratch, { recursive: true, force: true });
});

test('the corpus is looked for beside the repository', () => {
  expect(CORPUS_DIR).toBe(path.resolve(__dirname, '..', '..', 'shared', 'corpus'));
});

test('a missing corpus directory is named, with what it must hold', () => {
  const missing = path.join(scratch, 'corpus');
  expect(() => checkCorpus(missing)).toThrow(new RegExp(`reference photographs from ${missing}.*which does not exist.*${CORPUS_PHOTOS.join(', ')}`));
});

test('a corpus without some of the photographs names the ones missing', () => {
  for (const name of CORPUS_PHOTOS.filter((photo) => photo !== 'rhythm.jpg' && photo !== 'goldfish.png')) {
    writeFileSync(path.join(scratch, name), '');
  }
  expect(() => checkCorpus(scratch)).toThrow(new RegExp(`${scratch}, which lacks goldfish\\.png, rhythm\\.jpg\\.`));
});

test('a corpus with every photograph passes', () => {
  for (const name of CORPUS_PHOTOS) {
    writeFileSync(path.join(scratch, name), '');
  }
  expect(() => checkCorpus(scratch)).not.toThrow();
});

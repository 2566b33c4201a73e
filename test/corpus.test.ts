import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { checkCorpus, CORPUS_DIR, CORPUS_PHOTOS } from './support/corpus';
import { CORPUS_PACKAGES, DebianPackage, fetchCorpus } from './support/fetch-corpus';

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

test('the error about a missing corpus names the task that fetches it', () => {
  expect(() => checkCorpus(path.join(scratch, 'corpus'))).toThrow(/Run `npx projen corpus:fetch`/);
});

test('a corpus with every photograph passes', () => {
  for (const name of CORPUS_PHOTOS) {
    writeFileSync(path.join(scratch, name), '');
  }
  expect(() => checkCorpus(scratch)).not.toThrow();
});

describe('fetching the corpus from Debian', () => {
  let fetchSpy: jest.SpyInstance<ReturnType<typeof fetch>, Parameters<typeof fetch>>;
  let target: string;
  beforeEach(() => {
    fetchSpy = jest.spyOn(globalThis, 'fetch');
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    target = path.join(scratch, 'corpus');
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });

  /** A package laid out as Debian's are (an ar archive around an xz tarball), built with the system's ar and tar. */
  function fakePackage(photos: Record<string, string>): { pkg: DebianPackage; deb: Buffer } {
    const build = path.join(scratch, 'build');
    const backgrounds = path.join(build, 'root', 'usr', 'share', 'backgrounds');
    mkdirSync(backgrounds, { recursive: true });
    for (const [name, content] of Object.entries(photos)) {
      writeFileSync(path.join(backgrounds, name), content);
    }
    writeFileSync(path.join(build, 'debian-binary'), '2.0\n');
    execFileSync('tar', ['-cJf', path.join(build, 'control.tar.xz'), '-C', build, 'debian-binary']);
    execFileSync('tar', ['-cJf', path.join(build, 'data.tar.xz'), '-C', path.join(build, 'root'), './usr']);
    execFileSync('ar', ['rc', 'fake.deb', 'debian-binary', 'control.tar.xz', 'data.tar.xz'], { cwd: build });
    const deb = readFileSync(path.join(build, 'fake.deb'));
    const pkg: DebianPackage = {
      filename: 'pool/main/f/fake-backgrounds/fake-backgrounds_1.0-1_all.deb',
      sha256: createHash('sha256').update(deb).digest('hex'),
      sha1: createHash('sha1').update(deb).digest('hex'),
      files: Object.fromEntries(Object.keys(photos).map((name) => [name, `./usr/share/backgrounds/${name}`])),
    };
    return { pkg, deb };
  }

  test('every photograph the tests read is fetched', () => {
    expect(CORPUS_PACKAGES.flatMap((pkg) => Object.keys(pkg.files))).toEqual(expect.arrayContaining([...CORPUS_PHOTOS]));
  });

  test('a directory that holds every photograph is left as it is, and nothing is downloaded', async () => {
    mkdirSync(target);
    for (const name of CORPUS_PACKAGES.flatMap((pkg) => Object.keys(pkg.files))) {
      writeFileSync(path.join(target, name), '');
    }
    await expect(fetchCorpus(target)).resolves.toEqual([]);
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  test('the photographs a directory lacks are taken from their package, unchanged, and the others are kept', async () => {
    const { pkg, deb } = fakePackage({ 'a.jpg': 'photograph a', 'b.png': 'photograph b' });
    mkdirSync(target);
    writeFileSync(path.join(target, 'b.png'), 'a copy already there');
    fetchSpy.mockImplementation(async () => new Response(deb));
    await expect(fetchCorpus(target, [pkg])).resolves.toEqual(['a.jpg']);
    expect(fetchSpy.mock.calls.map(([url]) => String(url))).toEqual([`https://deb.debian.org/debian/${pkg.filename}`]);
    expect(readdirSync(target).sort()).toEqual(['a.jpg', 'b.png']);
    expect(readFileSync(path.join(target, 'a.jpg'), 'utf8')).toBe('photograph a');
    expect(readFileSync(path.join(target, 'b.png'), 'utf8')).toBe('a copy already there');
  });

  test('a package gone from the Debian pool is taken from snapshot.debian.org, which serves it by its SHA-1', async () => {
    const { pkg, deb } = fakePackage({ 'a.jpg': 'photograph a' });
    fetchSpy.mockImplementationOnce(async () => new Response('Not Found', { status: 404 }));
    fetchSpy.mockImplementationOnce(async () => new Response(deb));
    await expect(fetchCorpus(target, [pkg])).resolves.toEqual(['a.jpg']);
    expect(fetchSpy.mock.calls.map(([url]) => String(url))).toEqual([
      `https://deb.debian.org/debian/${pkg.filename}`,
      `https://snapshot.debian.org/file/${pkg.sha1}`,
    ]);
    expect(readFileSync(path.join(target, 'a.jpg'), 'utf8')).toBe('photograph a');
  });

  test('a package whose SHA-256 is not the pinned one is refused from every source, and nothing is copied', async () => {
    const { pkg } = fakePackage({ 'a.jpg': 'photograph a' });
    mkdirSync(target);
    fetchSpy.mockImplementation(async () => new Response('something else'));
    await expect(fetchCorpus(target, [pkg])).rejects.toThrow(
      /fake-backgrounds_1\.0-1_all\.deb.*deb\.debian\.org.*SHA-256 [0-9a-f]{64}, not [0-9a-f]{64}.*snapshot\.debian\.org.*SHA-256/s);
    expect(readdirSync(target)).toEqual([]);
  });
});

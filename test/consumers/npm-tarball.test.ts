import * as fs from 'fs';
import * as path from 'path';
import { missingAssets, tarballEntries } from './support/packaged-assets';
import { distArtifact, PROJECT_ROOT } from './support/project-paths';

const tarball = distArtifact('js', '.tgz');

test('the npm tarball ships the library, the handler bundle and both sharp layers', () => {
  expect(missingAssets(tarball)).toEqual([]);
});

test('every file the build put in assets/ is in the tarball', () => {
  // An ignore pattern meant for the project's own folders can match deep inside the layers (sharp's dist/).
  const assets = path.join(PROJECT_ROOT, 'assets');
  expect(fs.existsSync(assets)).toBe(true);
  const built = (fs.readdirSync(assets, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((entry) => entry.isFile())
    .map((entry) => `package/${path.relative(PROJECT_ROOT, path.join(entry.parentPath, entry.name))}`);
  const packed = new Set(tarballEntries(tarball));
  expect(built.filter((file) => !packed.has(file))).toEqual([]);
});

test('each sharp layer holds the binaries for its own architecture only', () => {
  const entries = tarballEntries(tarball);
  expect(entries.filter((entry) => /sharp-layer\/arm64\/.*linux-x64/.test(entry))).toEqual([]);
  expect(entries.filter((entry) => /sharp-layer\/x64\/.*linux-arm64/.test(entry))).toEqual([]);
});

import { filesNotFromThisBuild, missingAssets, tarballEntries } from './support/packaged-assets';
import { distArtifact } from './support/project-paths';

const tarball = distArtifact('js', '.tgz');

test('the npm tarball ships the library, the handler bundle and both sharp layers', () => {
  expect(missingAssets(tarball)).toEqual([]);
});

test('every file the build put in lib/ and assets/ is in the tarball, as the build left it', () => {
  // An ignore pattern meant for the project's own folders can match deep inside the layers (sharp's dist/), and a
  // tarball an earlier build left in dist/ holds code that is no longer there.
  expect(filesNotFromThisBuild(tarball)).toEqual([]);
});

test('each sharp layer holds the binaries for its own architecture only', () => {
  const entries = tarballEntries(tarball);
  expect(entries.filter((entry) => /sharp-layer\/arm64\/.*linux-x64/.test(entry))).toEqual([]);
  expect(entries.filter((entry) => /sharp-layer\/x64\/.*linux-arm64/.test(entry))).toEqual([]);
});

import { run } from './command';

/**
 * What every package must carry so that a user in any CDK language builds nothing with Node: the compiled
 * library, the handler bundle and a sharp layer per architecture with its native addon and libvips.
 */
export const REQUIRED_TARBALL_ENTRIES: ReadonlyArray<{ readonly what: string; readonly pattern: RegExp }> = [
  { what: 'the compiled library', pattern: /^package\/lib\/index\.js$/ },
  { what: 'the jsii assembly', pattern: /^package\/\.jsii$/ },
  { what: 'the resize handler bundle', pattern: /^package\/assets\/resize\.lambda\/index\.js$/ },
  ...['arm64', 'x64'].flatMap((arch) => {
    const modules = `^package/assets/sharp-layer/${arch}/nodejs/node_modules`;
    return [
      { what: `sharp's entry point for ${arch}`, pattern: new RegExp(`${modules}/sharp/dist/index\\.cjs$`) },
      { what: `the @img/sharp-linux-${arch} addon`, pattern: new RegExp(`${modules}/@img/sharp-linux-${arch}/lib/sharp-linux-${arch}[^/]*\\.node$`) },
      { what: `libvips for linux-${arch}`, pattern: new RegExp(`${modules}/@img/sharp-libvips-linux-${arch}/lib/libvips-cpp\\.so[^/]*$`) },
    ];
  }),
];

export function tarballEntries(tgz: string): string[] {
  return run('tar', ['-tzf', tgz], { cwd: '/' }).split('\n').filter(Boolean);
}

/** The required entries that `tgz` lacks, each as what it is: an empty list means the tarball is complete. */
export function missingAssets(tgz: string): string[] {
  const entries = tarballEntries(tgz);
  return REQUIRED_TARBALL_ENTRIES
    .filter(({ pattern }) => !entries.some((entry) => pattern.test(entry)))
    .map(({ what, pattern }) => `${what} (${pattern.source})`);
}

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { run } from './command';
import { PROJECT_ROOT } from './project-paths';

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

/** What the build compiles and bundles: a package must carry these exactly as the build left them. */
const BUILT_DIRS = ['lib', 'assets'];

/**
 * The files of this build's `lib/` and `assets/` that `tgz` lacks or holds in another version: an empty list means
 * the package was made from this build. A package left in dist/ by an earlier build would otherwise let a consumer
 * test pass or fail on code that is no longer there.
 *
 * @param root the checkout whose build the package should hold; the project's unless a test builds another
 */
export function filesNotFromThisBuild(tgz: string, root: string = PROJECT_ROOT): string[] {
  const unpacked = fs.mkdtempSync(path.join(os.tmpdir(), 'tarball-'));
  try {
    run('tar', ['-xzf', tgz, '-C', unpacked], { cwd: unpacked });
    return BUILT_DIRS.flatMap((dir) => builtFiles(path.join(root, dir)))
      .map((file) => path.relative(root, file))
      .filter((file) => {
        const packed = path.join(unpacked, 'package', file);
        return !fs.existsSync(packed) || !fs.readFileSync(packed).equals(fs.readFileSync(path.join(root, file)));
      });
  } finally {
    fs.rmSync(unpacked, { recursive: true, force: true });
  }
}

/** Every entry but directories: a symlink counts too, as npm pack leaves it out and a layer's asset hash counts it. */
function builtFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) {
    throw new Error(`No ${dir}: run \`npx projen compile\` and \`npx projen bundle\` (or a build) first.`);
  }
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((entry) => !entry.isDirectory())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

// @ts-check
/**
 * Prints, on one line, the package.json a sharp layer is installed from: sharp at SHARP_VERSION and, as overrides,
 * each package the layer holds besides it at the version the root package-lock.json gives it. Those are sharp's
 * dependencies and its two Linux (glibc) packages for the layer's architecture.
 *
 * Without the overrides npm would resolve sharp's ranges (semver ^7.8.5, say) afresh from the registry, so a patch
 * release of any of them would change the layer's asset hash on the next clean build: the integ snapshot check would
 * fail, and a release would make every consumer publish a new layer version. The build script keeps the printed
 * line as its stamp, so a change to the lock rebuilds the layer.
 *
 * Usage: SHARP_VERSION=<version> node projenrc/sharp-layer-manifest.js <arm64|x64>, from the project's root
 */
const fs = require('fs');

const [arch] = process.argv.slice(2);

/**
 * @param {string} message
 * @returns {never}
 */
function fail(message) {
  console.error(`sharp-layers: ${message}`);
  process.exit(1);
}

/** @typedef {{ version: string, dependencies?: Record<string, string>, optionalDependencies?: Record<string, string> }} LockedPackage */
/** @type {{ packages: Record<string, LockedPackage | undefined> }} */
const lock = JSON.parse(fs.readFileSync('package-lock.json', 'utf8'));

/**
 * The version Node would load from the root's sharp: sharp's own node_modules first, then the top level.
 *
 * @param {string} name
 */
function locked(name) {
  return (lock.packages[`node_modules/sharp/node_modules/${name}`] ?? lock.packages[`node_modules/${name}`])?.version;
}

const sharp = lock.packages['node_modules/sharp'];
if (sharp === undefined || sharp.version !== process.env.SHARP_VERSION) {
  fail(`package-lock.json has sharp ${sharp?.version ?? 'nowhere'}, not ${process.env.SHARP_VERSION}: run npx projen`);
}
const binaries = [`@img/sharp-linux-${arch}`, `@img/sharp-libvips-linux-${arch}`];
const unknown = binaries.filter((name) => !(name in (sharp.optionalDependencies ?? {})));
if (unknown.length > 0) {
  fail(`sharp ${sharp.version} does not name ${unknown.join(' or ')} among its optional dependencies`);
}
const names = [...Object.keys(sharp.dependencies ?? {}), ...binaries].sort();
const unlocked = names.filter((name) => locked(name) === undefined);
if (unlocked.length > 0) {
  fail(`package-lock.json has no ${unlocked.join(', ')}, which sharp ${sharp.version} needs on linux-${arch}`);
}

console.log(JSON.stringify({
  name: 'sharp-layer',
  private: true,
  dependencies: { sharp: sharp.version },
  overrides: Object.fromEntries(names.map((name) => [name, locked(name)])),
}));

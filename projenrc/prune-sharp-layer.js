// @ts-check
/**
 * Leaves in a sharp layer's node_modules only the packages its package.json names (sharp in its dependencies, the
 * rest in its overrides), and fails unless each is there at the version named.
 *
 * npm 10, which Node 22 ships, also installs what the optional packages it skips for the platform depend on
 * (@img/sharp-wasm32, @emnapi/runtime, tslib); npm 11 leaves them out. Kept, they would make the layer's asset hash
 * depend on the npm version, put licences in the layer that its LicenseInfo does not name, and let sharp fall back
 * to WebAssembly when its native addon fails to load. They are removed, not refused, so that the build runs with
 * either npm; each removal is logged.
 *
 * Usage: node projenrc/prune-sharp-layer.js <arm64|x64> <layer's nodejs folder>
 */
const fs = require('fs');
const path = require('path');

const [arch, layer] = process.argv.slice(2);
const modules = path.join(layer, 'node_modules');

/**
 * @param {string} message
 * @returns {never}
 */
function fail(message) {
  console.error(`sharp-layers: ${message}`);
  process.exit(1);
}

/**
 * The packages directly in a node_modules folder, scoped ones as @scope/name.
 *
 * @param {string} dir a node_modules folder
 */
function packagesIn(dir) {
  return fs.readdirSync(dir)
    .filter((entry) => !entry.startsWith('.'))
    .flatMap((entry) => (entry.startsWith('@') ? fs.readdirSync(path.join(dir, entry)).map((name) => `${entry}/${name}`) : [entry]));
}

/**
 * Removes every package under a node_modules folder that the layer does not hold, with all it holds itself.
 *
 * @param {string} dir a node_modules folder
 * @param {Set<string>} wanted the names of the packages the layer holds
 * @param {boolean} nested whether dir is inside a package rather than the layer's top level
 */
function prune(dir, wanted, nested) {
  if (!fs.existsSync(dir)) {
    return;
  }
  for (const name of packagesIn(dir)) {
    const folder = path.join(dir, name);
    if (!wanted.has(name)) {
      const { version } = JSON.parse(fs.readFileSync(path.join(folder, 'package.json'), 'utf8'));
      fs.rmSync(folder, { recursive: true });
      console.log(`sharp-layers: ${arch}: removed ${path.relative(modules, folder)}@${version}, which sharp does not use on linux-${arch}`);
      continue;
    }
    // One copy of each: a copy inside another package would be a second version of it.
    if (nested) {
      fail(`${arch}: ${path.relative(modules, folder)} is nested inside another package`);
    }
    prune(path.join(folder, 'node_modules'), wanted, true);
  }
  for (const scope of fs.readdirSync(dir).filter((entry) => entry.startsWith('@'))) {
    if (fs.readdirSync(path.join(dir, scope)).length === 0) {
      fs.rmdirSync(path.join(dir, scope));
    }
  }
}

/** @type {{ dependencies: Record<string, string>, overrides: Record<string, string> }} */
const manifest = JSON.parse(fs.readFileSync(path.join(layer, 'package.json'), 'utf8'));
const pinned = new Map(Object.entries({ ...manifest.dependencies, ...manifest.overrides }));

prune(modules, new Set(pinned.keys()), false);
const wrong = [...pinned]
  .map(([name, version]) => {
    const installed = path.join(modules, name, 'package.json');
    return { name, version, found: fs.existsSync(installed) ? JSON.parse(fs.readFileSync(installed, 'utf8')).version : 'none' };
  })
  .filter(({ version, found }) => found !== version);
if (wrong.length > 0) {
  fail(`${arch}: npm installed ${wrong.map(({ name, version, found }) => `${name} ${found}, not ${version}`).join('; ')}`);
}

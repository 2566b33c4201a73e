#!/usr/bin/env node
/**
 * What a cold start adds, measured in fresh Node.js processes as Lambda starts a new container:
 * - the size of the handler bundle (the SDK clients the runtime provides are left out of it);
 * - init: loading the bundle, which loads sharp and libvips from the layer once per container;
 * - the first resize in a process against the later ones (libvips warms up its operation cache).
 *
 *   npx projen bundle && npx projen compile && node bench/cold-start.js [RUNS]
 */
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.join(__dirname, '..');
const bundle = path.join(root, 'assets', 'resize.lambda', 'index.js');
const layer = path.join(root, 'assets', 'sharp-layer', process.arch === 'arm64' ? 'arm64' : 'x64', 'nodejs', 'node_modules');
const core = path.join(root, 'lib', 'handler', 'image-core.js');
const sample = path.join(root, 'samples', 'landscape.jpg');
const runs = Number(process.argv[2] ?? 5);

// A task root outside the repository, so the bundle finds sharp in the layer, as on Lambda.
const taskRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'cold-start-'));
fs.copyFileSync(bundle, path.join(taskRoot, 'index.js'));

const probe = `
  const started = process.hrtime.bigint();
  require(${JSON.stringify(path.join(taskRoot, 'index.js'))});
  const initMs = Number(process.hrtime.bigint() - started) / 1e6;
  const { resizeImage } = require(${JSON.stringify(core)});
  const input = require('fs').readFileSync(${JSON.stringify(sample)});
  const options = { sizes: [{ name: 't', width: 150, height: 150, fit: 'cover' }, { name: 'm', width: 800, fit: 'inside' }, { name: 'l', width: 1600, fit: 'inside' }], format: 'jpeg', quality: 80, maxInputPixels: 50e6 };
  (async () => {
    const times = [];
    for (let i = 0; i < 6; i++) {
      const t = process.hrtime.bigint();
      await resizeImage(input, options);
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    const warm = times.slice(1).sort((a, b) => a - b)[2];
    console.log(JSON.stringify({ initMs, firstMs: times[0], warmMs: warm }));
  })();
`;

const env = {
  PATH: process.env.PATH,
  NODE_PATH: [layer, path.join(root, 'node_modules')].join(path.delimiter),
  RESIZED_BUCKET: 'bench', TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:bench', SIZES: '[]', OUTPUT_FORMAT: 'jpeg',
  QUALITY: '80', MAX_INPUT_PIXELS: '50000000', LINK_EXPIRY_SECONDS: '3600', AWS_REGION: 'us-east-1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: '1',
};
const results = [];
for (let i = 0; i < runs; i++) {
  const child = spawnSync(process.execPath, ['-e', probe], { env, encoding: 'utf8' });
  if (child.status !== 0) {
    throw new Error(`cold-start probe failed: ${child.stderr}`);
  }
  results.push(JSON.parse(child.stdout.trim().split('\n').pop()));
}
fs.rmSync(taskRoot, { recursive: true, force: true });

const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
const kb = (file) => (fs.statSync(file).size / 1024).toFixed(0);
console.log(`bundle: ${kb(bundle)} KB (assets/resize.lambda/index.js)`);
console.log(`init (load the bundle, sharp and libvips): median ${median(results.map((r) => r.initMs)).toFixed(0)} ms over ${runs} fresh processes`);
const first = median(results.map((r) => r.firstMs));
const warm = median(results.map((r) => r.warmMs));
console.log(`first resize of samples/landscape.jpg: median ${first.toFixed(0)} ms; later ones: ${warm.toFixed(0)} ms; first-call extra ${(first - warm).toFixed(0)} ms`);

/**
 * The functions on the runtime they deploy on: the example stack's Node.js 24 on arm64, with the arm64 sharp layer,
 * under qemu's emulation on an x64 machine. Everywhere else the local pipeline runs them on this machine's Node.js
 * and layer, so this is where the layer that deploys by default runs at all.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FunctionDefinition } from '../local/example-template';
import { layerNodeModules } from '../local/function-assets';
import { BAD_UPLOADS } from './support/bad-uploads';
import { CorpusPhoto, corpusPhoto } from './support/corpus';
import { fixedSequence } from './support/fixed-sequence';
import { Harness, startHarness } from './support/pipeline-harness';
import { testWorker } from './support/test-worker';
import { ensureDeployedRuntime, NodeRuntime } from '../local/lambda-runtime/node-runtime';
import { prepareTaskRoot } from '../local/lambda-runtime/task-root';
import { checkResized } from '../local/output-check';
import { readConfig } from '../src/handler/config';
import { ImageRejectedError, resizeImage } from '../src/handler/image-core';
import { resizedKey } from '../src/handler/keys';
import { NotificationDocument } from '../src/handler/notification';

/** The first run downloads Node.js (and, on x64, qemu and arm64's glibc): tens of MB. */
const INSTALL_WITHIN_MS = 300_000;
/** Under emulation, a cold start and a resize take seconds each. */
const OUTCOME_WITHIN_MS = 120_000;
const SAMPLES = path.join(__dirname, '..', 'samples');
/** Samples in each format the example reads, each damaged in as many ways (see `damagedCopies`). */
const DAMAGED_PHOTOS = ['portrait-exif6.jpg', 'rings.webp', 'transparent.png', 'landscape.jpg'];
const DAMAGES_PER_PHOTO = 6;

let harness: Harness;
let resizeFunction: FunctionDefinition;
let runtime: NodeRuntime;

beforeAll(async () => {
  harness = await startHarness({ nameSuffix: '-deployed-runtime', runtime: 'deployed' });
  resizeFunction = harness.pipeline.definition.function;
  // Installed by the pipeline's start: this is what its workers were given.
  runtime = await ensureDeployedRuntime(resizeFunction.runtime, resizeFunction.architecture);
}, INSTALL_WITHIN_MS);

afterAll(async () => {
  await harness?.stop();
});

test('the example stack deploys the resize function on Node.js 24 for arm64', () => {
  expect(resizeFunction).toMatchObject({ runtime: 'nodejs24.x', architecture: 'arm64' });
});

test('a worker on the deployed runtime runs Node.js 24 on arm64 and loads sharp from the arm64 layer', async () => {
  // GIVEN a handler that reports where it runs and uses sharp's native code
  const code = mkdtempSync(path.join(os.tmpdir(), 'runtime-probe-'));
  writeFileSync(path.join(code, 'index.js'), `
    exports.handler = async () => {
      const sharp = require('sharp');
      const png = await sharp({ create: { width: 3, height: 2, channels: 3, background: 'red' } }).png().toBuffer();
      const { width, height } = await sharp(png).metadata();
      return { node: process.version, arch: process.arch, sharp: require.resolve('sharp'), width, height };
    };
  `);
  const taskRoot = prepareTaskRoot(code, layerNodeModules(runtime.arch));
  const log: string[] = [];
  const worker = testWorker(taskRoot, 'probe', { runtime, log: (line) => log.push(line) });
  try {
    // WHEN
    const outcome = await worker.invoke({ type: 'invoke', requestId: 'probe-1', event: {}, invokedFunctionArn: 'arn:aws:lambda:local:0:function:probe' }, OUTCOME_WITHIN_MS);

    // THEN
    expect({ outcome, log }).toEqual({
      outcome: {
        kind: 'result',
        result: {
          node: expect.stringMatching(/^v24\./),
          arch: 'arm64',
          sharp: expect.stringContaining(path.join('sharp-layer', 'arm64', 'nodejs', 'node_modules', 'sharp')),
          width: 3,
          height: 2,
        },
      },
      log: [],
    });
  } finally {
    await worker.stop();
    taskRoot.remove();
    rmSync(code, { recursive: true, force: true });
  }
}, OUTCOME_WITHIN_MS);

describe('the local pipeline on the deployed runtime', () => {
  test('resizes a photo into every size, and its workers are the deployed runtime\'s Node.js', async () => {
    // GIVEN
    const original = readFileSync(path.join(SAMPLES, 'portrait-exif6.jpg'));

    // WHEN
    await harness.putStraight('deployed/portrait.jpg', original);

    // THEN
    const outcome = await harness.outcome('deployed/portrait.jpg', OUTCOME_WITHIN_MS);
    expect(outcome).toMatchObject({ status: 'resized', input: { format: 'jpeg' } });
    const checks = await checkResized(original, outcome as NotificationDocument, harness.sizes);
    expect(checks.map((check) => [check.size.name, check.problems])).toEqual(harness.sizes.map((size) => [size.name, []]));
    const commandLines = harness.pipeline.functionWorkers()
      .map((worker) => readFileSync(`/proc/${worker.pid}/cmdline`, 'utf8').split('\0').filter(Boolean));
    expect(commandLines.length).toBeGreaterThan(0);
    for (const commandLine of commandLines) {
      expect(commandLine.slice(0, 1 + runtime.execArgv.length)).toEqual([runtime.execPath, ...runtime.execArgv]);
    }
  }, OUTCOME_WITHIN_MS);

  // Every other test of the image work runs this machine's x64 build of sharp. Byte for byte the same copies carry
  // what those tests show over to the build that deploys, for these photos; a difference means a sharp release
  // whose two builds disagree, to be looked at before it deploys.
  describe('makes byte for byte the copies this machine\'s runtime makes', () => {
    const photos: Array<[string, string]> = [
      ['rings.webp', path.join(SAMPLES, 'rings.webp')],
      ...(['LadyBird.jpg', 'Elephants_3840x2160.jpg', 'goldfish.png', 'adwaita-l.webp'] satisfies CorpusPhoto[])
        .map((name): [string, string] => [name, corpusPhoto(name)]),
    ];
    test.each(photos)('%s', async (name, file) => {
      // GIVEN
      const key = `deployed/same/${name}`;
      const original = readFileSync(file);
      const onThisMachine = await outcomeOnThisMachine(key, original);
      expect(onThisMachine.status).toBe('resized');

      // WHEN
      const onTheDeployedRuntime = await outcomeOnTheDeployedRuntime(key, original);

      // THEN
      expect(onTheDeployedRuntime).toEqual(onThisMachine);
    }, OUTCOME_WITHIN_MS);
  });

  test('gives damaged photos the outcome this machine\'s runtime gives them: the same refusal, or the same copies', async () => {
    // GIVEN
    const damaged = DAMAGED_PHOTOS.flatMap((photo) => damagedCopies(readFileSync(path.join(SAMPLES, photo)), DAMAGES_PER_PHOTO)
      .map(({ damage, data }) => ({ key: `deployed/damaged/${damage}-${photo}`, data })));
    const onThisMachine = await Promise.all(damaged.map(({ key, data }) => outcomeOnThisMachine(key, data)));
    // Some damage libvips reads past without a word, so both outcomes are compared.
    expect(new Set(onThisMachine.map((outcome) => outcome.status))).toEqual(new Set(['resized', 'failed']));

    // WHEN
    // One at a time, as each takes seconds under emulation: a backlog would only test the emulator's speed against
    // the function's timeout.
    const onTheDeployedRuntime: UploadOutcome[] = [];
    for (const { key, data } of damaged) {
      onTheDeployedRuntime.push(await outcomeOnTheDeployedRuntime(key, data));
    }

    // THEN
    expect(onTheDeployedRuntime).toEqual(onThisMachine);
  }, DAMAGED_PHOTOS.length * DAMAGES_PER_PHOTO * OUTCOME_WITHIN_MS);

  describe('refuses each bad upload of the README\'s table as this machine\'s runtime does, with a notification', () => {
    test.each(BAD_UPLOADS)('%s', async (_case, name, make, reason, message) => {
      // GIVEN
      const key = `deployed/bad/${name}`;

      // WHEN
      await harness.putStraight(key, await make());

      // THEN
      expect(await harness.outcome(key, OUTCOME_WITHIN_MS)).toMatchObject({ status: 'failed', reason, message: expect.stringMatching(message) });
      expect(await harness.copiesOf(key)).toEqual([]);
    }, OUTCOME_WITHIN_MS);
  });
});

/** An upload's outcome as both runtimes can be compared on: the refusal's reason, or each copy's key and digest. */
interface UploadOutcome {
  readonly key: string;
  readonly status: string;
  readonly reason?: string;
  readonly copies?: CopyDigest[];
}

interface CopyDigest {
  readonly key: string;
  readonly bytes: number;
  readonly sha256: string;
}

/** What the image core makes of an upload on this machine's x64 sharp, with the pipeline's configuration. */
async function outcomeOnThisMachine(key: string, data: Buffer): Promise<UploadOutcome> {
  try {
    const { outputs } = await resizeImage(data, readConfig(harness.pipeline.functionEnvironment));
    return { key, status: 'resized', copies: outputs.map((output) => digestOf(resizedKey(output.name, key, output.extension), output.data)) };
  } catch (error) {
    if (!(error instanceof ImageRejectedError)) {
      throw error;
    }
    return { key, status: 'failed', reason: error.reason };
  }
}

/** What the pipeline on the deployed runtime makes of an upload: its notification, and the copies it stored. */
async function outcomeOnTheDeployedRuntime(key: string, data: Buffer): Promise<UploadOutcome> {
  await harness.putStraight(key, data);
  const outcome = await harness.outcome(key, OUTCOME_WITHIN_MS);
  if (outcome.status !== 'resized') {
    return { key, status: outcome.status, reason: 'reason' in outcome ? outcome.reason : undefined };
  }
  const copies = await Promise.all((await harness.copiesOf(key)).map(async (copyKey) => digestOf(copyKey, await harness.readCopy(copyKey))));
  return { key, status: 'resized', copies };
}

function digestOf(key: string, data: Buffer): CopyDigest {
  return { key, bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') };
}

/** Cut short, or with bytes past the first tenth changed: the same ones on every run. */
function damagedCopies(photo: Buffer, count: number): Array<{ damage: string; data: Buffer }> {
  const sequence = fixedSequence(photo.length);
  const next = (below: number): number => Math.floor((sequence() / 2 ** 31) * below);
  const copies: Array<{ damage: string; data: Buffer }> = [];
  for (let i = 0; i < count; i++) {
    if (i % 3 === 0) {
      const end = Math.floor(photo.length / 10) + next(photo.length * 0.9);
      copies.push({ damage: `cut-at-${end}`, data: photo.subarray(0, end) });
    } else {
      const data = Buffer.from(photo);
      const changed: number[] = [];
      for (let flips = 1 + next(i); flips > 0; flips--) {
        const at = Math.floor(photo.length / 10) + next(photo.length * 0.9);
        data[at] = (data[at] + 1 + next(255)) % 256;
        changed.push(at);
      }
      copies.push({ damage: `changed-${changed.join('-')}`, data });
    }
  }
  return copies;
}

/**
 * `npx projen demo`: starts the local pipeline, subscribes a local http receiver through the API, uploads the
 * repository's sample images through the API as `curl --data-binary` would, waits for every notification,
 * downloads every link and checks its dimensions against the configured sizes. Exits 0 only if every image
 * arrived in every size and the non-image was reported as failed.
 */
import { appendFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { buildFunctionAssets } from './function-assets';
import { runtimeChoiceFromEnv } from './lambda-runtime/node-runtime';
import { NotificationReceiver } from './notification-receiver';
import { checkResized, SizeCheck } from './output-check';
import { LocalPipeline, startLocalPipeline } from './pipeline';
import { untilStopSignal } from './signals';
import { ENV, SizeSpec } from '../src/handler/config';

const PROJECT_ROOT = path.resolve(__dirname, '..');
const SAMPLES_DIR = path.join(PROJECT_ROOT, 'samples');
const LOG_FILE = path.join(PROJECT_ROOT, '.local', 'demo.log');
const SAMPLE_FILE = /\.(jpe?g|png|webp|gif|avif|tiff?)$/i;
const NOTIFICATION_TIMEOUT_MS = 60_000;

interface Upload {
  readonly file: string;
  readonly data: Buffer;
  /** Whether sharp on this machine reads it as an image, so the pipeline must resize it. */
  readonly isImage: boolean;
  readonly sentAt: number;
}

interface Row {
  readonly file: string;
  readonly size: string;
  readonly dimensions: string;
  readonly bytes: string;
  readonly ms: string;
  readonly result: string;
}

async function main(): Promise<number> {
  mkdirSync(path.dirname(LOG_FILE), { recursive: true });
  writeFileSync(LOG_FILE, '');
  const toLog = (line: string) => appendFileSync(LOG_FILE, `${line}\n`);

  const stopSignal = untilStopSignal();
  console.log('Building the function bundle and the sharp layer (npx projen bundle, npx projen sharp-layers)...');
  buildFunctionAssets();
  console.log('Starting the local pipeline (moto, the resize function in worker processes, the API)...');
  const receiver = await NotificationReceiver.start();
  const starting = startLocalPipeline({ port: 0, runtime: runtimeChoiceFromEnv(), log: toLog, functionLog: toLog });
  try {
    const pipeline = await Promise.race([starting, stopSignal]);
    if (typeof pipeline === 'number') {
      return pipeline;
    }
    console.log([
      `API: ${pipeline.apiUrl}`,
      `Upload bucket: ${pipeline.uploadBucket}`,
      `Resized bucket: ${pipeline.resizedBucket}`,
      `S3 endpoint: ${pipeline.s3Endpoint}`,
    ].join('\n'));
    return await Promise.race([run(pipeline, receiver), stopSignal]);
  } finally {
    await starting.then((pipeline) => pipeline.stop(), () => undefined);
    await receiver.stop();
  }
}

async function run(pipeline: LocalPipeline, receiver: NotificationReceiver): Promise<number> {
  const subscribed = await fetch(`${pipeline.apiUrl}/subscribe`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ endpoint: receiver.url }),
  });
  console.log(`\nPOST /subscribe {"endpoint": "${receiver.url}"} -> ${subscribed.status} ${await subscribed.text()}`);
  if (!subscribed.ok) {
    return 1;
  }

  const uploads: Upload[] = [];
  for (const file of readdirSync(SAMPLES_DIR).filter((f) => SAMPLE_FILE.test(f)).sort()) {
    const data = readFileSync(path.join(SAMPLES_DIR, file));
    const isImage = await sharp(data).metadata().then(() => true, () => false);
    const sentAt = Date.now();
    const response = await fetch(`${pipeline.apiUrl}/upload-image/${pipeline.uploadBucket}/${encodeURIComponent(file)}`, {
      method: 'PUT',
      // What `curl --data-binary @file` sends when no Content-Type is given.
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: data,
    });
    console.log(`PUT /upload-image/${pipeline.uploadBucket}/${file} (${data.length} bytes) -> ${response.status} ${await response.text()}`);
    if (!response.ok) {
      return 1;
    }
    uploads.push({ file, data, isImage, sentAt });
  }

  console.log('\nWaiting for the notifications and downloading every link...\n');
  const sizes = JSON.parse(pipeline.functionEnvironment[ENV.sizes]) as SizeSpec[];
  const rows: Row[] = [];
  const failures: string[] = [];
  const failedNotices: string[] = [];
  const notifications = await Promise.allSettled(uploads.map((upload) => receiver.waitFor(upload.file, NOTIFICATION_TIMEOUT_MS)));
  for (const [index, upload] of uploads.entries()) {
    const settled = notifications[index];
    if (settled.status === 'rejected') {
      failures.push(`${upload.file}: ${(settled.reason as Error).message}`);
      rows.push({ file: upload.file, size: '-', dimensions: '-', bytes: '-', ms: '-', result: 'NO NOTIFICATION' });
      continue;
    }
    const notification = settled.value;
    const ms = String(notification.receivedAt - upload.sentAt);
    const doc = notification.document;
    if (doc.status === 'failed') {
      rows.push({ file: upload.file, size: '-', dimensions: '-', bytes: '-', ms, result: `failed: ${doc.reason}` });
      failedNotices.push(`${upload.file}: "${notification.subject}": ${doc.message}`);
      if (upload.isImage) {
        failures.push(`${upload.file} is an image but was reported as failed (${doc.reason}: ${doc.message})`);
      }
      continue;
    }
    if (!upload.isImage) {
      failures.push(`${upload.file} is not an image but was reported as resized`);
    }
    for (const check of await checkResized(upload.data, doc, sizes)) {
      rows.push(row(upload.file, check, ms));
      failures.push(...check.problems.map((problem) => `${upload.file} ${check.size.name}: ${problem}`));
    }
  }

  printTable(rows);
  if (failedNotices.length > 0) {
    console.log(`\nFailure notifications:\n${failedNotices.map((n) => `  ${n}`).join('\n')}`);
  }
  const images = uploads.filter((u) => u.isImage).length;
  console.log(`\nFunction and API log: ${path.relative(PROJECT_ROOT, LOG_FILE)}`);
  if (failures.length > 0) {
    console.log(`\nFAILED:\n${failures.map((f) => `  ${f}`).join('\n')}`);
    return 1;
  }
  console.log(`\nOK: all ${images} images arrived in all ${sizes.length} sizes (${sizes.map((s) => s.name).join(', ')}) `
    + `with the expected dimensions, and ${uploads.length - images} non-image was reported as failed.`);
  return 0;
}

function row(file: string, check: SizeCheck, ms: string): Row {
  const d = check.downloaded;
  return {
    file,
    size: check.size.name,
    dimensions: d ? `${d.width}x${d.height}` : '-',
    bytes: d ? String(d.bytes) : '-',
    ms,
    result: check.problems.length === 0 ? 'ok' : check.problems.join('; '),
  };
}

function printTable(rows: Row[]): void {
  const header: Row = { file: 'file', size: 'size', dimensions: 'dimensions', bytes: 'bytes', ms: 'ms', result: 'check' };
  const columns: Array<keyof Row> = ['file', 'size', 'dimensions', 'bytes', 'ms', 'result'];
  const numeric = new Set<keyof Row>(['bytes', 'ms']);
  const widths = columns.map((c) => Math.max(...[header, ...rows].map((r) => r[c].length)));
  for (const r of [header, ...rows]) {
    console.log(columns.map((c, i) => (numeric.has(c) && r !== header ? r[c].padStart(widths[i]) : r[c].padEnd(widths[i]))).join('  ').trimEnd());
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);

/**
 * `npx projen load-test`: pushes a bounded number of uploads through the local pipeline's API at a steady
 * concurrency, then reconciles every one: a good image must have every size in the resized bucket and a
 * `resized` notification, a bad one a `failed` notification, and nothing may be left in the queue or the
 * dead-letter queue. Prints throughput, upload-to-notification latency and the counts, ending with one
 * summary line. Loopback only; exits 1 if anything is missing or the time bound runs out.
 *
 *   npx projen load-test [--uploads 1000] [--concurrency 8] [--workers N] [--timeout-seconds 600]
 */
import { buildFunctionAssets } from './function-assets';
import { inputFor, LoadInput, loadInputs } from './load-test-inputs';
import { NotificationReceiver, ReceivedNotification } from './notification-receiver';
import { LocalPipeline, startLocalPipeline } from './pipeline';
import { listKeys, queueDepths, uploadThroughApi } from './pipeline-probes';
import { untilStopSignal } from './signals';
import { ENV, SizeSpec } from '../src/handler/config';
import { resizedKey } from '../src/handler/keys';

export interface LoadTestOptions {
  /** @default 1000 */
  readonly uploads?: number;
  /** Uploads in flight at any time, each from its PUT until its notification arrives. @default 8 */
  readonly concurrency?: number;
  /**
   * The most worker processes at once, overriding the template's MaximumConcurrency.
   *
   * @default - the template's MaximumConcurrency
   */
  readonly workers?: number;
  /** Bounds the whole run, start-up excluded. @default 600 */
  readonly timeoutSeconds?: number;
  /** @default - a new moto */
  readonly motoEndpoint?: string;
  /** @default '-load' */
  readonly nameSuffix?: string;
  /** @default console.log */
  readonly print?: (line: string) => void;
  /** Ends the run early, as the time bound does: what has arrived is reconciled and reported. */
  readonly signal?: AbortSignal;
}

export interface LoadTestResult {
  readonly uploads: number;
  /** Uploads whose outcome is exactly the expected one. */
  readonly reconciled: number;
  readonly missing: number;
  /** Messages left in the queue, visible or in flight. */
  readonly inQueue: number;
  readonly inDeadLetterQueue: number;
  /** Uploads whose notification arrived more than once. */
  readonly duplicates: number;
  readonly uploadsPerSecond: number;
  readonly latencyMs: { readonly p50: number; readonly p95: number; readonly p99: number };
  /** Stopped by the time bound or the signal before every upload was settled. */
  readonly timedOut: boolean;
  readonly summary: string;
}

interface Sent {
  readonly key: string;
  readonly input: LoadInput;
  readonly sentAt: number;
  status?: number;
}

const POLL_MS = 250;
/** A client waits this long for an upload's notification before it moves on; the upload then shows as missing. */
const NOTIFIED_WITHIN_MS = 60_000;

export async function runLoadTest(options: LoadTestOptions = {}): Promise<LoadTestResult> {
  const uploads = options.uploads ?? 1000;
  const concurrency = options.concurrency ?? 8;
  const print = options.print ?? ((line: string) => console.log(line));
  const inputs = await loadInputs();
  const receiver = await NotificationReceiver.start();
  let pipeline: LocalPipeline | undefined;
  try {
    pipeline = await startLocalPipeline({
      port: 0,
      motoEndpoint: options.motoEndpoint,
      nameSuffix: options.nameSuffix ?? '-load',
      maxConcurrency: options.workers,
      log: (line) => {
        // An invocation that left messages on the queue is a retry to come, which the rest of the run would hide.
        const retry = line.startsWith('function:') && !line.endsWith(' 0 left on the queue');
        if (retry || (!line.startsWith('function:') && !line.startsWith('API:'))) {
          print(line);
        }
      },
    });
    const subscribed = await fetch(`${pipeline.apiUrl}/subscribe`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ endpoint: receiver.url }),
    });
    if (!subscribed.ok) {
      throw new Error(`POST /subscribe answered ${subscribed.status}: ${await subscribed.text()}`);
    }
    const { eventSource } = pipeline.definition;
    print(describeRun({
      uploads,
      apiUrl: pipeline.apiUrl,
      concurrency,
      workers: options.workers,
      maxConcurrency: eventSource.maxConcurrency,
      batchSize: eventSource.batchSize,
    }));
    const timeoutSeconds = options.timeoutSeconds ?? 600;
    return await drive(pipeline, receiver, inputs, { uploads, concurrency, timeoutSeconds, print, signal: options.signal });
  } finally {
    await pipeline?.stop();
    await receiver.stop();
  }
}

/**
 * The run's first line. A batch is gathered from what is on the queue, and each client has one upload there at a
 * time, so batches mostly hold one or two messages and no more run at once than uploads are in flight (but for the
 * moment a finished invocation spends deleting its messages): workers beyond that stay idle.
 */
export function describeRun(run: {
  readonly uploads: number;
  readonly apiUrl: string;
  readonly concurrency: number;
  /** The local override of the worker count, if any. */
  readonly workers?: number;
  readonly maxConcurrency: number;
  readonly batchSize: number;
}): string {
  const workers = run.workers === undefined
    ? `${run.maxConcurrency} function workers at most (the template's MaximumConcurrency)`
    : `${run.workers} function workers at most (local override; the template's MaximumConcurrency is ${run.maxConcurrency})`;
  const atOnce = Math.min(run.workers ?? run.maxConcurrency, run.concurrency);
  return `load-test: ${run.uploads} uploads through ${run.apiUrl}, ${run.concurrency} in flight at a time; ${workers}, ` +
    `batches of up to ${run.batchSize}; each batch holds one or more uploads in flight, so no more than about ${atOnce} batches run at once`;
}

async function drive(
  pipeline: LocalPipeline,
  receiver: NotificationReceiver,
  inputs: Awaited<ReturnType<typeof loadInputs>>,
  settings: { uploads: number; concurrency: number; timeoutSeconds: number; print: (line: string) => void; signal?: AbortSignal },
): Promise<LoadTestResult> {
  const { uploads, concurrency, print } = settings;
  const sizes: SizeSpec[] = JSON.parse(pipeline.functionEnvironment[ENV.sizes]);
  const started = Date.now();
  const deadline = started + settings.timeoutSeconds * 1000;
  const running = () => Date.now() < deadline && !settings.signal?.aborted;
  const sent: Sent[] = [];
  let next = 0;
  // Each client has one upload in flight, from its PUT to its notification, so the pipeline always holds
  // `concurrency` of them: the latencies are the pipeline's under that load, not the length of a backlog.
  const client = async () => {
    while (next < uploads && running()) {
      const index = next++;
      const input = inputFor(index, inputs);
      const upload: Sent = { key: `load/${String(index).padStart(5, '0')}-${input.name}`, input, sentAt: Date.now() };
      sent.push(upload);
      upload.status = (await uploadThroughApi(pipeline, upload.key, input.body)).status;
      if (upload.status === 200) {
        await receiver.waitFor(upload.key, Math.max(0, Math.min(NOTIFIED_WITHIN_MS, deadline - Date.now()))).catch(() => undefined);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  print(`load-test: ${sent.length} uploads sent in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
    `${sent.filter((u) => u.status !== 200).length} answered other than 200`);

  const first = new Map<string, ReceivedNotification>();
  const count = new Map<string, number>();
  let seen = 0;
  const collect = () => {
    for (; seen < receiver.received.length; seen++) {
      const notification = receiver.received[seen];
      const { key } = notification.document;
      count.set(key, (count.get(key) ?? 0) + 1);
      if (!first.has(key)) {
        first.set(key, notification);
      }
    }
  };
  let drained = false;
  while (running()) {
    collect();
    if (first.size >= sent.length) {
      const { queue, deadLetterQueue } = await queueDepths(pipeline);
      if (queue.visible + queue.inFlight + deadLetterQueue.visible + deadLetterQueue.inFlight === 0) {
        drained = true;
        break;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  collect();
  const timedOut = !drained;

  const resizedKeys = new Set((await Promise.all(sizes.map((size) => listKeys(pipeline.clients.s3, pipeline.resizedBucket, `${size.name}/load/`)))).flat());
  const problems: string[] = [];
  let reconciled = 0;
  for (const upload of sent) {
    const problem = reconcile(upload, first.get(upload.key), sizes, resizedKeys);
    if (problem === undefined) {
      reconciled += 1;
    } else {
      problems.push(`${upload.key}: ${problem}`);
    }
  }
  const { queue, deadLetterQueue: dead } = await queueDepths(pipeline);

  const latencies = sent.filter((u) => first.has(u.key)).map((u) => first.get(u.key)!.receivedAt - u.sentAt).sort((a, b) => a - b);
  const lastNotification = Math.max(started, ...[...first.values()].map((n) => n.receivedAt));
  const seconds = (lastNotification - started) / 1000;
  const uploadsPerSecond = seconds > 0 ? first.size / seconds : 0;
  const latencyMs = { p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99) };
  const duplicates = [...count.values()].filter((n) => n > 1).length;
  const expectedFailures = sent.filter((u) => u.input.expected === 'failed').length;

  for (const problem of problems.slice(0, 20)) {
    print(`  missing: ${problem}`);
  }
  if (problems.length > 20) {
    print(`  ... and ${problems.length - 20} more`);
  }
  // What each notification of an upload told more than once said, and when: a failed attempt retried (the same
  // status twice) reads differently from two outcomes that disagree.
  const notifiedTwice = [...count].filter(([, n]) => n > 1).map(([key]) => key);
  for (const key of notifiedTwice.slice(0, 20)) {
    const told = receiver.received.filter((notification) => notification.document.key === key)
      .map(({ document, receivedAt }) => `${document.status}${'change' in document ? ` (${document.change})` : ''} at +${receivedAt - started} ms`);
    print(`  notified more than once: ${key}: ${told.join(', ')}`);
  }
  print([
    `load-test: ${first.size} of ${sent.length} uploads notified in ${seconds.toFixed(1)} s: ${uploadsPerSecond.toFixed(1)} uploads/s`,
    `load-test: upload to notification: p50 ${latencyMs.p50} ms, p95 ${latencyMs.p95} ms, p99 ${latencyMs.p99} ms, max ${latencies.at(-1) ?? 0} ms`,
    `load-test: ${sent.length - expectedFailures} good uploads, ${expectedFailures} bad; ${resizedKeys.size} resized copies; ` +
      `${duplicates} uploads notified more than once${timedOut ? `; STOPPED before every upload was settled (bound: ${settings.timeoutSeconds} s)` : ''}`,
  ].join('\n'));
  const inQueue = queue.visible + queue.inFlight;
  const inDeadLetterQueue = dead.visible + dead.inFlight;
  const summary = `load-test: ${sent.length} uploads, ${reconciled} reconciled, ${sent.length - reconciled} missing, ` +
    `${inQueue} in queue, ${inDeadLetterQueue} in DLQ, ${duplicates} notified more than once, ${uploadsPerSecond.toFixed(1)} uploads/s, ` +
    `p50 ${latencyMs.p50} ms, p95 ${latencyMs.p95} ms, p99 ${latencyMs.p99} ms`;
  print(summary);
  return {
    uploads: sent.length,
    reconciled,
    missing: sent.length - reconciled,
    inQueue,
    inDeadLetterQueue,
    duplicates,
    uploadsPerSecond,
    latencyMs,
    timedOut,
    summary,
  };
}

/** Why the upload did not end as it should, or undefined if it did. */
function reconcile(upload: Sent, notification: ReceivedNotification | undefined, sizes: SizeSpec[], resizedKeys: Set<string>): string | undefined {
  if (upload.status !== 200) {
    return `the API answered ${upload.status}`;
  }
  if (notification === undefined) {
    return 'no notification';
  }
  const { document } = notification;
  if (document.status !== upload.input.expected) {
    return `notified ${document.status}, expected ${upload.input.expected}`;
  }
  const copies = sizes.map((size) => resizedKey(size.name, upload.key, 'jpg'));
  if (document.status === 'failed') {
    return copies.some((copy) => resizedKeys.has(copy)) ? 'refused, yet it has copies' : undefined;
  }
  const absent = copies.filter((copy) => !resizedKeys.has(copy));
  if (absent.length > 0) {
    return `no ${absent.join(', ')}`;
  }
  const published = document.sizes.map((size) => size.name).sort().join(',');
  return published === sizes.map((size) => size.name).sort().join(',') ? undefined : `the notification lists ${published}`;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) {
    return 0;
  }
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function parseArguments(argv: string[]): LoadTestOptions {
  const flags: Record<string, keyof LoadTestOptions> = {
    '--uploads': 'uploads',
    '--concurrency': 'concurrency',
    '--workers': 'workers',
    '--timeout-seconds': 'timeoutSeconds',
  };
  const options: Record<string, number> = {};
  for (let i = 0; i < argv.length; i += 2) {
    const name = flags[argv[i]];
    const value = Number(argv[i + 1]);
    if (name === undefined || !Number.isInteger(value) || value <= 0) {
      throw new Error(`unexpected argument ${argv[i]} ${argv[i + 1] ?? ''}\n` +
        'usage: npx projen load-test [--uploads N] [--concurrency N] [--workers N] [--timeout-seconds N]');
    }
    options[name] = value;
  }
  return options;
}

if (require.main === module) {
  const options = parseArguments(process.argv.slice(2));
  const stop = new AbortController();
  void untilStopSignal().then(() => stop.abort());
  console.log('Building the function bundle and the sharp layer...');
  buildFunctionAssets();
  runLoadTest({ ...options, signal: stop.signal }).then(
    (result) => process.exit(result.missing === 0 && result.inQueue === 0 && result.inDeadLetterQueue === 0 && !result.timedOut ? 0 : 1),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}

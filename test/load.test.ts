/**
 * The load test as CI runs it: 1,000 uploads through the local pipeline, every one reconciled. Only the summary
 * line's counts are asserted; its timings are for people to read, not for a shared machine to meet.
 */
import { describeRun, runLoadTest } from '../local/load-test';

const UPLOADS = 1000;
/** The run's own bound, well above the two minutes or so it takes on a 2-core machine. */
const BOUND_SECONDS = 480;

test(`the load test reconciles all ${UPLOADS} uploads, notifies each once and leaves nothing in the queue or the dead-letter queue`, async () => {
  // GIVEN
  const printed: string[] = [];

  // WHEN
  const result = await runLoadTest({ uploads: UPLOADS, timeoutSeconds: BOUND_SECONDS, print: (line) => printed.push(line) });

  // THEN (the figures go to the CI log)
  console.log(printed.filter((line) => line.startsWith('load-test: ')).join('\n'));
  const summary = printed.filter((line) => line.startsWith('load-test: ') && line.includes(' reconciled, ')).at(-1);
  expect(summary).toBe(result.summary);
  const counts = /^load-test: (\d+) uploads, (\d+) reconciled, (\d+) missing, (\d+) in queue, (\d+) in DLQ, (\d+) notified more than once, [\d.]+ uploads\/s, p50 \d+ ms, p95 \d+ ms, p99 \d+ ms$/.exec(summary ?? '');
  expect(counts?.slice(1).map(Number)).toEqual([UPLOADS, UPLOADS, 0, 0, 0, 0]);
  expect(result.timedOut).toBe(false);
}, (BOUND_SECONDS + 120) * 1000);

describe('the run\'s first line', () => {
  const run = { uploads: 1000, apiUrl: 'http://127.0.0.1:3000', concurrency: 8, maxConcurrency: 10, batchSize: 5 };

  test('gives the batch size as a bound, not as the size batches have', () => {
    expect(describeRun(run)).toContain('batches of up to 5');
  });

  test('says the uploads in flight bound how many batches run at once when there are fewer of them than workers', () => {
    expect(describeRun(run)).toMatch(/no more than about 8 batches run at once/);
    expect(describeRun({ ...run, workers: 4 })).toMatch(/no more than about 4 batches run at once/);
  });
});

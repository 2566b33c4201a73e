import { spawnSync } from 'child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';

/**
 * `.ci/run` is run here on a copy of itself with `npm` and `npx` stubbed, so each way a build can end is tried in
 * milliseconds: the stub build writes the jest results a real one would have and exits as it would have.
 */
const CI_RUN = path.join(__dirname, '..', '.ci', 'run');

/** Jest's `--json` counts, as a run with these outcomes writes them. */
function jestResults(counts: { passed: number; failed?: number; suitesThatThrew?: number }): string {
  const failed = counts.failed ?? 0;
  const threw = counts.suitesThatThrew ?? 0;
  return JSON.stringify({
    success: failed + threw === 0,
    numPassedTests: counts.passed,
    numFailedTests: failed,
    numRuntimeErrorTestSuites: threw,
    numFailedTestSuites: (failed > 0 ? 1 : 0) + threw,
    testResults: [],
  });
}

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'ci-run-'));
  const bin = path.join(scratch, 'bin');
  mkdirSync(bin);
  writeFileSync(path.join(bin, 'npm'), '#!/usr/bin/env bash\nexit "${STUB_NPM_STATUS:-0}"\n');
  writeFileSync(path.join(bin, 'npx'), [
    '#!/usr/bin/env bash',
    'mkdir -p test-reports',
    '[ -z "${STUB_MAIN:-}" ] || printf %s "$STUB_MAIN" > test-reports/jest-results.json',
    '[ -z "${STUB_CONSUMERS:-}" ] || printf %s "$STUB_CONSUMERS" > test-reports/jest-consumers.json',
    'exit "${STUB_BUILD_STATUS:-0}"',
    '',
  ].join('\n'));
  chmodSync(path.join(bin, 'npm'), 0o755);
  chmodSync(path.join(bin, 'npx'), 0o755);
});
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

function ciRun(stub: Record<string, string>): { lastLine: string; status: number | null } {
  const checkout = mkdtempSync(path.join(scratch, 'checkout-'));
  mkdirSync(path.join(checkout, '.ci'));
  copyFileSync(CI_RUN, path.join(checkout, '.ci', 'run'));
  const result = spawnSync('bash', [path.join(checkout, '.ci', 'run')], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${path.join(scratch, 'bin')}${path.delimiter}${process.env.PATH}`, ...stub },
  });
  return { lastLine: result.stdout.trimEnd().split('\n').pop() ?? '', status: result.status };
}

test('a passing build ends with both suites\' counts and exits 0', () => {
  expect(ciRun({ STUB_MAIN: jestResults({ passed: 300 }), STUB_CONSUMERS: jestResults({ passed: 6 }) }))
    .toEqual({ lastLine: '306 passed, 0 failed', status: 0 });
});

test('a failing test is counted', () => {
  expect(ciRun({ STUB_MAIN: jestResults({ passed: 299, failed: 1 }), STUB_CONSUMERS: jestResults({ passed: 6 }), STUB_BUILD_STATUS: '1' }))
    .toEqual({ lastLine: '305 passed, 1 failed', status: 1 });
});

test('a test file that throws as it loads is counted as failed, as a consumer test does when its toolchain is missing', () => {
  expect(ciRun({ STUB_MAIN: jestResults({ passed: 300 }), STUB_CONSUMERS: jestResults({ passed: 4, suitesThatThrew: 2 }), STUB_BUILD_STATUS: '1' }))
    .toEqual({ lastLine: '304 passed, 2 failed', status: 1 });
});

test('results that were never written, or were cut off, count as a failure each', () => {
  expect(ciRun({ STUB_MAIN: jestResults({ passed: 300 }), STUB_BUILD_STATUS: '1' }))
    .toEqual({ lastLine: '300 passed, 1 failed', status: 1 });
  expect(ciRun({ STUB_BUILD_STATUS: '1' })).toEqual({ lastLine: '0 passed, 2 failed', status: 1 });
  expect(ciRun({ STUB_MAIN: jestResults({ passed: 300 }), STUB_CONSUMERS: '{"numPassedTests": 6', STUB_BUILD_STATUS: '1' }))
    .toEqual({ lastLine: '300 passed, 1 failed', status: 1 });
});

test('a failed install still ends with the counts line and a non-zero exit', () => {
  expect(ciRun({ STUB_NPM_STATUS: '1', STUB_MAIN: jestResults({ passed: 300 }), STUB_CONSUMERS: jestResults({ passed: 6 }) }))
    .toEqual({ lastLine: '0 passed, 2 failed', status: 1 });
});

test('missing results fail the run even when the build exited 0', () => {
  expect(ciRun({ STUB_MAIN: jestResults({ passed: 300 }) })).toEqual({ lastLine: '300 passed, 1 failed', status: 1 });
});

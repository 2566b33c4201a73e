import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { requireTool, run } from './support/command';
import { CONSUMERS_WORK_DIR, PROJECT_ROOT } from './support/project-paths';
import { CORPUS_DIR } from '../support/corpus';

/** Pinned so that a new actionlint rule cannot fail a build that changed nothing. */
const ACTIONLINT = 'github.com/rhysd/actionlint/cmd/actionlint@v1.7.12';
const WORKFLOWS_DIR = path.join(PROJECT_ROOT, '.github', 'workflows');

/** One job's steps, in order, each as its lines. projen writes each step as a `      - ` item under `    steps:`. */
function jobSteps(workflow: string, job: string): string[] {
  const text = fs.readFileSync(path.join(WORKFLOWS_DIR, workflow), 'utf8');
  const body = text.split(new RegExp(`^  ${job}:$`, 'm'))[1]?.split(/^ {2}\S/m)[0] ?? '';
  return (body.split(/^ {4}steps:$/m)[1] ?? '').split(/^ {6}- /m).slice(1);
}

/** Where in `steps` the step that runs exactly `command` is, or -1. */
function stepRunning(steps: string[], command: string): number {
  return steps.findIndex((step) => step.split('\n').some((line) => line.trim() === `run: ${command}`));
}

test('the GitHub workflows projen generates pass actionlint', () => {
  requireTool('go', ['version'], 'Go, to build actionlint with `go install`');
  const bin = path.join(CONSUMERS_WORK_DIR, 'bin');
  run('go', ['install', ACTIONLINT], { cwd: PROJECT_ROOT, env: { GOBIN: bin } });
  const workflows = fs.readdirSync(WORKFLOWS_DIR).filter((name) => /\.ya?ml$/.test(name));
  expect(workflows).toContain('release.yml');
  run(path.join(bin, 'actionlint'), ['-no-color', ...workflows.map((name) => path.join(WORKFLOWS_DIR, name))], { cwd: PROJECT_ROOT });
});

test('the release workflow publishes to npm, PyPI, Maven Central and the Go module repository', () => {
  const release = fs.readFileSync(path.join(WORKFLOWS_DIR, 'release.yml'), 'utf8');
  for (const [job, publisher] of [
    ['release_npm', 'publib-npm'],
    ['release_pypi', 'publib-pypi'],
    ['release_maven', 'publib-maven'],
    ['release_golang', 'publib-golang'],
  ]) {
    const body = release.split(new RegExp(`^  ${job}:$`, 'm'))[1]?.split(/^ {2}\S/m)[0];
    expect({ job, publishes: body?.includes(publisher) }).toEqual({ job, publishes: true });
  }
});

test('the build and the release fetch the reference photographs before their tests need them', () => {
  for (const [workflow, job, command] of [
    ['build.yml', 'build', 'npx projen build'],
    ['release.yml', 'release', 'npx projen release'],
  ]) {
    const steps = jobSteps(workflow, job);
    const fetch = stepRunning(steps, 'npx projen corpus:fetch');
    const main = stepRunning(steps, command);
    expect({ workflow, runs: main >= 0, fetchesFirst: fetch >= 0 && fetch < main }).toEqual({ workflow, runs: true, fetchesFirst: true });
  }
});

/** The value of `field` (a step's own, or one under its `with:`), as projen writes it on one line. */
function stepField(step: string, field: string): string | undefined {
  return new RegExp(`^\\s*${field}: (.*)$`, 'm').exec(step)?.[1];
}

/** What a step's one-line `run:` writes to `$GITHUB_OUTPUT` when the checkout is `workspace`. */
function stepOutputs(step: string, workspace: string): Record<string, string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'step-output-'));
  try {
    const outputFile = path.join(dir, 'output');
    fs.writeFileSync(outputFile, '');
    execFileSync('bash', ['-e', '-c', stepField(step, 'run')!], { env: { ...process.env, GITHUB_WORKSPACE: workspace, GITHUB_OUTPUT: outputFile } });
    return Object.fromEntries(fs.readFileSync(outputFile, 'utf8').trim().split('\n').map((line) => line.split(/=(.*)/s).slice(0, 2)));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('the build and the release restore the reference photographs from a cache named for the pinned packages, before they fetch', () => {
  for (const [workflow, job] of [['build.yml', 'build'], ['release.yml', 'release']]) {
    const steps = jobSteps(workflow, job);
    const fetch = stepRunning(steps, 'npx projen corpus:fetch');
    const cache = steps.findIndex((step) => stepField(step, 'uses')?.startsWith('actions/cache@'));
    expect({ workflow, cachesBeforeFetch: cache >= 0 && cache < fetch }).toEqual({ workflow, cachesBeforeFetch: true });
    // Pinned to a release, as the setup-* actions are, so that a new major version cannot change the build unseen.
    expect(stepField(steps[cache], 'uses')).toMatch(/^actions\/cache@v\d+\.\d+\.\d+$/);
    // fetch-corpus.ts pins each package's SHA-256: another set of photographs means another file, so another cache.
    expect(stepField(steps[cache], 'key')).toContain("${{ hashFiles('test/support/fetch-corpus.ts') }}");
    // actions/cache refuses a path with `..` in it, so an earlier step works out the directory the tests read.
    const [, stepId, output] = /^\$\{\{ steps\.(\w+)\.outputs\.(\w+) \}\}$/.exec(stepField(steps[cache], 'path') ?? '') ?? [];
    const locate = steps.findIndex((step) => stepField(step, 'id') === stepId);
    expect({ workflow, locatedFirst: locate >= 0 && locate < cache }).toEqual({ workflow, locatedFirst: true });
    expect(stepOutputs(steps[locate], PROJECT_ROOT)[output]).toBe(CORPUS_DIR);
  }
});

test('every workflow runs on Node 24, whose npm leaves package-lock.json as the npm that wrote it did', () => {
  // npm 11.11 and later record the libc of sharp's platform packages in the lock; older npm, Node 22's npm 10 among
  // them, deletes those fields on install, so a build on Node 22 changed the lock and failed on the mutation. Node
  // 24 has shipped npm 11.11 or later since 24.14.1, and setup-node takes the newest 24.x.
  const setups = fs.readdirSync(WORKFLOWS_DIR).flatMap((workflow) => [...fs.readFileSync(path.join(WORKFLOWS_DIR, workflow), 'utf8')
    .matchAll(/^ +node-version: (.*)$/gm)].map(([, node]) => ({ workflow, node })));
  expect(setups.map(({ workflow }) => workflow)).toEqual(expect.arrayContaining(['build.yml', 'release.yml', 'upgrade-main.yml']));
  expect(setups).toEqual(setups.map(({ workflow }) => ({ workflow, node: '24.x' })));
});

test('the README\'s Releasing section names every secret the workflows read', () => {
  const readme = fs.readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
  const releasing = readme.split(/^## Releasing$/m)[1]?.split(/^## /m)[0] ?? '';
  const secrets = new Set(fs.readdirSync(WORKFLOWS_DIR).flatMap((workflow) => [...fs.readFileSync(path.join(WORKFLOWS_DIR, workflow), 'utf8')
    .matchAll(/\bsecrets\.(\w+)/g)].map(([, name]) => name)));
  // GitHub gives every run its own GITHUB_TOKEN: no one sets it.
  secrets.delete('GITHUB_TOKEN');
  expect(secrets.size).toBeGreaterThan(0);
  expect([...secrets].filter((name) => !releasing.includes(`\`${name}\``))).toEqual([]);
});

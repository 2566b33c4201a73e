import * as fs from 'fs';
import * as path from 'path';
import { requireTool, run } from './support/command';
import { CONSUMERS_WORK_DIR, PROJECT_ROOT } from './support/project-paths';

/** Pinned so that a new actionlint rule cannot fail a build that changed nothing. */
const ACTIONLINT = 'github.com/rhysd/actionlint/cmd/actionlint@v1.7.12';
const WORKFLOWS_DIR = path.join(PROJECT_ROOT, '.github', 'workflows');

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

import * as fs from 'fs';
import * as path from 'path';
import { requireTool, run } from './support/command';
import { expectPipelineAssembly } from './support/pipeline-assembly';
import { cdkVersion, distArtifact } from './support/project-paths';
import { prepareWorkDir } from './support/work-dir';

test('a TypeScript app installs the npm tarball, type-checks and synthesizes the pipeline', () => {
  requireTool('npm', ['--version'], 'npm');
  const tarball = distArtifact('js', '.tgz');
  const { dir, cdkOut } = prepareWorkDir('typescript');
  expect(JSON.parse(run('npm', ['pkg', 'get', 'dependencies.aws-cdk-lib'], { cwd: dir }))).toBe(cdkVersion());

  run('npm', ['pkg', 'set', `dependencies.cdk-image-resize-pipeline=file:${tarball}`], { cwd: dir });
  // The tarball's name stays the same from build to build: without this npm keeps the copy it installed last
  // time, or refuses the new one for not matching the lock file's checksum.
  fs.rmSync(path.join(dir, 'package-lock.json'), { force: true });
  fs.rmSync(path.join(dir, 'node_modules', 'cdk-image-resize-pipeline'), { recursive: true, force: true });
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: dir });
  run('npm', ['run', 'build'], { cwd: dir });
  run('npm', ['run', 'synth'], { cwd: dir, env: { CDK_OUTDIR: cdkOut } });

  expectPipelineAssembly(cdkOut);
});

import * as fs from 'fs';
import * as path from 'path';
import { requireTool, run } from './support/command';
import { expectPipelineAssembly } from './support/pipeline-assembly';
import { NEWEST_CDK_VERSION, cdkVersion, distArtifact } from './support/project-paths';
import { prepareWorkDir } from './support/work-dir';

test.each([
  ['the aws-cdk-lib it is built with', cdkVersion(), 'typescript'],
  ['the newest aws-cdk-lib', NEWEST_CDK_VERSION.npm, 'typescript-newest-cdk'],
])('a TypeScript app with %s (%s) installs the npm tarball, type-checks and synthesizes the pipeline',
  (_, version, workDirName) => {
    requireTool('npm', ['--version'], 'npm');
    const tarball = distArtifact('js', '.tgz');
    const { dir, cdkOut } = prepareWorkDir('typescript', workDirName);
    expect(JSON.parse(run('npm', ['pkg', 'get', 'dependencies.aws-cdk-lib'], { cwd: dir }))).toBe(cdkVersion());

    run('npm', ['pkg', 'set', `dependencies.aws-cdk-lib=${version}`], { cwd: dir });
    run('npm', ['pkg', 'set', `dependencies.cdk-image-resize-pipeline=file:${tarball}`], { cwd: dir });
    // The tarball's name stays the same from build to build: without this npm keeps the copy it installed last
    // time, or refuses the new one for not matching the lock file's checksum.
    fs.rmSync(path.join(dir, 'package-lock.json'), { force: true });
    fs.rmSync(path.join(dir, 'node_modules', 'cdk-image-resize-pipeline'), { recursive: true, force: true });
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: dir });
    const installed = JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', 'aws-cdk-lib', 'package.json'), 'utf8'));
    expect(installed.version).toBe(version);
    run('npm', ['run', 'build'], { cwd: dir });
    run('npm', ['run', 'synth'], { cwd: dir, env: { CDK_OUTDIR: cdkOut } });

    expectPipelineAssembly(cdkOut);
  });

import * as fs from 'fs';
import * as path from 'path';
import { requireTool, run } from './support/command';
import { filesNotFromThisBuild, missingAssets } from './support/packaged-assets';
import { expectPipelineAssembly } from './support/pipeline-assembly';
import { NEWEST_CDK_VERSION, cdkVersion, DIST_DIR } from './support/project-paths';
import { prepareWorkDir } from './support/work-dir';

const MODULE = 'github.com/cdk-image-resize-pipeline/cdk-image-resize-pipeline-go/cdkimageresizepipeline';
const CDK_MODULE = 'github.com/aws/aws-cdk-go/awscdk/v2';

requireTool('go', ['version'], 'Go 1.26 or later');
const moduleDir = path.join(DIST_DIR, 'go', 'cdkimageresizepipeline');
if (!fs.existsSync(path.join(moduleDir, 'go.mod'))) {
  throw new Error(`No Go module in ${moduleDir}: run \`npx projen package-all\` (or a build) first.`);
}

test("the Go module embeds this build's npm tarball with the handler bundle and both sharp layers", () => {
  const jsiiDir = path.join(moduleDir, 'jsii');
  const tarballs = fs.readdirSync(jsiiDir).filter((name) => name.endsWith('.tgz'));
  expect(tarballs).toHaveLength(1);
  expect(missingAssets(path.join(jsiiDir, tarballs[0]))).toEqual([]);
  expect(filesNotFromThisBuild(path.join(jsiiDir, tarballs[0]))).toEqual([]);
});

test.each([
  ['the aws-cdk-lib it is built with', cdkVersion(), 'go'],
  ['the newest aws-cdk-lib', NEWEST_CDK_VERSION.go, 'go-newest-cdk'],
])('a Go app with %s (%s) builds against the module and the CDK from the Go module proxy and synthesizes the pipeline',
  (_, version, workDirName) => {
    const { dir, cdkOut } = prepareWorkDir('go', workDirName);
    expect(fs.readFileSync(path.join(dir, 'go.mod'), 'utf8')).toContain(`${CDK_MODULE} v${cdkVersion()}\n`);

    // The committed go.mod points at dist/go relative to the app's own folder; the copy points at it directly.
    run('go', ['mod', 'edit', `-replace=${MODULE}=${moduleDir}`], { cwd: dir });
    if (version !== cdkVersion()) {
      // As a user upgrading would: the CDK's own dependencies (constructs, jsii-runtime-go, ...) move up with it.
      run('go', ['get', `${CDK_MODULE}@v${version}`], { cwd: dir });
      run('go', ['mod', 'tidy'], { cwd: dir });
    }
    expect(run('go', ['list', '-m', CDK_MODULE], { cwd: dir }).trim()).toBe(`${CDK_MODULE} v${version}`);
    run('go', ['build', '-o', 'app', '.'], { cwd: dir });
    run(path.join(dir, 'app'), [], { cwd: dir, env: { CDK_OUTDIR: cdkOut } });

    expectPipelineAssembly(cdkOut);
  });

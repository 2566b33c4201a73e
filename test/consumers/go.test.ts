import * as fs from 'fs';
import * as path from 'path';
import { requireTool, run } from './support/command';
import { missingAssets } from './support/packaged-assets';
import { expectPipelineAssembly } from './support/pipeline-assembly';
import { cdkVersion, DIST_DIR } from './support/project-paths';
import { prepareWorkDir } from './support/work-dir';

const MODULE = 'github.com/cdk-image-resize-pipeline/cdk-image-resize-pipeline-go/cdkimageresizepipeline';

requireTool('go', ['version'], 'Go 1.26 or later');
const moduleDir = path.join(DIST_DIR, 'go', 'cdkimageresizepipeline');
if (!fs.existsSync(path.join(moduleDir, 'go.mod'))) {
  throw new Error(`No Go module in ${moduleDir}: run \`npx projen package-all\` (or a build) first.`);
}

test('the Go module embeds the npm tarball with the handler bundle and both sharp layers', () => {
  const jsiiDir = path.join(moduleDir, 'jsii');
  const tarballs = fs.readdirSync(jsiiDir).filter((name) => name.endsWith('.tgz'));
  expect(tarballs).toHaveLength(1);
  expect(missingAssets(path.join(jsiiDir, tarballs[0]))).toEqual([]);
});

test('a Go app builds against the module and the CDK from the Go module proxy and synthesizes the pipeline', () => {
  const { dir, cdkOut } = prepareWorkDir('go');
  expect(fs.readFileSync(path.join(dir, 'go.mod'), 'utf8')).toContain(`github.com/aws/aws-cdk-go/awscdk/v2 v${cdkVersion()}\n`);

  // The committed go.mod points at dist/go relative to the app's own folder; the copy points at it directly.
  run('go', ['mod', 'edit', `-replace=${MODULE}=${moduleDir}`], { cwd: dir });
  run('go', ['build', '-o', 'app', '.'], { cwd: dir });
  run(path.join(dir, 'app'), [], { cwd: dir, env: { CDK_OUTDIR: cdkOut } });

  expectPipelineAssembly(cdkOut);
});

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { requireTool, run } from './support/command';
import { filesNotFromThisBuild, missingAssets } from './support/packaged-assets';
import { expectPipelineAssembly } from './support/pipeline-assembly';
import { cdkVersion, DIST_DIR, MAVEN_LOCAL_REPOSITORY, projectVersion } from './support/project-paths';
import { prepareWorkDir } from './support/work-dir';

const GROUP_PATH = path.join('io', 'github', 'cdk-image-resize-pipeline');
const ARTIFACT = 'cdk-image-resize-pipeline';

requireTool('mvn', ['--version'], 'Maven 3.8 or later');
requireTool('jar', ['--version'], 'a JDK 17 or later');
const version = projectVersion();
const jar = path.join(DIST_DIR, 'java', GROUP_PATH, ARTIFACT, version, `${ARTIFACT}-${version}.jar`);
if (!fs.existsSync(jar)) {
  throw new Error(`No ${jar}: run \`npx projen package:java\` (part of package-all and of a build) and read its `
    + `error if it fails; it needs software.amazon.awscdk:aws-cdk-lib:${cdkVersion()} from Maven Central.`);
}

test("the jar embeds this build's npm tarball with the handler bundle and both sharp layers", () => {
  const entries = run('jar', ['--list', '--file', jar], { cwd: DIST_DIR }).split('\n');
  const tarballs = entries.filter((entry) => entry.endsWith('.tgz'));
  expect(tarballs).toHaveLength(1);
  const unpacked = fs.mkdtempSync(path.join(os.tmpdir(), 'jar-'));
  try {
    run('jar', ['--extract', '--file', jar, tarballs[0]], { cwd: unpacked });
    expect(missingAssets(path.join(unpacked, tarballs[0]))).toEqual([]);
    expect(filesNotFromThisBuild(path.join(unpacked, tarballs[0]))).toEqual([]);
  } finally {
    fs.rmSync(unpacked, { recursive: true, force: true });
  }
});

test('a Java app resolves the jar from dist/java and the CDK from Maven Central and synthesizes the pipeline', () => {
  const { dir, cdkOut } = prepareWorkDir('java');
  expect(fs.readFileSync(path.join(dir, 'pom.xml'), 'utf8'))
    .toMatch(new RegExp(`<artifactId>aws-cdk-lib</artifactId>\\s*<version>${cdkVersion().replace(/\./g, '\\.')}</version>`));

  // Maven never fetches a release it already holds, and every build's jar has the same version.
  fs.rmSync(path.join(MAVEN_LOCAL_REPOSITORY, GROUP_PATH), { recursive: true, force: true });
  run('mvn', [
    '--batch-mode',
    '--no-transfer-progress',
    `-Dmaven.repo.local=${MAVEN_LOCAL_REPOSITORY}`,
    `-Dcdk-image-resize-pipeline.version=${version}`,
    `-Dcdk-image-resize-pipeline.repository=file://${path.join(DIST_DIR, 'java')}`,
    'compile',
    'exec:java',
  ], { cwd: dir, env: { CDK_OUTDIR: cdkOut } });

  expectPipelineAssembly(cdkOut);
});

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { requireTool, run } from './support/command';
import { filesNotFromThisBuild, missingAssets } from './support/packaged-assets';
import { expectPipelineAssembly } from './support/pipeline-assembly';
import { NEWEST_CDK_VERSION, cdkVersion, distArtifact } from './support/project-paths';
import { prepareWorkDir } from './support/work-dir';

const python = 'python3';
requireTool(python, ['-c', 'import venv, ensurepip'], 'Python 3 with the venv module and pip');
const wheel = distArtifact('python', '.whl');

test("the wheel embeds this build's npm tarball with the handler bundle and both sharp layers", () => {
  const unpacked = fs.mkdtempSync(path.join(os.tmpdir(), 'wheel-'));
  try {
    run(python, ['-m', 'zipfile', '-e', wheel, unpacked], { cwd: unpacked });
    const jsiiDir = path.join(unpacked, 'cdk_image_resize_pipeline', '_jsii');
    const tarballs = fs.readdirSync(jsiiDir).filter((name) => name.endsWith('.tgz'));
    expect(tarballs).toHaveLength(1);
    expect(missingAssets(path.join(jsiiDir, tarballs[0]))).toEqual([]);
    expect(filesNotFromThisBuild(path.join(jsiiDir, tarballs[0]))).toEqual([]);
  } finally {
    fs.rmSync(unpacked, { recursive: true, force: true });
  }
});

test.each([
  ['the aws-cdk-lib it is built with', cdkVersion(), 'python'],
  ['the newest aws-cdk-lib', NEWEST_CDK_VERSION.pypi, 'python-newest-cdk'],
])('a Python app with %s (%s) installs aws-cdk-lib and the wheel with pip, synthesizes the pipeline, reads the default sizes and uses each API authorization',
  (_, version, workDirName) => {
    const { dir, cdkOut } = prepareWorkDir('python', workDirName);
    const pinned = `aws-cdk-lib==${cdkVersion()}\n`;
    const requirements = fs.readFileSync(path.join(dir, 'requirements.txt'), 'utf8');
    expect(requirements).toContain(pinned);
    fs.writeFileSync(path.join(dir, 'requirements.txt'), requirements.replace(pinned, `aws-cdk-lib==${version}\n`));

    const venv = path.join(dir, 'venv');
    if (!fs.existsSync(path.join(venv, 'bin', 'python'))) {
      run(python, ['-m', 'venv', venv], { cwd: dir });
    }
    const pip = path.join(venv, 'bin', 'pip');
    // Every build's wheel has the same version, so pip would keep the one it installed last time.
    run(pip, ['uninstall', '--yes', 'cdk-image-resize-pipeline'], { cwd: dir });
    run(pip, ['install', '--disable-pip-version-check', '-r', 'requirements.txt', wheel], { cwd: dir });
    expect(run(pip, ['show', 'aws-cdk-lib'], { cwd: dir }).split('\n')).toContain(`Version: ${version}`);
    run(path.join(venv, 'bin', 'python'), ['app.py'], { cwd: dir, env: { CDK_OUTDIR: cdkOut } });

    expectPipelineAssembly(cdkOut);
    // The defaults reach Python through the jsii runtime, as a list of ImageSize a Python app can extend.
    const defaults = run(path.join(venv, 'bin', 'python'), ['-c', [
      'import json',
      'from cdk_image_resize_pipeline import ImageResizePipeline',
      'print(json.dumps([[s.name, s.width, s.height, s.fit and s.fit.name] for s in ImageResizePipeline.DEFAULT_SIZES]))',
    ].join('\n')], { cwd: dir });
    expect(JSON.parse(defaults.trim().split('\n').pop()!)).toEqual([
      ['thumbnail', 150, 150, 'COVER'], ['medium', 800, null, null], ['large', 1600, null, null],
    ]);
    // Each factory returns an instance of a class jsii does not export, which Python holds as the abstract class's
    // proxy and must hand back to the construct as the object it is.
    const authorizations = run(path.join(venv, 'bin', 'python'), ['-c', [
      'import json',
      'import aws_cdk as cdk',
      'from aws_cdk import assertions, aws_cognito as cognito',
      'from cdk_image_resize_pipeline import ApiAuthorization, ImageResizePipeline, NotificationScope',
      'found = {}',
      'for name in ["iam", "cognito", "none"]:',
      '    stack = cdk.Stack(cdk.App(), name)',
      '    factory = getattr(ApiAuthorization, name)',
      '    authorization = factory(cognito.UserPool(stack, "Users")) if name == "cognito" else factory()',
      '    scope = NotificationScope.BROADCAST if name == "none" else NotificationScope.UPLOADER',
      '    ImageResizePipeline(stack, "Images", api_authorization=authorization, notification_scope=scope)',
      '    methods = assertions.Template.from_stack(stack).find_resources("AWS::ApiGateway::Method")',
      '    found[name] = sorted({m["Properties"]["AuthorizationType"] for m in methods.values() if m["Properties"]["HttpMethod"] != "OPTIONS"})',
      'print(json.dumps(found))',
    ].join('\n')], { cwd: dir });
    expect(JSON.parse(authorizations.trim().split('\n').pop()!)).toEqual({
      iam: ['AWS_IAM'], cognito: ['COGNITO_USER_POOLS'], none: ['NONE'],
    });
  });

import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { App } from 'aws-cdk-lib';
import { ExampleStack } from './example-stack';
import { ensureMotoInstalled } from '../local/moto';
import { PipelineEncryption } from '../src';

/**
 * W3005 ("dependency already enforced by a GetAtt") is about DependsOn entries CDK writes itself, for its own
 * custom resources and roles; it changes nothing about what deploys.
 */
const IGNORED_CHECKS = ['W3005'];

const RUN_CFN_LINT = 'import sys; from cfnlint.runner import main; sys.exit(main())';

async function cfnLint(template: object): Promise<{ exitCode: number; output: string }> {
  const { python } = await ensureMotoInstalled();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfn-lint-'));
  const file = path.join(dir, 'template.json');
  fs.writeFileSync(file, JSON.stringify(template));
  try {
    // Through the interpreter: the venv's console scripts name the temporary directory it was built in.
    const { stdout } = await promisify(execFile)(python, ['-c', RUN_CFN_LINT, '--ignore-checks', ...IGNORED_CHECKS, '--', file]);
    return { exitCode: 0, output: stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { exitCode: failed.code ?? -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function exampleTemplate(props?: ConstructorParameters<typeof ExampleStack>[2]): object {
  const app = new App({ context: { 'aws:cdk:disable-asset-staging': true } });
  const stack = new ExampleStack(app, 'Example', props);
  return app.synth().getStackByName(stack.stackName).template;
}

test('cfn-lint finds nothing in the example template', async () => {
  expect(await cfnLint(exampleTemplate())).toEqual({ exitCode: 0, output: '' });
});

test('cfn-lint finds nothing in the example template with KMS encryption', async () => {
  expect(await cfnLint(exampleTemplate({ pipeline: { encryption: PipelineEncryption.KMS } }))).toEqual({ exitCode: 0, output: '' });
});

test('cfn-lint finds nothing in the example template with allowed origins', async () => {
  expect(await cfnLint(exampleTemplate({ pipeline: { allowedOrigins: ['https://app.example.com', 'http://localhost:3000'] } }))).toEqual({ exitCode: 0, output: '' });
});

test('cfn-lint finds nothing in the example template with one allowed origin, whose gateway responses name it', async () => {
  expect(await cfnLint(exampleTemplate({ pipeline: { allowedOrigins: ['https://app.example.com'] } }))).toEqual({ exitCode: 0, output: '' });
});

test('cfn-lint reports a broken template, so a clean result means something', async () => {
  const broken = { Resources: { Bucket: { Type: 'AWS::S3::Bucket', Properties: { NoSuchProperty: true } } } };
  const result = await cfnLint(broken);
  expect(result.exitCode).not.toBe(0);
  expect(result.output).toMatch(/E3002/);
});

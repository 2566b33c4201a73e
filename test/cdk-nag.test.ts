import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks, NagPack } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { ExampleStack } from './example-stack';
import { ApiAuthorization, ImageResizePipeline, ImageResizePipelineProps, NotificationScope, PipelineEncryption } from '../src';

/** A finding cdk-nag reports, or one the construct acknowledges: a rule ID on a construct. */
interface Finding { readonly rule: string; readonly path: string }

interface NagRun {
  /** Every unacknowledged finding, errors and warnings. */
  readonly findings: Finding[];
  /** Every acknowledgement written in the app that no finding of cdk-nag's needed. */
  readonly unusedAcknowledgements: Finding[];
}

/**
 * How a case sets up the pipeline: `dependencies` makes (once) a second stack of the app, for resources defined
 * elsewhere; `pipelineStack` is the example stack the pipeline goes in, for what must be imported there.
 */
type Configure = (dependencies: () => Stack, pipelineStack: Stack) => ImageResizePipelineProps;

/** The rule IDs `scope` itself acknowledges, as cdk-nag reads them (without the `Annotation::` prefix). */
function acknowledgedRules(scope: IConstruct): string[] {
  return scope.node.metadata.filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((entry) => Object.keys(entry.data).map((id) => id.replace(/^annotation::/i, '')));
}

/**
 * Synthesizes with cdk-nag's AwsSolutions pack. cdk-nag asks, of each finding, whether the resource or one of its
 * scopes acknowledges it; each acknowledgement that answers yes is recorded, so one that never does is found. The
 * method it asks with is private to cdk-nag: should a release rename it, spying on it fails rather than pass.
 */
function nagRun(configure: Configure = () => ({})): NagRun {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'nag-'));
  const app = new App({ outdir, context: { 'aws:cdk:disable-asset-staging': true } });
  // Made only when a case needs one: an empty stack is itself a template finding.
  let dependencies: Stack | undefined;
  new ExampleStack(app, 'Example', { pipeline: (stack) => configure(() => dependencies ??= new Stack(app, 'Dependencies'), stack) });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const used = new Set<string>();
  const isAcknowledged = (NagPack.prototype as any).isAcknowledged;
  const spy = jest.spyOn(NagPack.prototype as any, 'isAcknowledged').mockImplementation(function (this: NagPack, resource: any, rule: any) {
    for (let scope: IConstruct | undefined = resource; scope; scope = scope.node.scope) {
      if (acknowledgedRules(scope).includes(rule)) {
        used.add(`${rule} on ${scope.node.path}`);
        break;
      }
    }
    return isAcknowledged.call(this, resource, rule);
  });
  try {
    const findings = synthesizedFindings(app, outdir);
    const written = app.node.findAll().flatMap((construct) => acknowledgedRules(construct).map((rule) => ({ rule, path: construct.node.path })));
    return { findings, unusedAcknowledgements: written.filter(({ rule, path: at }) => !used.has(`${rule} on ${at}`)) };
  } finally {
    spy.mockRestore();
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

function synthesizedFindings(app: App, outdir: string): Finding[] {
  try {
    app.synth();
    return [];
  } catch (error) {
    const reportFile = path.join(outdir, 'validation-report.json');
    if (!fs.existsSync(reportFile)) throw error;
    const report = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
    return report.pluginReports.filter((plugin: any) => plugin.pluginName === 'AwsSolutions').flatMap((plugin: any) => plugin.violations.flatMap((violation: any) =>
      violation.violatingConstructs.map((construct: any) => ({ rule: violation.ruleName, path: construct.constructPath }))));
  }
}

/** The cases with a bucket of another stack, whose acknowledgements name it in two forms. */
const CROSS_STACK_CASES = ['an upload bucket of another stack, imported by name', 'a resized bucket of another stack'];
/** A wildcard resource as the pipeline's stack names another stack's bucket before synthesis resolves the reference. */
const SUPERSEDED_REFERENCE = /^AwsSolutions-IAM5\[Resource::(arn:<AWS::Partition>:s3:::)?<(Photos|Thumbs)[0-9A-F]{8}(\.Arn)?>\/\*\]$/;

describe('cdk-nag AwsSolutions checks', () => {
  test('the example stack has no unacknowledged finding, and no acknowledgement that no finding needs', () => {
    expect(nagRun()).toEqual({ findings: [], unusedAcknowledgements: [] });
  });

  test.each<[string, Configure]>([
    ['x86_64', () => ({ architecture: lambda.Architecture.X86_64 })],
    ['Cognito authorization', (dependencies) => ({
      apiAuthorization: ApiAuthorization.cognito(cognito.UserPool.fromUserPoolId(dependencies(), 'Users', 'us-east-1_example')),
    })],
    ['no authorization, chosen explicitly', () => ({ apiAuthorization: ApiAuthorization.none(), notificationScope: NotificationScope.BROADCAST })],
    ['an existing upload bucket', (dependencies) => ({ uploadBucket: s3.Bucket.fromBucketName(dependencies(), 'Photos', 'my-photos') })],
    // The README's pattern for a bucket of another stack: its name crosses to the pipeline's stack as an import.
    ['an upload bucket of another stack, imported by name', (dependencies, pipelineStack) => {
      const photos = new s3.Bucket(dependencies(), 'Photos', { enforceSSL: true, serverAccessLogsBucket: s3.Bucket.fromBucketName(dependencies(), 'Logs', 'my-logs') });
      return { uploadBucket: s3.Bucket.fromBucketAttributes(pipelineStack, 'Photos', { bucketName: photos.bucketName }) };
    }],
    ['a resized bucket of another stack', (dependencies) => ({
      resizedBucket: new s3.Bucket(dependencies(), 'Thumbs', { enforceSSL: true, serverAccessLogsBucket: s3.Bucket.fromBucketName(dependencies(), 'Logs', 'my-logs') }),
    })],
    ['no API CloudWatch role', () => ({ apiCloudWatchRole: false })],
    // X-Ray's write actions take no resource ARN, so each function's role is granted them on *.
    ['X-Ray tracing', () => ({ tracing: true })],
    // The CORS preflights are unauthorized OPTIONS methods, whatever the routes' authorization.
    ['allowed origins', () => ({ allowedOrigins: ['https://app.example.com', 'http://localhost:3000'] })],
    ['allowed origins and Cognito authorization', (dependencies) => ({
      allowedOrigins: ['https://app.example.com'],
      apiAuthorization: ApiAuthorization.cognito(cognito.UserPool.fromUserPoolId(dependencies(), 'Users', 'us-east-1_example')),
    })],
    // The second pipeline, made first, makes the stack's CloudWatch role, which the example's pipeline shares.
    ['two pipelines in the stack', (_dependencies, pipelineStack) => {
      new ImageResizePipeline(pipelineStack, 'More');
      return {};
    }],
    ['KMS encryption', () => ({ encryption: PipelineEncryption.KMS })],
    ['a KMS key from another stack', (dependencies) => ({ encryptionKey: new kms.Key(dependencies(), 'Shared', { enableKeyRotation: true }) })],
    ['existing buckets encrypted with keys of their own', (dependencies) => ({
      uploadBucket: s3.Bucket.fromBucketAttributes(dependencies(), 'Photos', {
        bucketName: 'my-photos', encryptionKey: kms.Key.fromKeyArn(dependencies(), 'PhotosKey', 'arn:aws:kms:us-east-1:111111111111:key/photos'),
      }),
      resizedBucket: s3.Bucket.fromBucketAttributes(dependencies(), 'Thumbs', {
        bucketName: 'my-thumbnails', encryptionKey: kms.Key.fromKeyArn(dependencies(), 'ThumbsKey', 'arn:aws:kms:us-east-1:111111111111:key/thumbs'),
      }),
    })],
  ])('with %s there is no unacknowledged finding, and no acknowledgement that no finding needs', (name, configure) => {
    const run = nagRun(configure);
    if (CROSS_STACK_CASES.includes(name)) {
      // The other stack's own form of the reference, written for cdk-nag run before synthesis (see the tests below).
      expect(run.unusedAcknowledgements.length).toBeGreaterThan(0);
      const superseded = { rule: expect.stringMatching(SUPERSEDED_REFERENCE), path: expect.any(String) };
      expect(run.unusedAcknowledgements).toEqual(run.unusedAcknowledgements.map(() => superseded));
      expect(run.findings).toEqual([]);
    } else {
      expect(run).toEqual({ findings: [], unusedAcknowledgements: [] });
    }
  });

  test('with a newer Node.js runtime in aws-cdk-lib than the functions\' there is no unacknowledged finding, and no acknowledgement that no finding needs', () => {
    // GIVEN an aws-cdk-lib that knows a Node.js runtime after the one the functions are built for: cdk-nag's
    // AwsSolutions-L1 compares each function's runtime with the newest of its family in Runtime.ALL
    const newer = new lambda.Runtime('nodejs26.x', lambda.RuntimeFamily.NODEJS);
    lambda.Runtime.ALL.push(newer);
    try {
      expect(nagRun()).toEqual({ findings: [], unusedAcknowledgements: [] });
    } finally {
      lambda.Runtime.ALL.splice(lambda.Runtime.ALL.indexOf(newer), 1);
    }
  });

  test('a finding the construct does not acknowledge is reported', () => {
    // GIVEN a stack with an unrelated bucket that breaks AwsSolutions-S1 (no access logs) and S10 (no TLS policy)
    const { findings } = nagRun((dependencies) => {
      new s3.Bucket(dependencies(), 'Unlogged');
      return {};
    });
    // THEN the checks see it, so an empty result above means the pipeline is clean, not that nothing ran
    expect(findings).toEqual(expect.arrayContaining([
      { rule: 'AwsSolutions-S1', path: 'Dependencies/Unlogged/Resource' },
      { rule: 'AwsSolutions-S10', path: 'Dependencies/Unlogged/Resource' },
    ]));
  });

  describe('run before synthesis, as an aspect or through validateScope', () => {
    /** The example stack and, for the cross-stack case, a second stack with the photos bucket it imports by name. */
    function examplePipeline(crossStack: boolean): Stack {
      const app = new App({ context: { 'aws:cdk:disable-asset-staging': true } });
      const photos = crossStack
        ? new s3.Bucket(new Stack(app, 'Dependencies'), 'Photos', { enforceSSL: true })
        : undefined;
      return new ExampleStack(app, 'Example', {
        pipeline: (stack) => (photos ? { uploadBucket: s3.Bucket.fromBucketAttributes(stack, 'Photos', { bucketName: photos.bucketName }) } : {}),
      });
    }

    test.each([false, true])('validateScope finds no wildcard resource unacknowledged (bucket of another stack: %s)', (crossStack) => {
      const report = new AwsSolutionsChecks().validateScope(examplePipeline(crossStack));
      const wildcards = report.violations.filter((violation) => violation.ruleName.startsWith('AwsSolutions-IAM5'));
      expect(wildcards.map((violation) => violation.ruleName)).toEqual([]);
    });

    test('writeSuppressionsToCloudFormation writes the wildcard-resource acknowledgements into the template', () => {
      const stack = examplePipeline(false);
      // Given a scope, cdk-nag adds the aspect that copies acknowledgements into each resource's Metadata.
      new AwsSolutionsChecks(stack, { writeSuppressionsToCloudFormation: true });
      const resources = Object.values(Template.fromStack(stack).toJSON().Resources as Record<string, any>);
      const written = resources.flatMap((resource) => resource.Metadata?.cdk_nag?.rules_to_suppress ?? []).map((rule: any) => rule.id);
      expect(written).toEqual(expect.arrayContaining([
        expect.stringMatching(/^AwsSolutions-IAM5\[Resource::<ImagesUploadBucket[0-9A-F]{8}\.Arn>\/\*\]$/),
        expect.stringMatching(/^AwsSolutions-IAM5\[Resource::<ImagesResizedBucket[0-9A-F]{8}\.Arn>\/\*\]$/),
      ]));
    });
  });
});

import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { CURRENTLY_RECOMMENDED_FLAGS } from 'aws-cdk-lib/cx-api';
import { ImageResizePipeline, ImageResizePipelineProps, PipelineEncryption } from '../src';

/**
 * `cdk init` writes every recommended feature flag into a new project's cdk.json, so that is how most apps synthesize
 * the pipeline. Each KMS case is synthesized with them and without them, and what decides whether S3 may use the key
 * and what the buckets are encrypted with must come out the same.
 */

/**
 * The one flag the baseline keeps: it changes how a stack reads another stack's values (`Fn::GetStackOutput` instead
 * of `Fn::ImportValue`), not which values, and would otherwise make every cross-stack statement differ.
 */
const CROSS_STACK_REFERENCES = '@aws-cdk/core:defaultCrossStackReferences';

type Configure = (app: App, stack: Stack) => Partial<ImageResizePipelineProps>;

const KMS_CASES: Array<[string, Configure]> = [
  ['the pipeline\'s own key', () => ({ encryption: PipelineEncryption.KMS })],
  ['a key of the same stack passed as encryptionKey', (_app, stack) => ({ encryptionKey: new kms.Key(stack, 'MyKey') })],
  ['an upload bucket of another stack imported into the pipeline\'s stack', (app, stack) => {
    const storage = new Stack(app, 'Storage');
    const photos = new s3.Bucket(storage, 'Photos', { encryption: s3.BucketEncryption.KMS, encryptionKey: new kms.Key(storage, 'PhotosKey') });
    return {
      encryption: PipelineEncryption.KMS,
      uploadBucket: s3.Bucket.fromBucketAttributes(stack, 'Photos', { bucketName: photos.bucketName, encryptionKey: photos.encryptionKey }),
    };
  }],
  ['a resized bucket of another stack', (app) => ({
    encryption: PipelineEncryption.KMS,
    resizedBucket: new s3.Bucket(new Stack(app, 'Storage'), 'Thumbs', { encryption: s3.BucketEncryption.KMS }),
  })],
];

function synthesize(context: Record<string, unknown>, configure: Configure): App {
  const app = new App({ context });
  const stack = new Stack(app, 'Test');
  const pipeline = new ImageResizePipeline(stack, 'Images', configure(app, stack));
  // Grants through the resized bucket go through the key object the bucket holds, not the pipeline's.
  pipeline.grantReadResized(new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') }));
  return app;
}

function stacksOf(app: App): Stack[] {
  return app.node.findAll().filter((construct): construct is Stack => construct instanceof Stack);
}

/** A policy's statements as one entry for each action on each resource, sorted: equal when they allow the same. */
function atoms(statements: any[]): string[] {
  const atomsOf = (statement: any) => [statement.Action].flat().flatMap((action) => [statement.Resource].flat().map((resource) =>
    JSON.stringify({ Effect: statement.Effect, Principal: statement.Principal, Condition: statement.Condition, action, resource })));
  return [...new Set(statements.flatMap(atomsOf))].sort();
}

/** What the flags must not change in one stack: the key policies, the buckets' encryption and the roles' grants on keys. */
function keyUse(template: Template) {
  const resources = Object.entries<any>(template.toJSON().Resources);
  const ofType = (type: string) => resources.filter(([, resource]) => resource.Type === type);
  return {
    keyPolicies: Object.fromEntries(ofType('AWS::KMS::Key').map(([id, key]) => [id, atoms(key.Properties.KeyPolicy.Statement)])),
    bucketEncryption: Object.fromEntries(ofType('AWS::S3::Bucket').map(([id, bucket]) => [id, bucket.Properties.BucketEncryption])),
    keyGrants: ofType('AWS::IAM::Policy')
      .map(([, policy]) => ({
        roles: policy.Properties.Roles,
        grants: atoms(policy.Properties.PolicyDocument.Statement.filter((statement: any) => [statement.Action].flat().some((action: string) => action.startsWith('kms:')))),
      }))
      .filter(({ grants }) => grants.length > 0)
      .sort((a, b) => JSON.stringify(a.roles).localeCompare(JSON.stringify(b.roles))),
  };
}

describe.each(KMS_CASES)('KMS with %s, under every recommended feature flag', (_name, configure) => {
  const flagged = synthesize({ ...CURRENTLY_RECOMMENDED_FLAGS }, configure);
  const flagless = synthesize({ [CROSS_STACK_REFERENCES]: CURRENTLY_RECOMMENDED_FLAGS[CROSS_STACK_REFERENCES] }, configure);

  test.each(stacksOf(flagged).map((stack) => [stack.stackName, stack]))('%s is deployable: no dependency cycle', (_stackName, stack) => {
    expect(() => Template.fromStack(stack)).not.toThrow();
  });

  test('the key policies, the buckets\' encryption and the grants on keys are those synthesized without flags', () => {
    const readerGrants = keyUse(Template.fromStack(flagged.node.findChild('Test') as Stack)).keyGrants
      .filter(({ roles }) => JSON.stringify(roles).includes('Reader'));
    expect(readerGrants).toHaveLength(1);
    for (const stack of stacksOf(flagless)) {
      const flaggedStack = flagged.node.findChild(stack.node.id) as Stack;
      expect({ stack: stack.stackName, ...keyUse(Template.fromStack(flaggedStack)) })
        .toEqual({ stack: stack.stackName, ...keyUse(Template.fromStack(stack)) });
    }
  });

  test('the buckets the pipeline creates name its key by its alias\'s name, which refers to no resource of the stack', () => {
    const template = Template.fromStack(flagged.node.findChild('Test') as Stack);
    const keysNamed = Object.values<any>(template.findResources('AWS::S3::Bucket'))
      .map((bucket) => bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault)
      .filter((byDefault) => byDefault.SSEAlgorithm === 'aws:kms')
      .map((byDefault) => JSON.stringify(byDefault.KMSMasterKeyID));
    expect(keysNamed.length).toBeGreaterThan(0);
    for (const keyNamed of keysNamed) {
      expect(keyNamed).toMatch(/:alias\//);
      expect(keyNamed).not.toMatch(/"Fn::GetAtt"|"Ref":"(?!AWS::)/);
    }
    template.resourceCountIs('AWS::KMS::Alias', 1);
  });
});

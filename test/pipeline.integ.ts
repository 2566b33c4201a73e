import * as path from 'path';
import { AwsApiCall, ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Aspects, CfnResource, Duration, IAspect } from 'aws-cdk-lib';
import { IKey } from 'aws-cdk-lib/aws-kms';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { IConstruct } from 'constructs';
import { EXAMPLE_STACK_NAME, ExampleStack } from './example-stack';
import { PipelineEncryption } from '../src';

// No stack traces in the snapshot: they hold this checkout's absolute paths, which differ on every machine. The
// first key leaves them out of metadata entries, the second leaves out each construct's creation stack. The CLI
// refuses aws: keys given with -c, so they are set here. No performance report either: `cdk synth` writes
// performance-counters.json beside the templates whenever synthesis takes over 10 s a stack, as it does on a busy
// machine, and the snapshot comparison would count it a difference.
export const app = new App({
  performanceReporting: false,
  context: { 'aws:cdk:disable-stack-trace': true, 'aws:cdk:disable-creation-stack-traces': true },
});
// The example as it is, and the same with a customer-managed KMS key: both must deploy and resize.
export const stacks = [
  new ExampleStack(app, EXAMPLE_STACK_NAME),
  new ExampleStack(app, `${EXAMPLE_STACK_NAME}Kms`, { pipeline: { encryption: PipelineEncryption.KMS } }),
];

// The assertion provider can only send text, so the sample photo rides in with the deployment instead.
export const SAMPLE = 'landscape.jpg';
for (const stack of stacks) {
  const sample = new s3deploy.BucketDeployment(stack, 'IntegSample', {
    sources: [s3deploy.Source.asset(path.join(__dirname, '..', 'samples'), { exclude: ['*', `!${SAMPLE}`] })],
    destinationBucket: stack.pipeline.uploadBucket,
    destinationKeyPrefix: 'integ/',
    retainOnDelete: false,
  });
  // S3 sends no event for an object put before the bucket's notification is set, and nothing else orders the two.
  sample.node.addDependency(stack.pipeline.uploadBucket.node.findChild('Notifications'));
}

export const integ = new IntegTest(app, 'ImageResizePipelineInteg', { testCases: stacks });

/** The example's sizes: each must hold a copy of the sample. */
export const SIZES = ['thumbnail', 'medium', 'large'];

for (const stack of stacks) {
  for (const size of SIZES) {
    const head = integ.assertions
      .awsApiCall('S3', 'headObject', { Bucket: stack.pipeline.resizedBucket.bucketName, Key: `${size}/integ/${SAMPLE}` })
      .expect(ExpectedResult.objectLike({ ContentType: 'image/jpeg' }))
      .waitForAssertions({ totalTimeout: Duration.minutes(5), interval: Duration.seconds(10) });
    allowHead(head as AwsApiCall, stack.pipeline.resizedBucket.arnForObjects(`${size}/integ/${SAMPLE}`), stack.pipeline.encryptionKey);
  }
}

/**
 * integ-tests-alpha grants the action named after the call, s3:HeadObject, which IAM does not have: HEAD is allowed
 * by s3:GetObject, and for an object encrypted with a customer-managed key by kms:Decrypt too. Without them every
 * HEAD is refused with 403 and the waiter times out. The waiter makes the calls; the call's own provider gets the
 * same so the assertion holds if it is ever made without waiting.
 */
function allowHead(call: AwsApiCall, objectArn: string, key?: IKey) {
  for (const provider of [call.provider, call.waiterProvider]) {
    provider?.addToRolePolicy({ Effect: 'Allow', Action: ['s3:GetObject'], Resource: [objectArn] });
    if (key) {
      provider?.addToRolePolicy({ Effect: 'Allow', Action: ['kms:Decrypt'], Resource: [key.keyArn] });
    }
  }
}

/**
 * integ-tests-alpha salts every assertion with the synth time so that a redeploy re-runs it. A redeploy would not
 * upload the sample again either, since the upload runs only when its properties change: a run tests anything only
 * on fresh stacks, after `integ:pipeline:destroy`. There a fixed salt loses nothing and keeps the committed snapshot
 * comparable.
 */
class FixedAssertionSalt implements IAspect {
  public visit(node: IConstruct) {
    if (node instanceof CfnResource && node.cfnResourceType.startsWith('Custom::DeployAssert')) {
      node.addPropertyOverride('salt', 'snapshot');
    }
  }
}
Aspects.of(app).add(new FixedAssertionSalt());

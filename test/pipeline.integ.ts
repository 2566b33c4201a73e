import * as path from 'path';
import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Aspects, CfnResource, Duration, IAspect } from 'aws-cdk-lib';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { IConstruct } from 'constructs';
import { EXAMPLE_STACK_NAME, ExampleStack } from './example-stack';

// No stack traces in the snapshot: they hold this checkout's absolute paths, which differ on every machine.
const app = new App({ context: { 'aws:cdk:disable-stack-trace': true } });
const stack = new ExampleStack(app, EXAMPLE_STACK_NAME);

// The assertion provider can only send text, so the sample photo rides in with the deployment instead.
const SAMPLE = 'landscape.jpg';
new s3deploy.BucketDeployment(stack, 'IntegSample', {
  sources: [s3deploy.Source.asset(path.join(__dirname, '..', 'samples'), { exclude: ['*', `!${SAMPLE}`] })],
  destinationBucket: stack.pipeline.uploadBucket,
  destinationKeyPrefix: 'integ/',
  retainOnDelete: false,
});

const integ = new IntegTest(app, 'ImageResizePipelineInteg', { testCases: [stack] });

for (const size of ['thumbnail', 'medium', 'large']) {
  integ.assertions
    .awsApiCall('S3', 'headObject', { Bucket: stack.pipeline.resizedBucket.bucketName, Key: `${size}/integ/${SAMPLE}` })
    .expect(ExpectedResult.objectLike({ ContentType: 'image/jpeg' }))
    .waitForAssertions({ totalTimeout: Duration.minutes(5), interval: Duration.seconds(10) });
}

/**
 * integ-tests-alpha salts every assertion with the synth time so that a redeploy re-runs it. Each run of this
 * test deploys a fresh stack, so a fixed salt loses nothing and keeps the committed snapshot comparable.
 */
class FixedAssertionSalt implements IAspect {
  public visit(node: IConstruct) {
    if (node instanceof CfnResource && node.cfnResourceType.startsWith('Custom::DeployAssert')) {
      node.addPropertyOverride('salt', 'snapshot');
    }
  }
}
Aspects.of(app).add(new FixedAssertionSalt());

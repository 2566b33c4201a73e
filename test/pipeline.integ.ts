import * as path from 'path';
import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Duration } from 'aws-cdk-lib';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { EXAMPLE_STACK_NAME, ExampleStack } from './example-stack';

const app = new App();
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

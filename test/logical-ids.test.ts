import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ExampleStack } from './example-stack';
import { PipelineEncryption } from '../src';

/**
 * A resource whose logical ID changes is a new resource to CloudFormation: on upgrade a user's bucket, queue, topic,
 * key or log group is replaced by an empty one (the old one retained and orphaned, or deleted), and the topic's
 * subscribers, made at run time through POST /subscribe, are lost without a word. A rename of a construct id passes
 * every other test, so the IDs are written out here; change one only on purpose, with an upgrade note. The REST API
 * holds no data, but a new one has a new URL, which every client would have to be given.
 */
describe('logical IDs of the stateful resources', () => {
  const app = new App({ context: { 'aws:cdk:disable-asset-staging': true } });
  const stack = new ExampleStack(app, 'Example', { pipeline: { encryption: PipelineEncryption.KMS } });
  const template = Template.fromStack(stack);

  test.each<[string, string[]]>([
    ['AWS::S3::Bucket', ['ImagesAccessLogsBucketB3DD7BCC', 'ImagesResizedBucketDFD8731C', 'ImagesUploadBucket5F6D8B29']],
    ['AWS::SQS::Queue', ['ImagesDeadLetterQueueC6D1E033', 'ImagesQueueC319D8D8']],
    ['AWS::SNS::Topic', ['ImagesTopic454B448B']],
    ['AWS::KMS::Key', ['ImagesKey72752799']],
    ['AWS::KMS::Alias', ['ImagesKeyAlias0067FCBC']],
    ['AWS::ApiGateway::RestApi', ['ImagesApi94D03573']],
    ['AWS::Logs::LogGroup', ['ImagesApiAccessLogs5746AD3F', 'ImagesResizeFunctionLogs167A6B60', 'ImagesUploadUrlFunctionLogsA3FD74B7']],
  ])('%s', (type, logicalIds) => {
    expect(Object.keys(template.findResources(type)).sort()).toEqual(logicalIds);
  });
});

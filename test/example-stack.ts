import { CfnOutput, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ImageResizePipeline, ImageResizePipelineProps } from '../src';

export const EXAMPLE_STACK_NAME = 'ImageResizePipelineExample';

/** The pipeline's props, or a function of the example stack that returns them. */
export type ExamplePipelineProps = ImageResizePipelineProps | ((stack: Stack) => ImageResizePipelineProps);

/**
 * The example the README, the integration test, the cdk-nag test and the local pipeline all use, so what runs
 * locally is what deploys. Its buckets and data go with it (DESTROY and autoDeleteObjects): a demo should not leave
 * buckets behind. API Gateway's CloudWatch role and the account setting naming it stay, as the README's Cleanup says.
 */
export class ExampleStack extends Stack {
  public readonly pipeline: ImageResizePipeline;

  /** A function for `pipeline` makes what must be in this stack, such as a bucket of another stack imported here. */
  constructor(scope: Construct, id: string, props: StackProps & { pipeline?: ExamplePipelineProps } = {}) {
    super(scope, id, props);
    this.pipeline = new ImageResizePipeline(this, 'Images', {
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
      ...(typeof props.pipeline === 'function' ? props.pipeline(this) : props.pipeline),
    });
    new CfnOutput(this, 'ApiUrl', { value: this.pipeline.api.url });
    new CfnOutput(this, 'UploadBucketName', { value: this.pipeline.uploadBucket.bucketName });
    new CfnOutput(this, 'ResizedBucketName', { value: this.pipeline.resizedBucket.bucketName });
    new CfnOutput(this, 'TopicArn', { value: this.pipeline.topic.topicArn });
  }
}

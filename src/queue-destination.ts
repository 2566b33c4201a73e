import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/**
 * S3's notifications to a queue whose key belongs to another stack. `s3n.SqsDestination` grants S3 the key on the
 * condition that the source is the bucket, which puts the bucket's ARN into the key's stack while this stack
 * already refers to the key: a cyclic reference between the two. This destination lets S3 use the key by the
 * unconditioned statement SqsDestination adds as well, so the key's stack names nothing of this one; the queue
 * policy still admits only the bucket.
 */
export class QueueWithKeyInOtherStack implements s3.IBucketNotificationDestination {
  constructor(private readonly queue: sqs.IQueue, private readonly key: kms.IKey) {}

  public bind(_scope: Construct, bucket: s3.IBucketRef): s3.BucketNotificationDestinationConfig {
    const s3Service = new iam.ServicePrincipal('s3.amazonaws.com');
    this.queue.addToResourcePolicy(new iam.PolicyStatement({
      principals: [s3Service],
      actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
      resources: [this.queue.queueArn],
      conditions: { ArnLike: { 'aws:SourceArn': bucket.bucketRef.bucketArn } },
    }));
    this.key.addToResourcePolicy(new iam.PolicyStatement({
      principals: [s3Service],
      actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
      resources: ['*'],
    }));
    // The queue's policy is its child, so S3 validates the destination only once the policy admits it.
    return { arn: this.queue.queueArn, type: s3.BucketNotificationDestinationType.QUEUE, dependencies: [this.queue] };
  }
}

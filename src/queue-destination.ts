import { Annotations, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { renderIntrinsics } from './render-reference';

/**
 * S3's notifications to a queue, encrypted or not, with every statement that lets S3 send to it or use its key held
 * to the bucket's account (`aws:SourceAccount`). A bucket's ARN names no account, so `aws:SourceArn` alone, which is
 * all `s3n.SqsDestination` sets, admits a bucket of that name in any account; and SqsDestination lets S3 use the key
 * for any bucket at all.
 *
 * A key of another stack is held to its own stack's account, without the bucket: naming the bucket there would put
 * its ARN into the key's stack while this stack already refers to the key, a cyclic reference between the two. The
 * queue's policy still admits only the bucket.
 */
export class S3QueueDestination implements s3.IBucketNotificationDestination {
  constructor(private readonly queue: sqs.IQueue) {}

  public bind(_scope: Construct, bucket: s3.IBucketRef): s3.BucketNotificationDestinationConfig {
    const s3Service = new iam.ServicePrincipal('s3.amazonaws.com');
    const fromBucket = {
      ArnLike: { 'aws:SourceArn': bucket.bucketRef.bucketArn },
      StringEquals: { 'aws:SourceAccount': bucket.env.account },
    };
    this.queue.addToResourcePolicy(new iam.PolicyStatement({
      principals: [s3Service],
      actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
      resources: [this.queue.queueArn],
      conditions: fromBucket,
    }));
    const key = this.queue.encryptionMasterKey;
    if (key) {
      // S3 checks a new destination by sending it a test message, which it can only encrypt with the key.
      const keyStack = Stack.of(key);
      const useKey = new iam.PolicyStatement({
        principals: [s3Service],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions: keyStack === Stack.of(this.queue) ? fromBucket : { StringEquals: { 'aws:SourceAccount': keyStack.account } },
      });
      if (!key.addToResourcePolicy(useKey, true).statementAdded) {
        const statement = JSON.stringify(renderIntrinsics(Stack.of(this.queue).resolve(useKey.toStatementJson())));
        Annotations.of(key).addWarningV2('cdk-image-resize-pipeline:importedKeyPolicy',
          `an imported key's policy is not changed here, so S3 cannot send ${bucket.node.path}'s notifications to the queue it encrypts until you add this statement to it: ${statement} (<Id.Arn> is the ARN of the resource of this stack with that logical ID; <AWS::…> is this stack's own value).`);
      }
    }
    // The queue's policy is its child, so S3 validates the destination only once the policy admits it.
    return { arn: this.queue.queueArn, type: s3.BucketNotificationDestinationType.QUEUE, dependencies: [this.queue] };
  }
}

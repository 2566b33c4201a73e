/**
 * Creates in the emulator what the example stack creates in an account: the two buckets, the queue with its
 * dead-letter queue and redrive policy, the upload bucket's notifications to the queue, and the topic.
 */
import { CreateBucketCommand, Event, NotificationConfigurationFilter, PutBucketNotificationConfigurationCommand } from '@aws-sdk/client-s3';
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { LOCAL_REGION, LocalClients } from './aws-clients';
import { LocalIdentities, localName, PipelineDefinition, QueueDefinition } from './example-template';

export interface EmulatedResources {
  readonly uploadBucket: string;
  readonly resizedBucket: string;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly deadLetterQueueUrl: string;
  readonly deadLetterQueueArn: string;
  readonly topicArn: string;
  /** What the template's references stand for here, to resolve the function's environment. */
  readonly identities: LocalIdentities;
}

/** @param suffix appended to every name, so several pipelines can share one emulator */
export async function createEmulatedResources(
  definition: PipelineDefinition, clients: LocalClients, suffix: string,
): Promise<EmulatedResources> {
  const name = (logicalId: string) => localName(logicalId, suffix);
  const uploadBucket = name(definition.uploadBucketId);
  const resizedBucket = name(definition.resizedBucketId);

  for (const bucket of [uploadBucket, resizedBucket]) {
    await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }

  const deadLetterQueue = await createQueue(clients, name(definition.deadLetterQueue.logicalId), definition.deadLetterQueue, {});
  const queue = await createQueue(clients, name(definition.queue.logicalId), definition.queue, {
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterQueue.arn, maxReceiveCount: definition.queue.maxReceiveCount }),
  });

  // moto, like S3, sends an s3:TestEvent message to the queue as soon as this is set.
  await clients.s3.send(new PutBucketNotificationConfigurationCommand({
    Bucket: uploadBucket,
    NotificationConfiguration: {
      QueueConfigurations: definition.notifications.map((notification) => ({
        QueueArn: queue.arn,
        Events: notification.events as Event[],
        Filter: notification.filter as NotificationConfigurationFilter | undefined,
      })),
    },
  }));

  const topic = await clients.sns.send(new CreateTopicCommand({ Name: name(definition.topicId) }));
  const topicArn = topic.TopicArn!;
  const accountId = topicArn.split(':')[4];

  const bucketIdentity = (bucket: string) => ({ ref: bucket, arn: `arn:aws:s3:::${bucket}` });
  return {
    uploadBucket,
    resizedBucket,
    queueUrl: queue.url,
    queueArn: queue.arn,
    deadLetterQueueUrl: deadLetterQueue.url,
    deadLetterQueueArn: deadLetterQueue.arn,
    topicArn,
    identities: {
      region: LOCAL_REGION,
      accountId,
      refs: {
        [definition.uploadBucketId]: bucketIdentity(uploadBucket),
        [definition.resizedBucketId]: bucketIdentity(resizedBucket),
        [definition.queue.logicalId]: { ref: queue.url, arn: queue.arn },
        [definition.deadLetterQueue.logicalId]: { ref: deadLetterQueue.url, arn: deadLetterQueue.arn },
        [definition.topicId]: { ref: topicArn, arn: topicArn },
      },
    },
  };
}

async function createQueue(
  clients: LocalClients, queueName: string, definition: QueueDefinition, extra: Record<string, string>,
): Promise<{ url: string; arn: string }> {
  const attributes: Record<string, string> = { ...extra };
  if (definition.visibilityTimeoutSeconds !== undefined) {
    attributes.VisibilityTimeout = String(definition.visibilityTimeoutSeconds);
  }
  if (definition.messageRetentionPeriodSeconds !== undefined) {
    attributes.MessageRetentionPeriod = String(definition.messageRetentionPeriodSeconds);
  }
  const { QueueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: queueName, Attributes: attributes }));
  const { Attributes } = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  return { url: QueueUrl!, arn: Attributes!.QueueArn! };
}

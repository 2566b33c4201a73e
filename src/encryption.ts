/** How the pipeline's buckets, queues and topic are encrypted at rest. */
export enum PipelineEncryption {
  /**
   * S3-managed keys for the buckets and SQS-managed keys for the queues, with nothing to manage and no KMS charges.
   * The topic holds messages only in flight and is not encrypted with a key of its own.
   */
  S3_MANAGED = 's3-managed',
  /**
   * One customer-managed KMS key for the upload and resized buckets the pipeline creates, both queues and the topic:
   * key policy and CloudTrail under your control, at KMS's request prices (S3 Bucket Keys keep those low). The
   * access-log bucket stays on S3-managed keys, the only encryption S3 delivers server access logs to.
   */
  KMS = 'kms',
}

/** How the pipeline's buckets, queues, topic and log groups are encrypted at rest. */
export enum PipelineEncryption {
  /**
   * S3-managed keys for the buckets and SQS-managed keys for the queues, with nothing to manage and no KMS charges.
   * The topic holds messages only in flight and is not encrypted with a key of its own. The log groups keep CloudWatch
   * Logs' own encryption.
   */
  S3_MANAGED = 's3-managed',
  /**
   * One customer-managed KMS key for the upload and resized buckets the pipeline creates, both queues, the topic and
   * the log groups (both functions' and the API's access logs, which hold file names, uploaders and request paths):
   * key policy and CloudTrail under your control, at KMS's request prices (S3 Bucket Keys keep those low). The
   * access-log bucket stays on S3-managed keys, the only encryption S3 delivers server access logs to. With an
   * imported `encryptionKey` the log groups keep CloudWatch Logs' own encryption: CloudWatch Logs uses a key only
   * when its policy says so, and an imported key's policy is not changed here.
   */
  KMS = 'kms',
}

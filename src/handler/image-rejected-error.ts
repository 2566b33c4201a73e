export type RejectReason = 'empty' | 'not-an-image' | 'unsupported-format' | 'too-many-bytes' | 'too-many-pixels'
  | 'too-large-for-format' | 'corrupt' | 'takes-too-long' | 'key-too-long' | 'uploader-too-long' | 'name-taken';

/**
 * The upload itself is the problem, so retrying the same bytes can never succeed: the handler reports it to the
 * uploader instead of letting the queue redeliver it into the dead-letter queue. The message is written for the
 * person who uploaded the file; the decoder's own words, where there are any, are kept as `cause`.
 */
export class ImageRejectedError extends Error {
  readonly reason: RejectReason;

  constructor(reason: RejectReason, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'ImageRejectedError';
    this.reason = reason;
  }
}

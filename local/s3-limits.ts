/**
 * S3 refuses object keys over 1,024 bytes and user metadata over 2 KB; moto stores both. These rules, installed
 * in a {@link FaultProxy}, give the function S3's own answers for them, so a test can show what the function
 * does with an upload whose resized copies would break a limit.
 */
import { AwsRequest, FaultRule } from './fault-proxy';

/** S3's limit on an object key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;
/** S3's limit on a PUT's user-defined metadata: the UTF-8 bytes of every name (after `x-amz-meta-`) and value. */
export const MAX_USER_METADATA_BYTES = 2048;

const USER_METADATA_PREFIX = 'x-amz-meta-';

export function s3LimitRules(): FaultRule[] {
  return [
    {
      when: (request) => request.service === 's3' && request.key !== undefined && Buffer.byteLength(request.key, 'utf8') > MAX_KEY_BYTES,
      fault: { kind: 'error', status: 400, code: 'KeyTooLongError', message: 'Your key is too long' },
    },
    {
      when: (request) => request.service === 's3' && request.operation === 'PutObject' && userMetadataBytes(request) > MAX_USER_METADATA_BYTES,
      fault: { kind: 'error', status: 400, code: 'MetadataTooLarge', message: 'Your metadata headers exceed the maximum allowed metadata size' },
    },
  ];
}

/** Node reads header bytes as latin1, one character a byte, so a value's length is its size on the wire. */
function userMetadataBytes(request: AwsRequest): number {
  let total = 0;
  for (const [name, value] of Object.entries(request.headers)) {
    if (name.startsWith(USER_METADATA_PREFIX)) {
      total += name.length - USER_METADATA_PREFIX.length + [value ?? ''].flat().join(',').length;
    }
  }
  return total;
}

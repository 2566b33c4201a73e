/**
 * The resized bucket: writing the copies of one original, linking to them, and removing them again.
 */
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { SizeSpec } from './config';
import { resizedKey } from './keys';

export interface EncodedCopy {
  readonly name: string;
  readonly extension: string;
  readonly contentType: string;
  readonly data: Buffer;
}

export interface StoredCopy {
  readonly bucket: string;
  readonly key: string;
}

/**
 * Object metadata naming the original. S3 metadata must be ASCII, so the key is stored URI-encoded; it is what
 * tells a copy of this original apart from one of a different original that maps to a similar name.
 */
export const SOURCE_KEY_METADATA = 'source-key';

export class ResizedStore {
  constructor(private readonly s3: S3Client, private readonly bucket: string) {}

  /** Called only once every size is encoded, so a rejected image never leaves some sizes behind. */
  async put(originalKey: string, copies: EncodedCopy[]): Promise<StoredCopy[]> {
    return Promise.all(copies.map(async (copy) => {
      const key = resizedKey(copy.name, originalKey, copy.extension);
      await this.s3.send(new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: copy.data,
        ContentType: copy.contentType,
        Metadata: { [SOURCE_KEY_METADATA]: encodeURIComponent(originalKey) },
      }));
      return { bucket: this.bucket, key };
    }));
  }

  async presign(copy: StoredCopy, expiresInSeconds: number): Promise<string> {
    return getSignedUrl(this.s3, new GetObjectCommand({ Bucket: copy.bucket, Key: copy.key }), {
      expiresIn: expiresInSeconds,
    });
  }

  /**
   * Removes the copies an earlier version of this original left, so a replaced image that is now rejected does
   * not keep stale links alive. Which extension they had depends on what the earlier version was, so every
   * `{size}/{name}.{extension}` is a candidate and the source-key metadata decides.
   */
  async removeCopiesOf(originalKey: string, sizes: SizeSpec[]): Promise<string[]> {
    const encodedOriginal = encodeURIComponent(originalKey);
    const stale: string[] = [];
    for (const size of sizes) {
      const prefix = resizedKey(size.name, originalKey, '');
      for await (const page of paginateListObjectsV2({ client: this.s3 }, { Bucket: this.bucket, Prefix: prefix })) {
        for (const { Key: key } of page.Contents ?? []) {
          const extension = key?.slice(prefix.length);
          if (key && extension && /^[a-z0-9]+$/i.test(extension) && await this.sourceKeyOf(key) === encodedOriginal) {
            stale.push(key);
          }
        }
      }
    }
    if (stale.length > 0) {
      const result = await this.s3.send(new DeleteObjectsCommand({
        Bucket: this.bucket,
        Delete: { Objects: stale.map((key) => ({ Key: key })), Quiet: true },
      }));
      if (result.Errors?.length) {
        const first = result.Errors[0];
        throw new Error(`could not delete ${result.Errors.length} stale copies, e.g. ${first.Key}: ${first.Code} ${first.Message}`);
      }
    }
    return stale;
  }

  private async sourceKeyOf(key: string): Promise<string | undefined> {
    const head = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
    return head.Metadata?.[SOURCE_KEY_METADATA];
  }
}

/**
 * The upload bucket as the handler sees it: whether an original exists now, which version, how large, and its bytes.
 */
import { Readable } from 'stream';
import { GetObjectCommand, GetObjectCommandOutput, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { uploaderIn } from './config';
import type { SourceVersion } from './resized-store';

export interface CurrentOriginal extends SourceVersion {
  /** Its size in bytes, known before any of them is read. */
  readonly byteLength: number;
}

export interface OriginalContent extends CurrentOriginal {
  readonly bytes: Buffer;
}

export class Originals {
  constructor(private readonly s3: S3Client) {}

  /**
   * The version there is now and its size, or undefined when the key does not exist. A HEAD cannot tell a missing
   * key from a missing bucket (both are a bare 404), and only the first means the original is gone, so a 404 is
   * asked again with a GET, whose error names which. Only that GET's headers are read: an object put there since the
   * HEAD may be larger than the function can hold, which is for the caller to decide from `byteLength`.
   */
  async current(bucket: string, key: string): Promise<CurrentOriginal | undefined> {
    try {
      const head = await this.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      if (head.ContentLength === undefined) {
        throw new Error('S3 answered a HEAD without a Content-Length');
      }
      return { ...version(head.ETag, head.Metadata), byteLength: head.ContentLength };
    } catch (error) {
      if ((error as Error).name !== 'NotFound') {
        throw error;
      }
    }
    const response = await this.get(bucket, key);
    if (response === undefined) {
      return undefined;
    }
    if (response.Body instanceof Readable) {
      response.Body.destroy();
    }
    if (response.ContentLength === undefined) {
      throw new Error('S3 answered a GET without a Content-Length');
    }
    return { ...version(response.ETag, response.Metadata), byteLength: response.ContentLength };
  }

  /** The bytes there are now, with the version they are; undefined when the key does not exist. */
  async read(bucket: string, key: string): Promise<OriginalContent | undefined> {
    const response = await this.get(bucket, key);
    if (response === undefined) {
      return undefined;
    }
    // A view of the SDK's bytes, not a copy (which Buffer.from(array) would make): two of a large original at once
    // count against the function's memory.
    const bytes = await response.Body!.transformToByteArray();
    return {
      ...version(response.ETag, response.Metadata),
      byteLength: bytes.byteLength,
      bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    };
  }

  private async get(bucket: string, key: string): Promise<GetObjectCommandOutput | undefined> {
    try {
      return await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    } catch (error) {
      if ((error as Error).name === 'NoSuchKey') {
        return undefined;
      }
      throw error;
    }
  }
}

function version(etag: string | undefined, metadata: Record<string, string> | undefined): SourceVersion {
  if (etag === undefined) {
    throw new Error('S3 answered without an ETag');
  }
  return { etag: etag.replace(/"/g, ''), uploader: uploaderIn(metadata) };
}

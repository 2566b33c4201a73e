/**
 * The resized bucket: the copies of one original, what each was made from, writing them and removing them.
 */
import { createHash } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  PutObjectCommandInput,
  S3Client,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { SizeSpec, UPLOADER_ATTRIBUTE, uploaderIn } from './config';
import { decodeFormEncodedKey, resizedKey } from './keys';
import type { Change } from './notification';

export interface EncodedCopy {
  readonly name: string;
  readonly extension: string;
  readonly contentType: string;
  readonly data: Buffer;
}

export interface StoredCopy {
  /** The size's name. */
  readonly name: string;
  readonly bucket: string;
  readonly key: string;
}

/** A copy as this attempt found or wrote it. */
export interface KnownCopy extends StoredCopy {
  /** The copy's own ETag then, so that replacing or removing it touches that object and no other. */
  readonly etag: string;
}

/** A copy this attempt wrote, with whose copy it replaced. */
export interface WrittenCopy extends KnownCopy {
  /**
   * The copy of this original the write replaced, whether found when the copies were looked at or met at the write
   * (another attempt's for this version); undefined when the name was free.
   */
  readonly replaced?: { readonly uploader?: string };
}

/** A copy found in the resized bucket, with what its metadata says it was made from. */
export interface ExistingCopy extends KnownCopy {
  /** Absent on copies written before source ETags were recorded. */
  readonly sourceEtag?: string;
  readonly uploader?: string;
  /** What writing the copy was announced as; absent on copies written before it was recorded. */
  readonly change?: Change;
}

/** What the resized bucket holds under the names an original's copies take. */
export interface CopiesFound {
  /** The copies of this original, made from whichever of its versions. */
  readonly copies: ExistingCopy[];
  /**
   * Keys there that hold a copy of another original, whose key differs only in its image extension (`cat.png` and
   * `cat.jpg` both give `medium/cat.jpg` under a fixed output format), or an object this pipeline did not write.
   */
  readonly heldByOthers: ReadonlySet<string>;
}

/**
 * What writing an original's copies came to: every copy stored; a name found taken by another original's copy or
 * someone else's file; or a name found holding a copy of another version of this original, written after the copies
 * were looked at. The last two come with what this write had already stored, for the caller to remove.
 */
export type PutOutcome =
  | { readonly stored: WrittenCopy[] }
  | { readonly taken: string; readonly written: WrittenCopy[] }
  | { readonly superseded: string; readonly written: WrittenCopy[] };

/** What writing one copy came to: written, with the ETag S3 gave it, or not written for one of the reasons above. */
type CopyWrite = Pick<WrittenCopy, 'etag' | 'replaced'> | 'taken' | 'superseded';

/** The version of an original a set of copies is made from. */
export interface SourceVersion {
  readonly etag: string;
  readonly uploader?: string;
}

/**
 * Object metadata naming the original: what tells a copy of this original apart from one of a different original
 * that maps to a similar name. A digest, not the key itself: S3 metadata must be ASCII and under 2 KB in all, and
 * a key of 1,024 bytes, URI-encoded, can be three times that.
 */
export const SOURCE_KEY_METADATA = 'source-key-sha256';

/** The value of {@link SOURCE_KEY_METADATA} for an original's key. */
export function sourceKeyDigest(originalKey: string): string {
  return createHash('sha256').update(originalKey, 'utf8').digest('hex');
}
/** The ETag of the original's bytes the copy was made from, so an unchanged original is not resized again. */
export const SOURCE_ETAG_METADATA = 'source-etag';
/**
 * `updated` when writing the copies replaced copies of an earlier version, and `created` otherwise. An attempt may
 * write every copy and then fail to publish; its retry finds the copies already made from this version, and only
 * this says that they replaced others, so that the retry too announces an update.
 */
export const SOURCE_CHANGE_METADATA = 'source-change';

/**
 * S3's limit on an object's user-defined metadata, counted as the UTF-8 bytes of every name (without `x-amz-meta-`)
 * and value. S3 refuses a PutObject over it (MetadataTooLarge), on every attempt alike.
 */
export const MAX_USER_METADATA_BYTES = 2048;

/** What each copy of `source` records of it. */
function copyMetadata(originalKey: string, source: SourceVersion, change: Change): Record<string, string> {
  const metadata: Record<string, string> = {
    [SOURCE_KEY_METADATA]: sourceKeyDigest(originalKey),
    [SOURCE_ETAG_METADATA]: source.etag,
    [SOURCE_CHANGE_METADATA]: change,
  };
  if (source.uploader !== undefined) {
    metadata[UPLOADER_ATTRIBUTE] = source.uploader;
  }
  return metadata;
}

/**
 * The user-defined metadata bytes each copy of `source` is written with. The uploader is the original's, which S3
 * let the original hold with up to 2 KB of metadata, so with what a copy adds, the copy's may not fit.
 */
export function copyMetadataBytes(originalKey: string, source: SourceVersion): number {
  // `created` and `updated` are as long, so either gives the count.
  return Object.entries(copyMetadata(originalKey, source, 'created'))
    .reduce((total, [name, value]) => total + Buffer.byteLength(name, 'utf8') + Buffer.byteLength(value, 'utf8'), 0);
}

/**
 * How often one copy's write is tried while its name keeps changing hands between attempts for the same original.
 * Past that the record fails and SQS delivers it again later.
 */
const MAX_CONDITIONAL_WRITES = 3;

export class ResizedStore {
  constructor(private readonly s3: S3Client, private readonly bucket: string) {}

  /**
   * Called only once every size is encoded, so a rejected image never leaves some sizes behind. The uploader is
   * recorded too: once the original is deleted, the copies are the only place left that names it.
   *
   * Each write is conditional: onto `replacing`'s copy only while it is that object (`If-Match`), and elsewhere
   * only while the name is free (`If-None-Match`). {@link copiesOf} looked before the resize, and another original
   * that maps to the same names may have written since; the condition is what keeps its copies from being replaced.
   * When a condition fails the name is looked at again. A copy of this same version, written by another attempt
   * for it, is written over as an unconditional write would have been. A copy of another version of this original
   * is not: it was written after the look (the caller read the original after looking and found the version it
   * looked at), so either this version or that one is no longer current, and only looking at the original again
   * can tell which; the outcome is `superseded`. Anything else makes the name taken. The other writes are waited
   * for either way, and what they stored is in the outcome.
   */
  async put(
    originalKey: string, source: SourceVersion, change: Change, copies: EncodedCopy[], replacing: readonly ExistingCopy[],
  ): Promise<PutOutcome> {
    const originalDigest = sourceKeyDigest(originalKey);
    const metadata = copyMetadata(originalKey, source, change);
    // Every write is waited for, failed or not, so none is still retrying when the invocation has ended.
    const writes = await Promise.allSettled(copies.map(async (copy) => {
      const key = resizedKey(copy.name, originalKey, copy.extension);
      const input = { Bucket: this.bucket, Key: key, Body: copy.data, ContentType: copy.contentType, Metadata: metadata };
      const written = await this.putUnlessTaken(input, originalDigest, source, replacing.find((existing) => existing.key === key));
      return { name: copy.name, bucket: this.bucket, key, written };
    }));
    const failed = writes.find((write): write is PromiseRejectedResult => write.status === 'rejected');
    if (failed) {
      throw failed.reason;
    }
    const results = writes.map((write) => (write as PromiseFulfilledResult<StoredCopy & { written: CopyWrite }>).value);
    const stored = results.flatMap(({ name, bucket, key, written }) => typeof written === 'string' ? [] : [{ name, bucket, key, ...written }]);
    // Superseded before taken: one of this original's versions is stale, and only a look again tells which. Refused
    // at once, a stale attempt would remove copies it must leave (see `withdraw` in process-upload.ts), and a current
    // one would leave the copy it met, which the look did not see and a refusal after the look again removes.
    const superseded = results.find((result) => result.written === 'superseded');
    if (superseded !== undefined) {
      return { superseded: superseded.key, written: stored };
    }
    const taken = results.find((result) => result.written === 'taken');
    return taken === undefined ? { stored } : { taken: taken.key, written: stored };
  }

  async presign(copy: StoredCopy, expiresInSeconds: number): Promise<string> {
    return getSignedUrl(this.s3, new GetObjectCommand({ Bucket: copy.bucket, Key: copy.key }), {
      expiresIn: expiresInSeconds,
    });
  }

  /**
   * Every copy of this original there is now, in any of the configured sizes, and the names its copies could take
   * that hold something else. Which extension a copy has depends on the version it was made from, so every
   * `{size}/{name}.{extension}` is a candidate and the source-key metadata decides.
   */
  async copiesOf(originalKey: string, sizes: SizeSpec[]): Promise<CopiesFound> {
    const originalDigest = sourceKeyDigest(originalKey);
    const copies: ExistingCopy[] = [];
    const heldByOthers = new Set<string>();
    for (const size of sizes) {
      const prefix = resizedKey(size.name, originalKey, '');
      // Keys come URL-encoded: a key may hold characters, such as C0 controls, that XML 1.0 cannot carry.
      const listing = paginateListObjectsV2({ client: this.s3 }, { Bucket: this.bucket, Prefix: prefix, EncodingType: 'url' });
      for await (const page of listing) {
        for (const { Key: encodedKey } of page.Contents ?? []) {
          const key = encodedKey === undefined ? undefined : decodeFormEncodedKey(encodedKey);
          const extension = key?.slice(prefix.length);
          if (!key || !extension || !/^[a-z0-9]+$/i.test(extension)) {
            continue;
          }
          const head = await this.headOf(key);
          if (head === undefined) {
            continue;
          }
          if (head.metadata[SOURCE_KEY_METADATA] === originalDigest) {
            const change = head.metadata[SOURCE_CHANGE_METADATA];
            copies.push({
              name: size.name,
              bucket: this.bucket,
              key,
              etag: head.etag,
              sourceEtag: head.metadata[SOURCE_ETAG_METADATA],
              uploader: uploaderIn(head.metadata),
              change: change === 'created' || change === 'updated' ? change : undefined,
            });
          } else {
            heldByOthers.add(key);
          }
        }
      }
    }
    return { copies, heldByOthers };
  }

  /**
   * Removes each copy only while it is the object this attempt found or wrote (`If-Match` with its ETag): another
   * attempt may have written there since, and what it wrote is its to keep or remove. A copy S3 reports changed
   * (412, or 409 for another conditional request under way) or gone (NoSuchKey) is left alone. Under S3-managed
   * encryption an ETag is the MD5 of the bytes, though, so a copy of the same version that another attempt wrote
   * since has the same one, and goes.
   *
   * One DeleteObject a copy rather than one DeleteObjects for all: DeleteObjects sends its keys in an XML body,
   * which cannot carry some characters a key may hold (C0 controls, U+FFFE, U+FFFF), and S3 refuses the whole
   * request as MalformedXML. An original has only as many copies as there are sizes.
   */
  async remove(copies: KnownCopy[]): Promise<void> {
    // Every delete is waited for, failed or not, so none is still retrying when the invocation has ended.
    const deletes = await Promise.allSettled(copies.map(async (copy) => {
      try {
        await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: copy.key, IfMatch: copy.etag }));
      } catch (error) {
        if (!conditionFailed(error)) {
          throw error;
        }
      }
    }));
    const failed = deletes.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) {
      throw failed.reason;
    }
  }

  /**
   * Writes the copy unless its key holds another original's copy or someone else's file (`taken`), or a copy of
   * another version of this original (`superseded`). `listed` is this original's copy there when the copies were
   * looked at; undefined, the name was free.
   */
  private async putUnlessTaken(
    input: PutObjectCommandInput & { Key: string }, originalDigest: string, source: SourceVersion, listed: ExistingCopy | undefined,
  ): Promise<CopyWrite> {
    let expected = listed === undefined ? undefined : { etag: listed.etag, uploader: listed.uploader };
    for (let attempt = 1; attempt <= MAX_CONDITIONAL_WRITES; attempt++) {
      try {
        const { ETag: etag } = await this.s3.send(new PutObjectCommand(expected === undefined ? { ...input, IfNoneMatch: '*' } : { ...input, IfMatch: expected.etag }));
        if (etag === undefined) {
          throw new Error('S3 answered a PutObject without an ETag');
        }
        return { etag, replaced: expected === undefined ? undefined : { uploader: expected.uploader } };
      } catch (error) {
        if (!conditionFailed(error)) {
          throw error;
        }
      }
      const head = await this.headOf(input.Key);
      if (head !== undefined && head.metadata[SOURCE_KEY_METADATA] !== originalDigest) {
        return 'taken';
      }
      if (head !== undefined && (head.metadata[SOURCE_ETAG_METADATA] !== source.etag || uploaderIn(head.metadata) !== source.uploader)) {
        return 'superseded';
      }
      // A copy of this same version, another attempt's: its uploader is this version's.
      expected = head === undefined ? undefined : { etag: head.etag, uploader: source.uploader };
    }
    throw new Error(`${input.Key} in bucket ${this.bucket} changed ${MAX_CONDITIONAL_WRITES} times while it was written; the record is retried`);
  }

  /** Undefined when nothing is there, which includes an object that went since it was listed or written. */
  private async headOf(key: string): Promise<{ etag: string; metadata: Record<string, string> } | undefined> {
    try {
      const head = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { etag: head.ETag!, metadata: head.Metadata ?? {} };
    } catch (error) {
      if ((error as Error).name === 'NotFound') {
        return undefined;
      }
      throw error;
    }
  }
}

/**
 * S3 refused a conditional write or delete: the object there is not the one expected (412), the expected one is
 * gone (NoSuchKey), or another conditional request on the key was under way (409).
 */
function conditionFailed(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return status === 412 || status === 409 || (error as Error).name === 'NoSuchKey';
}

/**
 * The rules for `POST /upload-url`: which files may be uploaded straight to the bucket, and under what key.
 * Pure, so the deployed function and the local server apply exactly these.
 */

/** Image types a presigned upload may declare; the resize function still checks the bytes themselves. */
export const UPLOADABLE_CONTENT_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif', 'image/tiff'];

/** S3's own limit on a key. */
const MAX_KEY_BYTES = 1024;

export interface UploadRequest {
  /** The object key: the file name, as `PUT /upload-image/{bucket}/{filename}` would store it. */
  readonly key: string;
  readonly contentType: string;
}

/**
 * The filename follows the PUT route's rule: one path segment, as `{filename}` in a URL path is. S3 would accept
 * a `/`, but it would let a caller choose a prefix the PUT route cannot reach.
 */
export function filenameProblem(filename: string): string | undefined {
  if (filename.length === 0) return '"filename" must not be empty';
  if (filename.includes('/')) return '"filename" must not contain "/"';
  if (filename === '.' || filename === '..') return '"filename" must not be "." or ".."';
  if (/[\u0000-\u001f\u007f]/.test(filename)) return '"filename" must not contain control characters';
  // A presigned POST's form fields replace this variable with the name of the file the browser sends, which would
  // let the uploader, not the signer, choose the key.
  if (filename.includes('${filename}')) return '"filename" must not contain "${filename}", which S3 replaces in a presigned POST';
  if (Buffer.byteLength(filename, 'utf8') > MAX_KEY_BYTES) return `"filename" must be at most ${MAX_KEY_BYTES} bytes of UTF-8`;
  return undefined;
}

export function parseUploadRequest(body: unknown): UploadRequest | { readonly error: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { error: 'The body must be a JSON object: {"filename": "...", "contentType": "image/jpeg"}' };
  }
  const { filename, contentType, ...rest } = body as Record<string, unknown>;
  const unknownField = Object.keys(rest)[0];
  if (unknownField !== undefined) return { error: `Unknown field "${unknownField}": give "filename" and "contentType"` };
  if (typeof filename !== 'string') return { error: '"filename" must be a string' };
  const problem = filenameProblem(filename);
  if (problem) return { error: problem };
  if (typeof contentType !== 'string' || !UPLOADABLE_CONTENT_TYPES.includes(contentType)) {
    return { error: `"contentType" must be one of ${UPLOADABLE_CONTENT_TYPES.join(', ')}` };
  }
  return { key: filename, contentType };
}

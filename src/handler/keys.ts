/**
 * Where a resized copy lives. One place decides it, because the handler writes there, the notification links
 * to it and the local pipeline's checks look for it.
 */

const REPLACEABLE_EXTENSION = /\.(jpe?g|png|webp|avif|gif|tiff?|heic|heif|svg|bmp)$/i;

/** `{size name}/{original key}` with the original's image extension (if any) replaced by the output's. */
export function resizedKey(sizeName: string, originalKey: string, extension: string): string {
  return `${sizeName}/${originalKey.replace(REPLACEABLE_EXTENSION, '')}.${extension}`;
}

/**
 * S3 event notifications carry keys form-encoded (`+` for a space, `%XX` for the rest); the object itself is
 * stored under the decoded key.
 */
export function decodeEventKey(encodedKey: string): string {
  return decodeURIComponent(encodedKey.replace(/\+/g, ' '));
}

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
 * S3 form-encodes keys (`+` for a space, `%XX` for the rest) in event notifications and in listings asked for with
 * `EncodingType: 'url'`; the object itself is stored under the decoded key. A literal `+` in a key arrives as
 * `%2B`, so reading `+` as a space is never wrong, and `%20` (which moto writes for a space) decodes the same.
 */
export function decodeFormEncodedKey(encodedKey: string): string {
  return decodeURIComponent(encodedKey.replace(/\+/g, ' '));
}

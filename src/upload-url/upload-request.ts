/**
 * The rules for `POST /upload-url`: which files may be uploaded straight to the bucket, and under what key.
 * Pure, so the deployed function and the local server apply exactly these.
 */

/** Image types a presigned upload may declare; the resize function still checks the bytes themselves. */
export const UPLOADABLE_CONTENT_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif', 'image/tiff'];

/** S3's own limit on a key. */
const MAX_KEY_BYTES = 1024;

/**
 * How much of a field name the caller is told back, and so how much the refusal's log line holds: a form-encoded
 * body skips the API's model, so a name may run to megabytes.
 */
const MAX_QUOTED_CODE_POINTS = 64;

export interface UploadRequest {
  /** The object key: the file name, as `PUT /upload-image/{bucket}/{filename}` would store it. */
  readonly key: string;
  readonly contentType: string;
}

/**
 * Characters that can make a name read as something else, each group as the inside of a regular expression's
 * character class: filenames may not hold them, and the notification's text shows them escaped in keys that came
 * another way. Bidirectional controls can make a name display as another (`photo` U+202E `gpj.exe` shows as
 * `photoexe.jpg`).
 */
export const CONTROL_CHARACTERS = '\\u0000-\\u001f\\u007f-\\u009f';
export const BIDIRECTIONAL_CONTROLS = '\\u202a-\\u202e\\u2066-\\u2069';
export const LINE_SEPARATORS = '\\u2028\\u2029';

/**
 * Characters a filename must not hold, each group as what the caller is told (the API's model refuses the same
 * ones). Other invisible format characters stay allowed: emoji sequences are joined by U+200D.
 */
const REFUSED_FILENAME_CHARACTERS: ReadonlyArray<{ readonly characters: string; readonly description: string }> = [
  { characters: CONTROL_CHARACTERS, description: 'control characters (U+0000-U+001F, U+007F-U+009F)' },
  { characters: BIDIRECTIONAL_CONTROLS, description: 'bidirectional controls (U+202A-U+202E, U+2066-U+2069)' },
  { characters: LINE_SEPARATORS, description: 'line or paragraph separators (U+2028, U+2029)' },
  { characters: '\\ufeff\\ufffe\\uffff', description: 'a byte order mark (U+FEFF) or the noncharacters U+FFFE and U+FFFF' },
];

const REFUSED_FILENAME_PATTERNS = REFUSED_FILENAME_CHARACTERS.map(({ characters, description }) => ({
  pattern: new RegExp(`[${characters}]`),
  description,
}));

/**
 * The rules of {@link filenameProblem} that a JSON Schema draft 4 pattern can hold, for the API's model: all but
 * the byte length. A name is a run of characters that are neither `/`, refused nor surrogates, or surrogate pairs:
 * a validator that reads by UTF-16 code unit (ECMA 262) takes a pair by the second branch, one that reads by code
 * point (java.util.regex) by the first, and neither lets an unpaired surrogate through.
 */
export const FILENAME_PATTERN = [
  '^(?!\\.\\.?$)(?!.*\\$\\{filename\\})',
  `(?:[^/${REFUSED_FILENAME_CHARACTERS.map((group) => group.characters).join('')}\\ud800-\\udfff]|[\\ud800-\\udbff][\\udc00-\\udfff])+$`,
].join('');

/** A surrogate in a string read by code point is one without its pair, which UTF-8 cannot encode. */
const UNPAIRED_SURROGATE = /[\ud800-\udfff]/u;

/**
 * The filename is one name, as the PUT route's `{filename}` is when written without escapes. That is the form of
 * the request, not a limit on where files go: the PUT route stores `albums%2Fcat.jpg` as `albums/cat.jpg`, so a
 * caller allowed to upload can write under any prefix either way.
 */
export function filenameProblem(filename: string): string | undefined {
  if (filename.length === 0) return '"filename" must not be empty';
  if (filename.includes('/')) return '"filename" must not contain "/"';
  if (filename === '.' || filename === '..') return '"filename" must not be "." or ".."';
  const surrogate = UNPAIRED_SURROGATE.exec(filename)?.[0];
  // S3 would get U+FFFD in the form, while the policy it checks the form against was signed over the surrogate.
  if (surrogate !== undefined) return `"filename" must be valid Unicode: it has an unpaired surrogate, ${codePoint(surrogate)}, which UTF-8 cannot encode`;
  for (const { pattern, description } of REFUSED_FILENAME_PATTERNS) {
    const found = pattern.exec(filename)?.[0];
    if (found !== undefined) return `"filename" must not contain ${description}: it has ${codePoint(found)}`;
  }
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
  if (unknownField !== undefined) return { error: `Unknown field "${excerpt(unknownField)}": give "filename" and "contentType"` };
  if (typeof filename !== 'string') return { error: '"filename" must be a string' };
  const problem = filenameProblem(filename);
  if (problem) return { error: problem };
  if (typeof contentType !== 'string' || !UPLOADABLE_CONTENT_TYPES.includes(contentType)) {
    return { error: `"contentType" must be one of ${UPLOADABLE_CONTENT_TYPES.join(', ')}` };
  }
  return { key: filename, contentType };
}

/** `U+202E`, as the caller is told which character was refused. */
function codePoint(character: string): string {
  return `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The first {@link MAX_QUOTED_CODE_POINTS} code points of `text`, and "…" if there were more; a pair is never split. */
function excerpt(text: string): string {
  let end = 0;
  let codePoints = 0;
  for (const character of text) {
    if (codePoints === MAX_QUOTED_CODE_POINTS) return `${text.slice(0, end)}…`;
    end += character.length;
    codePoints += 1;
  }
  return text;
}

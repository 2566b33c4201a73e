/**
 * Drops the metadata segments of a JPEG that no output carries and no decode uses, before libvips sees them.
 *
 * libvips reads and parses every marker segment in a JPEG's header each time it opens one, and Photoshop and
 * Lightroom exports can carry megabytes of XMP (its "extended XMP" holds, for one, the document's edit history).
 * On such a photo in the reference corpus (7.3 MB of XMP in an 8.9 MB file) the two opens the resize needs, one
 * for the header and one for the pixels, spent about 40 ms of CPU on the XMP alone. The outputs carry no metadata
 * anyway, so those segments are cut out once here.
 */

/** Below this, copying the file to leave segments out costs more than libvips spends parsing them. */
const WORTH_DROPPING_BYTES = 64 * 1024;

const SOI = 0xd8;
const SOS = 0xda;
const APP0 = 0xe0;
const APP1 = 0xe1;
const APP2 = 0xe2;
const APP14 = 0xee;
const APP15 = 0xef;
const COM = 0xfe;

/**
 * What the decode needs from the application segments: JFIF (APP0), the EXIF orientation (APP1 `Exif`), the colour
 * profile (APP2 `ICC_PROFILE`, in as many segments as it takes) and Adobe's colour transform flag for CMYK (APP14).
 */
function isNeeded(marker: number, segment: Buffer): boolean {
  const payload = (signature: string) => segment.toString('latin1', 4, 4 + signature.length) === signature;
  switch (marker) {
    case APP0: return true;
    case APP1: return payload('Exif\0');
    case APP2: return payload('ICC_PROFILE\0');
    case APP14: return payload('Adobe');
    default: return false;
  }
}

function isMetadata(marker: number): boolean {
  return (marker >= APP0 && marker <= APP15) || marker === COM;
}

/**
 * @returns `input` itself unless it is a JPEG whose header holds at least 64 KiB of metadata that is neither
 *   EXIF, an ICC profile, JFIF nor Adobe's colour transform; then a copy without those segments. A header that does
 *   not parse is left for libvips to refuse with its own error.
 */
export function withoutUnusedJpegMetadata(input: Buffer): Buffer {
  if (input.length < 4 || input[0] !== 0xff || input[1] !== SOI) {
    return input;
  }
  const kept: Buffer[] = [input.subarray(0, 2)];
  let dropped = 0;
  let offset = 2;
  for (;;) {
    // A marker may be preceded by any number of 0xFF fill bytes.
    let markerAt = offset;
    while (input[markerAt] === 0xff && input[markerAt + 1] === 0xff) {
      markerAt++;
    }
    if (markerAt + 4 > input.length || input[markerAt] !== 0xff) {
      return input;
    }
    const marker = input[markerAt + 1];
    if (marker === SOS) {
      break;
    }
    const end = markerAt + 2 + input.readUInt16BE(markerAt + 2);
    if (end > input.length || end < markerAt + 4) {
      return input;
    }
    const segment = input.subarray(markerAt, end);
    if (isMetadata(marker) && !isNeeded(marker, segment)) {
      dropped += segment.length;
    } else {
      kept.push(segment);
    }
    offset = end;
  }
  if (dropped < WORTH_DROPPING_BYTES) {
    return input;
  }
  kept.push(input.subarray(offset));
  return Buffer.concat(kept);
}

/**
 * Whether a GIF arrived whole. libvips reports no GIF cut short after its first frame, at any `failOn` level: it
 * counts and decodes the frames that arrived, filling the missing rows of a frame cut in half from the frame before.
 * So a kept animation cut short would be resized into fewer frames, or into a still, and announced as resized.
 */

const EXTENSION = 0x21;
const IMAGE_DESCRIPTOR = 0x2c;
const TRAILER = 0x3b;

/** "GIF87a" or "GIF89a". */
const SIGNATURE_BYTES = 6;
/** Width, height, flags, background colour and aspect ratio; the flags are byte 4. */
const SCREEN_DESCRIPTOR_BYTES = 7;
/** After its 0x2C: position, size, and flags last. */
const IMAGE_DESCRIPTOR_BYTES = 9;

/**
 * Walks the GIF's blocks from its header. Bytes after the trailer are allowed: some encoders append some.
 *
 * @returns whether the walk reaches the trailer: false for a GIF that ends before it, or has a block no GIF has
 */
export function reachesGifTrailer(gif: Buffer): boolean {
  let offset = SIGNATURE_BYTES + SCREEN_DESCRIPTOR_BYTES + colourTableBytes(gif[SIGNATURE_BYTES + 4]);
  const skipSubBlocks = () => {
    while (offset < gif.length && gif[offset] !== 0) {
      offset += 1 + gif[offset];
    }
    offset += 1;
  };
  while (offset < gif.length) {
    switch (gif[offset]) {
      case TRAILER:
        return true;
      case EXTENSION:
        // The introducer and the label, then the extension's data.
        offset += 2;
        skipSubBlocks();
        break;
      case IMAGE_DESCRIPTOR:
        offset += 1 + IMAGE_DESCRIPTOR_BYTES + colourTableBytes(gif[offset + IMAGE_DESCRIPTOR_BYTES]);
        // The LZW minimum code size, then the image data.
        offset += 1;
        skipSubBlocks();
        break;
      default:
        return false;
    }
  }
  return false;
}

/**
 * A descriptor whose flags byte has its top bit set is followed by a colour table of 2^(n+1) RGB entries, n being
 * the flags' low three bits.
 */
function colourTableBytes(flags: number | undefined): number {
  return flags !== undefined && flags >= 0x80 ? 3 * 2 ** (flags % 8 + 1) : 0;
}

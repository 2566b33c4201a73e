/**
 * What libvips' GIF decoder lets pass: it reports no GIF cut short after its first frame, at any `failOn` level,
 * counting and decoding the frames that arrived and filling the missing rows of a frame cut in half from the frame
 * before. Nor does it report much damage inside a frame's compressed pixels: a byte flipped there mostly decodes,
 * without an error, to a garbled or flat picture. So a GIF is walked here before it is resized, block by block and
 * through the LZW codes of the frames that are to be decoded.
 */

/* eslint-disable no-bitwise -- LZW codes are read bit by bit, and GIF's descriptors pack flags in bits */

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
 * The GIF specification's least LZW minimum code size, even for two colours. With less, a damaged size byte can make
 * a frame's data decode to one colour without a code out of place.
 */
const MIN_CODE_BITS = 2;
/** LZW codes in GIF are at most 12 bits, so a table holds at most 4,096 entries. */
const MAX_CODE_BITS = 12;
const MAX_CODES = 1 << MAX_CODE_BITS;

interface GifFrame {
  readonly width: number;
  readonly height: number;
  /** Where its LZW minimum code size is, which its data's sub-blocks follow. */
  readonly lzwOffset: number;
}

interface GifWalk {
  /** The frames whose image descriptor arrived whole, in file order. */
  readonly frames: GifFrame[];
  /** False for a GIF that ends before its trailer, or has a block no GIF has. Bytes after it are allowed. */
  readonly reachesTrailer: boolean;
}

/** Whether a GIF arrived whole: a kept animation cut short would otherwise be resized into fewer frames, or a still. */
export function reachesGifTrailer(gif: Buffer): boolean {
  return walkGif(gif).reachesTrailer;
}

/**
 * Whether the compressed pixels of the first `frameCount` frames decode to every pixel of each frame, as giflib
 * requires: no LZW code that the table cannot hold yet, and no end (an end code, or the end of the data) before the
 * frame is full. Codes after it is full are never decoded, by giflib or here, so data to spare passes, as it does in
 * browsers; so does a table left full without a clear code, which GIF allows.
 */
export function gifFramesDecodeWhole(gif: Buffer, frameCount: number): boolean {
  const { frames } = walkGif(gif);
  return frames.length > 0 && frames.slice(0, frameCount).every((frame) => fillsFrame(gif, frame));
}

function walkGif(gif: Buffer): GifWalk {
  const frames: GifFrame[] = [];
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
        return { frames, reachesTrailer: true };
      case EXTENSION:
        // The introducer and the label, then the extension's data.
        offset += 2;
        skipSubBlocks();
        break;
      case IMAGE_DESCRIPTOR: {
        const flagsOffset = offset + IMAGE_DESCRIPTOR_BYTES;
        if (flagsOffset >= gif.length) {
          return { frames, reachesTrailer: false };
        }
        const width = gif.readUInt16LE(offset + 5);
        const height = gif.readUInt16LE(offset + 7);
        offset = flagsOffset + 1 + colourTableBytes(gif[flagsOffset]);
        frames.push({ width, height, lzwOffset: offset });
        offset += 1;
        skipSubBlocks();
        break;
      }
      default:
        return { frames, reachesTrailer: false };
    }
  }
  return { frames, reachesTrailer: false };
}

/**
 * Decodes the frame's LZW codes as far as its last pixel, counting the pixels each code stands for rather than
 * making them: a code's string is one pixel longer than that of the code it was made from.
 */
function fillsFrame(gif: Buffer, { width, height, lzwOffset }: GifFrame): boolean {
  const minimumCodeBits = gif[lzwOffset];
  if (minimumCodeBits === undefined || minimumCodeBits < MIN_CODE_BITS || minimumCodeBits >= MAX_CODE_BITS) {
    return false;
  }
  const pixels = width * height;
  const clearCode = 1 << minimumCodeBits;
  const endCode = clearCode + 1;
  const stringLengths = new Uint16Array(MAX_CODES).fill(1, 0, clearCode);

  let codeBits = minimumCodeBits + 1;
  let nextCode = endCode + 1;
  let previousCode: number | undefined;
  let decoded = 0;
  let bitBuffer = 0;
  let bufferedBits = 0;
  let offset = lzwOffset + 1;
  let subBlockLeft = 0;
  while (decoded < pixels) {
    while (bufferedBits < codeBits) {
      if (subBlockLeft === 0) {
        subBlockLeft = gif[offset] ?? 0;
        offset += 1;
      }
      // The data ends: at a sub-block of none, or with the file, which may stop inside a sub-block.
      if (subBlockLeft === 0 || offset >= gif.length) {
        return false;
      }
      bitBuffer |= gif[offset] << bufferedBits;
      bufferedBits += 8;
      offset += 1;
      subBlockLeft -= 1;
    }
    const code = bitBuffer & ((1 << codeBits) - 1);
    bitBuffer >>>= codeBits;
    bufferedBits -= codeBits;

    if (code === clearCode) {
      codeBits = minimumCodeBits + 1;
      nextCode = endCode + 1;
      previousCode = undefined;
      continue;
    }
    if (code === endCode) {
      return false;
    }
    if (previousCode === undefined) {
      // After a clear code (or at the start) only a single pixel's code can come.
      if (code > endCode) {
        return false;
      }
      decoded += 1;
      previousCode = code;
      continue;
    }
    let length: number;
    if (code < nextCode) {
      length = stringLengths[code];
    } else if (code === nextCode) {
      // The code being defined: the previous string and its own first pixel.
      length = stringLengths[previousCode] + 1;
    } else {
      return false;
    }
    if (nextCode < MAX_CODES) {
      stringLengths[nextCode] = stringLengths[previousCode] + 1;
      nextCode += 1;
      if (nextCode === 1 << codeBits && codeBits < MAX_CODE_BITS) {
        codeBits += 1;
      }
    }
    decoded += length;
    previousCode = code;
  }
  return true;
}

/**
 * A descriptor whose flags byte has its top bit set is followed by a colour table of 2^(n+1) RGB entries, n being
 * the flags' low three bits.
 */
function colourTableBytes(flags: number | undefined): number {
  return flags !== undefined && flags >= 0x80 ? 3 * 2 ** (flags % 8 + 1) : 0;
}

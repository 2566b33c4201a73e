/**
 * A GIF written code by code, so that a test can give it LZW data no encoder would write: a table left full
 * without a clear code, codes to spare after the last pixel, an end code too soon, a code the table cannot hold yet.
 * Tests check that libvips decodes what it writes to the pixels meant, so the writer is not taken on trust.
 */
import { fixedSequence } from './fixed-sequence';

/* eslint-disable no-bitwise -- LZW codes are packed bit by bit, and GIF's descriptors pack flags in bits */

export interface GifFrameData {
  readonly width: number;
  readonly height: number;
  /** Palette indices, a row after another. */
  readonly indices: Uint8Array;
  /** @default 8 */
  readonly minimumCodeBits?: number;
  /** Start a new table once the 4,096 codes are taken, as encoders do; without, the full table is used to the end. */
  readonly clearWhenFull?: boolean;
  /** Palette indices written after the frame's last pixel, as data to spare. */
  readonly spare?: number[];
  /** Write the end code once this many pixels are written. */
  readonly endAfter?: number;
  /** Write this code in place of the one that would follow this many codes. */
  readonly replaceCode?: { readonly at: number; readonly code: number };
  /** Leave out the end code, so that the data just stops. */
  readonly withoutEndCode?: boolean;
}

/**
 * Palette indices of noise from a fixed sequence: in 16 colours or more, 200 x 150 of it takes all 4,096 LZW codes
 * before the end.
 */
export function noiseIndices(width: number, height: number, colours: number): Uint8Array {
  const next = fixedSequence(7);
  return Uint8Array.from({ length: width * height }, () => Math.floor(next() / 65536) % colours);
}

/** Palette entry i is grey i, so a decoded pixel's value is its index. More than one frame makes an animation. */
export function gifOf(...frames: [GifFrameData, ...GifFrameData[]]): Buffer {
  const colourBits = 8;
  const palette = Buffer.alloc(3 * 2 ** colourBits);
  for (let i = 0; i < 2 ** colourBits; i++) {
    palette.fill(i, 3 * i, 3 * i + 3);
  }
  const screen = Buffer.alloc(7);
  screen.writeUInt16LE(frames[0].width, 0);
  screen.writeUInt16LE(frames[0].height, 2);
  screen[4] = 0x80 | (colourBits - 1);
  return Buffer.concat([
    Buffer.from('GIF89a', 'latin1'), screen, palette, ...frames.map(frameBlocks), Buffer.from([0x3b]),
  ]);
}

function frameBlocks(frame: GifFrameData): Buffer {
  const descriptor = Buffer.alloc(10);
  descriptor[0] = 0x2c;
  descriptor.writeUInt16LE(frame.width, 5);
  descriptor.writeUInt16LE(frame.height, 7);
  const minimumCodeBits = frame.minimumCodeBits ?? 8;
  return Buffer.concat([descriptor, Buffer.from([minimumCodeBits]), subBlocks(lzwBytes(frame, minimumCodeBits))]);
}

function lzwBytes(frame: GifFrameData, minimumCodeBits: number): Buffer {
  const clearCode = 1 << minimumCodeBits;
  const endCode = clearCode + 1;
  const bytes: number[] = [];
  let bitBuffer = 0;
  let bufferedBits = 0;
  // The width a decoder reads each code with: its table is one entry behind the encoder's.
  let codeBits = minimumCodeBits + 1;
  let decoderNext = endCode + 1;
  let firstAfterClear = true;
  let written = 0;
  const write = (code: number) => {
    const replacement = frame.replaceCode?.at === written ? frame.replaceCode.code : code;
    written += 1;
    bitBuffer |= replacement << bufferedBits;
    bufferedBits += codeBits;
    while (bufferedBits >= 8) {
      bytes.push(bitBuffer & 0xff);
      bitBuffer >>>= 8;
      bufferedBits -= 8;
    }
    if (code === clearCode) {
      codeBits = minimumCodeBits + 1;
      decoderNext = endCode + 1;
      firstAfterClear = true;
    } else if (firstAfterClear) {
      firstAfterClear = false;
    } else if (decoderNext < 4096) {
      decoderNext += 1;
      if (decoderNext === 1 << codeBits && codeBits < 12) {
        codeBits += 1;
      }
    }
  };

  const pixels = [...frame.indices, ...frame.spare ?? []].slice(0, frame.endAfter);
  let table = new Map<number, number>();
  let next = endCode + 1;
  write(clearCode);
  let prefix = pixels[0];
  for (const pixel of pixels.slice(1)) {
    const key = prefix * 256 + pixel;
    const known = table.get(key);
    if (known !== undefined) {
      prefix = known;
      continue;
    }
    write(prefix);
    if (next < 4096) {
      table.set(key, next);
      next += 1;
    } else if (frame.clearWhenFull ?? true) {
      write(clearCode);
      table = new Map();
      next = endCode + 1;
    }
    prefix = pixel;
  }
  write(prefix);
  if (!frame.withoutEndCode) {
    write(endCode);
  }
  if (bufferedBits > 0) {
    bytes.push(bitBuffer & 0xff);
  }
  return Buffer.from(bytes);
}

function subBlocks(data: Buffer): Buffer {
  const blocks: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += 255) {
    const block = data.subarray(offset, offset + 255);
    blocks.push(Buffer.from([block.length]), block);
  }
  return Buffer.concat([...blocks, Buffer.from([0])]);
}

import sharp from 'sharp';
import { corpusPhoto } from './support/corpus';
import { gifOf, noiseIndices } from './support/gif-writer';
import { gifFramesDecodeWhole } from '../src/handler/gif-blocks';

const WIDTH = 200;
const HEIGHT = 150;
const INDICES = noiseIndices(WIDTH, HEIGHT, 16);
/** The writer's header, screen descriptor, 256-colour palette and image descriptor come before it. */
const CODE_SIZE_OFFSET = 6 + 7 + 3 * 256 + 10;

/** The palette index of each pixel libvips decodes (the writer's palette entry i is grey i). */
async function decodedIndices(gif: Buffer): Promise<Uint8Array> {
  const { data, info } = await sharp(gif, { failOn: 'warning' }).raw().toBuffer({ resolveWithObject: true });
  return Uint8Array.from({ length: info.width * info.height }, (_, pixel) => data[pixel * info.channels]);
}

describe('LZW data that decodes to every pixel of its frame passes', () => {
  test.each([
    ['a new table each time the 4,096 codes are taken, as encoders do', {}],
    ['the full table used to the end without a clear code, which GIF allows', { clearWhenFull: false }],
    ['codes to spare after the last pixel, which browsers ignore', { spare: [1, 2, 3, 4, 5, 6, 7, 8] }],
  ])('%s', async (_case, options) => {
    // GIVEN
    const gif = gifOf({ width: WIDTH, height: HEIGHT, indices: INDICES, ...options });
    expect(await decodedIndices(gif)).toEqual(INDICES);

    // THEN
    expect(gifFramesDecodeWhole(gif, 1)).toBe(true);
  });

  test('with the least minimum code size GIF has, 2, for a four-colour picture', async () => {
    const indices = noiseIndices(WIDTH, HEIGHT, 4);
    const gif = gifOf({ width: WIDTH, height: HEIGHT, indices, minimumCodeBits: 2 });
    expect(await decodedIndices(gif)).toEqual(indices);

    expect(gifFramesDecodeWhole(gif, 1)).toBe(true);
  });

  test.each([
    ['a photograph', (photo: sharp.Sharp) => photo.gif()],
    ['a photograph in two colours', (photo: sharp.Sharp) => photo.gif({ colours: 2 })],
    ['an interlaced photograph in 16 colours', (photo: sharp.Sharp) => photo.gif({ colours: 16, progressive: true })],
  ])('in %s as sharp writes it', async (_case, encode) => {
    const gif = await encode(sharp(corpusPhoto('LadyBird.jpg')).resize(640)).toBuffer();

    expect(gifFramesDecodeWhole(gif, 1)).toBe(true);
  });
});

describe('damaged LZW data is found', () => {
  test('an end code when half the pixels are written, whose frame libvips fills without an error', async () => {
    // GIVEN
    const gif = gifOf({ width: WIDTH, height: HEIGHT, indices: INDICES, endAfter: INDICES.length / 2 });
    const decoded = await decodedIndices(gif);
    expect(decoded.subarray(0, INDICES.length / 2)).toEqual(INDICES.subarray(0, INDICES.length / 2));

    // THEN
    expect(gifFramesDecodeWhole(gif, 1)).toBe(false);
  });

  test('data that stops before the last pixel, with no end code', () => {
    const gif = gifOf({ width: WIDTH, height: HEIGHT, indices: INDICES, endAfter: INDICES.length - 1, withoutEndCode: true });

    expect(gifFramesDecodeWhole(gif, 1)).toBe(false);
  });

  // With a whole frame's worth of codes to spare, so that only the code out of place can make the data fall short.
  const SPARE = Array.from(INDICES);

  test('a code past the next one the table can take', () => {
    // Code 100 follows the clear code and 99 codes, each but the first adding an entry: the table's next is 258 + 98.
    const gif = gifOf({ width: WIDTH, height: HEIGHT, indices: INDICES, spare: SPARE, replaceCode: { at: 100, code: 258 + 99 } });

    expect(gifFramesDecodeWhole(gif, 1)).toBe(false);
  });

  test('data that stops inside a sub-block, at the end of the file, where no more codes can be read', () => {
    // GIVEN a 1 x 4 frame with four colours, whose one sub-block declares 10 bytes but holds 1: the clear code (4)
    // and one pixel (0), in 3 bits each. Bytes past the end taken for zeros would read as three more pixels.
    const screen = [1, 0, 4, 0, 0x81, 0, 0];
    const palette = Array.from({ length: 4 * 3 }, (_, channel) => channel * 20);
    const descriptor = [0x2c, 0, 0, 0, 0, 1, 0, 4, 0, 0];
    const gif = Buffer.concat([Buffer.from('GIF89a', 'latin1'), Buffer.from([...screen, ...palette, ...descriptor, 2, 10, 0b000_100])]);

    expect(gifFramesDecodeWhole(gif, 1)).toBe(false);
  });

  test('an end code before the last pixel, whatever data follows it', () => {
    const gif = gifOf({ width: WIDTH, height: HEIGHT, indices: INDICES, spare: SPARE, replaceCode: { at: 100, code: 257 } });

    expect(gifFramesDecodeWhole(gif, 1)).toBe(false);
  });

  test('the code being defined, just after a clear code, where only a single pixel\'s code can come', () => {
    const gif = gifOf({ width: WIDTH, height: HEIGHT, indices: INDICES, spare: SPARE, replaceCode: { at: 1, code: 258 } });

    expect(gifFramesDecodeWhole(gif, 1)).toBe(false);
  });

  test.each([0, 1, 12])('a minimum code size of %i, outside the 2 to 11 that LZW in GIF can work with', (minimumCodeBits) => {
    // GIVEN the code size byte of a frame written with 8 damaged
    const damaged = gifOf({ width: WIDTH, height: HEIGHT, indices: INDICES });
    expect(damaged[CODE_SIZE_OFFSET]).toBe(8);
    damaged[CODE_SIZE_OFFSET] = minimumCodeBits;

    // THEN
    expect(gifFramesDecodeWhole(damaged, 1)).toBe(false);
  });
});

test('only the frames asked for are decoded: damage in the second is found when two are', async () => {
  // GIVEN two frames, the second one ending after half its pixels
  const twoFrames = gifOf(
    { width: WIDTH, height: HEIGHT, indices: INDICES },
    { width: WIDTH, height: HEIGHT, indices: INDICES, endAfter: INDICES.length / 2 },
  );
  expect((await sharp(twoFrames).metadata()).pages).toBe(2);

  // THEN
  expect(gifFramesDecodeWhole(twoFrames, 1)).toBe(true);
  expect(gifFramesDecodeWhole(twoFrames, 2)).toBe(false);
});

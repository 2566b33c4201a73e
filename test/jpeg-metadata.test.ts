import { readFileSync } from 'fs';
import sharp from 'sharp';
import { resizeImage, ResizeOptions } from '../src/handler/image-core';
import { withoutUnusedJpegMetadata } from '../src/handler/jpeg-metadata';
import { DEFAULT_SIZES, ImageFit } from '../src/image-size';
import { corpusPhoto } from './support/corpus';
import { bulkyMetadata, noise, quadrantsOf, segment, storedWithOrientation, withMetadataAhead } from './support/test-images';

const OPTIONS: ResizeOptions = {
  sizes: DEFAULT_SIZES.map((size) => ({ ...size, fit: size.fit ?? ImageFit.INSIDE })),
  format: 'jpeg',
  quality: 80,
  maxInputPixels: 40_000_000,
};

async function pixels(data: Buffer): Promise<Buffer> {
  return sharp(data).rotate().raw().toBuffer();
}

describe('withoutUnusedJpegMetadata', () => {
  let photo: Buffer;
  let bulky: Buffer;
  beforeAll(async () => {
    // Orientation 6 (EXIF) and a Display P3 profile (ICC): both change the decoded pixels.
    photo = await noise(320, 240).withMetadata({ orientation: 6 }).withIccProfile('p3').jpeg().toBuffer();
    bulky = withMetadataAhead(photo, bulkyMetadata(5));
  });

  test('drops XMP and Photoshop segments but keeps the EXIF orientation and the ICC profile', async () => {
    // WHEN
    const slim = withoutUnusedJpegMetadata(bulky);

    // THEN
    expect(bulky.length - slim.length).toBeGreaterThan(300_000);
    const before = await sharp(bulky).metadata();
    const after = await sharp(slim).metadata();
    expect(before.xmp).toBeDefined();
    expect(after.xmp).toBeUndefined();
    expect(after.iptc).toBeUndefined();
    expect(after.orientation).toBe(6);
    expect(after.icc).toEqual(before.icc);
    expect((await pixels(slim)).equals(await pixels(bulky))).toBe(true);
  });

  test('the resized copies of a JPEG with bulky metadata are those of the same JPEG without it', async () => {
    // WHEN
    const withBulk = await resizeImage(bulky, OPTIONS);
    const without = await resizeImage(photo, OPTIONS);

    // THEN
    expect(withBulk.outputs).toHaveLength(3);
    withBulk.outputs.forEach((output, i) => expect(output.data.equals(without.outputs[i].data)).toBe(true));
  });

  test('orientation still turns the picture upright after the metadata is dropped', async () => {
    // GIVEN
    const rotated = withMetadataAhead(await storedWithOrientation(8), bulkyMetadata(2));

    // WHEN
    const [thumbnail] = (await resizeImage(rotated, { ...OPTIONS, sizes: [{ name: 'copy', width: 64, fit: 'inside' }] })).outputs;

    // THEN red top left, green top right, blue bottom left, yellow bottom right
    expect(await quadrantsOf(thumbnail.data)).toEqual([0, 1, 2, 3]);
  });

  test('0xFF fill bytes before a marker, which JPEG allows, do not stop the metadata from being dropped', async () => {
    // GIVEN
    const filled = Buffer.concat([bulky.subarray(0, 2), Buffer.from([0xff, 0xff, 0xff]), bulky.subarray(2)]);

    // WHEN
    const slim = withoutUnusedJpegMetadata(filled);

    // THEN
    expect(filled.length - slim.length).toBeGreaterThan(300_000);
    expect((await pixels(slim)).equals(await pixels(bulky))).toBe(true);
  });

  test('comment (COM) segments are dropped like XMP', async () => {
    // GIVEN two comments of 65,000 bytes
    const commented = withMetadataAhead(photo, Buffer.concat([segment(0xfe, Buffer.alloc(65_000, 'c')), segment(0xfe, Buffer.alloc(65_000, 'c'))]));

    // WHEN
    const slim = withoutUnusedJpegMetadata(commented);

    // THEN
    expect(slim.equals(photo)).toBe(true);
  });

  test("Adobe's APP14 segment is kept: its colour transform flag decides how the pixels decode", async () => {
    // GIVEN a JPEG without JFIF, whose APP14 says its three channels are RGB, not YCbCr (transform 0)
    const plain = await noise(64, 48).jpeg().toBuffer();
    const adobe = segment(0xee, Buffer.from('Adobe\0\x64\0\0\0\0\0', 'latin1'));
    const flagged = withMetadataAhead(plain, Buffer.concat([adobe, bulkyMetadata(5)]));
    expect((await pixels(withMetadataAhead(plain, adobe))).equals(await pixels(plain))).toBe(false);

    // WHEN
    const slim = withoutUnusedJpegMetadata(flagged);

    // THEN
    expect(slim.equals(withMetadataAhead(plain, adobe))).toBe(true);
    expect((await pixels(slim)).equals(await pixels(flagged))).toBe(true);
  });

  test('a JPEG with little metadata is passed on as it is, without a copy', () => {
    const light = withMetadataAhead(photo, segment(0xe1, Buffer.from('http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>')));
    expect(withoutUnusedJpegMetadata(light)).toBe(light);
  });

  test('anything that is not a JPEG is passed on as it is', async () => {
    const png = await noise(20, 20).png().toBuffer();
    expect(withoutUnusedJpegMetadata(png)).toBe(png);
    expect(withoutUnusedJpegMetadata(Buffer.alloc(0)).length).toBe(0);
  });

  test('a header that does not parse is left for libvips to refuse', () => {
    // A segment whose length runs past the end of the file, and one that does not start with a marker.
    const cut = bulky.subarray(0, 200_000);
    const stray = Buffer.concat([bulky.subarray(0, 2), Buffer.from([0x00, 0x01]), bulky.subarray(2)]);
    expect(withoutUnusedJpegMetadata(cut)).toBe(cut);
    expect(withoutUnusedJpegMetadata(stray)).toBe(stray);
  });

  test('bytes without the 0xFF of a marker stop the parse even when they would read as a segment', () => {
    // GIVEN 0x00 where a comment (COM) segment's 0xFF would be: read as a marker, it would be dropped with the XMP after it
    const garbled = Buffer.concat([bulky.subarray(0, 2), Buffer.from([0x00, 0xfe, 0x00, 0x04, 0x00, 0x00]), bulky.subarray(2)]);

    // WHEN / THEN
    expect(withoutUnusedJpegMetadata(garbled)).toBe(garbled);
  });

  test('a real Photoshop export from the corpus loses its 7 MB of XMP and none of its pixels', async () => {
    // GIVEN
    const rhythm = readFileSync(corpusPhoto('rhythm.jpg'));

    // WHEN
    const slim = withoutUnusedJpegMetadata(rhythm);

    // THEN
    expect(rhythm.length - slim.length).toBeGreaterThan(7_000_000);
    expect((await pixels(slim)).equals(await pixels(rhythm))).toBe(true);
  });
});

/**
 * Whether the sharp this function runs with can decode HEIC. sharp's prebuilt libvips has no HEVC decoder (the
 * codec is patent-encumbered), but a layer of one's own (the construct's `sharpLayer`) may; libvips says so only
 * by decoding, and its error when it cannot differs from one libheif version to the next. So a tiny HEIC is
 * decoded once per container, the first time an upload needs the answer.
 */
import sharp from 'sharp';

/** A 64 x 48 HEIC made with libheif's `heif-enc` (x265) from a solid PNG. */
export const PROBE_HEIC = Buffer.from(
  'AAAAHGZ0eXBoZWljAAAAAG1pZjFoZWljbWlhZgAAAa1tZXRhAAAAAAAAACFoZGxyAAAAAAAAAABwaWN0AAAAAAAAAAAAAAAAAAAA' +
  'AA5waXRtAAAAAAACAAAAEGlkYXQAAAAAAEAAMAAAADhpbG9jAQAAAERAAAIAAQAAAAAAAAHRAAEAAAAAAAAAGgACAAEAAAAAAAAA' +
  'AQAAAAAAAAAIAAAAOGlpbmYAAAAAAAIAAAAVaW5mZQIAAAEAAQAAaHZjMQAAAAAVaW5mZQIAAAAAAgAAZ3JpZAAAAADYaXBycAAA' +
  'ALZpcGNvAAAAdmh2Y0MBA3AAAAAAAAAAAAAe8AD8/fj4AAAPAyAAAQAYQAEMAf//A3AAAAMAkAAAAwAAAwAeugJAIQABACpCAQED' +
  'cAAAAwCQAAADAAADAB6gIIEFlurkprm4EBAwIAAAAwAgAAADACEiAAEABkQBwXPAiQAAABRpc3BlAAAAAAAAAEAAAABAAAAAFGlz' +
  'cGUAAAAAAAAAQAAAADAAAAAQcGl4aQAAAAADCAgIAAAAGmlwbWEAAAAAAAAAAgABAoECAAICA4QAAAAaaXJlZgAAAAAAAAAOZGlt' +
  'ZwACAAEAAQAAACJtZGF0AAAAFigBrxmA70mlv/+nlf+WHL/W61pj5uA=',
  'base64');

let probe: Promise<boolean> | undefined;

export function decodesHeic(): Promise<boolean> {
  probe ??= sharp(PROBE_HEIC).raw().toBuffer().then(() => true, () => false);
  return probe;
}

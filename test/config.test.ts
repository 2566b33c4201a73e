/**
 * The handler's configuration, read once per container from the environment the construct writes: a function
 * that is misconfigured (by hand, or through a deploy-time parameter the construct could not check) fails at init
 * with a message naming what is wrong, rather than on every upload.
 */
import { ENV, readConfig } from '../src/handler/config';

const VALID: Record<string, string> = {
  [ENV.resizedBucket]: 'resized',
  [ENV.topicArn]: 'arn:aws:sns:us-east-1:123456789012:images',
  [ENV.sizes]: JSON.stringify([
    { name: 'thumbnail', width: 150, height: 150, fit: 'cover' },
    { name: 'medium', width: 800, fit: 'inside' },
    { name: 'tall', height: 1200, fit: 'inside' },
  ]),
  [ENV.format]: 'jpeg',
  [ENV.quality]: '80',
  [ENV.maxInputPixels]: '50000000',
  [ENV.linkExpirySeconds]: '21600',
  [ENV.maxUploadBytes]: '52428800',
};

test('the construct\'s environment is read as it was written', () => {
  expect(readConfig(VALID)).toEqual({
    resizedBucket: 'resized',
    topicArn: 'arn:aws:sns:us-east-1:123456789012:images',
    sizes: [
      { name: 'thumbnail', width: 150, height: 150, fit: 'cover' },
      { name: 'medium', width: 800, height: undefined, fit: 'inside' },
      { name: 'tall', width: undefined, height: 1200, fit: 'inside' },
    ],
    format: 'jpeg',
    quality: 80,
    maxInputPixels: 50_000_000,
    linkExpirySeconds: 21600,
    animation: 'first-frame',
    maxUploadBytes: 52_428_800,
  });
});

test.each(['1', '5368709120'])('MAX_UPLOAD_BYTES %s is accepted', (bytes) => {
  expect(readConfig({ ...VALID, [ENV.maxUploadBytes]: bytes }).maxUploadBytes).toBe(Number(bytes));
});

test.each(['0', '-1', '1.5', '50MB', ''])('MAX_UPLOAD_BYTES "%s" is refused at init, naming the variable', (bytes) => {
  expect(() => readConfig({ ...VALID, [ENV.maxUploadBytes]: bytes })).toThrow(/^resize handler: (environment variable )?MAX_UPLOAD_BYTES /);
});

test('MAX_UPLOAD_BYTES missing is refused at init', () => {
  const withoutLimit = { ...VALID };
  delete withoutLimit[ENV.maxUploadBytes];
  expect(() => readConfig(withoutLimit)).toThrow('resize handler: environment variable MAX_UPLOAD_BYTES is not set');
});

test.each(['1', '100'])('QUALITY %s is accepted', (quality) => {
  expect(readConfig({ ...VALID, [ENV.quality]: quality }).quality).toBe(Number(quality));
});

test.each(['0', '101', '1000', '80.5', 'high'])('QUALITY %s is refused at init', (quality) => {
  expect(() => readConfig({ ...VALID, [ENV.quality]: quality })).toThrow(/^resize handler: QUALITY must be/);
});

test.each(['first-frame', 'keep'])('ANIMATION %s is accepted', (animation) => {
  expect(readConfig({ ...VALID, [ENV.animation]: animation }).animation).toBe(animation);
});

test.each(['KEEP', 'all', ''])('ANIMATION "%s" is refused at init, quoting what it got', (animation) => {
  expect(() => readConfig({ ...VALID, [ENV.animation]: animation }))
    .toThrow(`resize handler: ANIMATION must be first-frame or keep, got ${animation}`);
});

test.each([
  ['not JSON', '[{name:', /SIZES must be JSON/],
  ['an object, not an array', '{"name":"x","width":100,"fit":"inside"}', /SIZES must be a non-empty array of sizes/],
  ['an empty array', '[]', /SIZES must be a non-empty array of sizes/],
  ['a size that is not an object', '[100]', /SIZES\[0\] must be an object/],
  ['a size with only a name', '[{"name":"x"}]', /SIZES\[0\] \("x"\) needs a width, a height or both/],
  ['a size without a name', '[{"width":100,"fit":"inside"}]', /SIZES\[0\]\.name must be 1 to 64 letters/],
  ['a name that is not one path segment', '[{"name":"a/b","width":100,"fit":"inside"}]', /SIZES\[0\]\.name must be/],
  ['a name used twice', '[{"name":"x","width":100,"fit":"inside"},{"name":"x","width":200,"fit":"inside"}]', /SIZES\[1\]\.name "x" is used by more than one size/],
  ['a width of 0', '[{"name":"x","width":0,"fit":"inside"}]', /SIZES\[0\]\.width of "x" must be a positive integer/],
  ['a fractional height', '[{"name":"x","height":100.5,"fit":"inside"}]', /SIZES\[0\]\.height of "x" must be a positive integer/],
  ['a width given as a string', '[{"name":"x","width":"100","fit":"inside"}]', /SIZES\[0\]\.width of "x" must be a positive integer/],
  ['no fit', '[{"name":"x","width":100}]', /SIZES\[0\]\.fit of "x" must be one of cover, contain, fill, inside, outside/],
  ['an unknown fit', '[{"name":"x","width":100,"fit":"stretch"}]', /SIZES\[0\]\.fit of "x" must be one of/],
])('SIZES with %s is refused at init, quoting what it got', (_case, sizes, message) => {
  let error: unknown;
  try {
    readConfig({ ...VALID, [ENV.sizes]: sizes });
  } catch (thrown) {
    error = thrown;
  }
  expect(error).toBeInstanceOf(Error);
  expect((error as Error).message).toMatch(/^resize handler: /);
  expect((error as Error).message).toMatch(message);
  expect((error as Error).message).toContain(`got ${sizes}`);
});

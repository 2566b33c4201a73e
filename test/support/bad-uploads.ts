/**
 * The bad uploads of the README's table that the pipeline refuses at once, each with its file name, the reason its
 * notification gives and words of its message. The hostile-input tests send them through the local pipeline on this
 * machine's Node.js and sharp layer, and the deployed-runtime tests through one on the runtime and layer that deploy.
 */
import { gifOf, noiseIndices } from './gif-writer';
import { bmp, heicHeader, jpegWithDamagedHeader, noise, pngClaiming, solid } from './test-images';

export type BadUpload = [description: string, fileName: string, make: () => Promise<Buffer>, reason: string, message: RegExp];

export const BAD_UPLOADS: BadUpload[] = [
  ['a text file named like a JPEG', 'photo.jpg', async () => Buffer.from('Dear customer, please find my holiday photo attached.\n'),
    'not-an-image', /not an image/],
  ['zero bytes', 'empty.jpg', async () => Buffer.alloc(0), 'empty', /empty \(0 bytes\)/],
  ['a truncated JPEG', 'truncated.jpg', async () => (await noise(400, 300).jpeg().toBuffer()).subarray(0, 20_000),
    'corrupt', /damaged or incomplete/],
  ['a JPEG with a damaged header', 'bad-header.jpg', async () => jpegWithDamagedHeader(await noise(400, 300).jpeg().toBuffer()),
    'corrupt', /header .* cannot be read/],
  ['a GIF whose compressed pixels end half-way, a frame libvips would fill without an error', 'halfway.gif',
    async () => gifOf({ width: 120, height: 80, indices: noiseIndices(120, 80, 32), endAfter: 120 * 80 / 2 }), 'corrupt',
    /^The GIF image is damaged or incomplete/],
  ['a PNG of a few hundred bytes that declares 30000 x 30000 pixels', 'bomb.png',
    async () => pngClaiming(await solid(16, 16, [9, 9, 9]).png().toBuffer(), 30_000, 30_000), 'too-many-pixels', /30000 x 30000 pixels/],
  ['an SVG', 'drawing.svg', async () => Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><image href="http://169.254.169.254/"/></svg>'),
    'unsupported-format', /SVG images are refused/],
  ['a HEIC photo', 'IMG_0001.HEIC', async () => heicHeader(), 'unsupported-format', /HEIC\/HEIF .* Export the photo as JPEG/],
  ['a BMP', 'scan.bmp', async () => bmp(), 'unsupported-format', /^BMP images are not supported: .* Upload the picture as JPEG, PNG/],
  ['a PNG of 1 x 65,535 pixels, whose "medium" copy would be taller than a JPEG can be', 'ribbon.png',
    async () => pngClaiming(await solid(16, 16, [9, 9, 9]).png().toBuffer(), 1, 65_535), 'too-large-for-format',
    /^Its "medium" copy would be 1 x 65535 pixels, but a JPEG image can be at most 65,500 pixels tall/],
  ['a PNG that declares 10,000,000 x 5 pixels, under maxInputPixels but gigabytes to resize', 'strip.png',
    async () => pngClaiming(await solid(16, 16, [9, 9, 9]).png().toBuffer(), 10_000_000, 5), 'too-many-pixels',
    /^The image is 10000000 x 5 pixels: a side longer than 65,535 pixels/],
];

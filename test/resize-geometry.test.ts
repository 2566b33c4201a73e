import sharp from 'sharp';
import { FITS, SizeSpec } from '../src/handler/config';
import { planSize, ShrinkOnLoad } from '../src/handler/resize-geometry';

/** Park and Miller's minimal standard generator, seeded, so a failure names a case that reproduces. */
function random(seed: number): (max: number) => number {
  let state = seed;
  return (max) => {
    state = (state * 48271) % 2147483647;
    return 1 + Math.floor((state / 2147483647) * max);
  };
}

interface Case {
  width: number;
  height: number;
  orientation: number;
  size: SizeSpec;
}

/** Random originals and boxes, biased towards shrinking by 2 to 20 so shrink-on-load is exercised. */
function cases(seed: number, count: number, withOrientation: boolean): Case[] {
  const next = random(seed);
  return Array.from({ length: count }, (_, i) => {
    const width = next(1400);
    const height = next(1400);
    const box = () => (next(4) === 1 ? next(1600) : Math.max(1, Math.floor(Math.max(width, height) / (1 + next(20)))));
    const kind = i % 3;
    return {
      width,
      height,
      orientation: withOrientation ? next(8) : 1,
      size: {
        name: `case${i}`,
        width: kind === 2 ? undefined : box(),
        height: kind === 1 ? undefined : box(),
        fit: FITS[i % FITS.length],
      },
    };
  });
}

async function encoded(format: 'jpeg' | 'webp' | 'png', { width, height, orientation }: Case): Promise<Buffer> {
  const image = sharp({ create: { width, height, channels: 3, background: '#3a7' } });
  const withOrientation = orientation === 1 ? image : image.withMetadata({ orientation });
  return withOrientation.toFormat(format).toBuffer();
}

const FORMATS: Array<[format: 'jpeg' | 'webp' | 'png', shrinkOnLoad: ShrinkOnLoad, seed: number, withOrientation: boolean]> = [
  ['jpeg', 'jpeg', 1, true],
  ['webp', 'webp', 2, false],
  ['png', 'none', 3, false],
];

describe.each(FORMATS)('planSize for %s originals', (format, shrinkOnLoad, seed, withOrientation) => {
  test('gives the dimensions sharp gives a direct resize, over random sizes, fits and boxes', async () => {
    // GIVEN
    const all = cases(seed, 150, withOrientation);
    const mismatches: string[] = [];

    for (const c of all) {
      const input = await encoded(format, c);
      const swapsAxes = c.orientation >= 5;
      const [uprightWidth, uprightHeight] = swapsAxes ? [c.height, c.width] : [c.width, c.height];

      // WHEN
      const planned = planSize(uprightWidth, uprightHeight, c.size, shrinkOnLoad);
      const { info } = await sharp(input)
        .rotate()
        .resize(c.size.width, c.size.height, { fit: c.size.fit, withoutEnlargement: true })
        .raw()
        .toBuffer({ resolveWithObject: true });

      if (planned.width !== info.width || planned.height !== info.height) {
        mismatches.push(`${JSON.stringify(c)}: planned ${planned.width}x${planned.height}, sharp ${info.width}x${info.height}`);
      }
    }

    // THEN
    expect(mismatches).toEqual([]);
  });
});

test('a cover crop is centred the way sharp centres it and a contain letterbox the way sharp pads it', () => {
  // WHEN
  const cover = planSize(1000, 500, { name: 'c', width: 300, height: 300, fit: 'cover' }, 'none');
  const contain = planSize(1000, 500, { name: 'c', width: 300, height: 300, fit: 'contain' }, 'none');

  // THEN
  expect(cover).toEqual({
    scaledWidth: 600,
    scaledHeight: 300,
    width: 300,
    height: 300,
    crop: { left: 150, top: 0, width: 300, height: 300 },
  });
  expect(contain).toEqual({
    scaledWidth: 300,
    scaledHeight: 150,
    width: 300,
    height: 300,
    embed: { left: 0, top: 75, width: 300, height: 150 },
  });
});

test('an image smaller than its box keeps its size; cover crops it to the box and contain pads it to the box', () => {
  // WHEN
  const plans = FITS.map((fit) => planSize(100, 300, { name: 's', width: 150, height: 150, fit }, 'jpeg'));

  // THEN
  expect(plans.map(({ width, height }) => [width, height])).toEqual([
    [100, 150], // cover
    [150, 150], // contain: the 100x300 image scaled to 50x150, letterboxed
    [100, 150], // fill: each axis on its own, never enlarged
    [50, 150], // inside
    [100, 300], // outside
  ]);
});

test.each([
  [200, 101, 100], [200, 103, 100], [400, 203, 200], [300, 153, 150], [1000, 505, 500], [1000, 507, 500],
])('a %ix%i WebP at width %i, whose height shrinks on load to exactly n + 0.5, is planned as sharp makes it (half to even)', async (width, height, box) => {
  const input = await sharp({ create: { width, height, channels: 3, background: '#3a7' } }).webp().toBuffer();
  const { info } = await sharp(input).resize(box, undefined, { fit: 'inside', withoutEnlargement: true }).raw().toBuffer({ resolveWithObject: true });
  const planned = planSize(width, height, { name: 'x', width: box, fit: 'inside' }, 'webp');
  expect([planned.width, planned.height]).toEqual([info.width, info.height]);
});

// A contain letterbox holds what sharp makes of the image inside the box, so that is compared with the scaled size.
test.each<[number, number, SizeSpec, [number, number], [number, number]]>([
  [3, 2000, { name: 'x', width: 10, height: 10, fit: 'inside' }, [1, 10], [1, 10]],
  [1000, 1, { name: 'x', width: 5, height: 5, fit: 'inside' }, [5, 1], [5, 1]],
  [2000, 3, { name: 'x', width: 10, height: 10, fit: 'contain' }, [10, 10], [10, 1]],
])('a %ix%i JPEG, whose short side would shrink below one pixel, is planned as sharp makes it in %j', async (width, height, size, output, scaled) => {
  const input = await sharp({ create: { width, height, channels: 3, background: '#3a7' } }).jpeg().toBuffer();
  const resized = (fit: SizeSpec['fit']) => sharp(input).resize(size.width, size.height, { fit, withoutEnlargement: true }).raw().toBuffer({ resolveWithObject: true });
  const [{ info: made }, { info: inside }] = await Promise.all([resized(size.fit), resized('inside')]);
  const planned = planSize(width, height, size, 'jpeg');
  expect([[made.width, made.height], [inside.width, inside.height]]).toEqual([output, scaled]);
  expect([[planned.width, planned.height], [planned.scaledWidth, planned.scaledHeight]]).toEqual([output, scaled]);
});

#!/usr/bin/env node
/**
 * An independent check of the benchmark's `naive` figure: the AWS tutorial's way (a new sharp pipeline per size,
 * from the original bytes) written out in plain JavaScript, sharing no code with bench/run.ts, so a fault in the
 * harness cannot hide in both. Run it under a whole-process timer and compare:
 *
 *   /usr/bin/time -v node bench/naive-alone.js [DIR] [PASSES]
 *
 * It prints its own CPU ms per image and input megapixels per CPU second over the same images (JPEG and PNG only,
 * as the bench uses) and the same default sizes.
 */
const fs = require('fs');
const path = require('path');
const sharp = require('sharp');

const dir = process.argv[2] ?? path.join(__dirname, '..', '..', 'shared', 'corpus');
const passes = Number(process.argv[3] ?? 3);
const sizes = [
  { width: 150, height: 150, fit: 'cover' },
  { width: 800, fit: 'inside' },
  { width: 1600, fit: 'inside' },
];

async function main() {
  sharp.concurrency(1);
  sharp.cache(false);
  const files = fs.readdirSync(dir).filter((name) => /\.(jpe?g|png)$/i.test(name)).sort();
  const images = files.map((name) => fs.readFileSync(path.join(dir, name)));
  let megapixels = 0;
  for (const image of images) {
    const { width, height } = await sharp(image).metadata();
    megapixels += (width * height) / 1e6;
  }
  const resizeAll = async (image) => {
    for (const size of sizes) {
      await sharp(image).rotate()
        .resize(size.width, size.height, { fit: size.fit, withoutEnlargement: true })
        .flatten({ background: '#ffffff' })
        .jpeg({ quality: 80, progressive: false, mozjpeg: false })
        .toBuffer();
    }
  };
  await resizeAll(images[0]);
  const start = process.cpuUsage();
  for (let pass = 0; pass < passes; pass++) {
    for (const image of images) await resizeAll(image);
  }
  const used = process.cpuUsage(start);
  const cpuMs = (used.user + used.system) / 1000;
  const count = images.length * passes;
  console.log(`naive-alone: ${files.length} images (${megapixels.toFixed(1)} MP), ${passes} passes`);
  console.log(`naive-alone: ${(cpuMs / count).toFixed(1)} CPU ms per image, ${((megapixels * passes) / (cpuMs / 1000)).toFixed(2)} MP per CPU second`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

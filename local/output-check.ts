/**
 * Checks a resize notification against what the configuration promises, independently of the handler: every
 * configured size is there, its link downloads, and the download has the dimensions that plain
 * `sharp(original).autoOrient().resize(width, height, { fit, withoutEnlargement: true })` gives.
 */
import sharp from 'sharp';
import type { SizeSpec } from '../src/handler/config';
import type { NotificationDocument, PublishedSize } from '../src/handler/notification';

export interface SizeCheck {
  readonly size: SizeSpec;
  readonly published?: PublishedSize;
  readonly downloaded?: { readonly width: number; readonly height: number; readonly bytes: number; readonly format: string };
  readonly expected: { readonly width: number; readonly height: number };
  /** Empty when the size is as promised. */
  readonly problems: string[];
}

export async function checkResized(original: Buffer, notification: NotificationDocument, sizes: SizeSpec[]): Promise<SizeCheck[]> {
  return Promise.all(sizes.map(async (size): Promise<SizeCheck> => {
    const expected = await expectedDimensions(original, size);
    if ('linksLeftOut' in notification) {
      return { size, expected, problems: ['the notification left its links out'] };
    }
    const published = notification.status === 'resized' ? notification.sizes.find((s) => s.name === size.name) : undefined;
    if (!published) {
      return { size, expected, problems: [`no "${size.name}" in the notification`] };
    }
    const response = await fetch(published.url);
    if (!response.ok) {
      return { size, published, expected, problems: [`its link answered ${response.status}`] };
    }
    const data = Buffer.from(await response.arrayBuffer());
    const meta = await sharp(data).metadata();
    const downloaded = { width: meta.width, height: meta.height, bytes: data.length, format: meta.format };
    const problems: string[] = [];
    if (downloaded.width !== expected.width || downloaded.height !== expected.height) {
      problems.push(`is ${downloaded.width}x${downloaded.height}, expected ${expected.width}x${expected.height}`);
    }
    if (downloaded.width !== published.width || downloaded.height !== published.height || downloaded.bytes !== published.bytes) {
      problems.push(`the notification says ${published.width}x${published.height}, ${published.bytes} bytes`);
    }
    if (published.contentType !== `image/${meta.format === 'heif' ? 'avif' : meta.format}`) {
      problems.push(`is ${meta.format} but was published as ${published.contentType}`);
    }
    return { size, published, downloaded, expected, problems };
  }));
}

async function expectedDimensions(original: Buffer, size: SizeSpec): Promise<{ width: number; height: number }> {
  const { info } = await sharp(original)
    .autoOrient()
    .resize(size.width, size.height, { fit: size.fit, withoutEnlargement: true })
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height };
}

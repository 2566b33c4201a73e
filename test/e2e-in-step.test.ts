/**
 * The copies follow their original on the local pipeline, end to end: uploads over the API, overwrites, and
 * deletes made straight in the emulator's bucket (as with `aws s3 rm`; the API has no delete route), with the
 * built bundle in its worker processes turning S3's created and removed events into copies and notifications.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DeleteObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { NotificationReceiver } from '../local/notification-receiver';
import { checkResized } from '../local/output-check';
import { LocalPipeline, startLocalPipeline } from '../local/pipeline';
import { ENV, SizeSpec } from '../src/handler/config';
import { resizedKey } from '../src/handler/keys';
import { SOURCE_KEY_METADATA, sourceKeyDigest } from '../src/handler/resized-store';

const SAMPLES = path.join(__dirname, '..', 'samples');
const NOTIFIED_WITHIN_MS = 30_000;

function sample(name: string): Buffer {
  return readFileSync(path.join(SAMPLES, name));
}

describe('the local pipeline keeps the copies in step with their original', () => {
  let pipeline: LocalPipeline;
  let receiver: NotificationReceiver;
  let sizes: SizeSpec[];

  beforeAll(async () => {
    receiver = await NotificationReceiver.start();
    pipeline = await startLocalPipeline({ port: 0, motoEndpoint: process.env.MOTO_ENDPOINT, nameSuffix: '-e2e-in-step' });
    sizes = JSON.parse(pipeline.functionEnvironment[ENV.sizes]);
    const subscribed = await fetch(`${pipeline.apiUrl}/subscribe`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ endpoint: receiver.url }),
    });
    expect(subscribed.status).toBe(200);
  });

  afterAll(async () => {
    await pipeline?.stop();
    await receiver?.stop();
  });

  async function upload(key: string, body: Buffer): Promise<void> {
    const response = await fetch(`${pipeline.apiUrl}/upload-image/${pipeline.uploadBucket}/${encodeURIComponent(key)}`, { method: 'PUT', headers: { 'Content-Type': 'application/octet-stream' }, body });
    expect(response.status).toBe(200);
  }

  /** The resized bucket's objects whose source-key digest names `key`, with the source ETag each records. */
  async function copiesOf(key: string): Promise<Array<{ key: string; sourceEtag?: string }>> {
    const listed = await pipeline.clients.s3.send(new ListObjectsV2Command({ Bucket: pipeline.resizedBucket }));
    const copies = await Promise.all((listed.Contents ?? []).map(async ({ Key }) => {
      const head = await pipeline.clients.s3.send(new HeadObjectCommand({ Bucket: pipeline.resizedBucket, Key }))
        // Removed since the listing.
        .catch((error: Error) => (error.name === 'NotFound' ? undefined : Promise.reject(error)));
      return { key: Key!, sourceKey: head?.Metadata?.[SOURCE_KEY_METADATA], sourceEtag: head?.Metadata?.['source-etag'] };
    }));
    return copies.filter((copy) => copy.sourceKey === sourceKeyDigest(key)).map(({ key: copyKey, sourceEtag }) => ({ key: copyKey, sourceEtag }));
  }

  async function eventually(what: string, probe: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + NOTIFIED_WITHIN_MS;
    while (!await probe()) {
      if (Date.now() > deadline) {
        throw new Error(`${what} did not happen within ${NOTIFIED_WITHIN_MS} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function etagOf(key: string): Promise<string> {
    const head = await pipeline.clients.s3.send(new HeadObjectCommand({ Bucket: pipeline.uploadBucket, Key: key }));
    return head.ETag!.replace(/"/g, '');
  }

  test('an overwrite remakes every copy from the new image, and the notification says it is an update', async () => {
    // GIVEN copies of a landscape photograph
    const key = 'in-step/overwritten.jpg';
    await upload(key, sample('landscape.jpg'));
    const created = await receiver.waitFor(key, NOTIFIED_WITHIN_MS);
    expect(created.document).toMatchObject({ status: 'resized', change: 'created' });

    // WHEN the same key is overwritten with a portrait one
    const portrait = sample('portrait-exif6.jpg');
    await upload(key, portrait);

    // THEN
    const updated = await receiver.waitFor(key, NOTIFIED_WITHIN_MS, (n) => n.document.status === 'resized' && n.document.change === 'updated');
    expect(updated.subject).toBe('Updated: overwritten.jpg');
    const checks = await checkResized(portrait, updated.document, sizes);
    expect(checks.map((c) => [c.size.name, c.problems])).toEqual(sizes.map((s) => [s.name, []]));
    const etag = await etagOf(key);
    expect(await copiesOf(key)).toEqual(expect.arrayContaining(sizes.map((size) => ({ key: resizedKey(size.name, key, 'jpg'), sourceEtag: etag }))));
    expect(await copiesOf(key)).toHaveLength(sizes.length);
  });

  test('a delete removes every copy, and the notification lists them', async () => {
    // GIVEN copies of a PNG
    const key = 'in-step/deleted.png';
    await upload(key, sample('transparent.png'));
    const { document: created } = await receiver.waitFor(key, NOTIFIED_WITHIN_MS);
    if (created.status !== 'resized' || 'keysLeftOut' in created) {
      throw new Error(`the PNG was not resized, or its notification left the keys out: ${JSON.stringify(created)}`);
    }
    expect(await copiesOf(key)).toHaveLength(sizes.length);

    // WHEN
    await pipeline.clients.s3.send(new DeleteObjectCommand({ Bucket: pipeline.uploadBucket, Key: key }));

    // THEN (the delete is announced first, so that a failed announcement can be retried, then the copies go)
    const deleted = await receiver.waitFor(key, NOTIFIED_WITHIN_MS, (n) => n.document.status === 'deleted');
    expect(deleted.subject).toBe('Deleted: deleted.png');
    expect(deleted.document).toEqual({
      status: 'deleted',
      bucket: pipeline.uploadBucket,
      key,
      removed: created.sizes.map(({ name, bucket, key: copyKey }) => ({ name, bucket, key: copyKey })),
    });
    await eventually('the removal of every copy', async () => (await copiesOf(key)).length === 0);
  });
});

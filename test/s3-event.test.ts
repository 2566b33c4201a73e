import { resizedKey } from '../src/handler/keys';
import { UnparseableMessageError, uploadedObjects } from '../src/handler/s3-event';

function notification(...records: Array<{ bucket: string; key: string; eventName?: string; size?: number }>): string {
  return JSON.stringify({
    Records: records.map(({ bucket, key, eventName = 'ObjectCreated:Put', size }) => ({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      eventName,
      s3: { bucket: { name: bucket }, object: size === undefined ? { key } : { key, size } },
    })),
  });
}

test('every record of a notification is reported, with its key decoded', () => {
  // GIVEN
  const body = notification(
    { bucket: 'uploads', key: 'holiday+photos/beach+day%21.jpg', size: 1234 },
    { bucket: 'uploads', key: 'caf%C3%A9%2F100%25+real%2Bfake.png', eventName: 'ObjectCreated:CompleteMultipartUpload', size: 5 },
  );

  // WHEN
  const objects = uploadedObjects(body);

  // THEN
  expect(objects).toEqual([
    { bucket: 'uploads', key: 'holiday photos/beach day!.jpg', eventName: 'ObjectCreated:Put', size: 1234 },
    { bucket: 'uploads', key: 'café/100% real+fake.png', eventName: 'ObjectCreated:CompleteMultipartUpload', size: 5 },
  ]);
});

test.each([
  'ObjectRemoved:Delete',
  'ObjectRemoved:DeleteMarkerCreated',
  'LifecycleExpiration:Delete',
  'LifecycleExpiration:DeleteMarkerCreated',
])('a removal record without a size (as S3 sends for deletions and lifecycle expirations) is reported, with none: %s', (eventName) => {
  // WHEN
  const objects = uploadedObjects(notification({ bucket: 'uploads', key: 'old+photos/gone.jpg', eventName }));

  // THEN
  expect(objects).toEqual([{ bucket: 'uploads', key: 'old photos/gone.jpg', eventName, size: undefined }]);
});

test.each([
  ['a single-part upload\'s', 'd41d8cd98f00b204e9800998ecf8427e', 'd41d8cd98f00b204e9800998ecf8427e'],
  ['a multipart upload\'s, with its part count,', '"9b2cf535f27731c974343645a3985328-3"', '9b2cf535f27731c974343645a3985328-3'],
])('%s ETag is reported as S3 sent it, without quotes', (_description, eTag, etag) => {
  // GIVEN
  const body = JSON.stringify({
    Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'uploads' }, object: { key: 'a.jpg', size: 5, eTag } } }],
  });

  // WHEN
  const [object] = uploadedObjects(body);

  // THEN
  expect(object.etag).toBe(etag);
});

test('the empty object the S3 console writes for a folder is no upload, but a folder\'s removal and a non-empty key ending in / are reported', () => {
  // WHEN
  const objects = uploadedObjects(notification(
    { bucket: 'uploads', key: 'albums%2F2026/', size: 0 },
    { bucket: 'uploads', key: 'albums%2F2026/', eventName: 'ObjectRemoved:Delete' },
    { bucket: 'uploads', key: 'odd/', size: 10 },
  ));

  // THEN
  expect(objects.map(({ key, eventName }) => [key, eventName])).toEqual([['albums/2026/', 'ObjectRemoved:Delete'], ['odd/', 'ObjectCreated:Put']]);
});

test('the s3:TestEvent names no object, so there is nothing to do', () => {
  // GIVEN
  const body = JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Time: '2024-01-01T00:00:00.000Z', Bucket: 'uploads' });

  // THEN
  expect(uploadedObjects(body)).toEqual([]);
});

test.each([
  ['not JSON', 'hello', /the body is not JSON/],
  ['a JSON array', '[]', /not a JSON object/],
  ['JSON without Records', '{"hello":"world"}', /no Records array/],
  ['a record without a bucket', JSON.stringify({ Records: [{ eventName: 'ObjectCreated:Put', s3: { object: { key: 'a.jpg' } } }] }), /Records\[0\] lacks/],
  ['a record without an event name', JSON.stringify({ Records: [{ s3: { bucket: { name: 'b' }, object: { key: 'a.jpg' } } }] }), /Records\[0\] lacks/],
  ['a key that is not URL-encoded', notification({ bucket: 'uploads', key: '100%.jpg' }), /not URL-encoded: 100%\.jpg/],
])('a body that is %s is reported as unparseable', (_description, body, message) => {
  // WHEN
  const parse = () => uploadedObjects(body);

  // THEN
  expect(parse).toThrow(UnparseableMessageError);
  expect(parse).toThrow(message);
});

test('a camera\'s upper-case extension is replaced in the copies\' names like a lower-case one', () => {
  expect(resizedKey('thumb', 'DCIM/IMG_0001.JPG', 'jpg')).toBe('thumb/DCIM/IMG_0001.jpg');
  expect(resizedKey('thumb', 'scan.TIFF', 'jpg')).toBe('thumb/scan.jpg');
});

test('only an image extension that ends the key is replaced: a backup of a PNG keeps its name and gets the copy\'s extension', () => {
  expect(resizedKey('thumb', 'photo.png.backup', 'jpg')).toBe('thumb/photo.png.backup.jpg');
});

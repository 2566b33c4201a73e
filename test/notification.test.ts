import { deletedNotification, failedNotification, resizedNotification, ResizedUpload } from '../src/handler/notification';

const UPLOAD: ResizedUpload = {
  bucket: 'uploads',
  key: 'holiday photos/beach day.jpg',
  change: 'created',
  input: { format: 'jpeg', width: 4000, height: 3000 },
  sizes: [
    {
      name: 'thumb',
      width: 160,
      height: 160,
      bytes: 5120,
      bucket: 'resized',
      key: 'thumb/holiday photos/beach day.jpg',
      url: 'https://resized.s3.amazonaws.com/thumb/holiday%20photos/beach%20day.jpg?X-Amz-Signature=abc',
      contentType: 'image/jpeg',
    },
    {
      name: 'medium',
      width: 640,
      height: 480,
      bytes: 40960,
      bucket: 'resized',
      key: 'medium/holiday photos/beach day.jpg',
      url: 'https://resized.s3.amazonaws.com/medium/holiday%20photos/beach%20day.jpg?X-Amz-Signature=def',
      contentType: 'image/jpeg',
    },
  ],
  linkExpirySeconds: 7200,
  linksExpireAt: new Date('2025-06-01T12:00:00.000Z'),
};

test('a resized upload gives programs the JSON document and people a text with every link', () => {
  // WHEN
  const notification = resizedNotification(UPLOAD);

  // THEN
  expect(notification.MessageStructure).toBe('json');
  expect(notification.Subject).toBe('Resized: beach day.jpg');
  expect(notification.MessageAttributes).toEqual({ status: { DataType: 'String', StringValue: 'resized' } });
  const message = JSON.parse(notification.Message);
  expect(Object.keys(message).sort()).toEqual(['default', 'email', 'http', 'https', 'lambda', 'sqs']);
  for (const protocol of ['http', 'https', 'sqs', 'lambda']) {
    expect(JSON.parse(message[protocol])).toEqual({
      status: 'resized',
      bucket: 'uploads',
      key: 'holiday photos/beach day.jpg',
      change: 'created',
      input: { format: 'jpeg', width: 4000, height: 3000 },
      sizes: UPLOAD.sizes,
      linksExpireAt: '2025-06-01T12:00:00.000Z',
    });
  }
  expect(message.email).toBe(message.default);
  expect(message.default).toBe([
    'holiday photos/beach day.jpg in bucket uploads was resized (original: jpeg, 4000x3000).',
    `thumb: 160x160, image/jpeg\n${UPLOAD.sizes[0].url}`,
    `medium: 640x480, image/jpeg\n${UPLOAD.sizes[1].url}`,
    'The links stay valid for 2 hours, until 2025-06-01T12:00:00.000Z.',
  ].join('\n\n'));
});

test.each([
  [60, '1 minute'],
  [5400, '90 minutes'],
  [86400, '1 day'],
  [604800, '7 days'],
  [45, '45 seconds'],
])('a link lifetime of %i seconds reads as %s', (seconds, words) => {
  // WHEN
  const text = JSON.parse(resizedNotification({ ...UPLOAD, linkExpirySeconds: seconds }).Message).default;

  // THEN
  expect(text).toContain(`The links stay valid for ${words}, until`);
});

test('a rejected upload names the file and the reason, for people and for programs', () => {
  // WHEN
  const notification = failedNotification({
    bucket: 'uploads',
    key: 'docs/notes.jpg',
    reason: 'not-an-image',
    message: 'The upload is not an image this pipeline can read.',
  });

  // THEN
  expect(notification.Subject).toBe('Could not resize: notes.jpg');
  expect(notification.MessageAttributes.status.StringValue).toBe('failed');
  const message = JSON.parse(notification.Message);
  expect(JSON.parse(message.http)).toEqual({
    status: 'failed',
    bucket: 'uploads',
    key: 'docs/notes.jpg',
    reason: 'not-an-image',
    message: 'The upload is not an image this pipeline can read.',
  });
  expect(message.default).toBe(
    'docs/notes.jpg in bucket uploads could not be resized: the file is not an image.\n\n' +
    'The upload is not an image this pipeline can read.');
});

test('subjects stay within what SNS accepts: short, one line, ASCII', () => {
  // GIVEN
  const key = `albums/${'very long name '.repeat(10)}\n\tcafé 写真.jpg`;

  // WHEN
  const subject = resizedNotification({ ...UPLOAD, key }).Subject;

  // THEN
  expect(subject.length).toBeLessThan(100);
  expect(subject).toMatch(/^[\x20-\x7e]+$/);
  expect(subject).toMatch(/^Resized: very long name very long name .*\.\.\.$/);
  expect(resizedNotification({ ...UPLOAD, key: 'café 写真.jpg' }).Subject).toBe('Resized: cafe ??.jpg');
});

test('a replaced original\'s notification says its copies were made again, for people and for programs', () => {
  // WHEN
  const notification = resizedNotification({ ...UPLOAD, change: 'updated' });

  // THEN
  expect(notification.Subject).toBe('Updated: beach day.jpg');
  expect(notification.MessageAttributes.status.StringValue).toBe('resized');
  const message = JSON.parse(notification.Message);
  expect(JSON.parse(message.sqs)).toMatchObject({ status: 'resized', change: 'updated' });
  expect(message.default).toMatch(/^holiday photos\/beach day\.jpg in bucket uploads was replaced, and its copies were made again from the new version \(original: jpeg, 4000x3000\)\./);
});

test('a deleted original\'s notification lists the copies removed with it', () => {
  // GIVEN
  const removed = UPLOAD.sizes.map(({ name, bucket, key }) => ({ name, bucket, key }));

  // WHEN
  const notification = deletedNotification({ bucket: 'uploads', key: 'holiday photos/beach day.jpg', removed });

  // THEN
  expect(notification.Subject).toBe('Deleted: beach day.jpg');
  expect(notification.MessageAttributes).toEqual({ status: { DataType: 'String', StringValue: 'deleted' } });
  const message = JSON.parse(notification.Message);
  for (const protocol of ['http', 'https', 'sqs', 'lambda']) {
    expect(JSON.parse(message[protocol])).toEqual({
      status: 'deleted',
      bucket: 'uploads',
      key: 'holiday photos/beach day.jpg',
      removed: [
        { name: 'thumb', bucket: 'resized', key: 'thumb/holiday photos/beach day.jpg' },
        { name: 'medium', bucket: 'resized', key: 'medium/holiday photos/beach day.jpg' },
      ],
    });
  }
  expect(message.email).toBe(message.default);
  expect(message.default).toBe([
    'holiday photos/beach day.jpg in bucket uploads was deleted, and so were its copies:',
    'thumb: thumb/holiday photos/beach day.jpg in bucket resized\nmedium: medium/holiday photos/beach day.jpg in bucket resized',
  ].join('\n\n'));
});

import {
  deletedNotification, failedNotification, MAX_SNS_MESSAGE_BYTES, PublishedSize, resizedNotification, ResizedUpload, SnsNotification,
} from '../src/handler/notification';

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
  expect(Object.keys(message).sort()).toEqual(['default', 'email']);
  expect(JSON.parse(message.default)).toEqual({
    status: 'resized',
    bucket: 'uploads',
    key: 'holiday photos/beach day.jpg',
    change: 'created',
    input: { format: 'jpeg', width: 4000, height: 3000 },
    sizes: UPLOAD.sizes,
    linksExpireAt: '2025-06-01T12:00:00.000Z',
  });
  expect(message.email).toBe([
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
  const text = JSON.parse(resizedNotification({ ...UPLOAD, linkExpirySeconds: seconds }).Message).email;

  // THEN
  expect(text).toContain(`The links stay valid for ${words}, until`);
});

test('a too-many-pixels refusal reads as too large, since a side or a frame count can be what is over the limit, not only the pixels', () => {
  const notification = failedNotification({ bucket: 'uploads', key: 'strip.png', reason: 'too-many-pixels', message: 'A side longer than 65,535 pixels.' });
  expect(JSON.parse(notification.Message).email).toBe('strip.png in bucket uploads could not be resized: the image is larger than this pipeline accepts.\n\nA side longer than 65,535 pixels.');
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
  expect(JSON.parse(message.default)).toEqual({
    status: 'failed',
    bucket: 'uploads',
    key: 'docs/notes.jpg',
    reason: 'not-an-image',
    message: 'The upload is not an image this pipeline can read.',
  });
  expect(message.email).toBe(
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

test('each run of white space in a subject, line breaks and tabs included, becomes one space', () => {
  expect(resizedNotification({ ...UPLOAD, key: 'photos/a\t\nb   c.jpg' }).Subject).toBe('Resized: a b c.jpg');
});

test('a character outside the Basic Multilingual Plane becomes one `?` in the subject, and counts as one character', () => {
  // GIVEN a name that makes a subject of exactly 99 characters, and one that makes a longer subject
  const fitting = `${'a'.repeat(80)}${'📷'.repeat(6)}.jpg`;
  const tooLong = `${'📷'.repeat(120)}.jpg`;

  // WHEN
  const subjects = ['📷.jpg', fitting, tooLong].map((key) => resizedNotification({ ...UPLOAD, key }).Subject);

  // THEN
  expect(subjects).toEqual([
    'Resized: ?.jpg',
    `Resized: ${'a'.repeat(80)}??????.jpg`,
    `Resized: ${'?'.repeat(87)}...`,
  ]);
  expect(subjects[1]).toHaveLength(99);
  expect(subjects[2]).toHaveLength(99);
});

test('a replaced original\'s notification says its copies were made again, for people and for programs', () => {
  // WHEN
  const notification = resizedNotification({ ...UPLOAD, change: 'updated' });

  // THEN
  expect(notification.Subject).toBe('Updated: beach day.jpg');
  expect(notification.MessageAttributes.status.StringValue).toBe('resized');
  const message = JSON.parse(notification.Message);
  expect(JSON.parse(message.default)).toMatchObject({ status: 'resized', change: 'updated' });
  expect(message.email).toMatch(/^holiday photos\/beach day\.jpg in bucket uploads was replaced, and its copies were made again from the new version \(original: jpeg, 4000x3000\)\./);
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
  expect(JSON.parse(message.default)).toEqual({
    status: 'deleted',
    bucket: 'uploads',
    key: 'holiday photos/beach day.jpg',
    removed: [
      { name: 'thumb', bucket: 'resized', key: 'thumb/holiday photos/beach day.jpg' },
      { name: 'medium', bucket: 'resized', key: 'medium/holiday photos/beach day.jpg' },
    ],
  });
  expect(message.email).toBe([
    'holiday photos/beach day.jpg in bucket uploads was deleted, and so were its copies:',
    'thumb: thumb/holiday photos/beach day.jpg in bucket resized\nmedium: medium/holiday photos/beach day.jpg in bucket resized',
  ].join('\n\n'));
});

describe('a key with line breaks or control characters', () => {
  /** A key that, written into the text raw, would add a paragraph of its own to the mail. */
  const KEY = 'a\n\nUrgent: sign in again at https://example.com\r\u0085\u2028\u2029\u0007.jpg';
  const SHOWN = 'a\\u000a\\u000aUrgent: sign in again at https://example.com\\u000d\\u0085\\u2028\\u2029\\u0007.jpg';
  const sizes = UPLOAD.sizes.map((size) => ({ ...size, key: `${size.name}/${KEY}` }));

  function texts(notification: SnsNotification): { email: string; document: { key: string } } {
    const message = JSON.parse(notification.Message);
    return { email: message.email, document: JSON.parse(message.default) };
  }

  test.each([
    ['resized', () => resizedNotification({ ...UPLOAD, key: KEY, sizes })],
    ['failed', () => failedNotification({ bucket: 'uploads', key: KEY, reason: 'name-taken', message: `"${KEY}" is the name of another caller's upload.` })],
    ['deleted', () => deletedNotification({ bucket: 'uploads', key: KEY, removed: sizes.map(({ name, bucket, key }) => ({ name, bucket, key })) })],
  ])('is shown escaped in the text of a %s notification, and as it is in the JSON', (_status, notify) => {
    // WHEN
    const { email, document } = texts(notify());

    // THEN
    expect(email).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/);
    expect(email).not.toContain('a\n');
    expect(email).toMatch(new RegExp(`^${escapeRegExp(SHOWN)} in bucket uploads `));
    expect(document.key).toBe(KEY);
  });

  test('is shown escaped wherever the text names a copy', () => {
    // WHEN
    const deleted = texts(deletedNotification({ bucket: 'uploads', key: KEY, removed: sizes.map(({ name, bucket, key }) => ({ name, bucket, key })) }));

    // THEN
    expect(deleted.email.split('\n\n')[1]).toBe(`thumb: thumb/${SHOWN} in bucket resized\nmedium: medium/${SHOWN} in bucket resized`);
  });

  test('a key with bidirectional controls is shown escaped, so it cannot read as another name', () => {
    // GIVEN: U+202E turns what follows right to left, so written raw this key reads "invoiceexe.jpg"
    const key = 'invoice\u202egpj.exe\u2066\u2069\u200e\u200f\u061c';

    // WHEN
    const { email } = texts(failedNotification({ bucket: 'uploads', key, reason: 'empty', message: 'Empty.' }));

    // THEN
    expect(email.startsWith('invoice\\u202egpj.exe\\u2066\\u2069\\u200e\\u200f\\u061c in bucket uploads ')).toBe(true);
  });

  describe('every character of each escaped range', () => {
    const ranges: Array<[number, number]> = [
      [0x00, 0x1f], [0x7f, 0x9f], [0x61c, 0x61c], [0x200e, 0x200f], [0x2028, 0x2029], [0x202a, 0x202e], [0x2066, 0x2069],
    ];
    const characters = ranges.flatMap(([first, last]) => Array.from({ length: last - first + 1 }, (_, i) => String.fromCharCode(first + i)));
    const everyKey = `${characters.join('')}.jpg`;
    const everyShown = characters.map((character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');

    function sizesOf(key: string) {
      return UPLOAD.sizes.map((size) => ({ ...size, key: `${size.name}/${key}` }));
    }

    test.each<[string, (key: string) => SnsNotification]>([
      ['resized', (key) => resizedNotification({ ...UPLOAD, key, sizes: sizesOf(key) })],
      ['failed', (key) => failedNotification({ bucket: 'uploads', key, reason: 'name-taken', message: `"${key}" is the name of another caller's upload.` })],
      ['deleted', (key) => deletedNotification({ bucket: 'uploads', key, removed: sizesOf(key).map(({ name, bucket, key: copy }) => ({ name, bucket, key: copy })) })],
    ])('is shown as \\uXXXX in the text of a %s notification, and none is left raw', (_status, notify) => {
      // WHEN
      const { email } = texts(notify(everyKey));

      // THEN: with each escaped key put back as a plain name, the text is the one a plain key gets
      expect(email.split(everyShown).join('plain')).toBe(texts(notify('plain.jpg')).email);
    });
  });

  test('a key of ordinary characters, backslashes included, is shown as it is', () => {
    // GIVEN
    const key = 'C:\\photos\\写真 ü.jpg';

    // WHEN
    const { email } = texts(failedNotification({ bucket: 'uploads', key, reason: 'empty', message: 'Empty.' }));

    // THEN
    expect(email).toBe(`${key} in bucket uploads could not be resized: the file is empty.\n\nEmpty.`);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

test('the uploader goes along as a message attribute, for private subscriptions to filter on', () => {
  // WHEN
  const notifications = [
    resizedNotification(UPLOAD, 'alice'),
    failedNotification({ bucket: 'uploads', key: 'a.jpg', reason: 'empty', message: 'Empty.' }, 'alice'),
    deletedNotification({ bucket: 'uploads', key: 'a.jpg', removed: [] }, 'alice'),
  ];

  // THEN
  for (const notification of notifications) {
    expect(notification.MessageAttributes.uploader).toEqual({ DataType: 'String', StringValue: 'alice' });
  }
});

describe('SNS\'s limit of 256 KB a message', () => {
  /** As long as the session token of a Lambda function's role (about 1.1 KB), with base64's `+`, `/` and `=`. */
  const SESSION_TOKEN = Buffer.from(Array.from({ length: 830 }, (_, i) => (i * 37 + 11) % 256)).toString('base64');
  /** A 1,012-byte key of CJK characters: its copies' keys, `{size}/{key}`, still fit in S3's 1,024 bytes. */
  const LONG_KEY = `アルバム/${'夏休みの写真'.repeat(55)}-2025.jpg`;

  /** A presigned GET URL as the function signs one on Lambda: the key percent-encoded, the session token along. */
  function presignedUrl(key: string): string {
    return `https://resized.s3.us-east-1.amazonaws.com/${key.split('/').map(encodeURIComponent).join('/')}`
      + '?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD'
      + '&X-Amz-Credential=ASIAQ3EGVYLNEXAMPLE12%2F20250601%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20250601T100000Z'
      + `&X-Amz-Expires=7200&X-Amz-Security-Token=${encodeURIComponent(SESSION_TOKEN)}`
      + `&X-Amz-Signature=${'5f'.repeat(32)}&X-Amz-SignedHeaders=host&x-id=GetObject`;
  }

  function uploadInSizes(count: number): ResizedUpload {
    const sizes = Array.from({ length: count }, (_, i): PublishedSize => {
      const key = `w${i + 1}/${LONG_KEY}`;
      return { name: `w${i + 1}`, width: 100 * (i + 1), height: 75 * (i + 1), bytes: 5000 * (i + 1), bucket: 'resized', key, url: presignedUrl(key), contentType: 'image/jpeg' };
    });
    return { ...UPLOAD, key: LONG_KEY, sizes };
  }

  /**
   * What SNS counts: the message, and each attribute's name, data type and value, in UTF-8 bytes. The subject
   * too, which SNS may not count, but the notification does, to be sure.
   */
  function publishedBytes(notification: SnsNotification): number {
    const attributes = Object.entries(notification.MessageAttributes).flatMap(([name, value]) => [name, value!.DataType, value!.StringValue]);
    return [notification.Subject, notification.Message, ...attributes].reduce((sum, part) => sum + Buffer.byteLength(part, 'utf8'), 0);
  }

  test('each link appears once in the text for email and once in the JSON every other protocol gets', () => {
    // GIVEN
    const upload = uploadInSizes(3);

    // WHEN
    const notification = resizedNotification(upload);

    // THEN
    for (const size of upload.sizes) {
      expect(notification.Message.split(size.url).length - 1).toBe(2);
    }
  });

  test('a 1,012-byte CJK key in 8 sizes, each link signed with a session token, keeps its links and fits', () => {
    // GIVEN
    expect(Buffer.byteLength(LONG_KEY)).toBe(1012);
    const upload = uploadInSizes(8);

    // WHEN
    const notification = resizedNotification(upload, 'arn:aws:sts::123456789012:assumed-role/uploader/alice');

    // THEN
    expect(publishedBytes(notification)).toBeLessThanOrEqual(MAX_SNS_MESSAGE_BYTES);
    const message = JSON.parse(notification.Message);
    expect(JSON.parse(message.default).sizes).toEqual(upload.sizes);
    for (const size of upload.sizes) {
      expect(message.email).toContain(size.url);
    }
  });

  test('when the links do not fit even once each, they are left out, and both renderings say what was made and why', () => {
    // GIVEN
    const upload = uploadInSizes(40);
    const withLinks = upload.sizes.reduce((bytes, size) => bytes + 2 * Buffer.byteLength(size.url), 0);
    expect(withLinks).toBeGreaterThan(MAX_SNS_MESSAGE_BYTES);

    // WHEN
    const notification = resizedNotification(upload, 'alice');

    // THEN
    expect(publishedBytes(notification)).toBeLessThanOrEqual(MAX_SNS_MESSAGE_BYTES);
    expect(notification.Subject).toMatch(/^Resized: \?+\.\.\.$/);
    expect(notification.MessageAttributes).toEqual({
      status: { DataType: 'String', StringValue: 'resized' },
      uploader: { DataType: 'String', StringValue: 'alice' },
    });
    expect(notification.Message).not.toContain('X-Amz-Signature');
    const message = JSON.parse(notification.Message);
    expect(JSON.parse(message.default)).toEqual({
      status: 'resized',
      bucket: 'uploads',
      key: LONG_KEY,
      change: 'created',
      input: { format: 'jpeg', width: 4000, height: 3000 },
      sizes: upload.sizes.map(({ url, ...size }) => size),
      linksLeftOut: expect.stringContaining('over the 256 KB that SNS accepts in one message'),
    });
    expect(message.email).toBe([
      `${LONG_KEY} in bucket uploads was resized (original: jpeg, 4000x3000).`,
      ...upload.sizes.map((size) => `${size.name}: ${size.width}x${size.height}, image/jpeg\n${size.key} in bucket resized`),
      JSON.parse(message.default).linksLeftOut,
    ].join('\n\n'));
  });

  describe('with the longest key of control characters, which JSON escapes six bytes for one in each rendering', () => {
    /** 1,014 characters: with `wNN/` before it, its copies' keys are just under S3's 1,024 bytes. */
    const CONTROL_KEY = `${'\u0010'.repeat(1010)}.jpg`;
    /** How the text for email shows it. */
    const SHOWN_CONTROL_KEY = `${'\\u0010'.repeat(1010)}.jpg`;

    function controlKeyInSizes(count: number): ResizedUpload {
      const long = uploadInSizes(count);
      const sizes = long.sizes.map((size): PublishedSize => {
        const key = `${size.name}/${CONTROL_KEY}`;
        return { ...size, key, url: presignedUrl(key) };
      });
      return { ...long, key: CONTROL_KEY, sizes };
    }

    test('a resized upload in 16 sizes keeps the copies\' keys once the links are left out', () => {
      // WHEN
      const notification = resizedNotification(controlKeyInSizes(16));

      // THEN
      expect(publishedBytes(notification)).toBeLessThanOrEqual(MAX_SNS_MESSAGE_BYTES);
      const message = JSON.parse(notification.Message);
      const document = JSON.parse(message.default);
      expect(document).toHaveProperty('linksLeftOut');
      expect(document).not.toHaveProperty('keysLeftOut');
      expect(document.sizes[0].key).toBe(`w1/${CONTROL_KEY}`);
      expect(message.email).toContain(`w1: 100x75, image/jpeg\nw1/${SHOWN_CONTROL_KEY} in bucket resized\n\n`);
    });

    test('a resized upload in 20 sizes leaves the keys out too, keeps every size\'s name, and both renderings say so', () => {
      // GIVEN
      const upload = controlKeyInSizes(20);

      // WHEN
      const notification = resizedNotification(upload, 'alice');

      // THEN
      expect(publishedBytes(notification)).toBeLessThanOrEqual(MAX_SNS_MESSAGE_BYTES);
      expect(notification.MessageAttributes.status.StringValue).toBe('resized');
      const message = JSON.parse(notification.Message);
      const document = JSON.parse(message.default);
      expect(document).toEqual({
        status: 'resized',
        bucket: 'uploads',
        key: CONTROL_KEY,
        change: 'created',
        input: { format: 'jpeg', width: 4000, height: 3000 },
        sizes: upload.sizes.map(({ url, key, ...size }) => size),
        linksLeftOut: expect.stringContaining('over the 256 KB that SNS accepts in one message'),
        keysLeftOut: expect.stringMatching(/^The copies' keys were left out as well.*size's name, a slash and the original's key/),
      });
      expect(message.email).toBe([
        `${SHOWN_CONTROL_KEY} in bucket uploads was resized (original: jpeg, 4000x3000).`,
        ...upload.sizes.map((size) => `${size.name}: ${size.width}x${size.height}, image/jpeg, in bucket resized`),
        document.linksLeftOut,
        document.keysLeftOut,
      ].join('\n\n'));
    });

    test('a deleted original with copies in 20 sizes lists them without their keys, and both renderings say so', () => {
      // GIVEN
      const removed = controlKeyInSizes(20).sizes.map(({ name, bucket, key }) => ({ name, bucket, key }));

      // WHEN
      const notification = deletedNotification({ bucket: 'uploads', key: CONTROL_KEY, removed }, 'alice');

      // THEN
      expect(publishedBytes(notification)).toBeLessThanOrEqual(MAX_SNS_MESSAGE_BYTES);
      expect(notification.Subject).toMatch(/^Deleted: /);
      expect(notification.MessageAttributes.status.StringValue).toBe('deleted');
      const message = JSON.parse(notification.Message);
      const document = JSON.parse(message.default);
      expect(document).toEqual({
        status: 'deleted',
        bucket: 'uploads',
        key: CONTROL_KEY,
        removed: removed.map(({ name, bucket }) => ({ name, bucket })),
        keysLeftOut: expect.stringMatching(/^The removed copies' keys were left out: .*over the 256 KB that SNS accepts in one message/),
      });
      expect(message.email).toBe([
        `${SHOWN_CONTROL_KEY} in bucket uploads was deleted, and so were its 20 copies:`,
        removed.map((copy) => `${copy.name}: in bucket resized`).join('\n'),
        document.keysLeftOut,
      ].join('\n\n'));
    });
  });

  test('the attributes count toward the limit, to the byte', () => {
    // GIVEN an uploader just long enough to fill what the notification with its links leaves of the limit
    const upload = uploadInSizes(8);
    const room = MAX_SNS_MESSAGE_BYTES - publishedBytes(resizedNotification(upload)) - Buffer.byteLength('uploaderString');
    const filling = 'u'.repeat(room);

    // WHEN
    const fits = resizedNotification(upload, filling);
    const over = resizedNotification(upload, `${filling}u`);

    // THEN
    expect(publishedBytes(fits)).toBe(MAX_SNS_MESSAGE_BYTES);
    expect(JSON.parse(JSON.parse(fits.Message).default)).toHaveProperty('linksExpireAt');
    expect(JSON.parse(JSON.parse(over.Message).default)).toHaveProperty('linksLeftOut');
    expect(over.MessageAttributes.uploader?.StringValue).toBe(`${filling}u`);
  });

  test('a deleted original\'s notification of exactly the limit keeps its copies\' keys; one a byte longer leaves them out', () => {
    // GIVEN an uploader just long enough to fill what the notification with the keys leaves of the limit
    const original = { bucket: 'uploads', key: LONG_KEY, removed: [{ name: 'thumb', bucket: 'resized', key: `thumb/${LONG_KEY}` }] };
    const room = MAX_SNS_MESSAGE_BYTES - publishedBytes(deletedNotification(original)) - Buffer.byteLength('uploaderString');
    const filling = 'u'.repeat(room);

    // WHEN
    const fits = deletedNotification(original, filling);
    const over = deletedNotification(original, `${filling}u`);

    // THEN
    expect(publishedBytes(fits)).toBe(MAX_SNS_MESSAGE_BYTES);
    expect(JSON.parse(JSON.parse(fits.Message).default).removed).toEqual(original.removed);
    expect(JSON.parse(JSON.parse(over.Message).default)).toHaveProperty('keysLeftOut');
  });
});

import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createBucket, readObject } from './support/moto-aws';
import { UPLOAD_URL_ENV } from '../src/upload-url/config';
import { filenameProblem, parseUploadRequest } from '../src/upload-url/upload-request';

type UploadUrlModule = typeof import('../src/upload-url/upload-url.lambda');

const MAX_BYTES = 5_000_000;
const ALICE = 'arn:aws:sts::123456789012:assumed-role/uploader/alice';

function loadHandler(bucket: string): UploadUrlModule['handler'] {
  Object.assign(process.env, {
    [UPLOAD_URL_ENV.uploadBucket]: bucket,
    [UPLOAD_URL_ENV.maxUploadBytes]: String(MAX_BYTES),
    [UPLOAD_URL_ENV.expirySeconds]: '900',
    [UPLOAD_URL_ENV.callerIdentity]: 'identity.userArn',
  });
  let uploadUrl: UploadUrlModule | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    uploadUrl = require('../src/upload-url/upload-url.lambda') as UploadUrlModule;
  });
  return uploadUrl!.handler;
}

function apiEvent(body: string, isBase64Encoded = false): APIGatewayProxyEvent {
  return { body, isBase64Encoded, requestContext: { identity: { userArn: ALICE } } } as unknown as APIGatewayProxyEvent;
}

describe('upload request rules', () => {
  test.each([
    ['empty', '', /must not be empty/],
    ['with a slash', 'a/b.jpg', /must not contain "\/"/],
    ['a dot path', '..', /must not be "." or ".."/],
    ['with a newline', 'bad\nname.jpg', /control characters/],
    ['with a C1 control (NEL)', 'bad\u0085name.jpg', /control characters .*U\+0085/],
    ['with a lone surrogate, which S3 would get as U+FFFD while the signed policy holds the surrogate', 'bad\ud83dname.jpg', /unpaired surrogate.*U\+D83D/],
    ['with a right-to-left override (photo U+202E gpj.exe shows as photoexe.jpg)', 'photo\u202egpj.exe', /bidirectional controls .*U\+202E/],
    ['with a first strong isolate', '\u2068photo.jpg', /bidirectional controls .*U\+2068/],
    ['with a line separator', 'a\u2028b.jpg', /line or paragraph separators .*U\+2028/],
    ['with a byte order mark', '\ufeffphoto.jpg', /byte order mark .*U\+FEFF/],
    ['with the noncharacter U+FFFF', 'photo\uffff.jpg', /noncharacters .*U\+FFFF/],
    ['with S3\'s ${filename} variable', 'x${filename}', /must not contain "\$\{filename\}"/],
    ['of 1,026 UTF-8 bytes', 'é'.repeat(513), /at most 1024 bytes/],
  ])('refuses a filename %s', (_label, filename, problem) => {
    expect(filenameProblem(filename)).toMatch(problem);
  });

  test.each([
    ['an emoji sequence joined by U+200D', '\u{1F469}\u200d\u{1F467} family.jpg'],
    ['right-to-left text', '\u0635\u0648\u0631\u0629.jpg'],
    ['a character outside the Basic Multilingual Plane', '\u{20BB7}.png'],
  ])('accepts %s', (_label, filename) => {
    expect(filenameProblem(filename)).toBeUndefined();
  });

  test('accepts spaces, plus signs and non-ASCII, as the PUT route does', () => {
    expect(parseUploadRequest({ filename: 'My photo+1 ü.jpg', contentType: 'image/jpeg' }))
      .toEqual({ key: 'My photo+1 ü.jpg', contentType: 'image/jpeg' });
  });

  test.each([
    [{ filename: 'a.svg', contentType: 'image/svg+xml' }, /"contentType" must be one of image\/jpeg/],
    [{ filename: 'a.jpg' }, /"contentType" must be one of/],
    [{ filename: 'a.jpg', contentType: 'image/jpeg', acl: 'public-read' }, /Unknown field "acl"/],
    ['a.jpg', /must be a JSON object/],
  ])('refuses %j', (body, problem) => {
    expect(parseUploadRequest(body)).toEqual({ error: expect.stringMatching(problem) });
  });
});

describe('the upload-url function', () => {
  test('a presigned POST whose policy caps the size and fixes the key, type and uploader (the emulator does not enforce POST policies, so the policy itself is checked)', async () => {
    // GIVEN
    const handler = loadHandler(await createBucket('uploads'));

    // WHEN
    const response = await handler(apiEvent(JSON.stringify({ filename: 'big photo.jpg', contentType: 'image/jpeg' })));

    // THEN
    expect(response.statusCode).toBe(200);
    const body = JSON.parse(response.body);
    expect(body).toMatchObject({ method: 'POST', key: 'big photo.jpg', maxBytes: MAX_BYTES });
    const policy = JSON.parse(Buffer.from(body.fields.Policy, 'base64').toString('utf8'));
    expect(policy.conditions).toEqual(expect.arrayContaining([
      ['content-length-range', 1, MAX_BYTES],
      { key: 'big photo.jpg' },
      { 'Content-Type': 'image/jpeg' },
      { 'x-amz-meta-uploader': ALICE },
    ]));
    const lifetimeMs = Date.parse(policy.expiration) - Date.now();
    expect(lifetimeMs).toBeGreaterThan(800_000);
    expect(lifetimeMs).toBeLessThanOrEqual(900_000);
  });

  test('a file posted with the returned form lands in the bucket with its uploader', async () => {
    // GIVEN
    const bucket = await createBucket('uploads');
    const handler = loadHandler(bucket);
    const { url, fields } = JSON.parse((await handler(apiEvent(JSON.stringify({ filename: 'posted.jpg', contentType: 'image/jpeg' })))).body);
    const form = new FormData();
    for (const [name, value] of Object.entries(fields as Record<string, string>)) form.append(name, value);
    form.append('file', new Blob([Buffer.from('jpeg bytes stand-in')]), 'posted.jpg');

    // WHEN
    const upload = await fetch(url, { method: 'POST', body: form });

    // THEN
    expect(upload.status).toBeLessThan(300);
    const stored = await readObject(bucket, 'posted.jpg');
    expect(stored.data.toString()).toBe('jpeg bytes stand-in');
    expect(stored.metadata).toMatchObject({ uploader: ALICE });
  });

  test('a JSON body API Gateway passed base64-encoded, as it does for `curl -d`\'s form content type, gets its presigned POST', async () => {
    // GIVEN
    const handler = loadHandler(await createBucket('uploads'));
    const body = Buffer.from(JSON.stringify({ filename: 'fotó.jpg', contentType: 'image/jpeg' })).toString('base64');

    // WHEN
    const response = await handler(apiEvent(body, true));

    // THEN
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ key: 'fotó.jpg' });
  });

  test('a bad request gets 400 with the rule it broke, and no link', async () => {
    const handler = loadHandler(await createBucket('uploads'));
    const response = await handler(apiEvent(JSON.stringify({ filename: 'x/y.jpg', contentType: 'image/jpeg' })));
    expect(response).toMatchObject({ statusCode: 400 });
    expect(JSON.parse(response.body)).toEqual({ message: '"filename" must not contain "/"' });
  });
});

import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { createBucket, readObject } from './support/moto-aws';
import { lambdaContext } from './support/resize-handler';
import { UPLOAD_URL_ENV } from '../src/upload-url/config';
import { filenameProblem, parseUploadRequest } from '../src/upload-url/upload-request';

type UploadUrlModule = typeof import('../src/upload-url/upload-url.lambda');
/** As Lambda calls it. */
type UploadUrlHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const MAX_BYTES = 5_000_000;
const ALICE = 'arn:aws:sts::123456789012:assumed-role/uploader/alice';
const API_REQUEST_ID = 'a1b2c3d4-5678-90ab-cdef-111122223333';

function loadHandler(bucket: string, allowedOrigins?: string): UploadUrlHandler {
  if (allowedOrigins === undefined) {
    delete process.env[UPLOAD_URL_ENV.allowedOrigins];
  } else {
    process.env[UPLOAD_URL_ENV.allowedOrigins] = allowedOrigins;
  }
  Object.assign(process.env, {
    [UPLOAD_URL_ENV.uploadBucket]: bucket,
    [UPLOAD_URL_ENV.maxUploadBytes]: String(MAX_BYTES),
    [UPLOAD_URL_ENV.expirySeconds]: '900',
    [UPLOAD_URL_ENV.callerIdentity]: 'identity.userArn',
    // Logs go to jest's console, where tests can read them, rather than straight to stdout.
    POWERTOOLS_DEV: 'true',
  });
  let uploadUrl: UploadUrlModule | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    uploadUrl = require('../src/upload-url/upload-url.lambda') as UploadUrlModule;
  });
  return uploadUrl!.handler;
}

function apiEvent(
  body: string, isBase64Encoded = false, identity: Record<string, string> = { userArn: ALICE }, headers: Record<string, string> = {},
): APIGatewayProxyEvent {
  return { body, isBase64Encoded, headers, requestContext: { requestId: API_REQUEST_ID, identity } } as unknown as APIGatewayProxyEvent;
}

/** Every line the function logged, at any level, as written. */
function logOutput(): string[] {
  return [console.debug, console.info, console.warn, console.error]
    .flatMap((method) => jest.mocked(method).mock.calls.map(([line]) => String(line)));
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

  test('quotes at most 64 characters of an unknown field\'s name, counted by code point', () => {
    const name = `${'\u{1F4F7}'.repeat(64)}${'x'.repeat(10)}`;
    expect(parseUploadRequest({ filename: 'a.jpg', contentType: 'image/jpeg', [name]: 1 }))
      .toEqual({ error: `Unknown field "${'\u{1F4F7}'.repeat(64)}…": give "filename" and "contentType"` });
  });
});

describe('the upload-url function', () => {
  beforeEach(() => {
    for (const level of ['debug', 'info', 'warn', 'error'] as const) {
      jest.spyOn(console, level).mockImplementation(() => undefined);
    }
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  test('a presigned POST whose policy caps the size and fixes the key, type and uploader (the emulator does not enforce POST policies, so the policy itself is checked)', async () => {
    // GIVEN
    const handler = loadHandler(await createBucket('uploads'));

    // WHEN
    const response = await handler(apiEvent(JSON.stringify({ filename: 'big photo.jpg', contentType: 'image/jpeg' })), lambdaContext);

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
    const { url, fields } = JSON.parse((await handler(apiEvent(JSON.stringify({ filename: 'posted.jpg', contentType: 'image/jpeg' })), lambdaContext)).body);
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
    const response = await handler(apiEvent(body, true), lambdaContext);

    // THEN
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ key: 'fotó.jpg' });
  });

  test('a bad request gets 400 with the rule it broke, and no link', async () => {
    const handler = loadHandler(await createBucket('uploads'));
    const response = await handler(apiEvent(JSON.stringify({ filename: 'x/y.jpg', contentType: 'image/jpeg' })), lambdaContext);
    expect(response).toMatchObject({ statusCode: 400 });
    expect(JSON.parse(response.body)).toEqual({ message: '"filename" must not contain "/"' });
  });

  test('a granted upload is logged once, with its key, its uploader as the POST records it, its limits and the API request it answered, and never its policy, signature or credentials', async () => {
    // GIVEN
    const handler = loadHandler(await createBucket('uploads'));

    // WHEN
    const response = await handler(apiEvent(JSON.stringify({ filename: 'holiday.jpg', contentType: 'image/jpeg' })), lambdaContext);

    // THEN
    const body = JSON.parse(response.body);
    const lines = logOutput();
    expect(lines.map((line) => JSON.parse(line))).toEqual([expect.objectContaining({
      level: 'INFO',
      message: 'Presigned upload granted',
      key: 'holiday.jpg',
      contentType: 'image/jpeg',
      uploader: body.fields['x-amz-meta-uploader'],
      maxBytes: MAX_BYTES,
      expiresAt: body.expiresAt,
      apiRequestId: API_REQUEST_ID,
      function_request_id: lambdaContext.awsRequestId,
    })]);
    expect(body.fields['x-amz-meta-uploader']).toBe(ALICE);
    for (const secret of [body.fields.Policy, body.fields['X-Amz-Signature'], body.fields['X-Amz-Credential'], process.env.AWS_SECRET_ACCESS_KEY]) {
      expect(secret).toEqual(expect.any(String));
      expect(lines[0]).not.toContain(secret);
    }
    expect(lines[0]).not.toMatch(/policy|signature|credential/i);
  });

  test('a granted upload that records no uploader is logged with the uploader "(none)", as the resize function\'s lines say it', async () => {
    // GIVEN
    const handler = loadHandler(await createBucket('uploads'));

    // WHEN
    const response = await handler(apiEvent(JSON.stringify({ filename: 'anonymous.jpg', contentType: 'image/jpeg' }), false, {}), lambdaContext);

    // THEN
    expect(JSON.parse(response.body).fields).not.toHaveProperty('x-amz-meta-uploader');
    expect(logOutput().map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ message: 'Presigned upload granted', key: 'anonymous.jpg', uploader: '(none)' }),
    ]);
  });

  test('a form-encoded body, which the API\'s model does not check, with an unknown field of 100 KB is refused and logged in a short line', async () => {
    // GIVEN a body API Gateway passes base64-encoded and unchecked, as it does any of a binary media type
    const handler = loadHandler(await createBucket('uploads'));
    const body = Buffer.from(JSON.stringify({ ['k'.repeat(100_000)]: 1, filename: 'a.jpg', contentType: 'image/jpeg' })).toString('base64');

    // WHEN
    const response = await handler(apiEvent(body, true), lambdaContext);

    // THEN
    expect(response.statusCode).toBe(400);
    const message: string = JSON.parse(response.body).message;
    expect(message).toMatch(/^Unknown field "k+…"/);
    expect(message.length).toBeLessThan(200);
    const [line] = logOutput();
    expect(JSON.parse(line)).toMatchObject({ reason: 'bad-request', detail: message });
    expect(line.length).toBeLessThan(1000);
  });

  test('a request whose signing fails is logged once as an error with its key, uploader, API request and the error, never credentials, and still fails as the Lambda proxy answers it (502)', async () => {
    // GIVEN a function that finds no credentials to sign with: none in the environment, no profile, no instance role
    const handler = loadHandler(await createBucket('uploads'));
    const env: NodeJS.ProcessEnv = { ...process.env, AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials', AWS_CONFIG_FILE: '/nonexistent/config', AWS_EC2_METADATA_DISABLED: 'true' };
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_WEB_IDENTITY_TOKEN_FILE',
      'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI']) {
      delete env[name];
    }
    jest.replaceProperty(process, 'env', env);

    // WHEN
    const invocation = handler(apiEvent(JSON.stringify({ filename: 'unsigned.jpg', contentType: 'image/jpeg' })), lambdaContext);

    // THEN the invocation still fails, which API Gateway answers with its own 502 and no detail, and the line holds
    // the error's name and message alone
    await expect(invocation).rejects.toThrow('Could not load credentials from any providers');
    expect(logOutput().map((line) => JSON.parse(line))).toEqual([expect.objectContaining({
      level: 'ERROR',
      message: 'Presigned upload failed',
      key: 'unsigned.jpg',
      contentType: 'image/jpeg',
      uploader: ALICE,
      apiRequestId: API_REQUEST_ID,
      error: { name: 'CredentialsProviderError', message: 'Could not load credentials from any providers' },
    })]);
  });

  test.each([
    ['a body that is not JSON', '{"filename": ', 'not-json', /The body must be JSON/],
    ['a filename the rules refuse', JSON.stringify({ filename: 'x/y.jpg', contentType: 'image/jpeg' }), 'bad-request', /^"filename" must not contain "\/"$/],
  ])('a refused request, %s, is logged once with why, as the caller was told', async (_label, requestBody, reason, detail) => {
    // GIVEN
    const handler = loadHandler(await createBucket('uploads'));

    // WHEN
    const response = await handler(apiEvent(requestBody), lambdaContext);

    // THEN
    expect(response.statusCode).toBe(400);
    expect(logOutput().map((line) => JSON.parse(line))).toEqual([expect.objectContaining({
      level: 'WARN',
      message: 'Presigned upload refused',
      reason,
      detail: expect.stringMatching(detail),
      uploader: ALICE,
      apiRequestId: API_REQUEST_ID,
    })]);
    expect(JSON.parse(response.body).message).toMatch(detail);
  });

  describe('with allowed origins, as a browser calls it', () => {
    const GOOD_BODY = JSON.stringify({ filename: 'from-the-page.jpg', contentType: 'image/jpeg' });
    const BAD_BODY = JSON.stringify({ filename: 'x/y.jpg', contentType: 'image/jpeg' });

    test.each([
      ['granted', GOOD_BODY, 200, 'Origin'],
      ['refused', BAD_BODY, 400, 'Origin'],
      ['granted over HTTP/2, whose header names are lower case', GOOD_BODY, 200, 'origin'],
    ])('an answer %s names a listed origin, with Vary: Origin', async (_label, body, status, headerName) => {
      const handler = loadHandler(await createBucket('uploads'), 'https://app.example.com,http://localhost:3000');

      const response = await handler(apiEvent(body, false, { userArn: ALICE }, { [headerName]: 'http://localhost:3000' }), lambdaContext);

      expect(response.statusCode).toBe(status);
      expect(response.headers).toEqual({
        'Content-Type': 'application/json',
        'Access-Control-Allow-Origin': 'http://localhost:3000',
        'Vary': 'Origin',
      });
    });

    test.each([
      ['another origin', { Origin: 'https://evil.example.com' }],
      ['a listed origin\'s prefix', { Origin: 'https://app.example.co' }],
      ['a listed origin with more after it', { Origin: 'https://app.example.com.evil.example' }],
      ['a listed origin with a longer port', { Origin: 'http://localhost:30000' }],
      ['no origin', {}],
    ])('an answer to %s names no origin, with Vary: Origin', async (_label, headers) => {
      const handler = loadHandler(await createBucket('uploads'), 'https://app.example.com,http://localhost:3000');

      const response = await handler(apiEvent(GOOD_BODY, false, { userArn: ALICE }, headers), lambdaContext);

      expect(response.statusCode).toBe(200);
      expect(response.headers).toEqual({ 'Content-Type': 'application/json', 'Vary': 'Origin' });
    });

    test('an answer to an event whose headers are null, as a test invocation from the console may send, names no origin, with Vary: Origin', async () => {
      const handler = loadHandler(await createBucket('uploads'), 'https://app.example.com,http://localhost:3000');

      const response = await handler({ ...apiEvent(GOOD_BODY), headers: null } as unknown as APIGatewayProxyEvent, lambdaContext);

      expect(response.statusCode).toBe(200);
      expect(response.headers).toEqual({ 'Content-Type': 'application/json', 'Vary': 'Origin' });
    });

    test('with "*" every answer says *, whatever the origin', async () => {
      const handler = loadHandler(await createBucket('uploads'), '*');

      const response = await handler(apiEvent(BAD_BODY, false, { userArn: ALICE }, { Origin: 'https://anyone.example.com' }), lambdaContext);

      expect(response.headers).toEqual({ 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*' });
    });

    test('without them, the answers have no CORS header, as before', async () => {
      const handler = loadHandler(await createBucket('uploads'));

      const response = await handler(apiEvent(GOOD_BODY, false, { userArn: ALICE }, { Origin: 'https://app.example.com' }), lambdaContext);

      expect(response.headers).toEqual({ 'Content-Type': 'application/json' });
    });
  });
});

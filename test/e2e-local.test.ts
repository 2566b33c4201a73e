/**
 * The local pipeline end to end, driven over HTTP as a user would: the built handler bundle in Lambda-like
 * worker processes, the sharp layer, moto for S3, SQS and SNS (the one jest's global set-up started), and the
 * API's rules. Each pipeline here has its own bucket, queue and topic names.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import {
  CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand, HeadObjectCommand, ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { GetSubscriptionAttributesCommand, ListSubscriptionsByTopicCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import sharp from 'sharp';
import { readPipelineDefinition, synthesizeExampleTemplate } from '../local/example-template';
import * as taskRootModule from '../local/lambda-runtime/task-root';
import { Mail } from '../local/mail-outbox';
import { startMoto } from '../local/moto';
import { NotificationReceiver } from '../local/notification-receiver';
import { checkResized } from '../local/output-check';
import { lambdaEnvironment, LocalPipeline, startLocalPipeline } from '../local/pipeline';
import { Invocation } from '../local/sqs-event-source';
import { LOCAL_CALLER_HEADER } from '../local/upload-api-server';
import { ENV, SizeSpec } from '../src/handler/config';
import { resizedKey } from '../src/handler/keys';

const SAMPLES = path.join(__dirname, '..', 'samples');
const NOTIFIED_WITHIN_MS = 30_000;

function sample(name: string): Buffer {
  return readFileSync(path.join(SAMPLES, name));
}

async function upload(pipeline: LocalPipeline, key: string, body: Buffer, bucket = pipeline.uploadBucket): Promise<Response> {
  return fetch(`${pipeline.apiUrl}/upload-image/${encodeURIComponent(bucket)}/${encodeURIComponent(key)}`, {
    method: 'PUT',
    // What `curl --data-binary @file` sends.
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body,
  });
}

/** What `POST /upload-url` answers with. */
interface UploadUrlAnswer {
  readonly method: string;
  readonly url: string;
  readonly fields: Record<string, string>;
  readonly key: string;
  readonly maxBytes: number;
}

async function uploadUrl(pipeline: LocalPipeline, body: object, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${pipeline.apiUrl}/upload-url`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body),
  });
}

async function subscribe(pipeline: LocalPipeline, body: string): Promise<Response> {
  return fetch(`${pipeline.apiUrl}/subscribe`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
}

async function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) {
      return value;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms`);
}

async function keysIn(pipeline: LocalPipeline, bucket: string): Promise<string[]> {
  const listed = await pipeline.clients.s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (listed.Contents ?? []).map((o) => o.Key!);
}

function invocationsOf(invocations: Invocation[], messageId: string): Invocation[] {
  return invocations.filter((i) => i.messages.some((m) => m.id === messageId));
}

/** The SQS message ID of the upload event whose body names `key` (a key that needs no URL-encoding). */
function messageIdFor(invocations: Invocation[], key: string): string | undefined {
  return invocations.flatMap((i) => i.messages).find((m) => m.body.includes(key))?.id;
}

describe('the local pipeline', () => {
  let pipeline: LocalPipeline;
  let receiver: NotificationReceiver;
  let sizes: SizeSpec[];
  let mailDir: string;
  const mails: Mail[] = [];
  const invocations: Invocation[] = [];

  beforeAll(async () => {
    mailDir = mkdtempSync(path.join(os.tmpdir(), 'e2e-mail-'));
    receiver = await NotificationReceiver.start();
    pipeline = await startLocalPipeline({
      port: 0,
      motoEndpoint: process.env.MOTO_ENDPOINT,
      nameSuffix: '-e2e',
      mailLogFile: path.join(mailDir, 'mail.log'),
      onMail: (mail) => mails.push(mail),
      onInvocation: (invocation) => invocations.push(invocation),
    });
    sizes = JSON.parse(pipeline.functionEnvironment[ENV.sizes]);
    const subscribed = await subscribe(pipeline, JSON.stringify({ endpoint: receiver.url }));
    expect(subscribed.status).toBe(200);
  });

  afterAll(async () => {
    await pipeline?.stop();
    await receiver?.stop();
    rmSync(mailDir, { recursive: true, force: true });
  });

  test.each([
    ['landscape.jpg', 'jpeg'],
    ['transparent.png', 'png'],
    ['rings.webp', 'webp'],
    ['portrait-exif6.jpg', 'jpeg'],
  ])('%s goes up through the API and comes back in every configured size', async (file, format) => {
    // GIVEN
    const original = sample(file);
    const key = `round-trip/${file}`;

    // WHEN
    const response = await upload(pipeline, key, original);

    // THEN
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ bucket: pipeline.uploadBucket, key });
    const { document } = await receiver.waitFor(key, NOTIFIED_WITHIN_MS);
    expect(document).toMatchObject({ status: 'resized', bucket: pipeline.uploadBucket, key, input: { format } });
    const checks = await checkResized(original, document, sizes);
    expect(checks.map((c) => [c.size.name, c.problems])).toEqual(sizes.map((s) => [s.name, []]));
  });

  test('a key with spaces, a plus sign and non-ASCII characters is stored, resized and reported under that key', async () => {
    // GIVEN
    const key = 'odd keys/été + hiver 写真.jpg';

    // WHEN
    const response = await upload(pipeline, key, sample('landscape.jpg'));

    // THEN
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ bucket: pipeline.uploadBucket, key });
    const { document } = await receiver.waitFor(key, NOTIFIED_WITHIN_MS);
    expect(document.status).toBe('resized');
    for (const size of sizes) {
      await expect(pipeline.clients.s3.send(new HeadObjectCommand({ Bucket: pipeline.resizedBucket, Key: resizedKey(size.name, key, 'jpg') })))
        .resolves.toMatchObject({ ContentType: 'image/jpeg' });
    }
  });

  test('an upload that names another bucket is refused with 403 and writes nothing', async () => {
    // GIVEN
    const otherBucket = 'someone-elses-bucket-e2e';
    await pipeline.clients.s3.send(new CreateBucketCommand({ Bucket: otherBucket }));

    // WHEN
    const response = await upload(pipeline, 'intruder.jpg', sample('landscape.jpg'), otherBucket);

    // THEN
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ message: expect.stringMatching(/upload bucket/) });
    expect(await keysIn(pipeline, otherBucket)).toEqual([]);
    expect(await keysIn(pipeline, pipeline.uploadBucket)).not.toContain('intruder.jpg');
  });

  test('an upload without a Content-Type, which API Gateway would store re-encoded as text, is refused with 400 and writes nothing', async () => {
    // WHEN
    const response = await fetch(`${pipeline.apiUrl}/upload-image/${pipeline.uploadBucket}/untyped.jpg`, { method: 'PUT', body: sample('landscape.jpg') });

    // THEN
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ message: 'Missing required request parameters: [Content-Type]' });
    expect(await keysIn(pipeline, pipeline.uploadBucket)).not.toContain('untyped.jpg');
  });

  test('a body over API Gateway\'s 10 MB limit is refused with 413 and a JSON message', async () => {
    // WHEN
    const response = await upload(pipeline, 'too-large.jpg', Buffer.alloc(10 * 1024 * 1024 + 1));

    // THEN
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ message: expect.stringMatching(/10 MB/) });
    expect(await keysIn(pipeline, pipeline.uploadBucket)).not.toContain('too-large.jpg');
  });

  test('an image over 10 MB is refused by PUT with a message naming POST /upload-url, then goes up by presigned POST and comes back resized', async () => {
    // GIVEN a real JPEG of over 15 MB: noise at full quality without chroma subsampling
    const big = await sharp({ create: { width: 3000, height: 2000, channels: 3, background: 'black', noise: { type: 'gaussian', mean: 128, sigma: 64 } } })
      .jpeg({ quality: 100, chromaSubsampling: '4:4:4' })
      .toBuffer();
    expect(big.length).toBeGreaterThan(15 * 1024 * 1024);
    const key = 'large-upload.jpg';

    // WHEN it is PUT, then asked for a presigned upload and posted as the answer says
    const put = await upload(pipeline, key, big);
    const ticket = await uploadUrl(pipeline, { filename: key, contentType: 'image/jpeg' });
    const answer = await ticket.json() as UploadUrlAnswer;
    const form = new FormData();
    for (const [name, value] of Object.entries(answer.fields)) {
      form.append(name, value);
    }
    form.append('file', new Blob([big], { type: 'image/jpeg' }), key);
    const posted = await fetch(answer.url, { method: 'POST', body: form });

    // THEN
    expect(put.status).toBe(413);
    expect(await put.json()).toEqual({ message: expect.stringContaining('POST /upload-url') });
    expect(ticket.status).toBe(200);
    expect(answer).toMatchObject({ method: 'POST', key, maxBytes: Number(pipeline.definition.uploadUrlFunction.environment.MAX_UPLOAD_BYTES) });
    expect(answer.url).toMatch(new RegExp(`^${pipeline.s3Endpoint}/`));
    expect(posted.status).toBeLessThan(300);
    const { document } = await receiver.waitFor(key, NOTIFIED_WITHIN_MS);
    expect(document).toMatchObject({ status: 'resized', bucket: pipeline.uploadBucket, key, input: { format: 'jpeg', width: 3000, height: 2000 } });
    const checks = await checkResized(big, document, sizes);
    expect(checks.map((c) => [c.size.name, c.problems])).toEqual(sizes.map((s) => [s.name, []]));
  });

  test('a presigned POST caps the size at maxUploadBytes and fixes key, type and caller (moto does not enforce POST policies, so the policy itself is checked)', async () => {
    // GIVEN
    const caller = 'arn:aws:iam::123456789012:user/alice';

    // WHEN
    const response = await uploadUrl(pipeline, { filename: 'alice.png', contentType: 'image/png' }, { [LOCAL_CALLER_HEADER]: caller });

    // THEN
    expect(response.status).toBe(200);
    const { fields } = await response.json() as UploadUrlAnswer;
    const policy = JSON.parse(Buffer.from(fields.Policy, 'base64').toString('utf8'));
    expect(policy.conditions).toEqual(expect.arrayContaining([
      ['content-length-range', 1, Number(pipeline.definition.uploadUrlFunction.environment.MAX_UPLOAD_BYTES)],
      { bucket: pipeline.uploadBucket },
      { key: 'alice.png' },
      { 'Content-Type': 'image/png' },
      { 'x-amz-meta-uploader': caller },
    ]));
  });

  test('POST /upload-url as `curl -d` sends it (form-encoded, so the function gets it base64-encoded) answers with a presigned POST', async () => {
    // WHEN
    const response = await fetch(`${pipeline.apiUrl}/upload-url`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: JSON.stringify({ filename: 'curl-d.jpg', contentType: 'image/jpeg' }),
    });

    // THEN
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ method: 'POST', key: 'curl-d.jpg' });
  });

  test.each([
    ['a filename with a slash', { filename: 'a/b.jpg', contentType: 'image/jpeg' }],
    ['a type that is not an image', { filename: 'notes.txt', contentType: 'text/plain' }],
    ['an unknown field', { filename: 'a.jpg', contentType: 'image/jpeg', acl: 'public-read' }],
  ])('POST /upload-url with %s is refused with 400 and no link', async (_case, body) => {
    // WHEN
    const response = await uploadUrl(pipeline, body);

    // THEN
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ message: expect.stringMatching(/^Invalid request body: /) });
  });

  test.each([
    ['no field', '{}'],
    ['an invalid email', '{"email": "not-an-address"}'],
    ['an endpoint that is not http(s)', '{"endpoint": "sqs://queue"}'],
    ['both fields', '{"email": "me@example.com", "endpoint": "https://example.com/hook"}'],
    ['an unknown field', '{"phone": "+15550100"}'],
    ['no JSON at all', 'email=me@example.com'],
  ])('a subscribe body with %s is refused with 400 and subscribes nothing', async (_case, body) => {
    // GIVEN
    const before = await pipeline.clients.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: pipeline.topicArn }));

    // WHEN
    const response = await subscribe(pipeline, body);

    // THEN
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ message: expect.stringMatching(/^Invalid request body: /) });
    const after = await pipeline.clients.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: pipeline.topicArn }));
    expect(after.Subscriptions).toEqual(before.Subscriptions);
  });

  test('an email subscriber\'s message is shown locally, with links that open from this machine', async () => {
    // GIVEN
    const subscribed = await subscribe(pipeline, JSON.stringify({ email: 'reader@example.com' }));
    expect(subscribed.status).toBe(200);
    const key = 'mail/landscape.jpg';

    // WHEN
    await upload(pipeline, key, sample('landscape.jpg'));

    // THEN
    const mail = await eventually('the mail', NOTIFIED_WITHIN_MS, async () => mails.find((m) => m.text.includes(key)));
    expect(mail).toMatchObject({ to: 'reader@example.com', subject: 'Resized: landscape.jpg' });
    const links = mail.text.match(/http:\/\/127\.0\.0\.1:\d+\/\S+/g) ?? [];
    expect(links).toHaveLength(sizes.length);
    for (const link of links) {
      expect((await fetch(link)).status).toBe(200);
    }
    expect(readFileSync(path.join(mailDir, 'mail.log'), 'utf8')).toContain('To: reader@example.com');
  });

  test('with private notifications a subscriber hears only about its own uploads', async () => {
    // GIVEN a second caller with its own subscriber (the test's receiver belongs to the default local caller)
    expect(pipeline.definition.api.callerScope?.subscriptionsFiltered).toBe(true);
    const other = { [LOCAL_CALLER_HEADER]: 'arn:aws:iam::123456789012:user/someone-else' };
    const othersReceiver = await NotificationReceiver.start();
    try {
      const subscribed = await fetch(`${pipeline.apiUrl}/subscribe`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...other },
        body: JSON.stringify({ endpoint: othersReceiver.url }),
      });
      expect(subscribed.status).toBe(200);

      // WHEN each caller uploads one image
      await upload(pipeline, 'private/mine.jpg', sample('landscape.jpg'));
      const theirs = await fetch(`${pipeline.apiUrl}/upload-image/${pipeline.uploadBucket}/${encodeURIComponent('private/theirs.jpg')}`, {
        method: 'PUT', headers: { 'Content-Type': 'image/jpeg', ...other }, body: sample('landscape.jpg'),
      });
      expect(theirs.status).toBe(200);

      // THEN (SNS delivers one message to all its subscribers at once, so once each has its own, neither has the other's)
      await receiver.waitFor('private/mine.jpg', NOTIFIED_WITHIN_MS);
      await othersReceiver.waitFor('private/theirs.jpg', NOTIFIED_WITHIN_MS);
      expect(receiver.received.map((n) => n.document.key)).not.toContain('private/theirs.jpg');
      expect(othersReceiver.received.map((n) => n.document.key)).toEqual(['private/theirs.jpg']);
    } finally {
      await pipeline.clients.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: pipeline.topicArn })).then(async ({ Subscriptions }) => {
        const arn = Subscriptions?.find((sub) => sub.Endpoint === othersReceiver.url)?.SubscriptionArn;
        await pipeline.clients.sns.send(new UnsubscribeCommand({ SubscriptionArn: arn }));
      });
      await othersReceiver.stop();
    }
  });

  test.each([
    ['curl -d without a Content-Type header', { 'Content-Type': 'application/x-www-form-urlencoded' }],
    ['fetch with a string body', {}],
  ])('a subscribe sent as %s, not as application/json, is refused with 415 and subscribes nothing', async (_how, headers) => {
    // GIVEN
    const endpoint = `${receiver.url}/untyped`;

    // WHEN
    const response = await fetch(`${pipeline.apiUrl}/subscribe`, { method: 'POST', headers, body: JSON.stringify({ endpoint }) });

    // THEN
    expect(response.status).toBe(415);
    expect(await response.json()).toEqual({ message: 'Unsupported Media Type' });
    const { Subscriptions } = await pipeline.clients.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: pipeline.topicArn }));
    expect(Subscriptions?.map((sub) => sub.Endpoint)).not.toContain(endpoint);
  });

  test('an endpoint another caller has subscribed is refused with 400, as SNS refuses a second filter for it, and keeps its own filter', async () => {
    // GIVEN the test's receiver, subscribed by the default local caller (beforeAll)
    const other = { [LOCAL_CALLER_HEADER]: 'arn:aws:iam::123456789012:user/someone-else' };
    const filterOfReceiver = async () => {
      const { Subscriptions } = await pipeline.clients.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: pipeline.topicArn }));
      const arn = Subscriptions?.find((sub) => sub.Endpoint === receiver.url)?.SubscriptionArn;
      return (await pipeline.clients.sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: arn }))).Attributes?.FilterPolicy;
    };
    const before = await filterOfReceiver();

    // WHEN another caller subscribes it, and then its own caller again
    const taken = await fetch(`${pipeline.apiUrl}/subscribe`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', ...other }, body: JSON.stringify({ endpoint: receiver.url }),
    });
    const again = await subscribe(pipeline, JSON.stringify({ endpoint: receiver.url }));

    // THEN
    expect(taken.status).toBe(400);
    expect(await taken.json()).toEqual({ message: 'SNS refused the subscription' });
    expect(again.status).toBe(200);
    expect(JSON.parse(before!)).toEqual({ uploader: [pipeline.defaultCaller] });
    expect(await filterOfReceiver()).toBe(before);
  });

  test('a non-image is reported as failed while a good image in the same batch is resized', async () => {
    // GIVEN both uploads wait on the queue, so that one poll takes them together
    await pipeline.disableEventSource();
    await upload(pipeline, 'batch/not-an-image.jpg', sample('not-an-image.jpg'));
    await upload(pipeline, 'batch/landscape.jpg', sample('landscape.jpg'));
    await eventually('both upload events on the queue', 10_000, async () => {
      const { Attributes } = await pipeline.clients.sqs.send(new GetQueueAttributesCommand({
        QueueUrl: pipeline.queueUrl, AttributeNames: ['ApproximateNumberOfMessages'],
      }));
      return Number(Attributes?.ApproximateNumberOfMessages) >= 2 ? true : undefined;
    });
    const before = invocations.length;

    // WHEN
    pipeline.enableEventSource();

    // THEN
    const failed = await receiver.waitFor('batch/not-an-image.jpg', NOTIFIED_WITHIN_MS);
    const resized = await receiver.waitFor('batch/landscape.jpg', NOTIFIED_WITHIN_MS);
    expect(failed.document).toMatchObject({ status: 'failed', reason: 'not-an-image' });
    expect(resized.document.status).toBe('resized');
    const batch = await eventually('the invocation record', 5_000, async () => invocations.slice(before).find((i) => i.messages.length === 2));
    expect(batch).toMatchObject({ outcome: { kind: 'result' }, failed: [] });
    expect(batch.succeeded).toHaveLength(2);
  });
});

/** The origins are fixed when the API is made, so each set needs a pipeline of its own; the suffix keeps its names apart. */
function startPipelineWithOrigins(nameSuffix: string, allowedOrigins: string[]): Promise<LocalPipeline> {
  return startLocalPipeline({ port: 0, motoEndpoint: process.env.MOTO_ENDPOINT, nameSuffix, pipelineProps: { allowedOrigins } });
}

describe('the local pipeline with allowedOrigins, called as a browser calls it', () => {
  const APP = 'https://app.example.com';
  const OTHER = 'https://evil.example.com';
  let pipeline: LocalPipeline;

  beforeAll(async () => {
    pipeline = await startPipelineWithOrigins('-e2e-cors', [APP, 'http://localhost:3000']);
  });

  afterAll(async () => {
    await pipeline?.stop();
  });

  /** What a browser sends before a request with a method or headers a plain form could not send. */
  function preflight(route: string, origin: string, method: string): Promise<Response> {
    return fetch(`${pipeline.apiUrl}${route}`, {
      method: 'OPTIONS',
      headers: { 'Origin': origin, 'Access-Control-Request-Method': method, 'Access-Control-Request-Headers': 'authorization,content-type,x-amz-date' },
    });
  }

  test.each([
    ['/upload-image/bucket/photo.jpg', 'PUT'],
    ['/upload-url', 'POST'],
    ['/subscribe', 'POST'],
  ])('the preflight of %s allows a listed origin %s with the signing headers, and names no other origin', async (route, method) => {
    const allowed = await preflight(route, APP, method);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(APP);
    expect(allowed.headers.get('access-control-allow-methods')).toBe(`${method},OPTIONS`);
    expect(allowed.headers.get('access-control-allow-headers')?.toLowerCase().split(',')).toEqual(expect.arrayContaining(['authorization', 'content-type', 'x-amz-date']));
    expect(allowed.headers.get('vary')).toBe('Origin');

    const refused = await preflight(route, OTHER, method);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('an upload from a listed origin is answered with its origin, and one from another origin with none', async () => {
    const put = (origin: string, bucket = pipeline.uploadBucket) => fetch(`${pipeline.apiUrl}/upload-image/${bucket}/cors-${encodeURIComponent(origin.slice(8))}.jpg`, {
      method: 'PUT', headers: { 'Origin': origin, 'Content-Type': 'image/jpeg' }, body: sample('landscape.jpg'),
    });

    const allowed = await put(APP);
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(APP);
    expect(allowed.headers.get('vary')).toBe('Origin');

    const refused = await put(OTHER);
    expect(refused.status).toBe(200);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();

    const otherBucket = await put(APP, 'someone-elses-bucket');
    expect(otherBucket.status).toBe(403);
    expect(otherBucket.headers.get('access-control-allow-origin')).toBe(APP);
  });

  test('POST /upload-url and POST /subscribe answer a listed origin with it, and another with none', async () => {
    for (const origin of [APP, OTHER]) {
      const expected = origin === APP ? APP : null;
      const ticket = await uploadUrl(pipeline, { filename: 'cors.jpg', contentType: 'image/jpeg' }, { Origin: origin });
      expect(ticket.status).toBe(200);
      expect(ticket.headers.get('access-control-allow-origin')).toBe(expected);
      const refusedBody = await fetch(`${pipeline.apiUrl}/subscribe`, {
        method: 'POST', headers: { 'Origin': origin, 'Content-Type': 'application/json' }, body: '{"email": "not an address"}',
      });
      expect(refusedBody.status).toBe(400);
      // With several origins, the gateway response that answers a bad body can name none of them.
      expect(refusedBody.headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  test('a route the API does not have is answered by API Gateway itself, which with several origins names none', async () => {
    const response = await fetch(`${pipeline.apiUrl}/nowhere`, { headers: { Origin: APP } });

    expect(response.status).toBe(403);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('the local pipeline with one allowed origin', () => {
  const APP = 'https://app.example.com';
  let pipeline: LocalPipeline;

  beforeAll(async () => {
    pipeline = await startPipelineWithOrigins('-e2e-cors-one', [APP]);
  });

  afterAll(async () => {
    await pipeline?.stop();
  });

  test('a route the API does not have is answered by API Gateway itself, which names the origin as DEFAULT_4XX does', async () => {
    const response = await fetch(`${pipeline.apiUrl}/nowhere`, { headers: { Origin: APP } });

    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ message: 'Missing Authentication Token' });
    expect(response.headers.get('access-control-allow-origin')).toBe(APP);
  });
});

describe('the local pipeline when the resized bucket is missing', () => {
  let pipeline: LocalPipeline;
  let receiver: NotificationReceiver;
  const invocations: Invocation[] = [];

  beforeAll(async () => {
    receiver = await NotificationReceiver.start();
    pipeline = await startLocalPipeline({
      port: 0,
      motoEndpoint: process.env.MOTO_ENDPOINT,
      nameSuffix: '-e2e-retry',
      // Failed messages come back after 2 s instead of the queue's 6 minutes.
      visibilityTimeoutSeconds: 2,
      onInvocation: (invocation) => invocations.push(invocation),
    });
    expect((await subscribe(pipeline, JSON.stringify({ endpoint: receiver.url }))).status).toBe(200);
  });

  afterAll(async () => {
    await pipeline?.stop();
    await receiver?.stop();
  });

  async function removeResizedBucket(): Promise<void> {
    const keys = await keysIn(pipeline, pipeline.resizedBucket);
    if (keys.length > 0) {
      await pipeline.clients.s3.send(new DeleteObjectsCommand({ Bucket: pipeline.resizedBucket, Delete: { Objects: keys.map((Key) => ({ Key })) } }));
    }
    await pipeline.clients.s3.send(new DeleteBucketCommand({ Bucket: pipeline.resizedBucket }));
  }

  test('a transient failure leaves the upload on the queue, and it is resized once the bucket is back', async () => {
    // GIVEN
    await removeResizedBucket();
    const key = 'retry-landscape.jpg';

    // WHEN the first attempt fails
    await upload(pipeline, key, sample('landscape.jpg'));
    const messageId = await eventually('a failed attempt', NOTIFIED_WITHIN_MS, async () => {
      const id = messageIdFor(invocations, key);
      return id && invocationsOf(invocations, id).some((i) => i.failed.includes(id)) ? id : undefined;
    });
    await pipeline.clients.s3.send(new CreateBucketCommand({ Bucket: pipeline.resizedBucket }));

    // THEN
    const { document } = await receiver.waitFor(key, NOTIFIED_WITHIN_MS);
    expect(document.status).toBe('resized');
    // The notification is published during the invocation, so its record may come a moment later.
    const attempts = await eventually('the successful attempt', 5_000, async () => {
      const all = invocationsOf(invocations, messageId);
      return all.some((i) => i.succeeded.includes(messageId)) ? all : undefined;
    });
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(attempts[0].failed).toEqual([messageId]);
  });

  test('a failure that persists moves the upload to the dead-letter queue after maxReceiveCount attempts', async () => {
    // GIVEN
    await removeResizedBucket();
    const key = 'dead-letter-landscape.jpg';

    // WHEN
    await upload(pipeline, key, sample('landscape.jpg'));

    // THEN
    const dead = await eventually('the upload event in the dead-letter queue', 45_000, async () => {
      const { Messages } = await pipeline.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: pipeline.deadLetterQueueUrl, WaitTimeSeconds: 1 }));
      return Messages?.find((m) => m.Body?.includes(key));
    });
    const attempts = invocationsOf(invocations, dead.MessageId!);
    expect(attempts).toHaveLength(pipeline.definition.queue.maxReceiveCount);
    expect(attempts.every((i) => i.failed.includes(dead.MessageId!))).toBe(true);
    expect(receiver.received.filter((n) => n.document.key === key)).toEqual([]);
  });
});

describe('stopping the local pipeline', () => {
  test('runs every step even when one fails, then reports the failures together: no temporary task root is left behind', async () => {
    // GIVEN a pipeline on a moto of its own, with an email subscribed, whose mail receiver stopping unsubscribes
    const moto = await startMoto();
    const mailDir = mkdtempSync(path.join(os.tmpdir(), 'e2e-stop-mail-'));
    const prepareTaskRoot = jest.spyOn(taskRootModule, 'prepareTaskRoot');
    let pipeline: LocalPipeline;
    let taskRoots: string[];
    try {
      pipeline = await startLocalPipeline({ port: 0, motoEndpoint: moto.endpoint, mailLogFile: path.join(mailDir, 'mail.log') });
      taskRoots = prepareTaskRoot.mock.results.map((result) => path.dirname((result.value as taskRootModule.TaskRoot).taskRoot));
    } finally {
      prepareTaskRoot.mockRestore();
    }
    try {
      expect((await subscribe(pipeline, JSON.stringify({ email: 'leaving@example.com' }))).status).toBe(200);
      expect(taskRoots.filter((root) => existsSync(root))).toHaveLength(2);

      // WHEN moto is gone, so that unsubscribing fails
      await moto.stop();
      const stopping = pipeline.stop();

      // THEN
      await expect(stopping).rejects.toThrow(AggregateError);
      await expect(stopping).rejects.toMatchObject({ errors: [expect.any(Error)] });
      expect(taskRoots.filter((root) => existsSync(root))).toEqual([]);
    } finally {
      taskRoots.forEach((root) => rmSync(root, { recursive: true, force: true }));
      rmSync(mailDir, { recursive: true, force: true });
    }
  });
});

describe('npx projen local', () => {
  test('refuses LOCAL_VISIBILITY_TIMEOUT=0, with which a failed message would spend all its receives at once', async () => {
    // WHEN (as `npx projen local` runs it; execFile rejects on a non-zero exit)
    const run = promisify(execFile)('npx', ['ts-node', '--project', 'tsconfig.dev.json', 'local/main.ts'], {
      cwd: path.join(__dirname, '..'),
      // Type-checking is the compiler's job; without it ts-node starts in seconds.
      env: { ...process.env, LOCAL_VISIBILITY_TIMEOUT: '0', LOCAL_PORT: '0', TS_NODE_TRANSPILE_ONLY: 'true' },
      timeout: 60_000,
    });

    // THEN
    await expect(run).rejects.toMatchObject({
      code: 1,
      stdout: expect.not.stringContaining('Building'),
      stderr: expect.stringContaining('LOCAL_VISIBILITY_TIMEOUT must be at least 1'),
    });
  });
});

describe('the environment the local functions run in', () => {
  test('AWS_EXECUTION_ENV names the runtime the template gives each function', () => {
    // GIVEN the example template with its functions on another runtime
    const template = synthesizeExampleTemplate();
    for (const resource of Object.values(template.Resources)) {
      if (resource.Type === 'AWS::Lambda::Function') {
        resource.Properties!.Runtime = 'nodejs22.x';
      }
    }
    const definition = readPipelineDefinition(template);

    // WHEN
    const environments = [definition.function, definition.uploadUrlFunction].map((fn) => lambdaEnvironment({
      fn, functionName: 'f', functionEnvironment: {}, endpoint: 'http://127.0.0.1:1', taskRoot: '/task', runtimeDir: '/runtime', nodePath: '/opt',
    }));

    // THEN
    expect(environments.map((env) => env.AWS_EXECUTION_ENV)).toEqual(['AWS_Lambda_nodejs22.x', 'AWS_Lambda_nodejs22.x']);
  });
});

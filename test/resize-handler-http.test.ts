import { promises as fs } from 'node:fs';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { SubscribeCommand } from '@aws-sdk/client-sns';
import { corpusPhoto } from './support/corpus';
import { NotificationTopic, UploadBucket, createBucket, sns, sqsEvent } from './support/moto-aws';
import { lambdaContext, loadHandler } from './support/resize-handler';

interface Delivery {
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** An http subscriber on loopback that keeps every POST it receives. */
class Subscriber {
  static async start(): Promise<Subscriber> {
    const subscriber = new Subscriber();
    await new Promise<void>((resolve) => subscriber.server.listen(0, '127.0.0.1', resolve));
    return subscriber;
  }

  readonly deliveries: Delivery[] = [];
  private readonly server = http.createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => body += chunk);
    request.on('end', () => {
      this.deliveries.push({ headers: request.headers, body });
      response.end();
    });
  });

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/notifications`;
  }

  async next(timeoutMs = 10_000): Promise<Delivery> {
    const deadline = Date.now() + timeoutMs;
    while (this.deliveries.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const delivery = this.deliveries.shift();
    if (!delivery) {
      throw new Error(`nothing was delivered to ${this.url} within ${timeoutMs} ms`);
    }
    return delivery;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

let subscriber: Subscriber;

beforeEach(async () => {
  subscriber = await Subscriber.start();
  jest.spyOn(console, 'info').mockImplementation(() => undefined);
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
});

afterEach(async () => {
  jest.restoreAllMocks();
  await subscriber.stop();
});

test('an http subscriber receives the JSON document in the SNS envelope, for a resized image and a rejected file', async () => {
  // GIVEN
  const upload = await UploadBucket.create();
  const resizedBucket = await createBucket('resized');
  const topic = await NotificationTopic.create();
  await sns.send(new SubscribeCommand({ TopicArn: topic.arn, Protocol: 'http', Endpoint: subscriber.url }));
  const handler = loadHandler({ resizedBucket, topicArn: topic.arn });
  await upload.upload('LadyBird.jpg', await fs.readFile(corpusPhoto('LadyBird.jpg')));
  const [photo] = await upload.uploadNotifications(1);
  await upload.upload('broken.jpg', 'not an image');
  const [broken] = await upload.notifications(1);

  // WHEN
  await handler(sqsEvent(photo), lambdaContext);
  const resizedDelivery = await subscriber.next();
  await handler(sqsEvent(broken), lambdaContext);
  const failedDelivery = await subscriber.next();

  // THEN
  const resizedEnvelope = JSON.parse(resizedDelivery.body);
  expect(resizedEnvelope).toMatchObject({ Type: 'Notification', TopicArn: topic.arn, Subject: 'Resized: LadyBird.jpg' });
  expect(JSON.parse(resizedEnvelope.Message)).toMatchObject({
    status: 'resized',
    bucket: upload.bucket,
    key: 'LadyBird.jpg',
    input: { format: 'jpeg' },
    sizes: [
      { name: 'thumb', width: 160, height: 160, bucket: resizedBucket, key: 'thumb/LadyBird.jpg', contentType: 'image/jpeg' },
      { name: 'medium', width: 640, bucket: resizedBucket, key: 'medium/LadyBird.jpg', contentType: 'image/jpeg' },
    ],
    linksExpireAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
  });
  const failedEnvelope = JSON.parse(failedDelivery.body);
  expect(failedEnvelope.Subject).toBe('Could not resize: broken.jpg');
  expect(JSON.parse(failedEnvelope.Message)).toEqual({
    status: 'failed',
    bucket: upload.bucket,
    key: 'broken.jpg',
    reason: 'not-an-image',
    message: expect.any(String),
  });
  expect(subscriber.deliveries).toEqual([]);
});

test('a subscription filtered on its uploader receives only that uploader\'s notifications', async () => {
  // GIVEN alice's subscription filters on her identity, as POST /subscribe sets it up by default
  const upload = await UploadBucket.create();
  const resizedBucket = await createBucket('resized');
  const topic = await NotificationTopic.create();
  const alice = 'arn:aws:sts::123456789012:assumed-role/uploader/alice';
  await sns.send(new SubscribeCommand({
    TopicArn: topic.arn,
    Protocol: 'http',
    Endpoint: subscriber.url,
    Attributes: { FilterPolicy: JSON.stringify({ uploader: [alice] }) },
  }));
  const handler = loadHandler({ resizedBucket, topicArn: topic.arn });
  const photo = await fs.readFile(corpusPhoto('LadyBird.jpg'));
  await upload.upload('bob.jpg', photo, { uploader: 'arn:aws:sts::123456789012:assumed-role/uploader/bob' });
  await upload.upload('alice.jpg', photo, { uploader: alice });
  const records = await upload.uploadNotifications(2);

  // WHEN both uploads are processed, bob's first
  await handler(sqsEvent(...records), lambdaContext);

  // THEN only alice's notification reaches her endpoint
  const delivery = await subscriber.next();
  expect(JSON.parse(JSON.parse(delivery.body).Message)).toMatchObject({ status: 'resized', key: 'alice.jpg' });
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  expect(subscriber.deliveries).toEqual([]);
});

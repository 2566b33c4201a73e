/**
 * Loads src/resize.lambda.ts the way Lambda does: a fresh module with the environment the construct would set,
 * read once when the module is first required.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { AnimationName, ENV, OutputFormatName, SizeSpec } from '../../src/handler/config';

type ResizeModule = typeof import('../../src/resize.lambda');

export const SIZES: SizeSpec[] = [
  { name: 'thumb', width: 160, height: 160, fit: 'cover' },
  { name: 'medium', width: 640, fit: 'inside' },
];

export const LINK_EXPIRY_SECONDS = 3600;

export interface HandlerEnvironment {
  readonly resizedBucket: string;
  readonly topicArn: string;
  /** @default 'same-as-input' */
  readonly format?: OutputFormatName;
  /** @default 'first-frame' */
  readonly animation?: AnimationName;
  /** @default SIZES */
  readonly sizes?: SizeSpec[];
  /** @default 50 MB, the construct's default */
  readonly maxUploadBytes?: number;
}

/** A command the handler's S3 client sent, by its class name (`PutObjectCommand`, ...). */
export interface SentS3Command {
  readonly name: string;
  readonly input: { readonly Bucket?: string; readonly Key?: string };
  /** S3's answer, once it has come (a GetObject's `Body` as the handler got it). */
  output?: { readonly Body?: unknown };
}

export interface RecordingHandler {
  readonly handler: ResizeModule['handler'];
  /** Every S3 command the handler has sent, in order; the test may empty it. */
  readonly s3Commands: SentS3Command[];
}

export function loadHandler(environment: HandlerEnvironment): ResizeModule['handler'] {
  return load(environment);
}

/**
 * The handler with its S3 client's `send` spied on, so a test can count what it asked S3 to do. `beforeSend`
 * runs before each command goes out, e.g. to change the original while the handler works on it.
 */
export function loadHandlerRecordingS3(
  environment: HandlerEnvironment, beforeSend: (command: SentS3Command) => Promise<void> = async () => undefined,
): RecordingHandler {
  const s3Commands: SentS3Command[] = [];
  const handler = load(environment, (client) => {
    const send = client.prototype.send;
    jest.spyOn(client.prototype, 'send').mockImplementation(async function (this: S3Client, ...args: Parameters<S3Client['send']>) {
      const command = args[0] as unknown as { constructor: { name: string }; input: SentS3Command['input'] };
      const sent: SentS3Command = { name: command.constructor.name, input: command.input };
      s3Commands.push(sent);
      await beforeSend(sent);
      sent.output = await (send as (...a: unknown[]) => Promise<SentS3Command['output']>).apply(this, args);
      return sent.output;
    } as S3Client['send']);
  });
  return { handler, s3Commands };
}

function load(environment: HandlerEnvironment, instrument?: (client: typeof S3Client) => void): ResizeModule['handler'] {
  Object.assign(process.env, {
    [ENV.resizedBucket]: environment.resizedBucket,
    [ENV.topicArn]: environment.topicArn,
    [ENV.sizes]: JSON.stringify(environment.sizes ?? SIZES),
    [ENV.format]: environment.format ?? 'same-as-input',
    [ENV.animation]: environment.animation ?? 'first-frame',
    [ENV.quality]: '80',
    [ENV.maxInputPixels]: String(40_000_000),
    [ENV.maxUploadBytes]: String(environment.maxUploadBytes ?? 50 * 1024 * 1024),
    [ENV.linkExpirySeconds]: String(LINK_EXPIRY_SECONDS),
    // Logs go to jest's console, where tests can read them, rather than straight to stdout.
    POWERTOOLS_DEV: 'true',
  });
  let resizeModule: ResizeModule | undefined;
  jest.isolateModules(() => {
    // The handler's own copy of the SDK: isolateModules gives it a module registry of its own.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    instrument?.((require('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3')).S3Client);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    resizeModule = require('../../src/resize.lambda') as ResizeModule;
  });
  return resizeModule!.handler;
}

export const lambdaContext: Context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'image-resize',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:image-resize',
  memoryLimitInMB: '1024',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/image-resize',
  logStreamName: '2024/01/01/[$LATEST]0123456789abcdef',
  getRemainingTimeInMillis: () => 60_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

/**
 * Loads src/resize.lambda.ts the way Lambda does: a fresh module with the environment the construct would set,
 * read once when the module is first required.
 */
import type { Context } from 'aws-lambda';
import { ENV, SizeSpec } from '../../src/handler/config';

type ResizeModule = typeof import('../../src/resize.lambda');

export const SIZES: SizeSpec[] = [
  { name: 'thumb', width: 160, height: 160, fit: 'cover' },
  { name: 'medium', width: 640, fit: 'inside' },
];

export const LINK_EXPIRY_SECONDS = 3600;

export interface HandlerEnvironment {
  readonly resizedBucket: string;
  readonly topicArn: string;
}

export function loadHandler(environment: HandlerEnvironment): ResizeModule['handler'] {
  Object.assign(process.env, {
    [ENV.resizedBucket]: environment.resizedBucket,
    [ENV.topicArn]: environment.topicArn,
    [ENV.sizes]: JSON.stringify(SIZES),
    [ENV.format]: 'same-as-input',
    [ENV.quality]: '80',
    [ENV.maxInputPixels]: String(40_000_000),
    [ENV.linkExpirySeconds]: String(LINK_EXPIRY_SECONDS),
    // Logs go to jest's console, where tests can read them, rather than straight to stdout.
    POWERTOOLS_DEV: 'true',
  });
  let resizeModule: ResizeModule | undefined;
  jest.isolateModules(() => {
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

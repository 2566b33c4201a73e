import { Duration, Stack, Token, Tokenization } from 'aws-cdk-lib';
import { Animation } from './animation';
import { GLIBC_MALLOC_TUNING } from './glibc-malloc-tuning';
import { ENV, SizeSpec } from './handler/config';
import { OutputFormat } from './image-size';
import { MAX_OUTPUT_DIMENSION } from './validate-props';

/**
 * Lambda's limit on a function's environment variables, which it measures as one JSON object of names and values:
 * the quotes, colons and commas count, and so does each backslash that escapes a quote inside a value.
 */
export const MAX_ENVIRONMENT_BYTES = 4 * 1024;

/** The longest a presigned GET can be valid for (SigV4's limit). */
export const MAX_LINK_EXPIRY = Duration.days(7);

/** What ResizeFunction, which projen generates, adds to the environment on its own. */
const ADDED_BY_RESIZE_FUNCTION: Readonly<Record<string, string>> = { AWS_NODEJS_CONNECTION_REUSE_ENABLED: '1' };

/** S3's limit on a bucket name. */
const MAX_BUCKET_NAME_LENGTH = 63;

/**
 * The longest each part of the topic's ARN, `arn:{partition}:sns:{region}:{account}:{name}`, can be. CloudFormation
 * names the topic, and SNS allows 256 characters in a name; an account ID has 12 digits. Partitions and regions have
 * no documented limit: the longest today are `aws-us-gov` (10) and `us-isof-south-1` (15), and these leave room for
 * longer ones to come.
 */
const TOPIC_ARN_LIMITS = { partition: 20, region: 25, account: 12, name: 256 };

/** The settings the resize function is given. */
export interface ResizeSettings {
  readonly sizes: SizeSpec[];
  readonly outputFormat: OutputFormat;
  readonly quality: number;
  readonly maxInputPixels: number;
  readonly linkExpiry: Duration;
  readonly animation: Animation;
  readonly maxUploadBytes: number;
}

/** The resize function's environment; the bucket and topic are passed in so that it can be measured before they exist. */
export function resizeEnvironment(settings: ResizeSettings, resizedBucketName: string, topicArn: string): Record<string, string> {
  return {
    [ENV.resizedBucket]: resizedBucketName,
    [ENV.topicArn]: topicArn,
    [ENV.sizes]: JSON.stringify(settings.sizes),
    [ENV.format]: settings.outputFormat,
    [ENV.quality]: Tokenization.stringifyNumber(settings.quality),
    [ENV.maxInputPixels]: Tokenization.stringifyNumber(settings.maxInputPixels),
    [ENV.linkExpirySeconds]: Tokenization.stringifyNumber(settings.linkExpiry.toSeconds()),
    [ENV.animation]: settings.animation,
    [ENV.maxUploadBytes]: Tokenization.stringifyNumber(settings.maxUploadBytes),
    ...GLIBC_MALLOC_TUNING,
  };
}

/**
 * The most bytes the resize function's environment can take as Lambda measures it, which it does only at deploy,
 * after the stack has started: every variable the function gets, with each value that is a token until deploy
 * counted at the longest it can be. A link expiry that is not whole seconds, which the props' validation refuses,
 * counts as the longest too.
 *
 * @param resizedBucketName the name of the bucket you bring, or undefined for one the pipeline creates
 * @param stack the pipeline's stack, whose partition, region and account are in the topic's ARN
 */
export function largestEnvironmentBytes(settings: ResizeSettings, resizedBucketName: string | undefined, stack: Stack): number {
  const linkExpiryKnown = !settings.linkExpiry.isUnresolved() && Number.isInteger(settings.linkExpiry.toSeconds({ integral: false }));
  const largest: ResizeSettings = {
    ...settings,
    sizes: settings.sizes.map((size) => ({
      ...size,
      width: largestIfToken(size.width, MAX_OUTPUT_DIMENSION),
      height: largestIfToken(size.height, MAX_OUTPUT_DIMENSION),
    })),
    quality: largestIfToken(settings.quality, 100),
    maxInputPixels: largestIfToken(settings.maxInputPixels, Number.MAX_SAFE_INTEGER),
    maxUploadBytes: largestIfToken(settings.maxUploadBytes, Number.MAX_SAFE_INTEGER),
    linkExpiry: linkExpiryKnown ? settings.linkExpiry : MAX_LINK_EXPIRY,
  };
  const bucketName = resizedBucketName === undefined || Token.isUnresolved(resizedBucketName)
    ? 'x'.repeat(MAX_BUCKET_NAME_LENGTH)
    : resizedBucketName;
  const environment = { ...resizeEnvironment(largest, bucketName, 'x'.repeat(longestTopicArn(stack))), ...ADDED_BY_RESIZE_FUNCTION };
  return Buffer.byteLength(JSON.stringify(environment));
}

function largestIfToken<T extends number | undefined>(value: T, largest: number): T | number {
  return value !== undefined && Token.isUnresolved(value) ? largest : value;
}

/** A partition, region or account the stack knows at synth counts as itself. */
function longestTopicArn(stack: Stack): number {
  const length = (value: string, longest: number) => Token.isUnresolved(value) ? longest : value.length;
  return 'arn::sns:::'.length
    + length(stack.partition, TOPIC_ARN_LIMITS.partition)
    + length(stack.region, TOPIC_ARN_LIMITS.region)
    + length(stack.account, TOPIC_ARN_LIMITS.account)
    + TOPIC_ARN_LIMITS.name;
}

/**
 * The contract between the construct and the resize handler: the construct writes these environment
 * variables, the handler (and the local runner, which reads them from the synthesized template) reads them.
 * Nothing here may import AWS or sharp: the construct's jsii build includes this file.
 */

export type Fit = 'cover' | 'contain' | 'fill' | 'inside' | 'outside';
export type OutputFormatName = 'jpeg' | 'webp' | 'avif' | 'same-as-input';
export type AnimationName = 'first-frame' | 'keep';

export interface SizeSpec {
  readonly name: string;
  readonly width?: number;
  readonly height?: number;
  readonly fit: Fit;
}

export interface ResizeConfig {
  readonly resizedBucket: string;
  readonly topicArn: string;
  readonly sizes: SizeSpec[];
  readonly format: OutputFormatName;
  readonly quality: number;
  readonly maxInputPixels: number;
  readonly linkExpirySeconds: number;
  readonly animation: AnimationName;
}

/**
 * The object metadata (`x-amz-meta-uploader`) the API writes with each upload and the SNS message attribute the
 * notification carries it in, so that a subscription's filter policy can match its own caller.
 */
export const UPLOADER_ATTRIBUTE = 'uploader';

/**
 * The log messages the construct's metric filters count. The handler logs exactly these (with Powertools'
 * `function_name` field), so the metrics need no extra API calls from the function.
 */
export const LOG_MESSAGES = {
  resized: 'Upload resized',
  rejected: 'Upload rejected',
} as const;

/**
 * The SQS message attribute `npx projen redrive` puts on each message it moves back from the dead-letter queue: a
 * moved message's receive count starts again, and only this tells the handler that earlier attempts failed.
 */
export const REDRIVEN_ATTRIBUTE = 'redriven';

export const ENV = {
  resizedBucket: 'RESIZED_BUCKET',
  topicArn: 'TOPIC_ARN',
  sizes: 'SIZES',
  format: 'OUTPUT_FORMAT',
  quality: 'QUALITY',
  maxInputPixels: 'MAX_INPUT_PIXELS',
  linkExpirySeconds: 'LINK_EXPIRY_SECONDS',
  animation: 'ANIMATION',
} as const;

/** Reads and checks the handler's configuration once per container; a misconfigured function fails at init. */
export function readConfig(env: Record<string, string | undefined>): ResizeConfig {
  const required = (name: string): string => {
    const value = env[name];
    if (value === undefined || value === '') {
      throw new Error(`resize handler: environment variable ${name} is not set`);
    }
    return value;
  };
  const positiveInt = (name: string): number => {
    const value = Number(required(name));
    if (!Number.isInteger(value) || value <= 0) {
      throw new Error(`resize handler: ${name} must be a positive integer, got ${env[name]}`);
    }
    return value;
  };
  const format = required(ENV.format);
  if (!['jpeg', 'webp', 'avif', 'same-as-input'].includes(format)) {
    throw new Error(`resize handler: ${ENV.format} must be jpeg, webp, avif or same-as-input, got ${format}`);
  }
  const animation = env[ENV.animation] ?? 'first-frame';
  if (animation !== 'first-frame' && animation !== 'keep') {
    throw new Error(`resize handler: ${ENV.animation} must be first-frame or keep, got ${animation}`);
  }
  return {
    animation,
    resizedBucket: required(ENV.resizedBucket),
    topicArn: required(ENV.topicArn),
    sizes: JSON.parse(required(ENV.sizes)) as SizeSpec[],
    format: format as OutputFormatName,
    quality: positiveInt(ENV.quality),
    maxInputPixels: positiveInt(ENV.maxInputPixels),
    linkExpirySeconds: positiveInt(ENV.linkExpirySeconds),
  };
}

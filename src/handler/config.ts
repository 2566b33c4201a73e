/**
 * The contract between the construct and the resize handler: the construct writes these environment
 * variables, the handler (and the local runner, which reads them from the synthesized template) reads them.
 * Nothing here may import AWS or sharp: the construct's jsii build includes this file.
 */

export const FITS = ['cover', 'contain', 'fill', 'inside', 'outside'] as const;
export type Fit = typeof FITS[number];
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
  /**
   * The largest original, in bytes, that is read at all: a larger one, put into the bucket other than through the
   * API, would exhaust the function's memory before its pixels could be counted.
   */
  readonly maxUploadBytes: number;
}

/**
 * The object metadata (`x-amz-meta-uploader`) the API writes with each upload and the SNS message attribute the
 * notification carries it in, so that a subscription's filter policy can match its own caller.
 */
export const UPLOADER_ATTRIBUTE = 'uploader';

/**
 * The uploader object metadata records, if any. An empty value names nobody: SNS refuses a message attribute
 * whose value is empty, so publishing it would fail on every attempt, and copies recording it would look like
 * another caller's.
 */
export function uploaderIn(metadata: Record<string, string> | undefined): string | undefined {
  const uploader = metadata?.[UPLOADER_ATTRIBUTE];
  return uploader === '' ? undefined : uploader;
}

/**
 * How both functions' log lines name an uploader, so one Logs Insights filter finds an upload's lines in either. No
 * uploader is `(none)`: a notification published without it reaches only the subscriptions that have no filter
 * policy, so under the API's `UPLOADER` scope none of the API's.
 */
export function uploaderAsLogged(uploader: string | undefined): string {
  return uploader ?? '(none)';
}

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

/**
 * How often an SQS record has been delivered, a move back from the dead-letter queue counting as one delivery more.
 * Typed by the fields it reads, as this file imports nothing of AWS.
 */
export function deliveriesOf(record: {
  readonly attributes: { readonly ApproximateReceiveCount: string };
  readonly messageAttributes?: Readonly<Record<string, unknown>>;
}): number {
  return (Number(record.attributes.ApproximateReceiveCount) || 1) + (record.messageAttributes?.[REDRIVEN_ATTRIBUTE] === undefined ? 0 : 1);
}

export const ENV = {
  resizedBucket: 'RESIZED_BUCKET',
  topicArn: 'TOPIC_ARN',
  sizes: 'SIZES',
  format: 'OUTPUT_FORMAT',
  quality: 'QUALITY',
  maxInputPixels: 'MAX_INPUT_PIXELS',
  linkExpirySeconds: 'LINK_EXPIRY_SECONDS',
  animation: 'ANIMATION',
  maxUploadBytes: 'MAX_UPLOAD_BYTES',
} as const;

/** A size name becomes a key prefix, so it must be one plain path segment. */
export const SIZE_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Reads and checks the handler's configuration once per container; a misconfigured function fails at init, with a
 * message that names the variable and what is wrong with it, rather than on each upload.
 */
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
  const quality = positiveInt(ENV.quality);
  if (quality > 100) {
    throw new Error(`resize handler: ${ENV.quality} must be an integer from 1 to 100, got ${env[ENV.quality]}`);
  }
  return {
    animation,
    resizedBucket: required(ENV.resizedBucket),
    topicArn: required(ENV.topicArn),
    sizes: readSizes(required(ENV.sizes)),
    format: format as OutputFormatName,
    quality,
    maxInputPixels: positiveInt(ENV.maxInputPixels),
    linkExpirySeconds: positiveInt(ENV.linkExpirySeconds),
    maxUploadBytes: positiveInt(ENV.maxUploadBytes),
  };
}

/** The JSON the construct writes: a non-empty array of sizes, each with a name, a width or a height or both, and a fit. */
function readSizes(json: string): SizeSpec[] {
  const fail = (problem: string): never => {
    throw new Error(`resize handler: ${ENV.sizes}${problem.startsWith('[') ? '' : ' '}${problem}, got ${json}`);
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return fail('must be JSON');
  }
  if (!Array.isArray(parsed) || parsed.length === 0) {
    return fail('must be a non-empty array of sizes');
  }
  const names = new Set<string>();
  return parsed.map((size: unknown, index): SizeSpec => {
    const at = `[${index}]`;
    if (typeof size !== 'object' || size === null || Array.isArray(size)) {
      return fail(`${at} must be an object`);
    }
    const { name, width, height, fit } = size as Record<string, unknown>;
    if (typeof name !== 'string' || !SIZE_NAME_PATTERN.test(name)) {
      return fail(`${at}.name must be 1 to 64 letters, digits, "-" or "_"`);
    }
    if (names.has(name)) {
      return fail(`${at}.name "${name}" is used by more than one size`);
    }
    names.add(name);
    for (const [side, value] of [['width', width], ['height', height]] as const) {
      if (value !== undefined && !(Number.isInteger(value) && (value as number) > 0)) {
        return fail(`${at}.${side} of "${name}" must be a positive integer where present`);
      }
    }
    if (width === undefined && height === undefined) {
      return fail(`${at} ("${name}") needs a width, a height or both`);
    }
    if (!FITS.includes(fit as Fit)) {
      return fail(`${at}.fit of "${name}" must be one of ${FITS.join(', ')}`);
    }
    return { name, width: width as number | undefined, height: height as number | undefined, fit: fit as Fit };
  });
}

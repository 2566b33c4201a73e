import { Duration, IResource, Token, TokenComparison } from 'aws-cdk-lib';
import { SIZE_NAME_PATTERN } from './handler/config';
import { ImageFit, ImageSize } from './image-size';
/**
 * The largest box side a size may ask for: WebP's limit, the smallest of the output encoders' (WebP 16,383, AVIF
 * 16,384, JPEG 65,500, GIF 65,535, PNG none that matters). It bounds the box, not the copies: a size with only a
 * width or only a height (or with `outside`) leaves the other side to follow the image, so a long, narrow upload can
 * still give a copy past its format's limit. The handler checks each upload's copies against the format's limit
 * before decoding it and refuses those as `too-large-for-format` (src/handler/output-encoding.ts).
 */
export const MAX_OUTPUT_DIMENSION = 16383;

const SIZE_NAME_RULE = '1 to 64 letters, digits, "-" or "_" (it becomes the key prefix of the outputs)';

const LITERAL_REQUIRED = 'must be a literal, not a deploy-time token such as a CfnParameter\'s value: the pipeline is checked and built from it at synth, before any token has a value';

/**
 * Collects every problem with the props so a user fixes them all in one go, rather than one per synth.
 * Numbers and durations that are tokens are unknown until deploy and are left alone; names and choices are refused as
 * tokens.
 */
export class PropsProblems {
  private readonly problems: string[] = [];

  public add(prop: string, problem: string) {
    this.problems.push(`${prop}: ${problem}`);
  }

  public integerIn(prop: string, value: number | undefined, min: number, max: number) {
    if (value === undefined || Token.isUnresolved(value)) return;
    if (!Number.isInteger(value) || value < min || value > max) {
      this.add(prop, `must be an integer from ${min} to ${max}, got ${shown(value)}`);
    }
  }

  /** A region that is a token (an env-agnostic stack, an import that names none) may be the same one, and passes. */
  public inRegion(prop: string, resource: IResource | undefined, region: string, why: string) {
    if (resource && Token.compareStrings(resource.env.region, region) === TokenComparison.DIFFERENT) {
      this.add(prop, `is in ${resource.env.region}, but the pipeline is in ${region}: ${why}`);
    }
  }

  /** For a choice such as an enum's value. */
  public oneOf(prop: string, value: unknown, allowed: readonly string[]) {
    if (value === undefined) return;
    if (Token.isUnresolved(value)) {
      this.add(prop, LITERAL_REQUIRED);
    } else if (!(allowed as readonly unknown[]).includes(value)) {
      this.add(prop, `${shown(value)} is not one of ${allowed.join(', ')}`);
    }
  }

  /** For a number that need not be whole but must be above 0, such as a rate. */
  public numberAboveZeroUpTo(prop: string, value: number | undefined, max: number) {
    if (value === undefined || Token.isUnresolved(value)) return;
    if (!(value > 0 && value <= max)) {
      this.add(prop, `must be above 0 and at most ${max}, got ${shown(value)}`);
    }
  }

  /** Every duration the pipeline takes becomes a whole number of seconds in its template or its functions' settings. */
  public durationIn(prop: string, value: Duration | undefined, min: Duration, max: Duration) {
    if (value === undefined || value.isUnresolved()) return;
    const seconds = value.toSeconds({ integral: false });
    if (!Number.isInteger(seconds)) {
      this.add(prop, `must be a whole number of seconds, got ${seconds} seconds`);
    } else if (seconds < min.toSeconds() || seconds > max.toSeconds()) {
      this.add(prop, `must be from ${min.toHumanString()} to ${max.toHumanString()}, got ${value.toHumanString()}`);
    }
  }

  /**
   * For a period S3 counts in days, such as a lifecycle rule's. A token is converted to days only from days, so one in
   * another unit is refused, while its value is left for deploy.
   */
  public wholeDays(prop: string, value: Duration | undefined) {
    if (value === undefined) return;
    if (value.isUnresolved()) {
      if (value.unitLabel() !== 'days') {
        this.add(prop, `is a deploy-time token in ${value.unitLabel()}, which cannot be converted to the days S3 takes: give it as Duration.days(...)`);
      }
      return;
    }
    const days = value.toDays({ integral: false });
    if (!Number.isInteger(days) || days < 1) {
      this.add(prop, `must be a whole number of days, at least 1, got ${value.toHumanString()}`);
    }
  }

  /** Takes what plain JavaScript can pass as well as what the types allow, so that a wrong type is a problem too. */
  public sizes(sizes: unknown) {
    if (!Array.isArray(sizes)) {
      this.add('sizes', `must be an array of sizes, got ${shown(sizes)}`);
      return;
    }
    if (sizes.length === 0) {
      this.add('sizes', 'at least one size is required');
    }
    const seen = new Set<string>();
    sizes.forEach((size: unknown, index) => {
      const prop = `sizes[${index}]`;
      if (typeof size !== 'object' || size === null) {
        this.add(prop, `must be an object with a name and a width, a height or both, got ${shown(size)}`);
        return;
      }
      const { name, width, height, fit } = size as Record<keyof ImageSize, unknown>;
      if (typeof name !== 'string') {
        this.add(`${prop}.name`, `must be a string of ${SIZE_NAME_RULE}, got ${shown(name)}`);
      } else if (Token.isUnresolved(name)) {
        this.add(`${prop}.name`, LITERAL_REQUIRED);
      } else if (!SIZE_NAME_PATTERN.test(name)) {
        this.add(`${prop}.name`, `${shown(name)} must be ${SIZE_NAME_RULE}`);
      } else if (seen.has(name)) {
        this.add(`${prop}.name`, `${shown(name)} is used by more than one size`);
      } else {
        seen.add(name);
      }
      if (width === undefined && height === undefined) {
        this.add(prop, `${typeof name === 'string' && !Token.isUnresolved(name) ? `${shown(name)} ` : ''}needs a width, a height or both`);
      }
      this.integerIn(`${prop}.width`, width as number | undefined, 1, MAX_OUTPUT_DIMENSION);
      this.integerIn(`${prop}.height`, height as number | undefined, 1, MAX_OUTPUT_DIMENSION);
      this.oneOf(`${prop}.fit`, fit, Object.values(ImageFit));
    });
  }

  /**
   * Each origin as a browser sends it in `Origin`, since the API compares them as strings: a scheme and host in lower
   * case, a port only when it is not the scheme's default. Refused rather than normalised, so that the template holds
   * what the props say.
   */
  public allowedOrigins(origins: unknown) {
    if (origins === undefined) return;
    if (Token.isUnresolved(origins)) {
      this.add('allowedOrigins', LITERAL_REQUIRED);
      return;
    }
    if (!Array.isArray(origins)) {
      this.add('allowedOrigins', `must be a list of origins such as ["https://app.example.com"], got ${shown(origins)}`);
      return;
    }
    if (origins.length === 0) {
      this.add('allowedOrigins', 'must name at least one origin; leave it out for no CORS');
    }
    if (origins.length > 1 && origins.includes('*')) {
      this.add('allowedOrigins', '"*" allows every origin and cannot be listed with others: give ["*"] alone');
    }
    const seen = new Set<string>();
    origins.forEach((origin: unknown, index) => {
      const prop = `allowedOrigins[${index}]`;
      if (typeof origin !== 'string') {
        this.add(prop, `must be an origin string, got ${shown(origin)}`);
      } else if (Token.isUnresolved(origin)) {
        this.add(prop, LITERAL_REQUIRED);
      } else if (seen.has(origin)) {
        this.add(prop, `${shown(origin)} is listed more than once`);
      } else {
        seen.add(origin);
        const problem = origin === '*' ? undefined : originProblem(origin);
        if (problem) this.add(prop, problem);
      }
    });
    const length = origins.filter((origin) => typeof origin === 'string').join(',').length;
    if (length > MAX_ALLOWED_ORIGINS_LENGTH) {
      this.add('allowedOrigins', `the origins go into the upload-url function's environment, which Lambda caps at 4 KB: ${length} characters is over the ${MAX_ALLOWED_ORIGINS_LENGTH} that leave room for its other settings`);
    }
  }

  /** Throws one error that lists every problem found. */
  public throwIfAny(constructPath: string) {
    if (this.problems.length > 0) {
      throw new Error(`Invalid ImageResizePipeline props at ${constructPath}:\n  - ${this.problems.join('\n  - ')}`);
    }
  }
}

/** How much of the upload-url function's environment (4 KB in all, keys included) the comma-joined origins may take. */
const MAX_ALLOWED_ORIGINS_LENGTH = 3000;

/**
 * A DNS name's labels (`_` included, which browsers send as written, and a trailing dot) or a bracketed IPv6 address as
 * a WHATWG URL writes it. The URL parser lets `"`, `$`, `'` and `,` through in a host, and the origins go into a VTL
 * string, a quoted header value and a comma-joined variable, so the host is held to these characters.
 */
const ORIGIN_HOST = /^(?:(?:[a-z0-9_-]+\.)*[a-z0-9_-]+\.?|\[[0-9a-f:]+\])$/;

/**
 * The ports Fetch never connects to over http(s) (https://fetch.spec.whatwg.org/#port-blocking, as of August 2025,
 * when it added 0): no page is loaded from one, so an origin with one never reaches an `Origin` header.
 */
const FETCH_BAD_PORTS = new Set([
  0, 1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110,
  111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532,
  540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061,
  6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);

/**
 * Browsers send an origin as the WHATWG URL parser serializes it, so an origin is taken as given only when it is that
 * serialization already: scheme and host in lower case, an IDN as `xn--`, an IP address in its one canonical form, no
 * default port, credentials, path, query or fragment.
 */
function originProblem(origin: string): string | undefined {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return `${shown(origin)} is not an origin: give one as a browser sends it, http(s)://host[:port], e.g. "https://app.example.com"`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `${shown(origin)} must be an http or https origin, as a browser sends it for a web page, e.g. "https://app.example.com"`;
  }
  if (hasEmptyLabel(url.hostname)) {
    return `${shown(origin)} has an empty label in its host (a dot at the start or two in a row): give labels joined by single dots, e.g. "https://app.example.com"`;
  }
  if (!ORIGIN_HOST.test(url.hostname)) {
    return `${shown(origin)} has a host with characters no DNS name has: give letters, digits, '-' and '_' in labels joined by dots, or an IP address (each origin listed in full, no wildcards)`;
  }
  // An empty port is the scheme's default, not 0. Checked before the written form, which would otherwise send
  // "http://localhost:06000" to the equally useless "http://localhost:6000".
  if (url.port !== '' && FETCH_BAD_PORTS.has(Number(url.port))) {
    return `${shown(origin)} has port ${url.port}, which browsers block (Fetch's bad ports), so no page is loaded from it: give the port the page is served on, e.g. "http://localhost:3000"`;
  }
  if (url.origin !== origin) {
    return `${shown(origin)} is not written as a browser sends it, so it would never match: give ${shown(url.origin)}`;
  }
  return undefined;
}

/** One trailing dot is the DNS root, which browsers send as written; any other empty label names no host. */
function hasEmptyLabel(hostname: string): boolean {
  return hostname.replace(/\.$/, '').split('.').includes('');
}

/** A value as it was given: a string in quotes, so that "100" does not pass for 100. */
function shown(value: unknown): string {
  return typeof value === 'number' ? String(value) : JSON.stringify(value) ?? String(value);
}

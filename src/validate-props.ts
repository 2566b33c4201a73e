import { Duration, Token } from 'aws-cdk-lib';
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

/**
 * Collects every problem with the props so a user fixes them all in one go, rather than one per synth.
 * Values that are tokens are unknown until deploy and are left alone.
 */
export class PropsProblems {
  private readonly problems: string[] = [];

  public add(prop: string, problem: string) {
    this.problems.push(`${prop}: ${problem}`);
  }

  public integerIn(prop: string, value: number | undefined, min: number, max: number) {
    if (value === undefined || Token.isUnresolved(value)) return;
    if (!Number.isInteger(value) || value < min || value > max) {
      this.add(prop, `must be an integer from ${min} to ${max}, got ${value}`);
    }
  }

  /** For a number that need not be whole but must be above 0, such as a rate. */
  public numberAboveZeroUpTo(prop: string, value: number | undefined, max: number) {
    if (value === undefined || Token.isUnresolved(value)) return;
    if (!(value > 0 && value <= max)) {
      this.add(prop, `must be above 0 and at most ${max}, got ${value}`);
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

  public sizes(sizes: ImageSize[]) {
    if (sizes.length === 0) {
      this.add('sizes', 'at least one size is required');
    }
    const seen = new Set<string>();
    sizes.forEach((size, index) => {
      const prop = `sizes[${index}]`;
      if (!SIZE_NAME_PATTERN.test(size.name)) {
        this.add(`${prop}.name`, `"${size.name}" must be 1 to 64 letters, digits, "-" or "_" (it becomes the key prefix of the outputs)`);
      } else if (seen.has(size.name)) {
        this.add(`${prop}.name`, `"${size.name}" is used by more than one size`);
      }
      seen.add(size.name);
      if (size.width === undefined && size.height === undefined) {
        this.add(prop, `"${size.name}" needs a width, a height or both`);
      }
      this.integerIn(`${prop}.width`, size.width, 1, MAX_OUTPUT_DIMENSION);
      this.integerIn(`${prop}.height`, size.height, 1, MAX_OUTPUT_DIMENSION);
      if (size.fit !== undefined && !Object.values(ImageFit).includes(size.fit)) {
        this.add(`${prop}.fit`, `"${size.fit}" is not one of ${Object.values(ImageFit).join(', ')}`);
      }
    });
  }

  /** Throws one error that lists every problem found. */
  public throwIfAny(constructPath: string) {
    if (this.problems.length > 0) {
      throw new Error(`Invalid ImageResizePipeline props at ${constructPath}:\n  - ${this.problems.join('\n  - ')}`);
    }
  }
}

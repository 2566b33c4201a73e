/**
 * A deadline for the image work, so that an image too slow to resize is stopped while the invocation still has time
 * to say so. Without one, Lambda's timeout ends the invocation with no answer: every record of its batch, finished
 * or not, is delivered again, and the slow one, stopped the same way on every receive, goes to the dead-letter
 * queue with nobody told. No AWS here: a deadline is only a time on the clock.
 */
import type { OutputInfo, Sharp } from 'sharp';

/** The image work was stopped at its deadline. Whether trying again can help depends on how much time it had. */
export class ResizeDeadlineError extends Error {
  constructor(cause?: unknown) {
    super('The resize was stopped at its deadline', cause === undefined ? undefined : { cause });
    this.name = 'ResizeDeadlineError';
  }
}

/**
 * The pipeline's output, which libvips stops once it has run for the whole seconds left before `deadline`. libvips
 * counts only whole seconds, and 0 means no limit at all, so with under a second left the pipeline is not started.
 *
 * @param deadline a `Date.now()` time, or undefined for no deadline
 * @throws ResizeDeadlineError when the deadline is too near to start, or libvips stopped the pipeline at it
 */
export async function outputBefore(pipeline: Sharp, deadline: number | undefined): Promise<{ data: Buffer; info: OutputInfo }> {
  if (deadline === undefined) {
    return pipeline.toBuffer({ resolveWithObject: true });
  }
  const seconds = Math.floor((deadline - Date.now()) / 1000);
  if (seconds < 1) {
    throw new ResizeDeadlineError();
  }
  try {
    return await pipeline.timeout({ seconds }).toBuffer({ resolveWithObject: true });
  } catch (error) {
    // sharp's own words for it: "timeout: 42% complete".
    throw error instanceof Error && error.message.startsWith('timeout:') ? new ResizeDeadlineError(error) : error;
  }
}

/**
 * A linear congruential generator (glibc's constants): numbers that look random but are the same on every run, so
 * a failing case made from them can be made again.
 *
 * @returns the next number from 0 to 2^31 - 1 at each call
 */
export function fixedSequence(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state;
  };
}

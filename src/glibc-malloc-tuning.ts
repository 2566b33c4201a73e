/**
 * glibc malloc settings for the resize function's environment; the benchmark's processes run with them too, so
 * what it measures is what the function does. Figures are from the reference corpus in one long-lived process, as
 * in a warm container.
 *
 * - `MALLOC_ARENA_MAX`: with glibc's default of one arena per thread that allocates (libuv's and libvips'
 *   workers), freed image buffers are rarely handed back: peak RSS was about 420 MB, against about 300 MB with two
 *   arenas, at the same CPU time.
 * - `MALLOC_MMAP_THRESHOLD_` and `MALLOC_TRIM_THRESHOLD_`: otherwise glibc maps each large image buffer (decoder
 *   state, the intermediate, the outputs) afresh or trims it away after use, and the next image pays for it again in
 *   page faults. The core took 9,000 to 29,000 minor faults (23,000 or more in four of five runs) and 70 to 130 ms
 *   of system CPU a pass over the corpus, against 8,900 to 13,400 faults and 65 to 93 ms with these two: about 2% of
 *   its CPU time, at the same peak RSS, for about 13 MB more that Node.js keeps from its own start. 32 MiB is the
 *   largest threshold glibc accepts on 64-bit; larger buffers, such as an 18 MP progressive JPEG's coefficients,
 *   are still mapped each time. Setting either threshold turns off glibc's adaptive one, so both are set. The trim
 *   threshold leaves a warm container what one image took for the next; at 64 MiB, faults went from 9,000 to 16,000.
 */
export const GLIBC_MALLOC_TUNING: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: String(32 * 2 ** 20),
  MALLOC_TRIM_THRESHOLD_: String(256 * 2 ** 20),
};

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
 *   page faults. The core took 23,000 to 29,000 minor faults and 100 to 130 ms of system CPU a pass over the corpus,
 *   against 9,000 to 13,000 faults and 65 to 93 ms with these two, and 3 to 4% less CPU in all (216 to 222 ms an
 *   image against 225 to 229 in the bench), at the same peak RSS. 32 MiB is the largest threshold glibc accepts on
 *   64-bit; larger buffers, such as an 18 MP progressive JPEG's coefficients, are still mapped each time. Setting
 *   either threshold turns off glibc's adaptive one, so both are set.
 */
export const GLIBC_MALLOC_TUNING: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: String(32 * 2 ** 20),
  MALLOC_TRIM_THRESHOLD_: String(256 * 2 ** 20),
};

/**
 * Peak resident memory of this process, and a way to start measuring it afresh, so one process can measure the
 * peak of each piece of work in turn.
 */
import { existsSync, readFileSync, writeFileSync } from 'fs';

const STATUS = '/proc/self/status';
const CLEAR_REFS = '/proc/self/clear_refs';

/**
 * Whether `resetPeakRss` works here: Linux resets the high-water mark (VmHWM) to the current RSS when "5" is
 * written to clear_refs. `process.resourceUsage().maxRSS` cannot be reset, and Linux carries it across exec.
 */
export const PEAK_RSS_RESETTABLE = existsSync(CLEAR_REFS) && existsSync(STATUS);

export function resetPeakRss(): void {
  if (PEAK_RSS_RESETTABLE) {
    writeFileSync(CLEAR_REFS, '5');
  }
}

/** Since the last `resetPeakRss` where that works, else since the process started. */
export function peakRssMb(): number {
  const highWaterMark = PEAK_RSS_RESETTABLE ? /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(STATUS, 'utf8')) : null;
  return highWaterMark ? Number(highWaterMark[1]) / 1024 : process.resourceUsage().maxRSS / 1024;
}

import { spawnSync } from 'child_process';

/** How much of a failed command's output an error shows: enough for a compiler's or resolver's complaint. */
const OUTPUT_TAIL_CHARS = 6_000;

export interface RunOptions {
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  /** A cold install downloads the CDK for that language, so the default is generous. */
  readonly timeoutMs?: number;
}

/** Runs a program to completion and returns its stdout; a failure carries the end of its output. */
export function run(command: string, args: string[], options: RunOptions): string {
  const result = spawnSync(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: options.timeoutMs ?? 15 * 60_000,
  });
  const shown = `${command} ${args.join(' ')} (in ${options.cwd})`;
  if (result.error) {
    throw new Error(`${shown} could not run: ${result.error.message}`);
  }
  if (result.status !== 0) {
    const output = `${result.stdout}\n${result.stderr}`.trim();
    throw new Error(`${shown} exited with ${result.status ?? result.signal}:\n${output.slice(-OUTPUT_TAIL_CHARS)}`);
  }
  return result.stdout;
}

/**
 * Fails with what to install when a toolchain is missing: a consumer test that cannot run is a failure,
 * never a skip.
 */
export function requireTool(command: string, versionArgs: string[], what: string): string {
  const result = spawnSync(command, versionArgs, { encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    const reason = result.error?.message ?? `exit ${result.status}: ${result.stderr}`;
    throw new Error(`This consumer test needs ${what} (\`${command}\` on the PATH), and it is not usable here: ${reason}`);
  }
  return `${result.stdout}${result.stderr}`.trim();
}

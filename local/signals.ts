/**
 * Ctrl-C and SIGTERM must stop everything a local run started, whenever they arrive, start-up included: the
 * CLI and the demo wait on this next to their work and clean up in one place.
 */

/** Resolves, on the first SIGINT or SIGTERM, to the exit code a shell expects for it. */
export function untilStopSignal(): Promise<number> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals, code: number) => process.once(signal, () => {
      console.log(`\n${signal}: stopping everything the local pipeline started...`);
      resolve(code);
    });
    on('SIGINT', 130);
    on('SIGTERM', 143);
  });
}

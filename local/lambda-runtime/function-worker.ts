/**
 * One worker process is one Lambda execution environment: started on demand, the handler loaded once, one
 * invocation at a time. A worker that crashes, fails to initialise or overruns the function's timeout is
 * killed and never used again, as Lambda replaces such an environment.
 */
import { ChildProcess, fork } from 'node:child_process';
import { createInterface } from 'node:readline';
import { FromWorker, SerializedError, ToWorker } from './protocol';

/** Lambda's limit on a function's init phase. */
const INIT_TIMEOUT_MS = 10_000;

export type InvocationOutcome =
  | { readonly kind: 'result'; readonly result: unknown }
  /** The handler threw or rejected; the worker lives on. */
  | { readonly kind: 'error'; readonly error: SerializedError }
  | { readonly kind: 'init-error'; readonly error: SerializedError }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'crash'; readonly detail: string };

export interface FunctionWorkerOptions {
  readonly name: string;
  /** The runtime's entry point (see task-root.ts). */
  readonly bootstrap: string;
  readonly cwd: string;
  /** The whole environment: nothing of the runner's own leaks in, as nothing of a developer's shell reaches Lambda. */
  readonly env: Record<string, string>;
  /** Receives each line the function writes to stdout or stderr. */
  readonly log: (line: string) => void;
}

export class FunctionWorker {
  public readonly name: string;
  private readonly child: ChildProcess;
  /** Settles once the process has exited, with how it ended, e.g. `killed by SIGKILL`. */
  public readonly exited: Promise<string>;
  private readonly ready: Promise<InvocationOutcome | undefined>;
  private busy = false;
  private dead = false;

  constructor(options: FunctionWorkerOptions) {
    this.name = options.name;
    this.child = fork(options.bootstrap, [], {
      cwd: options.cwd,
      env: options.env,
      execArgv: [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => options.log(`[${this.name}] ${line}`));
    }
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.dead = true;
        resolve(signal ? `killed by ${signal}` : `exited with code ${code}`);
      });
    });
    this.ready = this.race(INIT_TIMEOUT_MS, (message): InvocationOutcome | undefined => {
      if (message.type === 'ready') {
        return undefined;
      }
      if (message.type === 'init-error') {
        return { kind: 'init-error', error: message.error };
      }
      return { kind: 'crash', detail: `sent ${message.type} before it was ready` };
    }).then((outcome) => (outcome?.kind === 'timeout'
      ? { kind: 'init-error', error: { errorType: 'Runtime.InitTimeout', errorMessage: `init took longer than ${INIT_TIMEOUT_MS / 1000} s` } }
      : outcome));
  }

  /** The worker's operating-system process, for a test to kill as Lambda's environment can die. */
  public get pid(): number | undefined {
    return this.child.pid;
  }

  /** Neither running an invocation nor gone. */
  public get idle(): boolean {
    return !this.busy && !this.dead;
  }

  public async invoke(message: ToWorker, timeoutMs: number): Promise<InvocationOutcome> {
    this.busy = true;
    try {
      const initFailure = await this.ready;
      if (initFailure) {
        await this.stop();
        return initFailure;
      }
      this.child.send(message);
      const outcome = await this.race(timeoutMs, (reply): InvocationOutcome => {
        if (reply.type === 'result' && reply.requestId === message.requestId) {
          return { kind: 'result', result: reply.result };
        }
        if (reply.type === 'error' && reply.requestId === message.requestId) {
          return { kind: 'error', error: reply.error };
        }
        return { kind: 'crash', detail: `sent an unexpected ${reply.type}` };
      });
      if (outcome.kind !== 'result' && outcome.kind !== 'error') {
        await this.stop();
      }
      return outcome;
    } finally {
      this.busy = false;
    }
  }

  public async stop(): Promise<void> {
    if (!this.dead) {
      this.child.kill('SIGKILL');
    }
    await this.exited;
  }

  /** The first of: the worker's next message (mapped), its exit, or the timeout. */
  private race<T>(timeoutMs: number, onMessage: (message: FromWorker) => T): Promise<T | InvocationOutcome> {
    return new Promise((resolve) => {
      const finish = (outcome: T | InvocationOutcome) => {
        clearTimeout(timer);
        this.child.removeListener('message', messageListener);
        this.child.removeListener('exit', exitListener);
        resolve(outcome);
      };
      const messageListener = (message: FromWorker) => finish(onMessage(message));
      const exitListener = (code: number | null, signal: string | null) =>
        finish({ kind: 'crash', detail: signal ? `killed by ${signal}` : `exited with code ${code}` });
      const timer = setTimeout(() => finish({ kind: 'timeout' }), timeoutMs);
      if (this.dead) {
        finish({ kind: 'crash', detail: 'the worker had already exited' });
        return;
      }
      this.child.on('message', messageListener);
      this.child.once('exit', exitListener);
    });
  }
}

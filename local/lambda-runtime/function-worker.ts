/**
 * One worker process is one Lambda execution environment: started on demand, the handler loaded once, one
 * invocation at a time. A worker that crashes, fails to initialise or overruns the function's timeout is
 * killed and never used again, as Lambda replaces such an environment.
 *
 * Lambda gives an init 10 s of its own; one that takes longer is stopped and run again inside the first
 * invocation, where init and handler share the function's timeout. Here the init is not restarted but allowed to
 * go on, on the same terms: a machine under load (a CI run) then gets a slow cold start, as Lambda would give it,
 * not a failed batch.
 */
import { ChildProcess, fork } from 'node:child_process';
import { createInterface } from 'node:readline';
import { NodeRuntime } from './node-runtime';
import { FromWorker, SerializedError, ToWorker } from './protocol';

/** Lambda's init phase, not counted in the function's timeout. */
const LAMBDA_INIT_PHASE_MS = 10_000;

/** An invocation as its caller asks for it: the worker sets its deadline, which depends on how the init went. */
export type Invocation = Omit<ToWorker, 'deadline'>;

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
  /**
   * The Node.js that runs the worker (see node-runtime.ts).
   * @default this process's own
   */
  readonly runtime?: NodeRuntime;
  /**
   * How long an init may take before it is charged to the first invocation.
   * @default Lambda's 10 s
   */
  readonly initPhaseMs?: number;
}

export class FunctionWorker {
  public readonly name: string;
  private readonly child: ChildProcess;
  /** Settles once the process has exited, with how it ended, e.g. `killed by SIGKILL`. */
  public readonly exited: Promise<string>;
  /** Settles when the handler is loaded: with the init's failure, or undefined. */
  private readonly ready: Promise<InvocationOutcome | undefined>;
  /** Epoch milliseconds after which the init is charged to the invocation waiting for it. */
  private readonly initPhaseEnds: number;
  private readyAt: number | undefined;
  private busy = false;
  private dead = false;

  constructor(options: FunctionWorkerOptions) {
    this.name = options.name;
    // Timed from before the fork, as Lambda's init phase runs from the environment's start: the child runs its init
    // as soon as it exists, and on a loaded machine this process may get the CPU back only hundreds of ms later.
    this.initPhaseEnds = Date.now() + (options.initPhaseMs ?? LAMBDA_INIT_PHASE_MS);
    this.child = fork(options.bootstrap, [], {
      cwd: options.cwd,
      env: options.env,
      execPath: options.runtime?.execPath,
      execArgv: options.runtime?.execArgv ?? [],
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
    this.ready = this.race(undefined, (message): InvocationOutcome | undefined => {
      if (message.type === 'ready') {
        this.readyAt = Date.now();
        return undefined;
      }
      if (message.type === 'init-error') {
        return { kind: 'init-error', error: message.error };
      }
      return { kind: 'crash', detail: `sent ${message.type} before it was ready` };
    });
  }

  /** The worker's operating-system process, for a test to kill as Lambda's environment can die. */
  public get pid(): number | undefined {
    return this.child.pid;
  }

  /** Neither running an invocation nor gone. */
  public get idle(): boolean {
    return !this.busy && !this.dead;
  }

  public async invoke(invocation: Invocation, timeoutMs: number): Promise<InvocationOutcome> {
    this.busy = true;
    try {
      const invokedAt = Date.now();
      // Where Lambda would start the init again, had it overrun its phase: the invocation's time runs from there.
      const retriedInitFrom = Math.max(invokedAt, this.initPhaseEnds);
      const initFailure = await this.readyBy(retriedInitFrom + timeoutMs);
      if (initFailure) {
        await this.stop();
        return initFailure;
      }
      const initOverran = this.readyAt! > this.initPhaseEnds;
      const deadline = (initOverran ? retriedInitFrom : Math.max(invokedAt, this.readyAt!)) + timeoutMs;
      const message: ToWorker = { ...invocation, deadline };
      this.child.send(message);
      const outcome = await this.race(deadline - Date.now(), (reply): InvocationOutcome => {
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

  /** The init's outcome, or a timeout at `deadline` (epoch milliseconds). */
  private async readyBy(deadline: number): Promise<InvocationOutcome | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<InvocationOutcome>((resolve) => {
      timer = setTimeout(() => resolve({ kind: 'timeout' }), Math.max(0, deadline - Date.now()));
    });
    try {
      return await Promise.race([this.ready, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The first of: the worker's next message (mapped), its exit, or the timeout if there is one. */
  private race<T>(timeoutMs: number | undefined, onMessage: (message: FromWorker) => T): Promise<T | InvocationOutcome> {
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
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => finish({ kind: 'timeout' }), Math.max(0, timeoutMs));
      if (this.dead) {
        finish({ kind: 'crash', detail: 'the worker had already exited' });
        return;
      }
      this.child.on('message', messageListener);
      this.child.once('exit', exitListener);
    });
  }
}

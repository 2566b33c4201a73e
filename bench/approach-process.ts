import { ChildProcess, fork } from 'child_process';
import * as path from 'path';
import type { CallMeasurement, WorkerRequest } from './approach-worker';
import { ApproachName } from './approaches';
import { GLIBC_MALLOC_TUNING } from '../src/glibc-malloc-tuning';

const REPO_ROOT = path.join(__dirname, '..');

/** One approach in a node process of its own (`approach-worker.ts`), which runs it on one image at a time. */
export class ApproachProcess {
  static async start(approach: ApproachName, paths: string[]): Promise<ApproachProcess> {
    const child = fork(path.join(__dirname, 'approach-worker.ts'), [], {
      execArgv: ['-r', 'ts-node/register/transpile-only'],
      // The resize function's malloc settings, for every approach alike.
      env: { ...process.env, ...GLIBC_MALLOC_TUNING, TS_NODE_PROJECT: path.join(REPO_ROOT, 'tsconfig.dev.json') },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const started = new ApproachProcess(approach, child);
    await started.request({ kind: 'load', approach, paths });
    return started;
  }

  private constructor(readonly approach: ApproachName, private readonly child: ChildProcess) {}

  /** Runs the approach on `paths[image]` and measures that call alone. */
  run(image: number): Promise<CallMeasurement> {
    return this.request({ kind: 'run', image });
  }

  stop(): void {
    this.child.kill();
  }

  private request<T>(request: WorkerRequest): Promise<T> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null, signal: string | null) =>
        reject(new Error(`bench: the ${this.approach} process ended (exit code ${code}, signal ${signal})`));
      this.child.once('exit', onExit);
      this.child.once('message', (reply: { ok?: T; error?: string }) => {
        this.child.off('exit', onExit);
        if (reply.error !== undefined) {
          reject(new Error(`bench: ${this.approach} failed: ${reply.error}`));
        } else {
          resolve(reply.ok as T);
        }
      });
      this.child.send(request);
    });
  }
}

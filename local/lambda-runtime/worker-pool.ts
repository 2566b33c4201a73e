/**
 * The execution environments of one function: an invocation takes an idle worker or starts a new one, so
 * concurrent invocations get environments of their own. A worker leaves the pool when its process exits,
 * whether it crashed, overran its timeout or was killed from outside while idle, as Lambda discards such an
 * environment; one that stayed would be counted as busy forever.
 */
import { FunctionWorker } from './function-worker';

export class WorkerPool {
  private readonly workers: FunctionWorker[] = [];
  private started = 0;

  /**
   * @param namePrefix names the workers, e.g. `worker` gives `worker 1`, `worker 2`, ...
   * @param startWorker a new execution environment with the given name
   */
  constructor(private readonly namePrefix: string, private readonly startWorker: (name: string) => FunctionWorker) {}

  /** The workers whose process has not exited. */
  public get current(): readonly FunctionWorker[] {
    return [...this.workers];
  }

  /** An idle worker, or a new one. */
  public take(): FunctionWorker {
    return this.workers.find((w) => w.idle) ?? this.start();
  }

  /** Kills every worker. */
  public async stop(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.stop()));
  }

  private start(): FunctionWorker {
    this.started += 1;
    const worker = this.startWorker(`${this.namePrefix} ${this.started}`);
    this.workers.push(worker);
    void worker.exited.then(() => {
      this.workers.splice(this.workers.indexOf(worker), 1);
    });
    return worker;
  }
}

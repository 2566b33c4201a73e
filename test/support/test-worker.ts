import { FunctionWorker } from '../../local/lambda-runtime/function-worker';
import { NodeRuntime } from '../../local/lambda-runtime/node-runtime';
import { TaskRoot } from '../../local/lambda-runtime/task-root';

export interface TestWorkerOptions {
  /** Shorter than Lambda's 10 s init phase, so a test can overrun it quickly. */
  readonly initPhaseMs?: number;
  /** @default this process's own Node.js */
  readonly runtime?: NodeRuntime;
  /** @default - what the function writes is dropped */
  readonly log?: (line: string) => void;
}

/** A local execution environment for a test function whose `index.js` exports `handler`. */
export function testWorker(taskRoot: TaskRoot, name: string, options: TestWorkerOptions = {}): FunctionWorker {
  return new FunctionWorker({
    name,
    initPhaseMs: options.initPhaseMs,
    runtime: options.runtime,
    bootstrap: taskRoot.bootstrap,
    cwd: taskRoot.taskRoot,
    env: {
      NODE_PATH: taskRoot.nodePath,
      LAMBDA_TASK_ROOT: taskRoot.taskRoot,
      _HANDLER: 'index.handler',
      AWS_LAMBDA_FUNCTION_NAME: 'test',
    },
    log: options.log ?? (() => undefined),
  });
}

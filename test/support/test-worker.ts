import { FunctionWorker } from '../../local/lambda-runtime/function-worker';
import { TaskRoot } from '../../local/lambda-runtime/task-root';

/**
 * A local execution environment for a test function whose `index.js` exports `handler`, logging nothing.
 * @param initPhaseMs shorter than Lambda's 10 s init phase, so a test can overrun it quickly
 */
export function testWorker(taskRoot: TaskRoot, name: string, initPhaseMs?: number): FunctionWorker {
  return new FunctionWorker({
    name,
    initPhaseMs,
    bootstrap: taskRoot.bootstrap,
    cwd: taskRoot.taskRoot,
    env: {
      NODE_PATH: taskRoot.nodePath,
      LAMBDA_TASK_ROOT: taskRoot.taskRoot,
      _HANDLER: 'index.handler',
      AWS_LAMBDA_FUNCTION_NAME: 'test',
    },
    log: () => undefined,
  });
}

import { FunctionWorker } from '../../local/lambda-runtime/function-worker';
import { TaskRoot } from '../../local/lambda-runtime/task-root';

/** A local execution environment for a test function whose `index.js` exports `handler`, logging nothing. */
export function testWorker(taskRoot: TaskRoot, name: string): FunctionWorker {
  return new FunctionWorker({
    name,
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

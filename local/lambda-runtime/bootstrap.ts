/**
 * The runtime inside a worker process, standing in for Lambda's Node.js runtime: it loads the handler once from
 * the task root (the init phase), then runs the invocations it is sent one at a time. It is bundled on its own
 * into the temporary runtime directory, so nothing of the repository is on this process's module path except
 * what NODE_PATH names, as on Lambda.
 *
 * Only async (promise-returning) handlers are supported: the callback style is deprecated and this project's
 * handler does not use it.
 */
import * as path from 'node:path';
import { FromWorker, serializeError, ToWorker } from './protocol';

type Handler = (event: unknown, context: object) => unknown;

function send(message: FromWorker): void {
  process.send!(message);
}

function loadHandler(): Handler {
  const taskRoot = process.env.LAMBDA_TASK_ROOT!;
  const handlerSetting = process.env._HANDLER!;
  const dot = handlerSetting.lastIndexOf('.');
  const modulePath = path.join(taskRoot, handlerSetting.slice(0, dot));
  const exportName = handlerSetting.slice(dot + 1);
  // A computed path, so the bundler leaves this as a runtime require, resolved like Lambda's from the task root.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded = require(modulePath);
  const handler = loaded[exportName];
  if (typeof handler !== 'function') {
    throw Object.assign(new Error(`${modulePath}.${exportName} is undefined or not exported`), { name: 'Runtime.HandlerNotFound' });
  }
  return handler;
}

function context({ requestId, deadline, invokedFunctionArn }: ToWorker): object {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: requestId,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

// A sandbox does not outlive the service that runs it: when the runner goes, even killed, so does this process.
process.on('disconnect', () => process.exit());

let handler: Handler;
try {
  handler = loadHandler();
  send({ type: 'ready' });
} catch (error) {
  send({ type: 'init-error', error: serializeError(error) });
  process.disconnect();
}

process.on('message', (message: ToWorker) => {
  const { requestId, event } = message;
  Promise.resolve()
    .then(() => handler(event, context(message)))
    .then(
      (result) => send({ type: 'result', requestId, result: result === undefined ? null : JSON.parse(JSON.stringify(result)) }),
      (error) => send({ type: 'error', requestId, error: serializeError(error) }),
    );
});

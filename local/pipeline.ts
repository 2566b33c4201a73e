/**
 * The example stack, running on this machine: moto for S3, SQS and SNS, the built resize bundle in worker
 * processes fed by an SQS poller, the upload API on loopback with the built upload-url bundle behind
 * `POST /upload-url`, and email shown instead of sent. The CLI
 * (main.ts), the demo and the end-to-end tests all start it through {@link startLocalPipeline}.
 */
import * as path from 'node:path';
import { LOCAL_CREDENTIALS, LOCAL_REGION, localClients, LocalClients } from './aws-clients';
import { createEmulatedResources } from './emulated-resources';
import { FunctionDefinition, localName, PipelineDefinition, readPipelineDefinition, resolveValue, synthesizeExampleTemplate } from './example-template';
import { FUNCTION_CODE_DIR, layerNodeModules, UPLOAD_URL_CODE_DIR } from './function-assets';
import { LambdaProxyIntegration } from './lambda-proxy-integration';
import { FunctionWorker } from './lambda-runtime/function-worker';
import { ensureDeployedRuntime, hostRuntime, NodeRuntime, RuntimeChoice } from './lambda-runtime/node-runtime';
import { prepareTaskRoot } from './lambda-runtime/task-root';
import { Mail, MailOutbox } from './mail-outbox';
import { startMoto } from './moto';
import { Invocation, SqsEventSource } from './sqs-event-source';
import { startUploadApiServer } from './upload-api-server';
import { ImageResizePipelineProps } from '../src';
import { ENV } from '../src/handler/config';

const PROJECT_ROOT = path.resolve(__dirname, '..');

export interface LocalPipelineOptions {
  /**
   * The API's port on 127.0.0.1; 0 picks a free one.
   *
   * @default 3000
   */
  readonly port?: number;
  /**
   * The example stack's pipeline with these props instead of its own, e.g. another output format.
   *
   * @default - the example stack as it deploys
   */
  readonly pipelineProps?: ImageResizePipelineProps;
  /**
   * A moto server to create the resources in. It is left running by `stop()`.
   *
   * @default - a new moto on a free port, stopped by `stop()`
   */
  readonly motoEndpoint?: string;
  /**
   * Appended to every bucket, queue and topic name, so several pipelines can share one moto.
   *
   * @default ''
   */
  readonly nameSuffix?: string;
  /**
   * The visibility timeout of the messages an invocation leaves on the queue, set once it has ended, so that failed
   * messages come back (and reach the dead-letter queue) in seconds rather than minutes. Received messages keep the
   * queue's, so none comes back while an invocation still holds it.
   *
   * @default - the queue's, from the template, counted from the receive
   */
  readonly visibilityTimeoutSeconds?: number;
  /**
   * Where the function's workers send their S3 and SNS requests instead of moto's endpoint, e.g. the fault
   * proxy (fault-proxy.ts) in front of it. The notifications' presigned links point there too.
   *
   * @default - moto's endpoint
   */
  readonly functionEndpoint?: string;
  /**
   * Overrides the event source's MaximumConcurrency, the most worker processes that run at once.
   *
   * @default - the template's
   */
  readonly maxConcurrency?: number;
  /**
   * Which Node.js runs the functions. `host` is this process's own, on this machine's processor. `deployed` is the
   * release of each function's Lambda runtime for its architecture (arm64 for the example stack), with that
   * processor's sharp layer, under qemu's emulation when it is not this machine's: what deploys, run 20 to 30 times
   * slower. It is installed into `.local/lambda-runtime/` on first use (see lambda-runtime/node-runtime.ts).
   *
   * @default 'host'
   */
  readonly runtime?: RuntimeChoice;
  /** @default .local/mail.log */
  readonly mailLogFile?: string;
  /** The runner's own lines: API requests, invocations, errors. @default - dropped */
  readonly log?: (line: string) => void;
  /** What the function writes, one line at a time, prefixed with its worker. @default - dropped */
  readonly functionLog?: (line: string) => void;
  /** @default - mail is only appended to the mail log */
  readonly onMail?: (mail: Mail) => void;
  /** Told about every invocation once its messages are deleted or left on the queue. */
  readonly onInvocation?: (invocation: Invocation) => void;
}

export interface LocalPipeline {
  /** `http://127.0.0.1:PORT`, without a trailing slash. */
  readonly apiUrl: string;
  readonly uploadBucket: string;
  readonly resizedBucket: string;
  /** moto's endpoint, which serves S3, SQS and SNS alike. */
  readonly s3Endpoint: string;
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly topicArn: string;
  /** Who an API request without the `x-local-caller` header comes from, as the API records it on uploads. */
  readonly defaultCaller: string;
  /** What was read from the example template. */
  readonly definition: PipelineDefinition;
  /** The function's environment variables as the workers get them, references resolved to local names. */
  readonly functionEnvironment: Record<string, string>;
  /** Clients for the emulator, for checks and set-up. */
  readonly clients: LocalClients;
  /** The function's worker processes at this moment, e.g. to kill one while it works. */
  functionWorkers(): FunctionWorkerInfo[];
  /** Like disabling the event source mapping: no new batches until {@link enableEventSource}. */
  disableEventSource(): Promise<void>;
  enableEventSource(): void;
  /**
   * Stops the API, the poller, every worker and (unless it was given) moto; removes the temporary task roots.
   * Every step runs; an AggregateError holds those that failed.
   */
  stop(): Promise<void>;
}

export interface FunctionWorkerInfo {
  /** As the function's log lines are prefixed, e.g. `worker 2`. */
  readonly name: string;
  readonly pid?: number;
  /** Whether it is running an invocation. */
  readonly busy: boolean;
}

let cachedDefinition: PipelineDefinition | undefined;

/** The definition is the same for every pipeline in a process, and synthesizing takes seconds. */
function exampleDefinition(): PipelineDefinition {
  cachedDefinition ??= readPipelineDefinition(synthesizeExampleTemplate());
  return cachedDefinition;
}

export async function startLocalPipeline(options: LocalPipelineOptions = {}): Promise<LocalPipeline> {
  const log = options.log ?? (() => undefined);
  const cleanups: Array<() => Promise<void> | void> = [];
  // Every step runs even when an earlier one fails, so that one stuck resource leaves none of the others
  // (moto, worker processes, temporary task roots) behind.
  const stop = async () => {
    const failures: unknown[] = [];
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) {
      throw new AggregateError(failures, `stopping the local pipeline: ${failures.length} step(s) failed: `
        + failures.map((error) => (error as Error).message ?? String(error)).join('; '));
    }
  };

  try {
    const definition = options.pipelineProps === undefined
      ? exampleDefinition()
      : readPipelineDefinition(synthesizeExampleTemplate(options.pipelineProps));
    const resizeRuntime = await functionRuntime(options.runtime, definition.function);
    const taskRoot = prepareTaskRoot(FUNCTION_CODE_DIR, layerNodeModules(resizeRuntime.arch));
    cleanups.push(() => taskRoot.remove());

    let endpoint = options.motoEndpoint;
    if (endpoint === undefined) {
      const moto = await startMoto();
      cleanups.push(() => moto.stop());
      endpoint = moto.endpoint;
    }
    const clients = localClients(endpoint);
    cleanups.push(() => clients.destroy());

    const resources = await createEmulatedResources(definition, clients, options.nameSuffix ?? '');
    const functionEnvironment: Record<string, string> = {};
    for (const [name, value] of Object.entries(definition.function.environment)) {
      functionEnvironment[name] = resolveValue(value, resources.identities, `function environment ${name}`);
    }

    const outbox = await MailOutbox.start({
      sns: clients.sns,
      topicArn: resources.topicArn,
      linkExpirySeconds: Number(functionEnvironment[ENV.linkExpirySeconds]),
      logFile: options.mailLogFile ?? path.join(PROJECT_ROOT, '.local', 'mail.log'),
      onMail: options.onMail ?? (() => undefined),
      log,
    });
    cleanups.push(() => outbox.stop());

    const functionName = localName(definition.function.logicalId, options.nameSuffix ?? '');
    const workerEnv = lambdaEnvironment({
      fn: definition.function,
      functionName,
      functionEnvironment,
      endpoint: options.functionEndpoint ?? endpoint,
      taskRoot: taskRoot.taskRoot,
      nodePath: taskRoot.nodePath,
      runtimeDir: path.dirname(taskRoot.bootstrap),
    });
    const eventSource = new SqsEventSource({
      sqs: clients.sqs,
      queueUrl: resources.queueUrl,
      queueArn: resources.queueArn,
      region: LOCAL_REGION,
      functionArn: `arn:aws:lambda:${LOCAL_REGION}:${resources.identities.accountId}:function:${functionName}`,
      ...definition.eventSource,
      maxConcurrency: options.maxConcurrency ?? definition.eventSource.maxConcurrency,
      functionTimeoutSeconds: definition.function.timeoutSeconds,
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
      startWorker: (name) => new FunctionWorker({
        name,
        bootstrap: taskRoot.bootstrap,
        cwd: taskRoot.taskRoot,
        env: workerEnv,
        runtime: resizeRuntime,
        log: options.functionLog ?? (() => undefined),
      }),
      onInvocation: (invocation) => {
        log(describeInvocation(invocation));
        options.onInvocation?.(invocation);
      },
      onError: (error) => log(`event source: ${(error as Error).message ?? error}`),
    });
    eventSource.start();
    cleanups.push(() => eventSource.stop());

    const defaultCaller = localCaller(definition, resources.identities.accountId);
    const uploadUrlRuntime = await functionRuntime(options.runtime, definition.uploadUrlFunction);
    const uploadUrlRoot = prepareTaskRoot(UPLOAD_URL_CODE_DIR);
    cleanups.push(() => uploadUrlRoot.remove());
    const uploadUrlName = localName(definition.uploadUrlFunction.logicalId, options.nameSuffix ?? '');
    const uploadUrlEnvironment: Record<string, string> = {};
    for (const [name, value] of Object.entries(definition.uploadUrlFunction.environment)) {
      uploadUrlEnvironment[name] = resolveValue(value, resources.identities, `upload-url function environment ${name}`);
    }
    const uploadUrlWorkerEnv = lambdaEnvironment({
      fn: definition.uploadUrlFunction,
      functionName: uploadUrlName,
      functionEnvironment: uploadUrlEnvironment,
      // Its presigned POSTs name this endpoint, so uploads go straight to the emulator, as they go to S3 deployed.
      endpoint,
      taskRoot: uploadUrlRoot.taskRoot,
      nodePath: uploadUrlRoot.nodePath,
      runtimeDir: path.dirname(uploadUrlRoot.bootstrap),
    });
    const uploadUrl = new LambdaProxyIntegration({
      name: 'upload-url',
      functionArn: `arn:aws:lambda:${LOCAL_REGION}:${resources.identities.accountId}:function:${uploadUrlName}`,
      functionTimeoutSeconds: definition.uploadUrlFunction.timeoutSeconds,
      binaryMediaTypes: definition.api.binaryMediaTypes,
      startWorker: (name) => new FunctionWorker({
        name,
        bootstrap: uploadUrlRoot.bootstrap,
        cwd: uploadUrlRoot.taskRoot,
        env: uploadUrlWorkerEnv,
        runtime: uploadUrlRuntime,
        log: options.functionLog ?? (() => undefined),
      }),
      log: (line) => log(`function: ${line}`),
    });
    cleanups.push(() => uploadUrl.stop());

    const api = await startUploadApiServer({
      api: definition.api,
      uploadBucket: resources.uploadBucket,
      topicArn: resources.topicArn,
      clients,
      uploadUrl,
      onEmailSubscribed: (email) => outbox.watch(email),
      defaultCaller,
      port: options.port ?? 3000,
      log,
    });
    cleanups.push(() => api.stop());

    return {
      apiUrl: api.url,
      uploadBucket: resources.uploadBucket,
      resizedBucket: resources.resizedBucket,
      s3Endpoint: endpoint,
      queueUrl: resources.queueUrl,
      deadLetterQueueUrl: resources.deadLetterQueueUrl,
      topicArn: resources.topicArn,
      defaultCaller,
      definition,
      functionEnvironment,
      clients,
      functionWorkers: () => eventSource.currentWorkers.map((worker) => ({ name: worker.name, pid: worker.pid, busy: !worker.idle })),
      disableEventSource: () => eventSource.disable(),
      enableEventSource: () => eventSource.enable(),
      stop,
    };
  } catch (error) {
    await stop().catch((stopError) => log((stopError as Error).message));
    throw error;
  }
}

/** Who calls the local API when a request does not say: shaped like what the API's caller variable holds deployed. */
function localCaller(definition: PipelineDefinition, accountId: string): string {
  return definition.api.callerScope?.callerVariable === 'context.identity.userArn' ? `arn:aws:iam::${accountId}:user/local` : 'local';
}

export interface LambdaEnvironmentInputs {
  readonly fn: FunctionDefinition;
  readonly functionName: string;
  readonly functionEnvironment: Record<string, string>;
  readonly endpoint: string;
  readonly taskRoot: string;
  readonly runtimeDir: string;
  readonly nodePath: string;
}

/**
 * The environment Lambda gives a Node.js function, plus the emulator's endpoint and dummy credentials. The
 * shared AWS config and credentials files point nowhere, so a developer's ~/.aws cannot change what the
 * function does here.
 */
export function lambdaEnvironment(inputs: LambdaEnvironmentInputs): Record<string, string> {
  const { fn, functionName } = inputs;
  const env: Record<string, string> = {
    ...inputs.functionEnvironment,
    PATH: '/usr/local/bin:/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    NODE_PATH: inputs.nodePath,
    LAMBDA_TASK_ROOT: inputs.taskRoot,
    LAMBDA_RUNTIME_DIR: inputs.runtimeDir,
    _HANDLER: fn.handler,
    AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: 'local',
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_CONFIG_FILE: path.join(inputs.runtimeDir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(inputs.runtimeDir, 'no-aws-credentials'),
    AWS_ENDPOINT_URL: inputs.endpoint,
  };
  if (fn.logFormat !== undefined) {
    env.AWS_LAMBDA_LOG_FORMAT = fn.logFormat;
  }
  return env;
}

async function functionRuntime(choice: LocalPipelineOptions['runtime'], fn: FunctionDefinition): Promise<NodeRuntime> {
  return choice === 'deployed' ? ensureDeployedRuntime(fn.runtime, fn.architecture) : hostRuntime();
}

function describeInvocation(invocation: Invocation): string {
  const { outcome } = invocation;
  const detail = outcome.kind === 'result'
    ? `${invocation.succeeded.length} deleted, ${invocation.failed.length} left on the queue`
    : outcome.kind === 'timeout'
      ? 'timed out; worker killed, batch left on the queue'
      : outcome.kind === 'crash'
        ? `worker crashed (${outcome.detail}); batch left on the queue`
        : `${outcome.error.errorType}: ${outcome.error.errorMessage}; batch left on the queue`;
  return `function: ${invocation.worker}: ${invocation.messages.length} message(s) in ${invocation.durationMs} ms: ${detail}`;
}

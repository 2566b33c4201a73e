/** The messages between the local runner and a worker process, over Node's IPC channel. */

export interface SerializedError {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly stackTrace?: string[];
}

export type ToWorker = {
  readonly type: 'invoke';
  readonly requestId: string;
  readonly event: unknown;
  readonly invokedFunctionArn: string;
  /** Epoch milliseconds at which the function's timeout runs out. */
  readonly deadline: number;
};

export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'init-error'; readonly error: SerializedError }
  | { readonly type: 'result'; readonly requestId: string; readonly result: unknown }
  | { readonly type: 'error'; readonly requestId: string; readonly error: SerializedError };

/** The shape Lambda reports a function error in. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    return { errorType: error.name, errorMessage: error.message, stackTrace: error.stack?.split('\n') };
  }
  return { errorType: 'Error', errorMessage: String(error) };
}

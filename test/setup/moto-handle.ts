/** Where global-setup leaves the moto it started for global-teardown; jest runs both in the same process. */
export const MOTO_HANDLE = Symbol.for('cdk-image-resize-pipeline.moto');

/** Where global-setup leaves the run's own temporary directory for global-teardown to remove. */
export const RUN_TMPDIR_HANDLE = Symbol.for('cdk-image-resize-pipeline.run-tmpdir');

import { fork } from 'child_process';
import * as path from 'path';
import { Job, Measurement } from './measure-approach';

const REPO_ROOT = path.join(__dirname, '..');

/** Runs `job` in a fresh node process (TypeScript through ts-node, type checks skipped) and returns its figures. */
export function forkMeasurement(job: Job): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, 'measure-approach.ts'), [], {
      execArgv: ['-r', 'ts-node/register/transpile-only'],
      env: { ...process.env, TS_NODE_PROJECT: path.join(REPO_ROOT, 'tsconfig.dev.json') },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let measurement: Measurement | undefined;
    child.once('message', (message: Measurement) => {
      measurement = message;
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (measurement !== undefined) {
        resolve(measurement);
      } else {
        reject(new Error(`bench: measuring ${job.approach} failed (exit code ${code}, signal ${signal})`));
      }
    });
    child.send(job);
  });
}

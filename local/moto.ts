/**
 * moto in server mode is this project's stand-in for S3, SQS and SNS: the jest set-up and the local pipeline
 * both start it through here, so the version pin, the virtualenv and the process handling live in one place.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { ensureInstalled } from './installation';

const PROJECT_ROOT = path.resolve(__dirname, '..');
const REQUIREMENTS = path.join(__dirname, 'moto-requirements.txt');
const SERVER_SCRIPT = path.join(__dirname, 'moto-server.py');
const LOCAL_DIR = path.join(PROJECT_ROOT, '.local');
const VENV = path.join(LOCAL_DIR, 'venv');
/** A copy of the requirements the venv was built from; a venv without it is unfinished or outdated. */
const STAMP = 'moto-requirements.txt';
const LOOPBACK = '127.0.0.1';
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;

export interface MotoInstallation {
  /** The venv's interpreter, which has moto importable. */
  readonly python: string;
}

export interface StartMotoOptions {
  /** @default - a free port on 127.0.0.1 */
  readonly port?: number;
}

export interface MotoServer {
  /** `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL`. */
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Makes `.local/venv` hold moto at the pinned version (see installation.ts). The venv is used through
 * `bin/python -m ...` only, because pip's console scripts hard-code the temporary path it is built in.
 */
export async function ensureMotoInstalled(): Promise<MotoInstallation> {
  const python = path.join(VENV, 'bin', 'python');
  await ensureInstalled({
    dir: VENV,
    stampFile: STAMP,
    stamp: await fs.readFile(REQUIREMENTS, 'utf8'),
    usable: () => existsSync(python),
    build: async (build) => {
      await run('python3', ['-m', 'venv', build]);
      await run(path.join(build, 'bin', 'python'), ['-m', 'pip', 'install', '--quiet', '-r', REQUIREMENTS]);
    },
  });
  return { python };
}

/**
 * Starts moto on loopback and resolves once it answers HTTP. The server is stopped with its whole process
 * group by `stop()`, by this process's exit, and (through the stdin watch in moto-server.py) when this
 * process dies without running any handler.
 */
export async function startMoto(options: StartMotoOptions = {}): Promise<MotoServer> {
  const { python } = await ensureMotoInstalled();
  const port = options.port ?? await freePort();
  const endpoint = `http://${LOOPBACK}:${port}`;
  const child = spawn(python, [SERVER_SCRIPT, '-H', LOOPBACK, '-p', String(port)], {
    cwd: PROJECT_ROOT,
    detached: true,
    stdio: ['pipe', 'ignore', 'pipe'],
    // moto delivers SNS to http subscribers with python-requests, which would honour a proxy from the environment.
    env: { ...process.env, NO_PROXY: LOOPBACK, no_proxy: LOOPBACK },
  });
  const stderr = keepTail(child);
  const killOnExit = () => killGroup(child, 'SIGKILL');
  process.once('exit', killOnExit);
  child.unref();
  for (const stream of [child.stdin, child.stderr]) {
    (stream as unknown as net.Socket | null)?.unref();
  }

  try {
    await waitUntilAnswering(endpoint, child, stderr);
  } catch (error) {
    process.removeListener('exit', killOnExit);
    await stopChild(child);
    throw error;
  }

  return {
    endpoint,
    port,
    stop: async () => {
      process.removeListener('exit', killOnExit);
      await stopChild(child);
    },
  };
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: PROJECT_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', (error) => reject(new Error(`moto: could not run ${command} (${error.message})`)));
    child.once('exit', (code, signal) => {
      if (code === 0) {
        resolve();
      } else {
        reject(new Error(`moto: \`${command} ${args.join(' ')}\` failed (${signal ?? `exit code ${code}`})`));
      }
    });
  });
}

/** The kernel picks a free loopback port; moto binds it a moment later, and a clash shows up as an early exit. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The last few kilobytes of moto's log, so a failed start can say why. The pipe is drained either way. */
function keepTail(child: ChildProcess): () => string {
  let tail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-8_192);
  });
  return () => tail;
}

async function waitUntilAnswering(endpoint: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`moto exited before answering on ${endpoint}:\n${stderr()}`);
    }
    try {
      await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1_000) });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`moto did not answer on ${endpoint} within ${READY_TIMEOUT_MS / 1000} s:\n${stderr()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

/** moto runs detached as its own process group, so signalling the group reaches anything it started. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) {
    return;
  }
  try {
    process.kill(-child.pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') {
      throw error;
    }
  }
}

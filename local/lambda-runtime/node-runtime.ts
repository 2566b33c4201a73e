/**
 * Which Node.js the function's worker processes run on. This machine's own is the quick choice, but it is neither
 * the deployed runtime's Node.js release nor, on an x64 machine, the processor the pipeline deploys on (arm64), so
 * the arm64 sharp layer that deploys by default would never run here. The deployed runtime is that release of
 * Node.js for that processor, from the npm registry, run under qemu's user-mode emulation (with that processor's
 * glibc) when the processor is not this machine's. It is installed on first use into `.local/lambda-runtime/`.
 */
import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { LambdaArchitecture } from '../example-template';
import { ensureInstalled } from '../installation';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const RUNTIMES_DIR = path.join(PROJECT_ROOT, '.local', 'lambda-runtime');
/** Says which Node.js an installation holds, and whether with an emulator for this machine (see installation.ts). */
const STAMP = 'installed.json';

/**
 * The Node.js release that stands in for each Lambda runtime identifier, whichever the architecture. Lambda moves its
 * runtimes to newer releases of their line by itself, so this is the newest that the npm registry had for both x64
 * and arm64 on the day it was pinned (2026-11-28; it had 24.22.0 for arm64 alone).
 */
const NODE_RELEASES: Readonly<Record<string, string>> = {
  'nodejs24.x': '24.21.0',
};

/** Debian's own archive, whatever this machine's apt is set up for, so the emulated userland is the same everywhere. */
const DEBIAN_SOURCES = [
  'http://deb.debian.org/debian bookworm main',
  'http://deb.debian.org/debian-security bookworm-security main',
];
const DEBIAN_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
/** What Node.js for Linux needs of the system: glibc, and the C++ and gcc runtime libraries. */
const GUEST_LIBRARIES = ['libc6', 'libgcc-s1', 'libstdc++6'];

type NodeArch = 'x64' | 'arm64';

const NODE_ARCH: Record<LambdaArchitecture, NodeArch> = { arm64: 'arm64', x86_64: 'x64' };
const DEBIAN_ARCH: Record<NodeArch, string> = { arm64: 'arm64', x64: 'amd64' };
const QEMU_GUEST: Record<NodeArch, string> = { arm64: 'aarch64', x64: 'x86_64' };

/** `host`: this process's own Node.js ({@link hostRuntime}); `deployed`: the function's ({@link ensureDeployedRuntime}). */
export type RuntimeChoice = 'host' | 'deployed';

/** `LOCAL_RUNTIME`, which `npx projen local` and the demo read. */
export function runtimeChoiceFromEnv(env: NodeJS.ProcessEnv = process.env): RuntimeChoice | undefined {
  const raw = env.LOCAL_RUNTIME;
  if (raw === undefined || raw === '') {
    return undefined;
  }
  if (raw !== 'host' && raw !== 'deployed') {
    throw new Error(`LOCAL_RUNTIME must be host or deployed, got "${raw}"`);
  }
  return raw;
}

export interface NodeRuntime {
  /** What a worker process runs: Node.js itself, or qemu running it. */
  readonly execPath: string;
  /** Put before the runtime's bootstrap on the command line: under qemu, its glibc and the Node.js it runs. */
  readonly execArgv: string[];
  /** The processor the function's code runs on, as Node.js names it, which picks the sharp layer. */
  readonly arch: string;
}

/** This process's own Node.js on this machine's processor. */
export function hostRuntime(): NodeRuntime {
  return { execPath: process.execPath, execArgv: [], arch: process.arch };
}

/**
 * The Node.js of Lambda's `runtime` for `architecture`, installed into `.local/lambda-runtime/` on first use: from
 * the npm registry (`node-linux-<arch>`), plus, when that is not this machine's processor, qemu and that
 * processor's glibc from Debian's archive.
 *
 * @throws when the runtime has no pinned release, or emulation needs tools this machine lacks (apt-get, dpkg-deb,
 *   Debian's archive keyring)
 */
export async function ensureDeployedRuntime(runtime: string, architecture: LambdaArchitecture): Promise<NodeRuntime> {
  const release = NODE_RELEASES[runtime];
  if (release === undefined) {
    throw new Error(`No Node.js release stands in for Lambda's ${runtime} locally; add one to NODE_RELEASES in ${__filename}`);
  }
  const arch = NODE_ARCH[architecture];
  const emulated = arch !== hostArch();
  const nodePackage = `node-linux-${arch}@${release}`;
  const dir = path.join(RUNTIMES_DIR, `${runtime}-${architecture}`);
  await ensureInstalled({
    dir,
    stampFile: STAMP,
    stamp: JSON.stringify({ node: nodePackage, emulatedOn: emulated ? hostArch() : undefined }),
    build: async (build) => {
      await installNode(build, nodePackage);
      if (emulated) {
        await installEmulation(build, arch);
      }
    },
  });
  const node = path.join(dir, 'node', 'bin', 'node');
  return emulated
    ? { execPath: path.join(dir, qemuBinary(arch)), execArgv: ['-L', path.join(dir, 'sysroot'), node], arch }
    : { execPath: node, execArgv: [], arch };
}

function hostArch(): NodeArch {
  if (process.platform !== 'linux' || (process.arch !== 'x64' && process.arch !== 'arm64')) {
    throw new Error(`Lambda's runtimes run locally on Linux on x64 or arm64 only; this is ${process.platform} on ${process.arch}`);
  }
  return process.arch;
}

/** The npm package holds the official Linux build of Node.js, `bin/node` and all. */
async function installNode(build: string, spec: string): Promise<void> {
  const download = path.join(build, 'download');
  await fs.mkdir(download, { recursive: true });
  const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', download, spec]);
  const tarball = path.join(download, stdout.trim().split('\n').pop()!);
  const nodeDir = path.join(build, 'node');
  await fs.mkdir(nodeDir);
  await run('tar', ['-xzf', tarball, '-C', nodeDir, '--strip-components=1']);
  await fs.rm(download, { recursive: true });
}

/**
 * qemu's static user-mode emulator from this machine's Debian architecture, and the guest's glibc, C++ and gcc
 * libraries, extracted (never installed) with an apt set-up of its own, so that this machine's package state and
 * sources are neither read nor changed.
 */
async function installEmulation(build: string, arch: NodeArch): Promise<void> {
  for (const tool of ['apt-get', 'dpkg-deb', 'tar']) {
    await run('sh', ['-c', `command -v ${tool}`]).catch(() => {
      throw new Error(`Running the ${arch} runtime on ${hostArch()} needs ${tool} (a Debian or Ubuntu machine)`);
    });
  }
  if (!existsSync(DEBIAN_KEYRING)) {
    throw new Error(`Running the ${arch} runtime on ${hostArch()} needs Debian's archive keyring at ${DEBIAN_KEYRING} (package debian-archive-keyring)`);
  }
  const apt = path.join(build, 'apt');
  for (const sub of ['lists/partial', 'cache/archives/partial', 'sources.list.d', 'debs']) {
    await fs.mkdir(path.join(apt, sub), { recursive: true });
  }
  await fs.writeFile(path.join(apt, 'status'), '');
  await fs.writeFile(path.join(apt, 'sources.list'),
    DEBIAN_SOURCES.map((source) => `deb [signed-by=${DEBIAN_KEYRING}] ${source}\n`).join(''));
  const hostDebian = DEBIAN_ARCH[hostArch()];
  const guestDebian = DEBIAN_ARCH[arch];
  await fs.writeFile(path.join(apt, 'apt.conf'), [
    `APT::Architecture "${hostDebian}";`,
    `APT::Architectures { "${hostDebian}"; "${guestDebian}"; };`,
    `Dir::State::Lists "${apt}/lists";`,
    `Dir::State::status "${apt}/status";`,
    `Dir::Cache "${apt}/cache";`,
    `Dir::Etc::SourceList "${apt}/sources.list";`,
    `Dir::Etc::SourceParts "${apt}/sources.list.d";`,
    'Debug::NoLocking "true";',
    // As root, apt hands downloads to its unprivileged _apt user, which cannot write into this directory.
    'APT::Sandbox::User "root";',
    '',
  ].join('\n'));
  const env = { ...process.env, APT_CONFIG: path.join(apt, 'apt.conf') };
  await run('apt-get', ['-q', 'update'], { env });
  const debs = path.join(apt, 'debs');
  await run('apt-get', ['-q', 'download', `qemu-user-static:${hostDebian}`, ...GUEST_LIBRARIES.map((name) => `${name}:${guestDebian}`)],
    { env, cwd: debs });
  const sysroot = path.join(build, 'sysroot');
  for (const deb of await fs.readdir(debs)) {
    const file = path.join(debs, deb);
    if (deb.startsWith('qemu-user-static_')) {
      // The package holds an emulator for every processor: only the one needed is taken out of it.
      await run('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" --strip-components=3 "./usr/bin/$3"', 'sh',
        file, build, path.basename(qemuBinary(arch))]);
    } else {
      await run('dpkg-deb', ['-x', file, sysroot]);
    }
  }
  await fs.rm(apt, { recursive: true });
}

function qemuBinary(arch: NodeArch): string {
  return `qemu-${QEMU_GUEST[arch]}-static`;
}

async function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<{ stdout: string }> {
  try {
    return await promisify(execFile)(command, args, { ...options, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    // execFile's message holds the command line and what it wrote to stderr.
    throw new Error(`installing a Lambda runtime: ${(error as Error).message}`);
  }
}

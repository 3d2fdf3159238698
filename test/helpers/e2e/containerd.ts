// A containerd of the test's own: private socket, root, state and config under one temp dir,
// its own namespace (which is also the parent cgroup of every container, `/<ns>/<id>`, named
// like the suite's other scratch cgroups), started in the background and stopped by PID. ctr
// talks to it with the runc v2 shim, told by `--runc-binary` (the shim's BinaryName option) to
// run the runtime under test and by `--runc-root` to keep its state under the same temp dir.
// With `criConfig` the CRI plugin is on (e2e-cri.test.ts: namespace k8s.io, the pods' cgroups
// under `cgroupRoot`, its runtime handlers and their roots in that configuration).

import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { removeTree } from '../rootfs';
import { sleep, processAlive, waitForExit } from '../runtime';
import { runCommand, startCommand, which, SERVICE_PATH, type CommandResult } from './command';
import { killProcessesMentioning, removeCgroupTree } from './leftovers';

const BINARIES = ['containerd', 'ctr', 'containerd-shim-runc-v2'];

/** Why containerd cannot be used here, or undefined when it can. */
export function containerdMissing(): string | undefined {
  const missing = BINARIES.filter((b) => which(b) === undefined);
  return missing.length > 0 ? `not installed: ${missing.join(', ')} (scripts/e2e-deps.sh installs Debian's containerd)` : undefined;
}

export interface ContainerdOptions {
  /** `k8s.io` for the CRI plugin's containers; a per-process name by default. */
  namespace?: string;
  /** Where the containers' cgroups go; `/<namespace>` by default (ctr's choice). */
  cgroupRoot?: string;
  /** TOML lines that configure (hence enable) the CRI plugin; without them it is disabled. */
  criConfig?: string[];
}

export interface CtrOptions {
  tty?: boolean;
  timeoutMs?: number;
}

export class Containerd {
  readonly base: string;
  readonly socket: string;
  readonly namespace: string;
  /** The root the shim passes to the runtime is `<runtimeRoot>/<namespace>`. */
  readonly runtimeRoot: string;
  readonly ioDir: string;
  private daemon: ChildProcess | undefined;
  private readonly logPath: string;

  /** The cgroup (relative to each hierarchy) that holds every container of this daemon. */
  readonly cgroupRoot: string;
  private readonly opts: ContainerdOptions;

  constructor(base: string, opts: ContainerdOptions = {}) {
    this.base = base;
    this.opts = opts;
    this.socket = path.join(base, 'containerd.sock');
    this.namespace = opts.namespace ?? `tsrunc-test-e2e-${process.pid}`;
    this.cgroupRoot = opts.cgroupRoot ?? `/${this.namespace}`;
    this.runtimeRoot = path.join(base, 'runtime-root');
    this.ioDir = path.join(base, 'io');
    this.logPath = path.join(base, 'containerd.log');
    fs.mkdirSync(this.ioDir, { recursive: true });
  }

  /** The environment a service manager would give: PATH only. */
  env(): NodeJS.ProcessEnv {
    return { PATH: SERVICE_PATH };
  }

  async start(): Promise<void> {
    const config = path.join(this.base, 'config.toml');
    fs.writeFileSync(config, [
      'version = 2',
      `root = ${JSON.stringify(path.join(this.base, 'root'))}`,
      `state = ${JSON.stringify(path.join(this.base, 'state'))}`,
      // CRI wants CNI and a sandbox image (unless configured: opts.criConfig); the others
      // probe for file systems this host lacks.
      `disabled_plugins = [${this.opts.criConfig ? '' : '"io.containerd.grpc.v1.cri", '}"io.containerd.snapshotter.v1.btrfs",`,
      '  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",',
      '  "io.containerd.snapshotter.v1.aufs", "io.containerd.internal.v1.tracing",',
      '  "io.containerd.tracing.processor.v1.otlp"]',
      '[grpc]',
      `  address = ${JSON.stringify(this.socket)}`,
      '[ttrpc]',
      `  address = ${JSON.stringify(`${this.socket}.ttrpc`)}`,
      '[debug]',
      '  address = ""',
      ...(this.opts.criConfig ?? []),
      '',
    ].join('\n'));
    const log = fs.openSync(this.logPath, 'w');
    this.daemon = spawn(which('containerd') ?? 'containerd', ['--config', config], {
      env: this.env(), cwd: '/', stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    const deadline = Date.now() + 15_000;
    while (!(await socketAccepts(this.socket))) {
      if (this.daemon.exitCode !== null || Date.now() > deadline) {
        throw new Error(`containerd did not start (exit ${this.daemon.exitCode}):\n${this.log().slice(-3000)}`);
      }
      await sleep(50);
    }
  }

  log(): string {
    return fs.existsSync(this.logPath) ? fs.readFileSync(this.logPath, 'utf8') : '';
  }

  ctrArgv(args: string[]): string[] {
    return [which('ctr') ?? 'ctr', '--address', this.socket, '--namespace', this.namespace, ...args];
  }

  ctr(args: string[], opts: CtrOptions = {}): Promise<CommandResult> {
    return runCommand(this.ctrArgv(args), { env: this.env(), ioDir: this.ioDir, ...opts });
  }

  /** A ctr command left running (a foreground `ctr run`), to be signalled or waited for. */
  ctrStart(args: string[], opts: CtrOptions = {}): { done: Promise<CommandResult>; pid: number | undefined } {
    return startCommand(this.ctrArgv(args), { env: this.env(), ioDir: this.ioDir, ...opts });
  }

  /** `ctr run` flags that put a container on the runtime at `binary`. */
  runtimeFlags(binary: string): string[] {
    return ['--runc-binary', binary, '--runc-root', this.runtimeRoot, ...this.fifoFlags()];
  }

  /**
   * For `ctr run` and `ctr task exec`: the stdio FIFOs in our temp dir. ctr's default is
   * /run/containerd/fifo, where a detached exec leaves its directory behind.
   */
  fifoFlags(): string[] {
    return ['--fifo-dir', path.join(this.base, 'fifo')];
  }

  /** The runtime's state directory for a container of this daemon. */
  stateDir(id: string): string {
    return path.join(this.runtimeRoot, this.namespace, id);
  }

  cgroupOf(id: string): string {
    return `${this.cgroupRoot}/${id}`;
  }

  /**
   * Removes every container of the namespace, stops the daemon by its PID, kills shims that
   * outlived it, removes the namespace's cgroups and the temp dir. Returns what it had to clean
   * up by force (leaked mounts, cgroups that would not go) for the caller to report.
   */
  async stop(): Promise<string[]> {
    const problems: string[] = [];
    if (this.daemon && this.daemon.exitCode === null) {
      const list = await this.ctr(['containers', 'list', '--quiet']).catch(() => undefined);
      for (const id of (list?.stdout ?? '').split('\n').filter(Boolean)) {
        await this.ctr(['task', 'kill', '--all', '--signal', 'SIGKILL', id]).catch(() => undefined);
        await this.ctr(['task', 'delete', '--force', id]).catch(() => undefined);
        await this.ctr(['containers', 'delete', id]).catch(() => undefined);
        problems.push(`container ${id} was still there`);
      }
      const pid = this.daemon.pid;
      this.daemon.kill('SIGTERM');
      if (pid !== undefined && !(await waitForExit(pid, 10_000))) this.daemon.kill('SIGKILL');
    }
    for (const pid of killProcessesMentioning(this.socket)) problems.push(`killed leftover process ${pid}`);
    await sleep(100);
    for (const dir of await removeCgroupTree(this.cgroupRoot)) problems.push(`cgroup ${dir} would not go`);
    for (const m of removeTree(this.base)) problems.push(`mount ${m} was left`);
    return problems;
  }

  alive(): boolean {
    return this.daemon?.pid !== undefined && processAlive(this.daemon.pid);
  }
}

function socketAccepts(p: string): Promise<boolean> {
  return new Promise((resolve) => {
    if (!fs.existsSync(p)) return resolve(false);
    const s = net.connect(p);
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

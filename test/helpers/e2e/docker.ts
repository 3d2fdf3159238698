// A dockerd of the test's own, as Debian's docker.io 20.10 installs it (/usr/sbin/dockerd,
// /usr/bin/docker: not a docker CLI found first on PATH, which may be another version), with
// nothing shared with a Docker of the host: its own containerd (test/helpers/e2e/containerd.ts,
// passed with --containerd, so dockerd starts none), data-root, exec-root, socket, pidfile,
// daemon.json and trust key under one temp dir; no networking set-up (no bridge, iptables or
// forwarding: the containers run with --network none); the vfs storage driver (plain directories,
// no overlay mounts to leak); the cgroupfs driver with a parent cgroup of its own. The runtimes
// under test are entries of daemon.json's "runtimes" (docs/engines.md shows the same entry);
// "runc" is Docker's built-in runtime, the reference, in the same daemon.

import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { removeTree } from '../rootfs';
import { processAlive, sleep, waitForExit } from '../runtime';
import { runCommand, SERVICE_PATH, type CommandResult } from './command';
import { Containerd, containerdMissing } from './containerd';
import { killProcessesMentioning, removeCgroupTree } from './leftovers';

export const DOCKERD = '/usr/sbin/dockerd';
export const DOCKER = '/usr/bin/docker';
const PLUGIN_DIR = '/run/docker/plugins';

/** Why Docker cannot be used here, or undefined when it can. */
export function dockerMissing(): string | undefined {
  const missing = [DOCKERD, DOCKER].filter((b) => !fs.existsSync(b));
  if (missing.length > 0) return `not installed: ${missing.join(', ')} (scripts/e2e-deps.sh installs Debian's docker.io)`;
  return containerdMissing();
}

export interface DockerOptions {
  tty?: boolean;
  stdin?: string;
  timeoutMs?: number;
}

export class Docker {
  readonly base: string;
  readonly socket: string;
  readonly execRoot: string;
  readonly dataRoot: string;
  readonly ioDir: string;
  readonly cgroupParent: string;
  readonly configFile: string;
  readonly containerd: Containerd;
  private daemon: ChildProcess | undefined;
  private readonly logPath: string;
  /** dockerd makes /run/docker/plugins whatever its exec-root (a path fixed in its plugin code). */
  private readonly pluginDirWasThere = fs.existsSync(PLUGIN_DIR);

  /** `runtimes` maps a runtime name (for `docker run --runtime NAME`) to an executable path. */
  constructor(base: string, private readonly runtimes: Record<string, string>) {
    this.base = base;
    this.socket = path.join(base, 'docker.sock');
    this.execRoot = path.join(base, 'exec');
    this.dataRoot = path.join(base, 'data');
    this.ioDir = path.join(base, 'io');
    this.logPath = path.join(base, 'dockerd.log');
    this.configFile = path.join(base, 'daemon.json');
    this.cgroupParent = `/tsrunc-test-docker-${process.pid}`;
    this.containerd = new Containerd(path.join(base, 'containerd'));
    fs.mkdirSync(this.ioDir, { recursive: true });
    fs.mkdirSync(path.join(base, 'cli'), { recursive: true });
  }

  /** The daemon.json this daemon runs with. */
  daemonConfig(): Record<string, unknown> {
    return {
      runtimes: Object.fromEntries(Object.entries(this.runtimes).map(([name, p]) => [name, { path: p }])),
      'exec-opts': ['native.cgroupdriver=cgroupfs'],
      'cgroup-parent': this.cgroupParent,
      'storage-driver': 'vfs',
      // dockerd keeps its identity key in /etc/docker/key.json unless told otherwise.
      'deprecated-key-path': path.join(this.base, 'key.json'),
      iptables: false,
      'ip-forward': false,
      'ip-masq': false,
      bridge: 'none',
      // Lowering its own oom_score_adj needs CAP_SYS_RESOURCE, which root lacks on this host.
      'oom-score-adjust': 0,
    };
  }

  /** The client's environment: PATH, the daemon's socket, a CLI config dir of the test's own. */
  env(): NodeJS.ProcessEnv {
    return { PATH: SERVICE_PATH, DOCKER_HOST: `unix://${this.socket}`, DOCKER_CONFIG: path.join(this.base, 'cli') };
  }

  async start(): Promise<void> {
    await this.containerd.start();
    fs.writeFileSync(this.configFile, `${JSON.stringify(this.daemonConfig(), null, 2)}\n`);
    const log = fs.openSync(this.logPath, 'w');
    this.daemon = spawn(DOCKERD, [
      '--config-file', this.configFile,
      '--host', `unix://${this.socket}`,
      '--data-root', this.dataRoot,
      '--exec-root', this.execRoot,
      '--pidfile', path.join(this.base, 'docker.pid'),
      '--containerd', this.containerd.socket,
      '--containerd-namespace', this.containerd.namespace,
      '--containerd-plugins-namespace', `${this.containerd.namespace}-plugins`,
    ], { env: { PATH: SERVICE_PATH }, cwd: '/', stdio: ['ignore', log, log] });
    fs.closeSync(log);
    // The socket appears before the daemon serves requests: ask it until it answers.
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (this.daemon.exitCode !== null || Date.now() > deadline) {
        throw new Error(`dockerd did not start (exit ${this.daemon.exitCode}):\n${this.log().slice(-3000)}`);
      }
      if (fs.existsSync(this.socket) && (await this.docker(['version', '--format', '{{.Server.Version}}'], { timeoutMs: 10_000 })).code === 0) return;
      await sleep(100);
    }
  }

  log(): string {
    return fs.existsSync(this.logPath) ? fs.readFileSync(this.logPath, 'utf8') : '';
  }

  docker(args: string[], opts: DockerOptions = {}): Promise<CommandResult> {
    return runCommand([DOCKER, ...args], { env: this.env(), ioDir: this.ioDir, ...opts });
  }

  /**
   * The root the shim passes to the runtime. Docker 20.10 gives every runtime the one of its
   * built-in runc, `<exec-root>/runtime-runc` (then the namespace): tsrunc's containers and its
   * own files live beside runc's, so it must keep nothing there but container directories.
   */
  runtimeRoot(): string {
    return path.join(this.execRoot, 'runtime-runc', this.containerd.namespace);
  }

  stateDir(fullId: string): string {
    return path.join(this.runtimeRoot(), fullId);
  }

  cgroupOf(fullId: string): string {
    return `${this.cgroupParent}/${fullId}`;
  }

  /**
   * Removes every container, stops dockerd by its PID (SIGTERM, as a service manager would),
   * then containerd, the parent cgroup and the temp dir. Returns what it had to force.
   */
  async stop(): Promise<string[]> {
    const problems: string[] = [];
    if (this.daemon && this.daemon.exitCode === null) {
      const list = await this.docker(['ps', '--all', '--quiet', '--no-trunc']).catch(() => undefined);
      const ids = (list?.stdout ?? '').split('\n').filter(Boolean);
      if (ids.length > 0) {
        problems.push(`containers still there: ${ids.join(', ')}`);
        await this.docker(['rm', '--force', ...ids]).catch(() => undefined);
      }
      const pid = this.daemon.pid;
      this.daemon.kill('SIGTERM');
      if (pid !== undefined && !(await waitForExit(pid, 15_000))) {
        problems.push('dockerd ignored SIGTERM');
        this.daemon.kill('SIGKILL');
      }
    }
    problems.push(...await this.containerd.stop());
    for (const pid of killProcessesMentioning(this.base)) problems.push(`killed leftover process ${pid}`);
    for (const dir of await removeCgroupTree(this.cgroupParent)) problems.push(`cgroup ${dir} would not go`);
    for (const m of removeTree(this.base)) problems.push(`mount ${m} was left`);
    if (!this.pluginDirWasThere) {
      for (const dir of [PLUGIN_DIR, path.dirname(PLUGIN_DIR)]) {
        try { fs.rmdirSync(dir); } catch { /* not there, or not empty: someone else's */ }
      }
    }
    return problems;
  }

  alive(): boolean {
    return this.daemon?.pid !== undefined && processAlive(this.daemon.pid);
  }
}

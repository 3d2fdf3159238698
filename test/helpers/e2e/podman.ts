// podman with everything private to the test: storage (vfs driver: no overlay mounts to leak)
// and runroot under a temp dir, its own containers.conf naming the runtime under test, a parent
// cgroup of its own, and no network. What this host needs from that containers.conf:
// - cgroup_manager "cgroupfs": there is no systemd to ask for scopes;
// - default_ulimits below the host's hard limits: podman's defaults (nofile and nproc of about a
//   million) are above them and the bounding set lacks CAP_SYS_RESOURCE, so any runtime fails
//   to set them;
// - runtime_supports_json listing the runtime's name: podman then passes --log and
//   --log-format json, and shows the runtime's error message rather than its raw stderr.
// The runtime itself gets no --root (podman's cleanup path would not pass it): containers live
// in the runtime's default root, as for any podman user.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { removeTree } from '../rootfs';
import { tsruncIsRunc } from '../runtime';
import { runCommand, startCommand, which, SERVICE_PATH, type CommandResult } from './command';
import { killProcessesMentioning, removeCgroupTree } from './leftovers';
import type { RuntimeWrapper } from './wrapper';

const BLOB_INFO_CACHE = '/var/lib/containers/cache/blob-info-cache-v1.boltdb';

export function podmanMissing(): string | undefined {
  const missing = ['podman', 'conmon'].filter((b) => which(b) === undefined && !fs.existsSync(`/usr/libexec/podman/${b}`));
  return missing.length > 0 ? `not installed: ${missing.join(', ')} (scripts/e2e-deps.sh installs Debian's podman)` : undefined;
}

/** The hard limit of an rlimit of this process ("Max open files" in /proc/self/limits). */
function hardLimit(name: string): number {
  const line = fs.readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith(name));
  const hard = line?.slice(name.length).trim().split(/\s+/)[1];
  return hard === undefined || hard === 'unlimited' ? Infinity : Number(hard);
}

export interface PodmanOptions {
  tty?: boolean;
  timeoutMs?: number;
}

/** The names in a directory, or undefined when it does not exist. */
function entriesOf(dir: string): Set<string> | undefined {
  try {
    return new Set(fs.readdirSync(dir));
  } catch {
    return undefined;
  }
}

export class Podman {
  readonly base: string;
  readonly ioDir: string;
  /** Parent cgroup of the containers (and of conmon, which podman puts in `<parent>/conmon`). */
  readonly cgroupParent: string;
  readonly confPath: string;
  readonly storageConfPath: string;
  /** podman (c/image) keeps this cache for root whatever the storage says; ours if it was not there. */
  private readonly blobCacheWasThere = fs.existsSync(BLOB_INFO_CACHE);
  /** What the runtime's default root held before: podman's containers live there, and tsrunc
   * caches compiled seccomp filters in it (.cache/seccomp/); what these tests add goes at cleanup. */
  private readonly runtimeRoot = tsruncIsRunc() ? '/run/runc' : '/run/tsrunc';
  private readonly runtimeRootBefore = entriesOf(this.runtimeRoot);

  /** `runtimes` maps names (used with `--runtime NAME`) to wrappers; the first is the default. */
  constructor(base: string, runtimes: Record<string, RuntimeWrapper>) {
    this.base = base;
    this.ioDir = path.join(base, 'io');
    this.cgroupParent = `/tsrunc-test-podman-${process.pid}`;
    this.confPath = path.join(base, 'containers.conf');
    this.storageConfPath = path.join(base, 'storage.conf');
    fs.mkdirSync(this.ioDir, { recursive: true });
    const names = Object.keys(runtimes);
    const nofile = Math.min(1024, hardLimit('Max open files'));
    const nproc = Math.min(4096, hardLimit('Max processes'));
    const q = (s: string): string => JSON.stringify(s);
    fs.writeFileSync(this.confPath, [
      '[containers]',
      `default_ulimits = [${q(`nofile=${nofile}:${nofile}`)}, ${q(`nproc=${nproc}:${nproc}`)}]`,
      'netns = "none"',
      'log_driver = "k8s-file"',
      '[engine]',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      `events_logfile_path = ${q(path.join(base, 'events.log'))}`,
      `tmp_dir = ${q(path.join(base, 'tmp'))}`,
      `volume_path = ${q(path.join(base, 'volumes'))}`,
      `runtime = ${q(names[0])}`,
      `runtime_supports_json = [${['crun', 'runc', ...names].map(q).join(', ')}]`,
      '[engine.runtimes]',
      ...names.map((n) => `${n} = [${q(runtimes[n].path)}]`),
      '[network]',
      `network_config_dir = ${q(path.join(base, 'networks'))}`,
      '',
    ].join('\n'));
    fs.writeFileSync(this.storageConfPath, [
      '[storage]',
      'driver = "vfs"',
      `graphroot = ${q(path.join(base, 'storage'))}`,
      `runroot = ${q(path.join(base, 'runroot'))}`,
      '',
    ].join('\n'));
  }

  /** PATH and the two config files, nothing else: no HOME, no caller's shell set-up. */
  env(): NodeJS.ProcessEnv {
    return { PATH: SERVICE_PATH, CONTAINERS_CONF: this.confPath, CONTAINERS_STORAGE_CONF: this.storageConfPath };
  }

  argv(args: string[]): string[] {
    return [which('podman') ?? 'podman', ...args];
  }

  podman(args: string[], opts: PodmanOptions = {}): Promise<CommandResult> {
    return runCommand(this.argv(args), { env: this.env(), ioDir: this.ioDir, ...opts });
  }

  podmanStart(args: string[], opts: PodmanOptions = {}): { done: Promise<CommandResult>; pid: number | undefined } {
    return startCommand(this.argv(args), { env: this.env(), ioDir: this.ioDir, ...opts });
  }

  /** Flags for `podman run`/`create` that keep a container's cgroup under this test's parent. */
  runFlags(): string[] {
    return ['--cgroup-parent', this.cgroupParent];
  }

  /** The runtime's state directory of a container (its default root: podman passes none). */
  stateDir(fullId: string): string {
    return path.join(this.runtimeRoot, fullId);
  }

  cgroupOf(fullId: string): string {
    return `${this.cgroupParent}/libpod-${fullId}`;
  }

  /** Removes every container, then the private storage, cgroups and temp dir; returns what it had to force. */
  async cleanup(): Promise<string[]> {
    const problems: string[] = [];
    const list = await this.podman(['ps', '--all', '--quiet', '--no-trunc']).catch(() => undefined);
    const ids = (list?.stdout ?? '').split('\n').filter(Boolean);
    if (ids.length > 0) {
      problems.push(`containers still there: ${ids.join(', ')}`);
      await this.podman(['rm', '--force', '--time', '0', ...ids]).catch(() => undefined);
    }
    // The storage is plain directories (vfs) under base: removeTree takes it, after unmounting
    // anything a container left mounted (its /dev/shm), which it then reports.
    for (const pid of killProcessesMentioning(this.base)) problems.push(`killed leftover process ${pid}`);
    for (const dir of await removeCgroupTree(this.cgroupParent)) problems.push(`cgroup ${dir} would not go`);
    for (const m of removeTree(this.base)) problems.push(`mount ${m} was left`);
    for (const name of entriesOf(this.runtimeRoot) ?? []) {
      if (!this.runtimeRootBefore?.has(name) && name === '.cache') fs.rmSync(path.join(this.runtimeRoot, name), { recursive: true, force: true });
    }
    if (this.runtimeRootBefore === undefined) {
      try { fs.rmdirSync(this.runtimeRoot); } catch { /* gone already, or holds what is not ours */ }
    }
    if (!this.blobCacheWasThere) {
      fs.rmSync(BLOB_INFO_CACHE, { force: true });
      for (const dir of [path.dirname(BLOB_INFO_CACHE), path.dirname(path.dirname(BLOB_INFO_CACHE))]) {
        try { fs.rmdirSync(dir); } catch { /* not empty: someone else's */ }
      }
    }
    return problems;
  }
}

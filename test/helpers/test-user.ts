// An unprivileged user made for a test file (useradd, removed after), with one subordinate id
// range each in /etc/subuid and /etc/subgid (its own lines only, removed again after), a home of its own and
// an XDG_RUNTIME_DIR inside it: the shape rootless runtimes and rootless podman expect.
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { baseRootfs } from './rootfs';

/** Why a test user cannot be made on this host, or undefined. */
export const testUserSkip = ((): string | undefined => {
  if (process.geteuid?.() !== 0) return 'needs root to create the test user';
  for (const tool of ['useradd', 'userdel', 'setpriv']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  }
  return undefined;
})();

export const idHelpersSkip = spawnSync('sh', ['-c', 'command -v newuidmap && command -v newgidmap']).status === 0
  ? undefined : 'newuidmap/newgidmap are not installed (Debian: uidmap; scripts/setup.sh installs it)';

export interface TestUserOptions {
  /** Prefix of the user's name (the pid is appended). */
  prefix: string;
  /** The subordinate range; `null`: the user gets none. */
  sub?: { start: number; size: number } | null;
}

export class TestUser {
  readonly name: string;
  readonly sub: { start: number; size: number } | null;
  uid = 0;
  gid = 0;
  home = '';

  constructor(opts: TestUserOptions) {
    this.name = `${opts.prefix}${process.pid % 100000}`;
    this.sub = opts.sub === undefined ? { start: 200000, size: 65536 } : opts.sub;
  }

  get runtimeDir(): string { return path.join(this.home, 'run'); }

  create(): void {
    const r = spawnSync('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', this.name], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    this.uid = Number(spawnSync('id', ['-u', this.name], { encoding: 'utf8' }).stdout.trim());
    this.gid = Number(spawnSync('id', ['-g', this.name], { encoding: 'utf8' }).stdout.trim());
    // Exactly the range asked for (or none), whatever useradd added on its own.
    const line = this.sub ? Buffer.from(`${this.name}:${this.sub.start}:${this.sub.size}\n`) : Buffer.alloc(0);
    for (const f of ['/etc/subuid', '/etc/subgid']) fs.writeFileSync(f, Buffer.concat([this.othersLines(f), line]));
    this.home = fs.mkdtempSync(path.join(os.tmpdir(), `tsrunc-${opts2dir(this.name)}-`));
    fs.chmodSync(this.home, 0o755);
    fs.mkdirSync(this.runtimeDir, { mode: 0o700 });
    fs.chownSync(this.runtimeDir, this.uid, this.gid);
  }

  /** The file without this user's lines (useradd may have added some of its own). */
  private othersLines(file: string): Buffer {
    const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith(`${this.name}:`));
    return Buffer.from(lines.map((l) => `${l}\n`).join(''));
  }

  /** The user goes, with its lines in /etc/subuid and /etc/subgid, and its home. */
  remove(): void {
    if (this.uid) {
      spawnSync('pkill', ['-KILL', '-u', String(this.uid)]);
      // userdel refuses while any process of the user is left, a zombie too: a killed process
      // whose parent is the machine's PID 1 (podman's pause process) may wait a while to be reaped.
      const deadline = Date.now() + 15_000;
      while (spawnSync('pgrep', ['-u', String(this.uid)]).status === 0 && Date.now() < deadline) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
      }
      spawnSync('userdel', [this.name]);
    }
    // Only this user's lines go: another file's user may have been added meanwhile.
    if (this.uid) for (const f of ['/etc/subuid', '/etc/subgid']) fs.writeFileSync(f, this.othersLines(f));
    if (this.home) spawnSync('rm', ['-rf', '--one-file-system', this.home]);
  }

  /** The environment the user's commands get. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', HOME: this.home, USER: this.name, XDG_RUNTIME_DIR: this.runtimeDir, ...extra };
  }

  /** A command as the user. `detached`: a container that outlives the command gets /dev/null as
   * stdio, so no pipe of ours stays open in it (stderr is still returned, through a file). */
  run(argv: string[], cwd: string, opts: { detached?: boolean; env?: Record<string, string>; input?: string; timeout?: number } = {}): SpawnSyncReturns<string> {
    const errFile = path.join(this.home, 'detached.err');
    const errFd = opts.detached ? fs.openSync(errFile, 'w') : -1;
    try {
      const r = spawnSync('setpriv', ['--reuid', String(this.uid), '--regid', String(this.gid), '--clear-groups', '--', ...argv], {
        cwd, encoding: 'utf8', timeout: opts.timeout ?? 60_000, env: this.env(opts.env), input: opts.input,
        ...(opts.detached ? { stdio: ['ignore', 'ignore', errFd] } : {}),
      });
      return opts.detached ? { ...r, stderr: fs.readFileSync(errFile, 'utf8') } : r;
    } finally {
      if (errFd >= 0) fs.closeSync(errFd);
    }
  }

  /** A bundle owned by the user, with `spec --rootless`'s config as that runtime writes it. */
  bundle(bin: string[], args: string[], edit?: (s: Record<string, any>) => void): string {
    const dir = fs.mkdtempSync(path.join(this.home, 'bundle-'));
    fs.chmodSync(dir, 0o755);
    const cp = spawnSync('cp', ['-a', baseRootfs(), path.join(dir, 'rootfs')]);
    assert.equal(cp.status, 0);
    spawnSync('chown', ['-R', `${this.uid}:${this.gid}`, dir]);
    const spec = this.run([...bin, 'spec', '--rootless'], dir);
    assert.equal(spec.status, 0, spec.stderr);
    const file = path.join(dir, 'config.json');
    const s = JSON.parse(fs.readFileSync(file, 'utf8'));
    s.process.terminal = false;
    s.process.args = args;
    edit?.(s);
    fs.writeFileSync(file, JSON.stringify(s));
    return dir;
  }
}

function opts2dir(name: string): string { return name.replace(/[^a-z0-9-]/gi, ''); }

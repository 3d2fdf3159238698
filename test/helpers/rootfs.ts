// Test root filesystems and OCI bundles.
//
// A busybox rootfs is assembled once and cached on disk (keyed by a hash of the busybox
// binary and of the recipe below), because every test needs one and building it means ~270
// symlinks. Each bundle then gets its own plain copy: runtimes create mount points inside the
// rootfs and some tests write into it, so sharing one tree between containers would let tests
// influence each other. A copy of busybox plus links costs a few milliseconds.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Bump when the layout below changes so stale caches are not reused. */
const RECIPE_VERSION = 'v1';

export const BUSYBOX = process.env.TSRUNC_TEST_BUSYBOX ?? '/bin/busybox';
export const ROOTFS_CACHE = process.env.TSRUNC_TEST_ROOTFS_CACHE ?? '/var/tmp/tsrunc-test-rootfs';

/** Users known inside the test rootfs; tests refer to these ids. */
export const TEST_UID = 1000;
export const TEST_GID = 1000;
export const NOBODY_UID = 65534;

const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'user:x:1000:1000:test user:/home/user:/bin/sh',
  'nobody:x:65534:65534:nobody:/nonexistent:/bin/false',
  '',
].join('\n');

const GROUP = [
  'root:x:0:',
  'tty:x:5:',
  'users:x:100:user',
  'user:x:1000:',
  'extra:x:2000:user',
  'nogroup:x:65534:',
  '',
].join('\n');

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr}`);
  }
  return r.stdout;
}

function cacheKey(): string {
  const h = createHash('sha256');
  h.update(RECIPE_VERSION);
  h.update(fs.readFileSync(BUSYBOX));
  h.update(PASSWD);
  h.update(GROUP);
  return h.digest('hex').slice(0, 16);
}

function populate(rootfs: string): void {
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'proc', 'sys', 'dev', 'etc', 'root', 'home/user', 'mnt', 'var']) {
    fs.mkdirSync(path.join(rootfs, d), { recursive: true });
  }
  fs.mkdirSync(path.join(rootfs, 'tmp'), { mode: 0o1777 });
  // mkdir applies the umask, and the sticky world-writable mode is what containers expect.
  fs.chmodSync(path.join(rootfs, 'tmp'), 0o1777);
  fs.chmodSync(path.join(rootfs, 'root'), 0o700);
  fs.chownSync(path.join(rootfs, 'home/user'), TEST_UID, TEST_GID);

  fs.copyFileSync(BUSYBOX, path.join(rootfs, 'bin/busybox'));
  fs.chmodSync(path.join(rootfs, 'bin/busybox'), 0o755);
  const applets = run(BUSYBOX, ['--list']).split('\n').map((s) => s.trim()).filter(Boolean);
  for (const name of applets) {
    if (name === 'busybox' || name.includes('/')) continue;
    fs.symlinkSync('busybox', path.join(rootfs, 'bin', name));
  }
  fs.writeFileSync(path.join(rootfs, 'etc/passwd'), PASSWD);
  fs.writeFileSync(path.join(rootfs, 'etc/group'), GROUP);
  fs.writeFileSync(path.join(rootfs, 'etc/hostname'), 'testrootfs\n');

  // A dynamically linked busybox would only fail later inside containers, with a confusing
  // "no such file" for the missing loader; catch that here with a clear cause.
  const probe = spawnSync('chroot', [rootfs, '/bin/sh', '-c', 'true'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error(`${BUSYBOX} does not run inside a bare chroot (is it busybox-static?): ${probe.stderr}`);
  }
}

let cachedRootfs: string | undefined;

/** Path of the cached, read-only-by-convention busybox rootfs; builds it if missing. */
export function baseRootfs(): string {
  if (cachedRootfs && fs.existsSync(path.join(cachedRootfs, 'bin/busybox'))) return cachedRootfs;
  const dir = path.join(ROOTFS_CACHE, cacheKey());
  const rootfs = path.join(dir, 'rootfs');
  const complete = (): boolean =>
    fs.existsSync(path.join(dir, 'complete')) && fs.existsSync(path.join(rootfs, 'bin/busybox'));
  if (!complete()) {
    fs.mkdirSync(ROOTFS_CACHE, { recursive: true });
    // Several test files run in parallel and may all find the cache missing: each builds in
    // its own directory and the first rename wins, so nobody ever sees a half-built tree.
    const tmp = fs.mkdtempSync(path.join(ROOTFS_CACHE, '.build-'));
    fs.chmodSync(tmp, 0o755);
    try {
      populate(path.join(tmp, 'rootfs'));
      fs.writeFileSync(path.join(tmp, 'complete'), `${new Date().toISOString()}\n`);
      if (!complete()) {
        // Only a damaged cache is removed; a complete one may be in use by a parallel run.
        fs.rmSync(dir, { recursive: true, force: true });
        try {
          fs.renameSync(tmp, dir);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
        }
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  cachedRootfs = rootfs;
  return rootfs;
}

// ---------------------------------------------------------------------------------------------
// config.json

export interface Mount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

export interface Namespace {
  type: string;
  path?: string;
}

export interface User {
  uid: number;
  gid: number;
  umask?: number;
  additionalGids?: number[];
}

/** The subset of the OCI runtime spec the tests build; extra keys pass through untouched. */
export interface Spec {
  ociVersion: string;
  process: {
    terminal: boolean;
    user: User;
    args: string[];
    env: string[];
    cwd: string;
    capabilities?: Record<string, string[]>;
    rlimits?: { type: string; hard: number; soft: number }[];
    noNewPrivileges?: boolean;
    [k: string]: unknown;
  };
  root: { path: string; readonly?: boolean };
  hostname?: string;
  mounts: Mount[];
  annotations?: Record<string, string>;
  linux: {
    resources?: Record<string, unknown>;
    namespaces: Namespace[];
    maskedPaths?: string[];
    readonlyPaths?: string[];
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

/** The cgroup (in every hierarchy) under which test bundles put their containers; mutation runs
 * use their own (scripts/mutate.js), so they can sweep what a timed-out mutant left. */
export const TEST_CGROUP_PARENT = process.env.TSRUNC_TEST_CGROUP_PARENT ?? '/tsrunc-test';

const DEFAULT_CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

/**
 * What `runc spec` (runc 1.1.x) writes, verbatim, including `terminal: true`.
 * Kept as code rather than generated so the tests do not need runc; differential.test.ts
 * checks it against the real `runc spec` whenever runc is installed.
 */
export function runcSpecDefault(): Spec {
  return {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: {
        bounding: [...DEFAULT_CAPS],
        effective: [...DEFAULT_CAPS],
        permitted: [...DEFAULT_CAPS],
        ambient: [...DEFAULT_CAPS],
      },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'runc',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      {
        destination: '/dev/pts', type: 'devpts', source: 'devpts',
        options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
      },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    ],
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths: [
        '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
        '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

/** runc's default spec made usable non-interactively: no terminal, since tests capture stdio. */
export function defaultConfig(): Spec {
  const spec = runcSpecDefault();
  spec.process.terminal = false;
  return spec;
}

// ---------------------------------------------------------------------------------------------
// bundles

export interface BundleOptions {
  args?: string[];
  /** Replaces the environment; `extraEnv` appends to the default one. */
  env?: string[];
  extraEnv?: string[];
  cwd?: string;
  terminal?: boolean;
  user?: User;
  hostname?: string;
  readonly?: boolean;
  namespaces?: Namespace[];
  /** Appended after the default mounts. */
  mounts?: Mount[];
  /** Replaces the default mounts entirely. */
  replaceMounts?: Mount[];
  annotations?: Record<string, string>;
  /** Files (path relative to the bundle dir → content) written before config.json. */
  bundleFiles?: Record<string, string>;
  /** Files (path relative to the rootfs → content) added to the bundle's rootfs copy. */
  rootfsFiles?: Record<string, string>;
  /** Last-chance edit of the spec for anything the options above do not cover. */
  mutate?: (spec: Spec) => void;
  /** Where the bundle dir is created; a fresh temp dir under os.tmpdir() otherwise. */
  parent?: string;
}

export interface Bundle {
  dir: string;
  rootfs: string;
  configPath: string;
  spec: Spec;
  /** Rewrites config.json after `spec` was edited in place. */
  writeSpec(): void;
  /**
   * Puts back a pristine rootfs copy (plus `rootfsFiles`), undoing what a previous container
   * or runtime changed in it, e.g. mount points it created.
   */
  resetRootfs(): void;
  /** Removes the bundle; throws (after cleaning) if something was still mounted inside it. */
  cleanup(): void;
}

/** Mount points (as seen by this process) at or below `dir`, deepest first. */
export function mountsUnder(dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const found: string[] = [];
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    if (f.length < 5) continue;
    const mp = f[4].replace(/\\(\d{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (mp === dir || mp.startsWith(prefix)) found.push(mp);
  }
  return found.sort((a, b) => b.length - a.length);
}

/**
 * Deletes a tree without ever descending into a mounted file system: a runtime bug that
 * leaked a bind mount of a host directory into a bundle must not turn cleanup into deleting
 * host files. Leaked mounts are detached first and reported to the caller.
 */
export function removeTree(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const leaked = mountsUnder(dir);
  for (const mp of leaked) spawnSync('umount', ['-l', mp]);
  const r = spawnSync('rm', ['-rf', '--one-file-system', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`rm -rf ${dir} failed: ${r.stderr}`);
  return leaked;
}

/**
 * `cp -a`, except that symlinks are hard-linked to the cached ones. Creating ~270 symlinks
 * costs a third of a second on this VM's ext4 while hard links take a few ms; sharing a
 * symlink's inode is harmless because nothing can change a symlink in place. Directories and
 * regular files are real copies, so containers cannot alter the cache through them.
 */
function copyTree(src: string, dst: string): void {
  const st = fs.lstatSync(src);
  if (st.isSymbolicLink()) {
    try {
      fs.linkSync(src, dst);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
      fs.symlinkSync(fs.readlinkSync(src), dst);
      fs.lchownSync(dst, st.uid, st.gid);
    }
    return;
  }
  if (st.isDirectory()) {
    fs.mkdirSync(dst);
    for (const name of fs.readdirSync(src)) copyTree(path.join(src, name), path.join(dst, name));
  } else if (st.isFile()) {
    fs.copyFileSync(src, dst);
  } else {
    throw new Error(`unexpected file type in the cached rootfs: ${src}`);
  }
  // Owner before mode: chown may clear set-id bits.
  fs.lchownSync(dst, st.uid, st.gid);
  fs.chmodSync(dst, st.mode & 0o7777);
  fs.utimesSync(dst, st.atime, st.mtime);
}

export function makeBundle(opts: BundleOptions = {}): Bundle {
  const base = baseRootfs();
  const dir = fs.mkdtempSync(path.join(opts.parent ?? os.tmpdir(), 'tsrunc-bundle-'));
  const rootfs = path.join(dir, 'rootfs');
  try {
    const fillRootfs = (): void => {
      copyTree(base, rootfs);
      for (const [rel, content] of Object.entries(opts.rootfsFiles ?? {})) {
        const p = path.join(rootfs, rel);
        fs.mkdirSync(path.dirname(p), { recursive: true });
        fs.writeFileSync(p, content);
      }
    };
    fillRootfs();
    for (const [rel, content] of Object.entries(opts.bundleFiles ?? {})) {
      const p = path.join(dir, rel);
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, content);
    }

    const spec = defaultConfig();
    // Every test container gets a cgroup of its own under /tsrunc-test, never one below the test
    // runner's (whose memory cgroup belongs to the machine's supervisor).
    spec.linux.cgroupsPath = `${TEST_CGROUP_PARENT}/${path.basename(dir)}`;
    if (opts.args) spec.process.args = opts.args;
    if (opts.env) spec.process.env = opts.env;
    if (opts.extraEnv) spec.process.env.push(...opts.extraEnv);
    if (opts.cwd) spec.process.cwd = opts.cwd;
    if (opts.terminal !== undefined) spec.process.terminal = opts.terminal;
    if (opts.user) spec.process.user = opts.user;
    if (opts.hostname !== undefined) spec.hostname = opts.hostname;
    if (opts.readonly !== undefined) spec.root.readonly = opts.readonly;
    if (opts.namespaces) spec.linux.namespaces = opts.namespaces;
    if (opts.replaceMounts) spec.mounts = opts.replaceMounts;
    if (opts.mounts) spec.mounts.push(...opts.mounts);
    if (opts.annotations) spec.annotations = opts.annotations;
    opts.mutate?.(spec);

    const configPath = path.join(dir, 'config.json');
    const writeSpec = (): void => fs.writeFileSync(configPath, `${JSON.stringify(spec, null, '\t')}\n`);
    writeSpec();
    return {
      dir, rootfs, configPath, spec, writeSpec,
      resetRootfs(): void {
        const leaked = removeTree(rootfs);
        if (leaked.length > 0) throw new Error(`mounts were left inside rootfs ${rootfs}: ${leaked.join(', ')}`);
        fillRootfs();
      },
      cleanup(): void {
        const leaked = removeTree(dir);
        if (leaked.length > 0) throw new Error(`mounts were left inside bundle ${dir}: ${leaked.join(', ')}`);
      },
    };
  } catch (e) {
    removeTree(dir);
    throw e;
  }
}

// The validate, spec and features commands, run through the real CLI (the built executable) as a user would.
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { RUNTIME_SUPPORT } from '../../../src/linux/runtime-support';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SPEC_VERSION } from '../../../src/context';
import { CAPABILITY_NAMES } from '../../../src/linux/capabilities';
import { detectLsm } from '../../../src/linux/lsm';
import { MOUNT_OPTIONS } from '../../../src/linux/mount-options';
import { NAMESPACE_TYPES } from '../../../src/linux/namespaces';
import { SECCOMP_FLAG_NAMES } from '../../../src/linux/seccomp-names';
import type { Mount } from '../../helpers/rootfs';
import { describeResult, runtimeCommand, uniqueId, type Runtime } from '../../helpers/runtime';
import { forEachRuntime, runtimesForSuite, scratchDirsForFile, withContainer } from '../../helpers/suite';

const TOP = path.resolve(__dirname, '..', '..', '..', '..');
const [BIN, ...BIN_ARGS] = runtimeCommand('tsrunc').argv;

function tsrunc(args: string[], cwd = TOP): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(BIN, [...BIN_ARGS, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A fresh /tmp/tsrunc-config-<pid>-XXXXXX, removed after the file. */
const tempDir = scratchDirsForFile('tsrunc-config-');

/** A bundle with a rootfs directory and the given config. */
function bundle(config: unknown): string {
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, 'rootfs'));
  fs.writeFileSync(path.join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  return dir;
}

function logMessages(stderr: string): { level: string; msg: string }[] {
  return stderr.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
}

test('spec writes a config that validate accepts; a second spec refuses to overwrite it', () => {
  const dir = tempDir();
  const first = tsrunc(['spec'], dir);
  assert.equal(first.code, 0, first.stderr);
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  assert.equal(config.ociVersion, SPEC_VERSION);
  assert.equal(config.root.path, 'rootfs');
  assert.deepEqual(config.process.args, ['sh']);
  fs.mkdirSync(path.join(dir, 'rootfs'));
  const ok = tsrunc(['validate'], dir);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, `${path.join(dir, 'config.json')}: valid\n`);
  const again = tsrunc(['spec', '--bundle', dir]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /File config\.json exists\. Remove it first/);
});

function checkRootlessSpec(flag: string): void {
  const dir = tempDir();
  assert.equal(tsrunc(['spec', flag, '-b', dir]).code, 0);
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  const types = config.linux.namespaces.map((n: { type: string }) => n.type);
  assert.ok(types.includes('user') && !types.includes('network'));
  assert.deepEqual(config.linux.uidMappings, [{ containerID: 0, hostID: process.geteuid!(), size: 1 }]);
  assert.equal(config.linux.resources, undefined);
  fs.mkdirSync(path.join(dir, 'rootfs'));
  const r = tsrunc(['validate', '--bundle', dir]);
  assert.equal(r.code, 0, r.stderr);
}

test('spec --rootless=true maps the caller to root in a user namespace and drops cgroup settings', () => {
  checkRootlessSpec('--rootless=true');
});

test('spec --rootless (bare, as runc users type it)', () => {
  checkRootlessSpec('--rootless');
});

test('spec into a missing directory fails like runc', () => {
  const r = tsrunc(['spec', '--bundle', '/nonexistent/tsrunc-bundle']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /chdir \/nonexistent\/tsrunc-bundle: no such file or directory/);
});

test('validate lists every problem, one JSON error line each, exits 1 and creates nothing', () => {
  const dir = bundle({
    ociVersion: '1.2.0',
    process: { user: { uid: 0, gid: 0 }, args: 5, cwd: '/' },
    root: { path: 'rootfs' },
    linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'pidd' }] },
  });
  const state = path.join(tempDir(), 'state');
  const r = tsrunc(['--root', state, '--log-format', 'json', 'validate', '--bundle', dir]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  const errors = logMessages(r.stderr).filter((l) => l.level === 'error').map((l) => l.msg);
  assert.deepEqual(errors, [
    'config.json: /process/args: must be an array of strings (got 5)',
    'config.json: /linux/namespaces/2/type: must be one of pid, network, mount, ipc, uts, user, cgroup, time (got "pidd")',
  ]);
  assert.equal(fs.existsSync(state), false, 'validate must not create the state directory');
});

test('validate prints warnings and notes what this build does not enforce', () => {
  const dir = bundle({
    ociVersion: '1.0.2-dev',
    root: { path: 'rootfs', readOnly: true },
    mounts: [{ destination: 'proc', type: 'proc', source: 'proc' }],
    linux: { namespaces: [{ type: 'mount' }], memoryPolicy: { mode: 'MPOL_DEFAULT' } },
  });
  const r = tsrunc(['--log-format', 'json', 'validate', '-b', dir]);
  assert.equal(r.code, 0, r.stderr);
  const warnings = logMessages(r.stderr).filter((l) => l.level === 'warning').map((l) => l.msg);
  assert.deepEqual(warnings, [
    'config.json: /root/readOnly: unknown property, ignored (did you mean "readonly"?)',
    'config.json: /mounts/0/destination: relative destination "proc" is deprecated; it is taken as "/proc"',
    'config.json: /process: not set; the container can be created but not started',
  ]);
});

test('validate: missing config.json uses runc\'s wording', () => {
  const dir = tempDir();
  const r = tsrunc(['validate', '--bundle', dir]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`open ${path.join(dir, 'config.json').replace(/[.]/g, '\\.')}: no such file or directory`));
});

test('validate: bad JSON names the line and column', () => {
  const dir = bundle('{\n  "ociVersion": "1.0.0",\n  "root": {"path": "rootfs"},\n}\n');
  const r = tsrunc(['--log-format', 'json', 'validate', '--bundle', dir]);
  assert.equal(r.code, 1);
  assert.deepEqual(logMessages(r.stderr).map((l) => l.msg), ["config.json: invalid JSON at line 4, column 1: trailing comma before '}'"]);
});

test('validate checks the filesystem: rootfs and namespace files', () => {
  const dir = bundle({
    ociVersion: '1.3.0',
    root: { path: 'missing-rootfs' },
    linux: { namespaces: [{ type: 'pid', path: '/proc/self/ns/net' }, { type: 'ipc', path: '/nonexistent/ns/ipc' }, { type: 'mount' }] },
  });
  const r = tsrunc(['--log-format', 'json', 'validate', '--bundle', dir]);
  assert.equal(r.code, 1);
  assert.deepEqual(logMessages(r.stderr).map((l) => l.msg), [
    `config.json: /root/path: ${path.join(dir, 'missing-rootfs')} does not exist`,
    'config.json: /linux/namespaces/0/path: /proc/self/ns/net is a network namespace, not a pid namespace',
    'config.json: /linux/namespaces/1/path: /nonexistent/ns/ipc does not exist',
  ]);
});

test('validate --systemd-cgroup checks the cgroupsPath form', () => {
  const config = { ociVersion: '1.3.0', root: { path: 'rootfs' }, linux: { cgroupsPath: '/a/b', namespaces: [{ type: 'mount' }] } };
  assert.equal(tsrunc(['validate', '--bundle', bundle(config)]).code, 0);
  const r = tsrunc(['--systemd-cgroup', '--log-format', 'json', 'validate', '--bundle', bundle(config)]);
  assert.equal(r.code, 1);
  assert.match(logMessages(r.stderr)[0].msg, /^config\.json: \/linux\/cgroupsPath: must have the form slice:prefix:name/);
});

test('validate reports what create would refuse beyond the spec: a read-only rootfs without a mount namespace', () => {
  // Without a mount namespace the container shares the runtime's mounts (accepted); making its root
  // read-only would need a mount at the rootfs in the runtime's table, which tsrunc refuses.
  const config = { ociVersion: '1.3.0', root: { path: 'rootfs' }, linux: { namespaces: [{ type: 'pid' }] } };
  assert.equal(tsrunc(['validate', '--bundle', bundle(config)]).code, 0);
  const r = tsrunc(['--log-format', 'json', 'validate', '--bundle', bundle({ ...config, root: { path: 'rootfs', readonly: true } })]);
  assert.equal(r.code, 1);
  assert.match(logMessages(r.stderr).at(-1)?.msg ?? '', /^config\.json: \/root\/readonly: a read-only rootfs needs a mount namespace/);
});

test('validate fails a config with linux.intelRdt as create does: no resctrl here; a syntax error comes first', (t) => {
  if (fs.existsSync('/sys/fs/resctrl/schemata')) return t.skip('this host mounts resctrl');
  const config = { ociVersion: '1.3.0', root: { path: 'rootfs' }, linux: { namespaces: [{ type: 'mount' }], intelRdt: { closID: 'g', enableMonitoring: true } } };
  const r = tsrunc(['--log-format', 'json', 'validate', '--bundle', bundle(config)]);
  assert.equal(r.code, 1, r.stderr);
  assert.deepEqual(logMessages(r.stderr).map((l) => `${l.level} ${l.msg}`), [
    'warning config.json: /process: not set; the container can be created but not started',
    'error config.json: /linux/intelRdt: intelRdt is specified in config, but Intel RDT is not enabled (no resctrl filesystem is mounted)',
  ]);
  const bad = tsrunc(['--log-format', 'json', 'validate', '--bundle', bundle({ ...config, linux: { ...config.linux, intelRdt: { memBwSchema: 'L3:0=f' } } })]);
  assert.equal(bad.code, 1, bad.stderr);
  assert.deepEqual(logMessages(bad.stderr).map((l) => l.msg), ['config.json: /linux/intelRdt/memBwSchema: must start with "MB:" (got "L3:0=f")']);
});

test('validate reports a security label this host cannot apply as an error, not a "not implemented" warning', (t) => {
  const host = detectLsm();
  if (host.apparmor || host.selinux) return t.skip('this host has AppArmor or SELinux');
  const config = {
    ociVersion: '1.3.0', root: { path: 'rootfs' },
    process: { cwd: '/', args: ['true'], user: { uid: 0, gid: 0 }, selinuxLabel: 'system_u:system_r:container_t:s0' },
    linux: { namespaces: [{ type: 'mount' }] },
  };
  const r = tsrunc(['--log-format', 'json', 'validate', '--bundle', bundle(config)]);
  assert.equal(r.code, 1);
  assert.deepEqual(logMessages(r.stderr).map((l) => `${l.level}: ${l.msg}`), [
    'error: selinux label is specified in config, but selinux is disabled or not supported',
  ]);
});

test('features: a runtime-spec features document built from the runtime\'s tables', () => {
  const r = tsrunc(['features']);
  assert.equal(r.code, 0, r.stderr);
  const f = JSON.parse(r.stdout);
  const allowedTop = ['ociVersionMin', 'ociVersionMax', 'hooks', 'mountOptions', 'linux', 'annotations', 'potentiallyUnsafeConfigAnnotations'];
  assert.deepEqual(Object.keys(f).filter((k) => !allowedTop.includes(k)), []);
  assert.equal(f.ociVersionMin, '1.0.0');
  assert.equal(f.ociVersionMax, SPEC_VERSION);
  // Hooks are advertised only once the runtime runs them (runtime-support.ts).
  assert.deepEqual(f.hooks, [...RUNTIME_SUPPORT.hooks]);
  // idmap and ridmap need the kernel's mount_setattr (5.12), which the launcher probes.
  const [kernelMajor, kernelMinor] = os.release().split('.').map(Number);
  const idmapKernel = kernelMajor > 5 || (kernelMajor === 5 && kernelMinor >= 12);
  const expectedOptions = Object.keys(MOUNT_OPTIONS).filter((o) => idmapKernel || (o !== 'idmap' && o !== 'ridmap')).sort();
  assert.deepEqual(f.mountOptions, expectedOptions);
  assert.deepEqual(f.linux.namespaces, [...NAMESPACE_TYPES].sort());
  assert.deepEqual(f.linux.capabilities, CAPABILITY_NAMES);
  // Both cgroupfs drivers (v1/hybrid and v2) with rdma limits; no systemd driver yet.
  assert.deepEqual(f.linux.cgroup, { v1: true, v2: true, systemd: true, systemdUser: false, rdma: true });
  assert.equal(f.linux.seccomp.enabled, true);
  assert.deepEqual(f.linux.seccomp.supportedFlags, [...SECCOMP_FLAG_NAMES]);
  // The architectures are the linked libseccomp's: checked against its own header, not our table.
  const header = fs.readFileSync('/usr/include/seccomp.h', 'utf8');
  const minor = Number(/#define SCMP_VER_MINOR\s+(\d+)/.exec(header)?.[1]);
  const micro = Number(/#define SCMP_VER_MICRO\s+(\d+)/.exec(header)?.[1]);
  assert.equal(f.annotations['io.github.seccomp.libseccomp.version'], `2.${minor}.${micro}`);
  assert.ok(f.linux.seccomp.archs.includes('SCMP_ARCH_X86_64') && f.linux.seccomp.archs.includes('SCMP_ARCH_AARCH64'));
  assert.equal(f.linux.seccomp.archs.includes('SCMP_ARCH_LOONGARCH64'), minor >= 6, 'loongarch64 arrived in libseccomp 2.6');
  assert.ok(f.linux.seccomp.actions.includes('SCMP_ACT_ERRNO'));
  // Implemented, whatever this host has (features-linux.md: "Irrelevant to the availability … on the host").
  assert.deepEqual(f.linux.apparmor, { enabled: true });
  assert.deepEqual(f.linux.selinux, { enabled: true });
  assert.equal(f.linux.intelRdt.enabled, false);
  assert.deepEqual(f.linux.mountExtensions, { idmap: { enabled: idmapKernel } });
  // features-linux.md 1.3.0: every mode and flag the spec names (runc lists them sorted too).
  assert.deepEqual(f.linux.memoryPolicy, {
    modes: ['MPOL_BIND', 'MPOL_DEFAULT', 'MPOL_INTERLEAVE', 'MPOL_LOCAL', 'MPOL_PREFERRED', 'MPOL_PREFERRED_MANY', 'MPOL_WEIGHTED_INTERLEAVE'],
    flags: ['MPOL_F_NUMA_BALANCING', 'MPOL_F_RELATIVE_NODES', 'MPOL_F_STATIC_NODES'],
  });
  assert.deepEqual(f.linux.netDevices, { enabled: true });
  for (const [k, v] of Object.entries(f.annotations)) assert.ok(typeof k === 'string' && typeof v === 'string');
});

test('features: every field of runtime-spec 1.3.0\'s features.md and features-linux.md, each saying what this build does', () => {
  const f = JSON.parse(tsrunc(['features']).stdout);
  // The spec's full example has these (plus potentiallyUnsafeConfigAnnotations, mountExtensions, netDevices).
  assert.deepEqual(Object.keys(f).sort(), ['annotations', 'hooks', 'linux', 'mountOptions', 'ociVersionMax', 'ociVersionMin', 'potentiallyUnsafeConfigAnnotations']);
  assert.deepEqual(Object.keys(f.linux).sort(), ['apparmor', 'capabilities', 'cgroup', 'intelRdt', 'memoryPolicy', 'mountExtensions', 'namespaces', 'netDevices', 'seccomp', 'selinux']);
  assert.deepEqual(Object.keys(f.linux.seccomp).sort(), ['actions', 'archs', 'enabled', 'knownFlags', 'operators', 'supportedFlags']);
  // tsrunc acts on no config.json annotation: an empty list ("none"), not an absent one ("unknown").
  assert.deepEqual(f.potentiallyUnsafeConfigAnnotations, ['org.systemd.property.']);
  // No resctrl side: create refuses linux.intelRdt, so nothing of it is claimed.
  assert.deepEqual(f.linux.intelRdt, { enabled: false, schemata: false, monitoring: false });
  // Memory policies are listed once they are applied; the names are then the config schema's.
  const schema = JSON.parse(fs.readFileSync(path.join(TOP, 'src/config/schema/config.schema.json'), 'utf8'));
  const policy = schema.definitions.MemoryPolicy.properties;
  assert.deepEqual(f.linux.memoryPolicy, RUNTIME_SUPPORT.memoryPolicy
    ? { modes: [...policy.mode.enum].sort(), flags: [...policy.flags.items.enum].sort() }
    : { modes: [], flags: [] });
  assert.deepEqual(f.linux.netDevices, { enabled: RUNTIME_SUPPORT.netDevices });
});

// --- features against sources that do not share its tables

interface FeaturesDoc {
  mountOptions: string[];
  linux: { namespaces: string[]; capabilities: string[]; seccomp: { actions: string[]; operators: string[]; knownFlags: string[] } };
}

function tsruncFeatures(): FeaturesDoc {
  const r = tsrunc(['features']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as FeaturesDoc;
}

/** Reads a header, or skips the test with the reason when this host lacks it. */
function header(t: TestContext, file: string): string | undefined {
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8');
  t.skip(`${file} is missing (install linux-libc-dev / libseccomp-dev): not checked against it`);
  return undefined;
}

test('features: the capabilities are linux/capability.h\'s, in number order', (t) => {
  const text = header(t, '/usr/include/linux/capability.h');
  if (text === undefined) return;
  const byNumber: string[] = [];
  for (const m of text.matchAll(/^#define\s+(CAP_[A-Z_]+)\s+(\d+)\s*$/gm)) {
    if (m[1] !== 'CAP_LAST_CAP') byNumber[Number(m[2])] = m[1];
  }
  assert.ok(byNumber.length >= 38 && !byNumber.includes(undefined as unknown as string), `gaps in ${byNumber.join(' ')}`);
  assert.deepEqual(tsruncFeatures().linux.capabilities, byNumber);
});

test('features: the namespaces are the kinds this kernel has (/proc/self/ns)', () => {
  // The kernel's link names; the spec spells two of them out.
  const specName: Record<string, string> = { mnt: 'mount', net: 'network' };
  const kernel = fs.readdirSync('/proc/self/ns').filter((n) => !n.endsWith('_for_children')).map((n) => specName[n] ?? n).sort();
  assert.deepEqual(tsruncFeatures().linux.namespaces, kernel);
});

test('features: seccomp actions and operators are libseccomp\'s (seccomp.h), flags the kernel\'s (linux/seccomp.h)', (t) => {
  const lib = header(t, '/usr/include/seccomp.h');
  const kernel = lib === undefined ? undefined : header(t, '/usr/include/linux/seccomp.h');
  if (lib === undefined || kernel === undefined) return;
  const f = tsruncFeatures().linux.seccomp;
  const actions = [...lib.matchAll(/^#define\s+(SCMP_ACT_[A-Z_]+)\b/gm)].map((m) => m[1]);
  assert.deepEqual(f.actions, [...new Set(actions)].sort());
  const operators = [...lib.matchAll(/^\s+(SCMP_CMP_[A-Z_]+)\s*=/gm)].map((m) => m[1]);
  assert.deepEqual(f.operators, operators.sort());
  const flags = new Set([...kernel.matchAll(/^#define\s+(SECCOMP_FILTER_FLAG_[A-Z_]+)\b/gm)].map((m) => m[1]));
  assert.deepEqual(f.knownFlags.filter((name) => !flags.has(name)), [], 'flags the kernel does not define');
});

// What `features` promises for each mount option, checked on a real container: each option is used
// in a mount of its own under /mnt/o-<option>, and /proc/self/mountinfo inside must show its effect.
// Options whose effect the mount table cannot show are listed with the reason; an option that is
// in neither list fails the test, so a new one needs a check before it is advertised.

interface MountinfoEntry { mountPoint: string; opts: string[]; optional: string[]; fstype: string; superOpts: string[] }

function parseMountinfo(text: string): MountinfoEntry[] {
  return text.split('\n').flatMap((line) => {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    if (f.length < 10 || sep < 6) return [];
    return [{ mountPoint: f[4], opts: f[5].split(','), optional: f.slice(6, sep), fstype: f[sep + 1], superOpts: (f[sep + 3] ?? '').split(',') }];
  });
}

/** Sources the option mounts are made from, set up by earlier mounts of the same container. */
const SRC = {
  /** A private tmpfs with a plain tmpfs submount at sub/. */
  plain: '/mnt/src-plain',
  /** The same with a submount that has every flag an r* option can clear. */
  flagged: '/mnt/src-flagged',
  /** The same with a strictatime submount. */
  strict: '/mnt/src-strict',
  /** A shared tmpfs (its own peer group) with a shared submount. */
  shared: '/mnt/src-shared',
  /** A noatime tmpfs, to see a bind's remount change the atime mode. */
  noatime: '/mnt/src-noatime',
};
const withSub = (dir: string, subOptions: string[], options: string[] = []): Mount[] => [
  { destination: dir, type: 'tmpfs', source: 'tmpfs', options: ['mode=755', ...options] },
  { destination: `${dir}/sub`, type: 'tmpfs', source: 'tmpfs', options: ['mode=755', ...subOptions] },
];
const SOURCE_MOUNTS: Mount[] = [
  ...withSub(SRC.plain, []),
  ...withSub(SRC.flagged, ['ro', 'nosuid', 'nodev', 'noexec', 'noatime', 'nodiratime', 'nosymfollow']),
  ...withSub(SRC.strict, ['strictatime']),
  ...withSub(SRC.shared, [], ['shared']),
  { destination: SRC.noatime, type: 'tmpfs', source: 'tmpfs', options: ['mode=755', 'noatime'] },
];

type Field = 'opts' | 'superOpts' | 'optional';
/** [field, value]: for `optional`, "shared" matches "shared:12". */
type Seen = [Field, string];
interface OptionCheck {
  mounts: (dest: string, rootfs: string) => Mount[];
  /** The mount that shows the effect: the option's own, or the submount an rbind brought along. */
  at: 'top' | 'sub';
  has?: Seen[];
  lacks?: Seen[];
}

const shows = (e: MountinfoEntry, [field, value]: Seen): boolean =>
  e[field].some((v) => v === value || (field === 'optional' && v.startsWith(`${value}:`)));
const tmpfsWith = (...options: string[]) => (dest: string): Mount[] => [{ destination: dest, type: 'tmpfs', source: 'tmpfs', options }];
const bindOf = (src: string, ...options: string[]) => (dest: string, rootfs: string): Mount[] =>
  // Mounts are made before the runtime enters the rootfs, so the source is named from outside it.
  [{ destination: dest, type: 'bind', source: `${rootfs}${src}`, options }];

function mountOptionChecks(): Record<string, OptionCheck> {
  const c: Record<string, OptionCheck> = {};
  // A per-mount flag and the option that clears it: the clearing one comes after the setting one.
  for (const [set, clear, shown] of [
    ['ro', 'rw', 'ro'], ['nosuid', 'suid', 'nosuid'], ['nodev', 'dev', 'nodev'], ['noexec', 'exec', 'noexec'],
    ['noatime', 'atime', 'noatime'], ['nodiratime', 'diratime', 'nodiratime'], ['nosymfollow', 'symfollow', 'nosymfollow'],
  ]) {
    c[set] = { mounts: tmpfsWith(set), at: 'top', has: [['opts', shown]] };
    c[clear] = { mounts: tmpfsWith(set, clear), at: 'top', lacks: [['opts', shown]] };
  }
  c.rw.has = [['opts', 'rw']];
  // Superblock flags.
  for (const [set, clear] of [['sync', 'async'], ['lazytime', 'nolazytime']]) {
    c[set] = { mounts: tmpfsWith(set), at: 'top', has: [['superOpts', set]] };
    c[clear] = { mounts: tmpfsWith(set, clear), at: 'top', lacks: [['superOpts', set]] };
  }
  c.dirsync = { mounts: tmpfsWith('dirsync'), at: 'top', has: [['superOpts', 'dirsync']] };
  // atime modes. relatime is the kernel's default for a new mount, so it is seen on a bind of a
  // noatime mount, which the runtime remounts with the flags asked for.
  c.strictatime = { mounts: tmpfsWith('strictatime'), at: 'top', lacks: [['opts', 'relatime'], ['opts', 'noatime']] };
  c.nostrictatime = { mounts: tmpfsWith('strictatime', 'nostrictatime'), at: 'top', has: [['opts', 'relatime']] };
  c.relatime = { mounts: bindOf(SRC.noatime, 'bind', 'relatime'), at: 'top', has: [['opts', 'relatime']], lacks: [['opts', 'noatime']] };
  c.norelatime = { mounts: bindOf(SRC.noatime, 'bind', 'relatime', 'norelatime'), at: 'top', has: [['opts', 'noatime']] };
  // bind and rbind: only the option makes these binds (type "none"), and only rbind brings sub/.
  c.bind = { mounts: (d, r) => [{ ...bindOf(SRC.plain, 'bind')(d, r)[0], type: 'none' }], at: 'top', has: [['superOpts', 'rw']] };
  c.rbind = { mounts: (d, r) => [{ ...bindOf(SRC.plain, 'rbind')(d, r)[0], type: 'none' }], at: 'sub', has: [['superOpts', 'rw']] };
  // Propagation: binds of the shared source join its peer groups unless the option says otherwise.
  c.shared = { mounts: tmpfsWith('shared'), at: 'top', has: [['optional', 'shared']] };
  c.rshared = { mounts: bindOf(SRC.plain, 'rbind', 'rshared'), at: 'sub', has: [['optional', 'shared']] };
  c.private = { mounts: bindOf(SRC.shared, 'rbind', 'private'), at: 'top', lacks: [['optional', 'shared'], ['optional', 'master']] };
  c.rprivate = { mounts: bindOf(SRC.shared, 'rbind', 'rprivate'), at: 'sub', lacks: [['optional', 'shared'], ['optional', 'master']] };
  c.slave = { mounts: bindOf(SRC.shared, 'rbind', 'slave'), at: 'top', has: [['optional', 'master']], lacks: [['optional', 'shared']] };
  c.rslave = { mounts: bindOf(SRC.shared, 'rbind', 'rslave'), at: 'sub', has: [['optional', 'master']], lacks: [['optional', 'shared']] };
  c.unbindable = { mounts: bindOf(SRC.plain, 'rbind', 'unbindable'), at: 'top', has: [['optional', 'unbindable']] };
  c.runbindable = { mounts: bindOf(SRC.plain, 'rbind', 'runbindable'), at: 'sub', has: [['optional', 'unbindable']] };
  // Recursive attributes (mount_setattr) reach the submount an rbind brought along; the clearing
  // ones are tried on a submount that has the flag.
  for (const [set, clear, shown] of [
    ['rro', 'rrw', 'ro'], ['rnosuid', 'rsuid', 'nosuid'], ['rnodev', 'rdev', 'nodev'], ['rnoexec', 'rexec', 'noexec'],
    ['rnoatime', 'ratime', 'noatime'], ['rnodiratime', 'rdiratime', 'nodiratime'], ['rnosymfollow', 'rsymfollow', 'nosymfollow'],
  ]) {
    c[set] = { mounts: bindOf(SRC.plain, 'rbind', set), at: 'sub', has: [['opts', shown]] };
    c[clear] = { mounts: bindOf(SRC.flagged, 'rbind', clear), at: 'sub', lacks: [['opts', shown]] };
  }
  c.rrw.has = [['opts', 'rw']];
  c.ratime.has = [['opts', 'relatime']];
  c.rstrictatime = { mounts: bindOf(SRC.plain, 'rbind', 'rstrictatime'), at: 'sub', lacks: [['opts', 'relatime'], ['opts', 'noatime']] };
  c.rnostrictatime = { mounts: bindOf(SRC.strict, 'rbind', 'rnostrictatime'), at: 'sub', has: [['opts', 'relatime']] };
  c.rrelatime = { mounts: bindOf(SRC.flagged, 'rbind', 'rrelatime'), at: 'sub', has: [['opts', 'relatime']], lacks: [['opts', 'noatime']] };
  return c;
}

/** Options the mount table cannot show, and why: listed so that every advertised option is accounted for. */
const NOT_IN_MOUNTINFO: Record<string, string> = {
  defaults: 'means no flag at all',
  acl: 'tmpfs always has POSIX ACLs and mountinfo does not show the flag', noacl: 'see acl',
  iversion: 'mountinfo does not show i_version', noiversion: 'see iversion',
  mand: 'mandatory locking is gone from Linux 5.15 on; the kernel drops the flag', nomand: 'see mand',
  silent: 'only changes what the kernel logs', loud: 'see silent',
  remount: 'acts on a mount already at the destination, so it is no property of a new mount',
  rnorelatime: 'clears the atime mode, which leaves relatime, the kernel default',
  tmpcopyup: 'checked by its content in test/integration/rootfs/mounts.test.ts',
  // Shown ("idmapped"), but only with mappings and a source outside the container's own mounts.
  idmap: 'checked in test/integration/rootfs/idmap-mounts.test.ts, owners seen from both sides',
  ridmap: 'see idmap',
};

const suite = runtimesForSuite();

/**
 * Options runc 1.1 lists but cannot apply on their own: it hands mount_setattr part of the atime
 * mask (EINVAL), and the whole container fails. Later runc versions and tsrunc clear the whole mask.
 */
async function refusedByThisRunc(rt: Runtime): Promise<Record<string, string>> {
  const version = (await rt.exec(['--version'])).stdout;
  if (!/^runc version 1\.[01]\./m.test(version)) return {};
  const why = 'runc 1.1 passes a partial atime mask to mount_setattr (EINVAL)';
  return { ratime: why, rnostrictatime: why };
}

async function runtimeFeatures(rt: Runtime): Promise<FeaturesDoc> {
  const r = await rt.exec(['features']);
  assert.equal(r.code, 0, describeResult(r));
  return JSON.parse(r.stdout) as FeaturesDoc;
}

forEachRuntime(suite, 'features: every mount option it lists shows its effect in /proc/self/mountinfo inside a container', async (t, rt) => {
  const listed = (await runtimeFeatures(rt)).mountOptions;
  const checks = mountOptionChecks();
  const unaccounted = listed.filter((o) => !(o in checks) && !(o in NOT_IN_MOUNTINFO));
  assert.deepEqual(unaccounted, [], 'advertised mount options without a check or a reason');
  const refused = await refusedByThisRunc(rt);
  if (Object.keys(refused).length > 0) t.diagnostic(`not tried with ${rt.label}: ${JSON.stringify(refused)}`);
  const tried = listed.filter((o) => o in checks && !(o in refused));
  await withContainer(rt, `mntopt-${rt.kind}`, { args: ['cat', '/proc/self/mountinfo'] }, async (b) => {
    b.spec.mounts.push(...SOURCE_MOUNTS);
    for (const o of tried) b.spec.mounts.push(...checks[o].mounts(`/mnt/o-${o}`, b.rootfs));
    b.writeSpec();
    const r = await rt.runToCompletion(b.dir, uniqueId(`mntopt-${rt.kind}`));
    assert.equal(r.code, 0, describeResult(r.result));
    const mounts = parseMountinfo(r.stdout);
    const wrong: string[] = [];
    for (const o of tried) {
      const check = checks[o];
      const where = check.at === 'top' ? `/mnt/o-${o}` : `/mnt/o-${o}/sub`;
      const e = mounts.filter((m) => m.mountPoint === where).pop();
      if (!e) { wrong.push(`${o}: nothing mounted at ${where}`); continue; }
      for (const s of check.has ?? []) if (!shows(e, s)) wrong.push(`${o}: ${where} should show ${s[1]} in ${s[0]}`);
      for (const s of check.lacks ?? []) if (shows(e, s)) wrong.push(`${o}: ${where} should not show ${s[1]} in ${s[0]}`);
      if (wrong.some((w) => w.startsWith(`${o}:`))) wrong.push(`    ${[e.mountPoint, e.opts.join(','), ...e.optional, '-', e.fstype, e.superOpts.join(',')].join(' ')}`);
    }
    assert.deepEqual(wrong, [], `${rt.label}: ${tried.length} options tried`);
  });
});

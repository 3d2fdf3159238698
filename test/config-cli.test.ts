// The validate, spec and features commands, run through the real CLI (bin/tsrunc) as a user would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RUNTIME_SUPPORT } from '../src/linux/runtime-support';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SPEC_VERSION } from '../src/context';
import { CAPABILITY_NAMES } from '../src/linux/capabilities';
import { detectLsm } from '../src/linux/lsm';
import { MOUNT_OPTIONS } from '../src/linux/mount-options';
import { NAMESPACE_TYPES } from '../src/linux/namespaces';
import { SECCOMP_FLAG_NAMES } from '../src/linux/seccomp-names';
import { scratchDirsForFile } from './helpers/suite';

const TOP = path.resolve(__dirname, '..', '..');
const BIN = path.join(TOP, 'bin', 'tsrunc');

function tsrunc(args: string[], cwd = TOP): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
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
    'config.json: /linux/memoryPolicy: NUMA memory policy is not implemented by this tsrunc build',
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

test('validate reports what create would refuse beyond the spec: no mount namespace', () => {
  // Valid by the spec, refused by tsrunc: runc would make the container's mounts in the host's namespace.
  const config = { ociVersion: '1.3.0', root: { path: 'rootfs' }, linux: { namespaces: [{ type: 'pid' }] } };
  const r = tsrunc(['--log-format', 'json', 'validate', '--bundle', bundle(config)]);
  assert.equal(r.code, 1);
  assert.match(logMessages(r.stderr).at(-1)?.msg ?? '', /^config\.json: \/linux\/namespaces: tsrunc requires a mount namespace/);
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
  const expectedOptions = Object.keys(MOUNT_OPTIONS).filter((o) => o !== 'idmap' && o !== 'ridmap').sort();
  assert.deepEqual(f.mountOptions, expectedOptions);
  assert.deepEqual(f.linux.namespaces, [...NAMESPACE_TYPES].sort());
  assert.deepEqual(f.linux.capabilities, CAPABILITY_NAMES);
  // Both cgroupfs drivers (v1/hybrid and v2) with rdma limits; no systemd driver yet.
  assert.deepEqual(f.linux.cgroup, { v1: true, v2: true, systemd: false, systemdUser: false, rdma: true });
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
  assert.deepEqual(f.linux.mountExtensions, { idmap: { enabled: false } });
  for (const [k, v] of Object.entries(f.annotations)) assert.ok(typeof k === 'string' && typeof v === 'string');
});

// Unit tests of the config modules: loading, JSON error positions, the default spec, features
// derivation, filesystem checks and the speed of validating runc's default config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultSpec } from '../../src/config/default-spec';
import { buildFeatures } from '../../src/config/features';
import { unimplementedParts } from '../../src/config/unimplemented';
import { findExcessiveNesting, JsonDepthError, MAX_JSON_DEPTH, parseBoundedJson } from '../../src/config/json-depth';
import { locateJsonError } from '../../src/config/json-error';
import { ConfigError, loadBundleConfig } from '../../src/config/load';
import { closest } from '../../src/config/suggest';
import type { Spec } from '../../src/config/types';
import { validateSpec } from '../../src/config/validate';
import { planRlimits } from '../../src/plan/security';
import { refuseIntelRdt, resctrlMountPoint } from '../../src/linux/intel-rdt';
import { RUNTIME_SUPPORT } from '../../src/linux/runtime-support';
import { SECCOMP_FLAG_NAMES } from '../../src/linux/seccomp-names';
import { dottedSysctlKey, sysctlPlacement, sysctlProcPath } from '../../src/linux/sysctl';
import { scratchDirsForFile } from '../helpers/suite';

const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'spec-fixtures');
const fixture = (name: string): Record<string, any> => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));

/** /tmp/tsrunc-unit-<pid>-XXXXXX directories, removed after the file. */
const tempDir = scratchDirsForFile('tsrunc-unit-');

function tempBundle(config: unknown, rootfs = true): string {
  const dir = tempDir();
  if (rootfs) fs.mkdirSync(path.join(dir, 'rootfs'));
  if (config !== undefined) fs.writeFileSync(path.join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  return dir;
}

test('loadBundleConfig: missing config.json keeps runc\'s text', () => {
  const dir = tempBundle(undefined);
  assert.throws(() => loadBundleConfig(dir, { forCreate: true }), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.deepEqual(e.problems, [`open ${dir}/config.json: no such file or directory`]);
    return true;
  });
});

test('loadBundleConfig: config.json that is a directory', () => {
  const dir = tempBundle(undefined);
  fs.mkdirSync(path.join(dir, 'config.json'));
  assert.throws(() => loadBundleConfig(dir, { forCreate: true }), { message: `read ${dir}/config.json: is a directory` });
});

test('loadBundleConfig: all problems in one ConfigError, message = lines joined', () => {
  const dir = tempBundle({ ociVersion: '9.0.0', root: { path: 'rootfs' }, hostname: 'h' });
  assert.throws(() => loadBundleConfig(dir, { forCreate: true }), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.problems.length, 2);
    assert.equal(e.message, e.problems.join('\n'));
    assert.equal(e.exitCode, 1);
    return true;
  });
});

test('loadBundleConfig: a valid bundle gives the spec, absolute paths and warnings; a BOM is tolerated', () => {
  const config = { ociVersion: '1.3.0', root: { path: 'rootfs' }, mounts: [{ destination: 'tmp', type: 'tmpfs', source: 'tmpfs' }] };
  const dir = tempBundle('\ufeff' + JSON.stringify(config));
  const loaded = loadBundleConfig(path.relative(process.cwd(), dir), { forCreate: true });
  assert.equal(loaded.bundle, dir);
  assert.equal(loaded.configPath, path.join(dir, 'config.json'));
  assert.deepEqual(loaded.spec, config);
  assert.deepEqual(loaded.warnings, ['config.json: /mounts/0/destination: relative destination "tmp" is deprecated; it is taken as "/tmp"']);
});

test('loadBundleConfig: process may be absent for create, not for run', () => {
  const dir = tempBundle({ ociVersion: '1.0.0', root: { path: 'rootfs' } });
  assert.equal(loadBundleConfig(dir, { forCreate: true }).spec.process, undefined);
  assert.throws(() => loadBundleConfig(dir, { forCreate: false }), { message: 'config.json: /process: is required to start a container' });
});

test('locateJsonError: position and reason', () => {
  assert.deepEqual(locateJsonError('{"a": 1,\n "b" }'), { line: 2, column: 6, reason: "unexpected '}' (expected ':' after a property name)" });
  assert.deepEqual(locateJsonError(''), { line: 1, column: 1, reason: 'unexpected end of input (expected a value)' });
  assert.deepEqual(locateJsonError('{"a":1} x'), { line: 1, column: 9, reason: 'unexpected text after the JSON value' });
  assert.deepEqual(locateJsonError('[1,]'), { line: 1, column: 4, reason: "trailing comma before ']'" });
  assert.deepEqual(locateJsonError("{'a': 1}"), { line: 1, column: 2, reason: 'strings must use double quotes' });
  assert.deepEqual(locateJsonError('{"a": "x\ny"}'), { line: 1, column: 9, reason: 'unterminated string (raw line break inside quotes)' });
  assert.deepEqual(locateJsonError('{"a": "\\q"}'), { line: 1, column: 8, reason: "invalid escape '\\q' in string" });
  assert.deepEqual(locateJsonError('{"a": 01}'), { line: 1, column: 8, reason: "unexpected '1' (expected ',' or '}' after a property value)" });
  assert.equal(locateJsonError('{"a": [1, {"b": null}], "c": -1.5e3}'), undefined);
});

test('defaultSpec is runc\'s default container, at tsrunc\'s spec version', () => {
  // runc 1.1 still granted ambient capabilities (newer runc no longer does) and names the host "runc".
  const runc = fixture('valid/runc-1.1-spec.json');
  delete runc.process.capabilities.ambient;
  const ours = defaultSpec() as Record<string, any>;
  assert.equal(ours.ociVersion, '1.3.0');
  assert.equal(ours.hostname, 'tsrunc');
  for (const key of ['process', 'root', 'mounts', 'linux']) assert.deepEqual(ours[key], runc[key], key);
  assert.deepEqual(Object.keys(ours), Object.keys(runc), 'same key order as runc');
  assert.deepEqual(validateSpec(ours), { problems: [], warnings: [] });
});

test('defaultSpec rootless equals runc spec --rootless for the same ids', () => {
  const runc = fixture('valid/runc-1.1-spec-rootless.json');
  delete runc.process.capabilities.ambient;
  const ours = defaultSpec({ rootless: true, uid: 0, gid: 0 }) as Record<string, any>;
  // runc 1.1 left gid=5 out of the rootless devpts options only; identical otherwise.
  for (const key of ['process', 'root', 'mounts', 'linux']) assert.deepEqual(ours[key], runc[key], key);
  assert.deepEqual(validateSpec(ours).problems, []);
  assert.notEqual(defaultSpec(), defaultSpec(), 'a fresh object each call');
});

test('features follow the runtime-support table', () => {
  const now = buildFeatures();
  assert.equal(now.linux.seccomp.enabled, RUNTIME_SUPPORT.seccomp);
  // A kernel without mount_setattr: hostFeatures() passes idmapMounts false, and both options go.
  const oldKernel = buildFeatures({ ...RUNTIME_SUPPORT, idmapMounts: false });
  assert.ok(!oldKernel.mountOptions.includes('idmap') && !oldKernel.mountOptions.includes('ridmap'));
  assert.deepEqual(oldKernel.linux.mountExtensions, { idmap: { enabled: false } });
  const later = buildFeatures({ ...RUNTIME_SUPPORT, idmapMounts: true, cgroup: { ...RUNTIME_SUPPORT.cgroup, systemd: true } });
  assert.deepEqual(later.linux.seccomp.supportedFlags, [...SECCOMP_FLAG_NAMES]);
  assert.ok(later.mountOptions.includes('idmap') && later.mountOptions.includes('ridmap'));
  assert.deepEqual(later.linux.mountExtensions, { idmap: { enabled: true } });
  assert.equal(later.linux.cgroup.systemd, true);
  assert.deepEqual(now.potentiallyUnsafeConfigAnnotations, ['org.systemd.property.']);
  assert.deepEqual(buildFeatures({ ...RUNTIME_SUPPORT, memoryPolicy: false }).linux.memoryPolicy, { modes: [], flags: [] }, 'no name is recognised where the policy is not applied');
  const policies = buildFeatures({ ...RUNTIME_SUPPORT, memoryPolicy: true, unsafeConfigAnnotations: ['org.example.hook.', 'bundle'] });
  // The names are the config schema's (runtime-spec 1.3's), sorted as runc prints them.
  const policy = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'src/config/schema/config.schema.json'), 'utf8')).definitions.MemoryPolicy.properties;
  assert.deepEqual(policies.linux.memoryPolicy, { modes: [...policy.mode.enum].sort(), flags: [...policy.flags.items.enum].sort() });
  assert.deepEqual(policies.potentiallyUnsafeConfigAnnotations, ['org.example.hook.', 'bundle']);
});

test('unimplementedParts names each section this build accepts but does not enforce', () => {
  const lines = unimplementedParts(fixture('valid/full-featured.json') as Spec);
  const pointers = lines.map((l) => l.split(': ')[1]);
  // Every hook kind runs now, id-mapped mounts are made and intelRdt fails create (refuseIntelRdt).
  assert.deepEqual(pointers, []);
  assert.deepEqual(unimplementedParts(fixture('valid/full-featured.json') as Spec, { ...RUNTIME_SUPPORT, idmapMounts: false }).map((l) => l.split(': ')[1]), ['/mounts/3', '/mounts/4']);
  assert.deepEqual(unimplementedParts(fixture('valid/minimal.json') as Spec), []);
});

test('sysctl keys: slash form, namespaces, /proc/sys path', () => {
  assert.equal(dottedSysctlKey('net/ipv4/conf/eth0.100/forwarding'), 'net.ipv4.conf.eth0/100.forwarding');
  assert.equal(sysctlProcPath('net.ipv4.conf.eth0/100.forwarding'), '/proc/sys/net/ipv4/conf/eth0.100/forwarding');
  assert.equal(sysctlPlacement('net/ipv4/ip_forward').namespace, 'network');
  assert.equal(sysctlPlacement('kernel.msgmax').namespace, 'ipc');
  assert.equal(sysctlPlacement('kernel.hostname').conflictsWith, '/hostname');
  assert.equal(sysctlPlacement('vm.swappiness').namespace, undefined);
  assert.equal(sysctlPlacement('user.max_user_namespaces').namespace, 'user');
  assert.equal(sysctlPlacement('user/max_ipc_namespaces').namespace, 'user');
});

test('filesystem checks only run with a bundle', () => {
  const spec = { ociVersion: '1.3.0', root: { path: 'nope' }, linux: { namespaces: [{ type: 'mount', path: '/proc/self/ns/pid_for_children' }] } };
  assert.deepEqual(validateSpec(spec).problems, []);
  const dir = tempBundle(undefined);
  assert.deepEqual(validateSpec(spec, { bundle: dir }).problems, [
    `config.json: /root/path: ${dir}/nope does not exist`,
    'config.json: /linux/namespaces/0/path: /proc/self/ns/pid_for_children is a pid namespace, not a mount namespace',
  ]);
  fs.writeFileSync(path.join(dir, 'file'), '');
  assert.deepEqual(validateSpec({ ociVersion: '1.3.0', root: { path: `${dir}/file` } }, { bundle: '/' }).problems, [`config.json: /root/path: ${dir}/file is not a directory`]);
});

test('net.* sysctls in the host\'s own network namespace are refused', () => {
  const dir = tempBundle(undefined);
  const spec = { ociVersion: '1.3.0', root: { path: 'rootfs' }, linux: { namespaces: [{ type: 'network', path: '/proc/self/ns/net' }], sysctl: { 'net.ipv4.ip_forward': '1' } } };
  assert.deepEqual(validateSpec(spec, { bundle: dir }).problems, [
    "config.json: /linux/sysctl/net.ipv4.ip_forward: would change the host: /linux/namespaces/0/path is the host's network namespace",
  ]);
});

test('suggestions are offered only for close names', () => {
  assert.equal(closest('readOnly', ['path', 'readonly']), 'readonly');
  assert.equal(closest('capabilites', ['capabilities', 'cwd']), 'capabilities');
  assert.equal(closest('zzz', ['path', 'readonly']), undefined);
});


test('rlimits beyond 2^53 keep their exact digits from config.json into the launch plan', () => {
  const spec = defaultSpec() as Spec;
  spec.process!.rlimits = [{ type: 'RLIMIT_FSIZE', soft: 1, hard: 2 }, { type: 'RLIMIT_CORE', soft: 3, hard: 4 }];
  const text = JSON.stringify(spec)
    .replace('"soft":1,', '"soft":9007199254740993,').replace('"hard":2}', '"hard":9007199254740993}')
    .replace('"soft":3,', '"soft":9223372036854775807,').replace('"hard":4}', '"hard":18446744073709551615}');
  const dir = tempBundle(text);
  try {
    const loaded = loadBundleConfig(dir, { forCreate: true });
    assert.deepEqual(planRlimits(loaded.spec.process!.rlimits), [
      { type: 1, soft: '9007199254740993', hard: '9007199254740993' },
      { type: 4, soft: '9223372036854775807', hard: 'infinity' },
    ]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('rlimits: soft above hard and values above 2^64-1 are caught although the doubles agree', () => {
  const spec = defaultSpec() as Spec;
  spec.process!.rlimits = [{ type: 'RLIMIT_FSIZE', soft: 1, hard: 2 }, { type: 'RLIMIT_CORE', soft: 3, hard: 4 }];
  const text = JSON.stringify(spec)
    .replace('"soft":1,', '"soft":9007199254740993,').replace('"hard":2}', '"hard":9007199254740992}')
    .replace('"soft":3,', '"soft":0,').replace('"hard":4}', '"hard":18446744073709551616}');
  const dir = tempBundle(text);
  try {
    assert.throws(() => loadBundleConfig(dir, { forCreate: true }), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.deepEqual(e.problems, [
        'config.json: /process/rlimits/0/soft: must not exceed the hard limit 9007199254740992 (got 9007199254740993)',
        'config.json: /process/rlimits/1/hard: must be an unsigned 64-bit integer (got 18446744073709551616)',
      ]);
      return true;
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('linux.intelRdt: the spec\'s syntax rules, each naming its JSON path', () => {
  const check = (intelRdt: Record<string, unknown>): { problems: string[]; warnings: string[] } =>
    validateSpec({ ociVersion: '1.3.0', root: { path: 'rootfs' }, linux: { intelRdt } });
  // The spec's own example and the 1.1 fields are fine.
  assert.deepEqual(check({ closID: 'guaranteed_group', schemata: ['L3:0=7f0;1=1f', 'L2:0=f;1=f;2=f;3=f', 'MB:0=20;1=70'] }), { problems: [], warnings: [] });
  assert.deepEqual(check({ closID: '/', l3CacheSchema: 'L3:0=ffff0;1=3ff', memBwSchema: 'MB:0=20;1=70', enableMonitoring: true }), { problems: [], warnings: [] });
  // closID names one directory of resctrl ("/" alone is its root).
  for (const clos of ['.', '..', 'a/b', '/a', '']) {
    assert.deepEqual(check({ closID: clos }).problems, [`config.json: /linux/intelRdt/closID: must be "/" or a plain directory name (got ${JSON.stringify(clos)})`], clos);
  }
  // memBwSchema: MUST start with "MB:", MUST NOT hold a newline.
  assert.deepEqual(check({ memBwSchema: 'L3:0=f' }).problems, ['config.json: /linux/intelRdt/memBwSchema: must start with "MB:" (got "L3:0=f")']);
  assert.deepEqual(check({ memBwSchema: 'MB:0=20\nMB:1=70' }).problems, ['config.json: /linux/intelRdt/memBwSchema: must not contain newlines']);
  // l3CacheSchema: SHOULD start with "L3" and SHOULD NOT hold a newline: a warning only.
  const l3 = check({ l3CacheSchema: 'MB:0=20' });
  assert.deepEqual(l3.problems, []);
  assert.match(l3.warnings.join('\n'), /\/linux\/intelRdt\/l3CacheSchema: should start with "L3" and be a single line/);
  // schemata: one line per element.
  assert.deepEqual(check({ schemata: ['L3:0=f', 'MB:0=20\nMB:1=70'] }).problems, ['config.json: /linux/intelRdt/schemata/1: must not contain newlines; use one entry per line']);
});

test('linux.intelRdt is refused up front: no resctrl here, or not implemented where resctrl is mounted', () => {
  const spec = { ociVersion: '1.3.0', linux: { intelRdt: { closID: 'g' } } } as Spec;
  assert.throws(() => refuseIntelRdt(spec, () => undefined), /^TsruncError: config\.json: \/linux\/intelRdt: intelRdt is specified in config, but Intel RDT is not enabled \(no resctrl filesystem is mounted\)$/);
  assert.throws(() => refuseIntelRdt(spec, () => '/sys/fs/resctrl'), /^TsruncError: config\.json: \/linux\/intelRdt: Intel RDT is not implemented by this tsrunc build \(resctrl is mounted at \/sys\/fs\/resctrl\)$/);
  assert.doesNotThrow(() => refuseIntelRdt({ ociVersion: '1.3.0', linux: {} } as Spec, () => undefined));
  const mountinfo = [
    '25 1 0:22 / / rw,relatime - ext4 /dev/vda rw',
    '40 25 0:35 / /sys/fs/resctrl rw,relatime - resctrl resctrl rw',
  ].join('\n');
  assert.equal(resctrlMountPoint(mountinfo), '/sys/fs/resctrl');
  assert.equal(resctrlMountPoint(mountinfo.split('\n')[0]), undefined);
  assert.equal(resctrlMountPoint(fs.readFileSync('/proc/self/mountinfo', 'utf8')), fs.existsSync('/sys/fs/resctrl/schemata') ? '/sys/fs/resctrl' : undefined);
});

test('findExcessiveNesting: counts arrays and objects, not brackets inside strings', () => {
  const deep = (n: number): string => '{"a":'.repeat(n - 1) + '[]' + '}'.repeat(n - 1);
  assert.equal(findExcessiveNesting(deep(5), 5), undefined);
  assert.deepEqual(findExcessiveNesting(deep(6), 5), { line: 1, column: 26 });
  assert.deepEqual(findExcessiveNesting('['.repeat(6), 5), { line: 1, column: 6 }); // the shortest text too deep
  assert.equal(findExcessiveNesting('["[[[[[[", "\\"[[[[[", {"{{{{": "]]]"}]', 2), undefined);
  assert.deepEqual(findExcessiveNesting('[\n [\n  [1]]]', 2), { line: 3, column: 3 });
  assert.throws(() => parseBoundedJson('['.repeat(MAX_JSON_DEPTH + 1) + ']'.repeat(MAX_JSON_DEPTH + 1)), JsonDepthError);
  assert.deepEqual(parseBoundedJson('{"a":[1,{"b":"]]"}]}'), { a: [1, { b: ']]' }] });
});

test('validate: a mount destination named inside /proc is refused, with its JSON path; /proc itself and lxcfs\'s files are not', () => {
  const withMount = (m: Record<string, unknown>): string[] => {
    const spec = defaultSpec() as unknown as { mounts: Record<string, unknown>[] };
    spec.mounts.push(m);
    return validateSpec(spec).problems.filter((p) => p.includes(`/mounts/${spec.mounts.length - 1}/`));
  };
  assert.deepEqual(withMount({ destination: '/proc/sys', type: 'tmpfs', source: 'tmpfs' }),
    [`config.json: /mounts/7/destination: "/proc/sys" is inside the container's procfs; only /proc itself and /proc/cpuinfo, /proc/diskstats, /proc/meminfo, /proc/stat, /proc/swaps, /proc/uptime, /proc/loadavg, /proc/slabinfo, /proc/sys/kernel/ns_last_pid, /proc/sys/crypto/fips_enabled may be mounted on`]);
  assert.equal(withMount({ destination: '/tmp/../proc/self/attr/', type: 'bind', source: '/tmp', options: ['rbind'] }).length, 1);
  assert.match(withMount({ destination: '/proc', type: 'tmpfs', source: 'tmpfs' })[0] ?? '', /only a procfs may be mounted on \/proc, not "tmpfs"/);
  assert.deepEqual(withMount({ destination: '/proc/meminfo', type: 'bind', source: '/proc/meminfo', options: ['bind'] }), []);
  assert.deepEqual(withMount({ destination: '/proc', type: 'bind', source: '/proc', options: ['rbind'] }), []);
  assert.deepEqual(withMount({ destination: '/process', type: 'tmpfs', source: 'tmpfs' }), []);
});

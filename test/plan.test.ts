// The plan builder decides everything the launcher does; these check its decisions directly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Spec } from '../src/config/types';
import { MOUNT_ATTR, MS } from '../src/linux/mount-options';
import { buildLaunchPlan } from '../src/plan/build';
import { planMount } from '../src/plan/mounts';
import { planCapabilities, planRlimits } from '../src/plan/security';

const OPTS = { id: 'c1', bundle: '/b', execFifo: '/run/tsrunc/c1/exec.fifo', noPivot: false, noNewKeyring: false, preserveFds: 0, debug: false };

function spec(extra: Partial<Spec> = {}): Spec {
  return {
    ociVersion: '1.3.0',
    root: { path: 'rootfs' },
    process: { cwd: '/', args: ['sh'], user: { uid: 0, gid: 0 } },
    linux: { namespaces: [{ type: 'mount' }, { type: 'pid' }, { type: 'user' }, { type: 'network', path: '/proc/1/ns/net' }] },
    ...extra,
  };
}

test('a read-only bind: bind flags at mount, the rest by remount; relative source from the bundle', () => {
  const m = planMount({ destination: 'data', type: 'bind', source: 'vol', options: ['rbind', 'ro', 'nosuid', 'rprivate'] }, '/b');
  assert.equal(m.source, '/b/vol');
  assert.equal(m.destination, '/data');
  assert.equal(m.type, '');
  assert.equal(m.flags, MS.BIND | MS.REC | MS.RDONLY | MS.NOSUID);
  assert.deepEqual(m.propagation, [MS.PRIVATE | MS.REC]);
});

test('filesystem options that are not flags become mount data, in order', () => {
  const m = planMount({ destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] }, '/b');
  assert.equal(m.flags, MS.NOSUID | MS.STRICTATIME);
  assert.equal(m.data, 'mode=755,size=65536k');
  assert.equal(m.type, 'tmpfs');
});

test('later options override earlier ones (rw after ro)', () => {
  assert.equal(planMount({ destination: '/x', type: 'tmpfs', options: ['ro', 'rw'] }, '/b').flags & MS.RDONLY, 0);
});

test('recursive options go to mount_setattr; an atime mode clears the whole atime field', () => {
  const m = planMount({ destination: '/x', type: 'bind', source: '/s', options: ['rbind', 'rro', 'rnosuid', 'rnoatime'] }, '/b');
  assert.equal(m.recAttrSet, MOUNT_ATTR.RDONLY | MOUNT_ATTR.NOSUID | MOUNT_ATTR.NOATIME);
  assert.equal(m.recAttrClr & MOUNT_ATTR.ATIME_MASK, MOUNT_ATTR.ATIME_MASK);
});

test('tmpcopyup is an extension, not mount data', () => {
  const m = planMount({ destination: '/etc', type: 'tmpfs', options: ['tmpcopyup', 'mode=755'] }, '/b');
  assert.equal(m.tmpcopyup, true);
  assert.equal(m.data, 'mode=755');
});

test('namespaces are ordered user first, joined ones keep their path', () => {
  const plan = buildLaunchPlan(spec(), '/b/rootfs', OPTS);
  assert.deepEqual(plan.namespaces.map((n) => n.type), ['user', 'network', 'pid', 'mount']);
  assert.equal(plan.namespaces.find((n) => n.type === 'network')?.path, '/proc/1/ns/net');
  assert.equal(plan.namespaces.find((n) => n.type === 'user')?.cloneFlag, 0x10000000);
});

test('a config without a mount namespace is refused (the host mount table would change)', () => {
  assert.throws(() => buildLaunchPlan(spec({ linux: { namespaces: [{ type: 'pid' }] } }), '/b/rootfs', OPTS), /requires a mount namespace/);
});

test('default devices are added and a configured device replaces the default at its path', () => {
  const plan = buildLaunchPlan(spec({ linux: { namespaces: [{ type: 'mount' }], devices: [{ path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o600 }, { path: '/dev/fuse', type: 'c', major: 10, minor: 229 }] } }), '/b/rootfs', OPTS);
  const byPath = new Map(plan.devices.map((d) => [d.path, d]));
  assert.equal(byPath.get('/dev/null')?.fileMode, 0o600);
  assert.equal(byPath.get('/dev/zero')?.fileMode, 0o666);
  assert.equal(byPath.get('/dev/fuse')?.major, 10);
  assert.equal(plan.setupDev, true);
});

test('a bind mount of /dev means no device nodes are made', () => {
  const plan = buildLaunchPlan(spec({ mounts: [{ destination: '/dev', type: 'bind', source: '/dev', options: ['rbind'] }] }), '/b/rootfs', OPTS);
  assert.equal(plan.setupDev, false);
});

test('LISTEN_FDS adds to --preserve-fds and to the environment', () => {
  const plan = buildLaunchPlan(spec(), '/b/rootfs', { ...OPTS, preserveFds: 2, listenFds: 1 });
  assert.equal(plan.preserveFds, 3);
  assert.deepEqual(plan.process?.env.slice(-2), ['LISTEN_FDS=1', 'LISTEN_PID=1']);
});

test('rlimits: names become numbers, huge values become "infinity"', () => {
  assert.deepEqual(planRlimits([{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 4096 }, { type: 'RLIMIT_CORE', soft: 2 ** 64, hard: 2 ** 64 }]), [
    { type: 7, soft: '1024', hard: '4096' },
    { type: 4, soft: 'infinity', hard: 'infinity' },
  ]);
});

test('capabilities: names become bit numbers per set; absent stays absent', () => {
  const warnings: string[] = [];
  const caps = planCapabilities({ bounding: ['CAP_KILL', 'CAP_CHOWN'], effective: ['CAP_KILL'] }, (w) => warnings.push(w));
  assert.deepEqual(caps, { bounding: [5, 0], effective: [5], inheritable: [], permitted: [], ambient: [] });
  assert.deepEqual(warnings, []);
  assert.equal(planCapabilities(undefined, () => {}), undefined);
});

test('rootfsPropagation and hostname reach the plan', () => {
  const plan = buildLaunchPlan(spec({ hostname: 'h', linux: { namespaces: [{ type: 'mount' }, { type: 'uts' }], rootfsPropagation: 'rshared' } }), '/b/rootfs', OPTS);
  assert.equal(plan.rootPropagation, MS.SHARED | MS.REC);
  assert.equal(plan.hostname, 'h');
  assert.equal(plan.domainname, undefined);
});

test('sysctl keys become /proc/sys paths, a "/" in a dotted key standing for a literal "."', () => {
  const plan = buildLaunchPlan(spec({ linux: { namespaces: [{ type: 'mount' }, { type: 'network' }], sysctl: { 'net.ipv4.conf.eth0/100.forwarding': '1', 'net/ipv4/ip_forward': '1' } } }), '/b/rootfs', OPTS);
  assert.deepEqual(plan.sysctl.map((s) => s.path), ['/proc/sys/net/ipv4/conf/eth0.100/forwarding', '/proc/sys/net/ipv4/ip_forward']);
});

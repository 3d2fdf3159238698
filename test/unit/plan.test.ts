// The plan builder decides everything the launcher does; these check its decisions directly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { Process, Spec } from '../../src/config/types';
import { CAPABILITY_NAMES } from '../../src/linux/capabilities';
import { MOUNT_ATTR, MS } from '../../src/linux/mount-options';
import { buildLaunchPlan, planProcess } from '../../src/plan/build';
import { planMount } from '../../src/plan/mounts';
import { planSeccomp, seccompActionValue } from '../../src/plan/seccomp';
import { parseCpuList, planExecCpuAffinity, planScheduling } from '../../src/plan/scheduling';
import { planCapabilities, planRlimits } from '../../src/plan/security';

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

test('without a mount namespace the plan shares the runtime\'s mounts; what would change the mount holding the rootfs is refused', () => {
  const plan = buildLaunchPlan(spec({ linux: { namespaces: [{ type: 'pid' }] } }), '/b/rootfs', OPTS);
  assert.deepEqual(plan.namespaces.map((n) => n.type), ['pid']);
  assert.throws(() => buildLaunchPlan(spec({ root: { path: 'rootfs', readonly: true }, linux: { namespaces: [{ type: 'pid' }] } }), '/b/rootfs', OPTS), /\/root\/readonly: a read-only rootfs needs a mount namespace/);
  assert.throws(() => buildLaunchPlan(spec({ linux: { namespaces: [{ type: 'pid' }], rootfsPropagation: 'shared' } }), '/b/rootfs', OPTS), /\/linux\/rootfsPropagation: needs a mount namespace/);
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

test('capabilities: names become bit numbers per set; absent means none at all (runc)', () => {
  const warnings: string[] = [];
  const caps = planCapabilities({ bounding: ['CAP_KILL', 'CAP_CHOWN'], effective: ['CAP_KILL'] }, (w) => warnings.push(w));
  assert.deepEqual(caps, { bounding: [5, 0], effective: [5], inheritable: [], permitted: [], ambient: [] });
  assert.deepEqual(warnings, []);
  assert.deepEqual(planCapabilities(undefined, () => {}), { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] });
});

test('capabilities outside the bounding set the process starts from: left out of every set, one warning naming them all', () => {
  const warnings: string[] = [];
  // CAP_SYS_RESOURCE (24) and CAP_SYS_TIME (25) missing from an otherwise full set.
  const grantable = ((1n << 41n) - 1n) & ~(3n << 24n);
  const asked = ['CAP_SYS_TIME', 'CAP_KILL', 'CAP_SYS_RESOURCE'];
  const caps = planCapabilities({ bounding: asked, effective: asked, inheritable: asked, permitted: asked, ambient: ['CAP_SYS_RESOURCE'] }, (w) => warnings.push(w), grantable);
  assert.deepEqual(caps, { bounding: [5], effective: [5], inheritable: [5], permitted: [5], ambient: [] });
  assert.deepEqual(warnings, ['capabilities not in the runtime\'s own bounding set cannot be granted; left out of every set: CAP_SYS_RESOURCE, CAP_SYS_TIME']);
});

test('capabilities: the bounding set is checked only for a process without a user namespace of its own', () => {
  const planned = (withUserNs: boolean): number[] => {
    const s = spec({ process: { args: ['x'], cwd: '/', user: { uid: 0, gid: 0 }, capabilities: { effective: [...CAPABILITY_NAMES] } }, linux: { namespaces: withUserNs ? [{ type: 'mount' }, { type: 'user' }] : [{ type: 'mount' }] } });
    return planProcess(s, s.process as Process, 0).capabilities?.effective ?? [];
  };
  const own = BigInt(`0x${/^CapBnd:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0'}`);
  const last = Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
  const known = CAPABILITY_NAMES.map((_n, i) => i).filter((i) => i <= last);
  assert.deepEqual(planned(true), known, 'all of them: the user namespace\'s bounding set starts full');
  assert.deepEqual(planned(false), known.filter((i) => ((own >> BigInt(i)) & 1n) === 1n), 'the runtime\'s own bounding set');
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

test('seccomp: action values carry errno (EPERM by default), rules repeating the default are dropped', () => {
  // Kernel values (include/uapi/linux/seccomp.h), written out rather than taken from our table.
  assert.equal(seccompActionValue('SCMP_ACT_ERRNO', undefined), 0x00050000 | 1);
  assert.equal(seccompActionValue('SCMP_ACT_ERRNO', 38), 0x00050000 | 38);
  assert.equal(seccompActionValue('SCMP_ACT_TRACE', 5), 0x7ff00000 | 5);
  assert.equal(seccompActionValue('SCMP_ACT_KILL_PROCESS', undefined), 0x80000000);
  assert.equal(seccompActionValue('SCMP_ACT_KILL', undefined), 0);
  const plan = planSeccomp({
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
    flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'],
    syscalls: [
      { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
      { names: ['mkdir'], action: 'SCMP_ACT_ERRNO' },
      { names: ['rmdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
      { names: ['getcwd'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
    ],
  }, { id: 'c1', bundle: '/b' });
  assert.ok(plan);
  assert.equal(plan.defaultAction, 0x00050001);
  assert.deepEqual(plan.architectures, ['x86_64', 'x86']);
  assert.equal(plan.flags, 2 | 4);
  assert.deepEqual(plan.rules.map((r) => r.names), [['read', 'write'], ['getcwd']]);
  assert.equal(plan.listener, undefined);
  assert.equal(planSeccomp(undefined, { id: 'c1', bundle: '/b' }), undefined);
});

test('seccomp: conditions on distinct arguments form one rule; a repeated argument splits them (runc)', () => {
  const plan = planSeccomp({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [
      { names: ['personality'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }, { index: 0, value: 0x20008, op: 'SCMP_CMP_EQ' }] },
      { names: ['clone'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }, { index: 1, value: 2 ** 64, op: 'SCMP_CMP_NE' }] },
    ],
  }, { id: 'c1', bundle: '/b' });
  assert.ok(plan);
  assert.deepEqual(plan.rules.map((r) => r.args.length), [1, 1, 2]);
  assert.deepEqual(plan.rules[2].args, [
    { index: 0, op: 7, value: String(0x7e020000), valueTwo: '0' },
    { index: 1, op: 1, value: '18446744073709551615', valueTwo: '0' },
  ]);
});

test('seccomp: a notifying rule adds NEW_LISTENER and the listener message in runc\'s shape', () => {
  const plan = planSeccomp({
    defaultAction: 'SCMP_ACT_ALLOW',
    listenerPath: '/run/agent.sock',
    listenerMetadata: 'meta',
    syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }],
  }, { id: 'c1', bundle: '/b', annotations: { a: 'b' } });
  assert.ok(plan?.listener);
  assert.equal(plan.flags & 8, 8);
  assert.equal(plan.listener.path, '/run/agent.sock');
  assert.deepEqual(Object.keys(plan.listener.message), ['ociVersion', 'fds', 'pid', 'metadata', 'state']);
  assert.deepEqual(plan.listener.message.fds, ['seccompFd']);
  assert.deepEqual(plan.listener.message.state, { ociVersion: '1.3.0', id: 'c1', status: 'creating', pid: 0, bundle: '/b', annotations: { a: 'b' } });
});

test('scheduler, ioPriority and personality become kernel numbers under process.scheduling', () => {
  const plan = buildLaunchPlan(spec({
    process: {
      cwd: '/', args: ['sh'], user: { uid: 0, gid: 0 },
      scheduler: { policy: 'SCHED_DEADLINE', flags: ['SCHED_FLAG_RESET_ON_FORK', 'SCHED_FLAG_DL_OVERRUN'], runtime: 10_000, deadline: 20_000, period: 40_000 },
      ioPriority: { class: 'IOPRIO_CLASS_IDLE', priority: 7 },
    },
    linux: { namespaces: [{ type: 'mount' }], personality: { domain: 'LINUX32' } },
  }), '/b/rootfs', OPTS);
  assert.deepEqual(plan.process?.scheduling, {
    scheduler: { policy: 6, flags: 0x05, nice: 0, priority: 0, runtime: 10_000, deadline: 20_000, period: 40_000 },
    ioPriority: { class: 3, priority: 7 },
    personality: 8,
  });
});

test('scheduling: unset fields default to 0 as the spec says, and nothing set means no scheduling in the plan', () => {
  const only = (p: Partial<Spec['process'] & object>, linux: Spec['linux'] = {}) =>
    planScheduling({ ...spec(), process: { cwd: '/', args: ['sh'], user: { uid: 0, gid: 0 }, ...p }, linux });
  assert.deepEqual(only({ scheduler: { policy: 'SCHED_FIFO', priority: 50 } })?.scheduler, { policy: 1, flags: 0, nice: 0, priority: 50, runtime: 0, deadline: 0, period: 0 });
  assert.deepEqual(only({ ioPriority: { class: 'IOPRIO_CLASS_RT' } }), { ioPriority: { class: 1, priority: 0 } });
  assert.deepEqual(only({}, { personality: { domain: 'LINUX' } }), { personality: 0 });
  assert.equal(only({}), undefined);
  assert.equal(buildLaunchPlan(spec(), '/b/rootfs', OPTS).process?.scheduling, undefined);
});

test('execCPUAffinity is not applied to the container init: create\'s plan leaves it out', () => {
  const plan = buildLaunchPlan(spec({ process: { cwd: '/', args: ['sh'], user: { uid: 0, gid: 0 }, execCPUAffinity: { initial: '0', final: '1' } } }), '/b/rootfs', OPTS);
  assert.equal(plan.process?.scheduling, undefined);
});

test('execCPUAffinity for exec: CPU lists become sorted CPU numbers; empty lists mean "leave it alone"', () => {
  assert.deepEqual(planExecCpuAffinity({ initial: '0-3,7', final: '1' }), { initial: [0, 1, 2, 3, 7], final: [1] });
  assert.deepEqual(planExecCpuAffinity({ final: '2' }), { initial: [], final: [2] });
  assert.equal(planExecCpuAffinity({ initial: '', final: '' }), undefined);
  assert.equal(planExecCpuAffinity(undefined), undefined);
});

test('CPU lists: ranges, duplicates, empty elements and the kernel\'s stride form; bad lists are refused', () => {
  assert.deepEqual(parseCpuList('3,1-2,1', 'x'), [1, 2, 3]);
  assert.deepEqual(parseCpuList('1,', 'x'), [1]);
  assert.deepEqual(parseCpuList('', 'x'), []);
  assert.deepEqual(parseCpuList('0-7:2/4', 'x'), [0, 1, 4, 5]);
  assert.throws(() => parseCpuList('3-1', '/process/execCPUAffinity/final'), /\/process\/execCPUAffinity\/final: "3-1": range 3-1 ends before it starts/);
  assert.throws(() => parseCpuList('0-9000', 'x'), /beyond the largest/);
  assert.throws(() => parseCpuList('0-7:5/4', 'x'), /stride/);
  assert.throws(() => parseCpuList('a', 'x'), /not a CPU number or range/);
});

test('deadline times beyond what a JSON number holds exactly are refused, not rounded', () => {
  assert.throws(() => planScheduling({ ...spec(), process: { cwd: '/', args: ['sh'], user: { uid: 0, gid: 0 }, scheduler: { policy: 'SCHED_DEADLINE', runtime: 2 ** 64 } } }), /\/process\/scheduler\/runtime/);
});

// ---- LSM labels -------------------------------------------------------------------------------

const WITH_LSM = { ...OPTS, lsm: { apparmor: true, selinux: true } };
const WITHOUT_LSM = { ...OPTS, lsm: { apparmor: false, selinux: false } };
const PROCESS = { cwd: '/', args: ['sh'], user: { uid: 0, gid: 0 } };
const MOUNT_LABEL = 'system_u:object_r:container_file_t:s0:c1,c2';

function labelledSpec(): Spec {
  return spec({
    linux: { namespaces: [{ type: 'mount' }], mountLabel: MOUNT_LABEL },
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'mode=755'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['newinstance', 'gid=5'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm' },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue' },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup' },
      { destination: '/data', type: 'bind', source: '/srv', options: ['rbind'] },
    ],
  });
}

test('mountLabel with SELinux: context="…" appended where runc appends it (tmpfs, devpts), not to proc, sysfs, mqueue, cgroup or binds', () => {
  const plan = buildLaunchPlan(labelledSpec(), '/b/rootfs', WITH_LSM);
  const data = Object.fromEntries(plan.mounts.map((m) => [m.destination, m.data]));
  const context = `context="${MOUNT_LABEL}"`;
  assert.deepEqual(data, {
    '/proc': '',
    '/dev': `mode=755,${context}`,
    '/dev/pts': `newinstance,gid=5,${context}`,
    '/dev/shm': context,
    '/dev/mqueue': '',
    '/sys': '',
    '/sys/fs/cgroup': '',
    '/data': '',
  });
  // The launcher labels what the mount list cannot carry (masked directories, mqueue's root).
  assert.equal(plan.mountLabel, MOUNT_LABEL);
});

test('no mountLabel (or an empty one): mount data untouched, no plan field', () => {
  for (const mountLabel of [undefined, '']) {
    const s = labelledSpec();
    s.linux!.mountLabel = mountLabel;
    const plan = buildLaunchPlan(s, '/b/rootfs', WITH_LSM);
    assert.equal(plan.mounts.find((m) => m.destination === '/dev')?.data, 'mode=755');
    assert.equal(plan.mountLabel, undefined);
  }
});

test('apparmorProfile and selinuxLabel go to the process plan when the host has the module; empty means none', () => {
  const plan = buildLaunchPlan(spec({ process: { ...PROCESS, apparmorProfile: 'docker-default', selinuxLabel: 'system_u:system_r:container_t:s0' } }), '/b/rootfs', WITH_LSM);
  assert.equal(plan.process?.apparmorProfile, 'docker-default');
  assert.equal(plan.process?.selinuxLabel, 'system_u:system_r:container_t:s0');
  const none = buildLaunchPlan(spec({ process: { ...PROCESS, apparmorProfile: '', selinuxLabel: '' } }), '/b/rootfs', WITHOUT_LSM);
  assert.equal(none.process?.apparmorProfile, undefined);
  assert.equal(none.process?.selinuxLabel, undefined);
});

test('a label the host cannot apply is refused by the plan builder, each with its own message', () => {
  assert.throws(() => buildLaunchPlan(spec({ process: { ...PROCESS, selinuxLabel: 'system_u:system_r:container_t:s0' } }), '/b/rootfs', WITHOUT_LSM),
    /^TsruncError: selinux label is specified in config, but selinux is disabled or not supported$/);
  assert.throws(() => buildLaunchPlan(spec({ process: { ...PROCESS, apparmorProfile: 'docker-default' } }), '/b/rootfs', WITHOUT_LSM),
    /apparmor profile "docker-default" is specified in config \(process\.apparmorProfile\), but apparmor is disabled or not supported on this host/);
  assert.throws(() => buildLaunchPlan(labelledSpec(), '/b/rootfs', WITHOUT_LSM),
    /mount label "system_u:object_r:container_file_t:s0:c1,c2" is specified in config \(linux\.mountLabel\), but selinux is disabled or not supported on this host/);
  // One module is not the other.
  assert.throws(() => buildLaunchPlan(labelledSpec(), '/b/rootfs', { ...OPTS, lsm: { apparmor: true, selinux: false } }), /mount label/);
  assert.throws(() => buildLaunchPlan(spec({ process: { ...PROCESS, apparmorProfile: 'p' } }), '/b/rootfs', { ...OPTS, lsm: { apparmor: false, selinux: true } }), /apparmor profile/);
});

test('netDevices: in config order, the host name kept when the config gives none; no field without devices', () => {
  const s = spec();
  s.linux!.netDevices = { ifb3: { name: 'eth0' }, veth9: {}, ifb4: { name: 'net%d' } };
  assert.deepEqual(buildLaunchPlan(s, '/b/rootfs', OPTS).netDevices, [
    { hostName: 'ifb3', name: 'eth0' }, { hostName: 'veth9', name: 'veth9' }, { hostName: 'ifb4', name: 'net%d' },
  ]);
  s.linux!.netDevices = {};
  assert.equal('netDevices' in buildLaunchPlan(s, '/b/rootfs', OPTS), false);
});

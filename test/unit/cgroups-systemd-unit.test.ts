// The systemd driver's pure parts: unit names and slices from cgroupsPath, linux.resources as unit
// properties, and org.systemd.property.* annotations. End to end against systemd:
// test/cgroups-systemd.test.ts (the systemd lane).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { annotationProperties } from '../../src/config/systemd-annotations';
import { rangesToMask, systemdResources } from '../../src/cgroups/systemd/properties';
import { expandSlice, systemdUnitPlace } from '../../src/cgroups/systemd/unit-name';
import { Variant } from '../../src/dbus/marshal';
import { SystemdCgroups } from '../../src/cgroups/systemd/driver';
import { deviceProperties } from '../../src/cgroups/systemd/device-properties';
import { validateSpec } from '../../src/config/validate';

test('slices expand into nested cgroups as systemd spells them; bad names are refused', () => {
  assert.equal(expandSlice('system.slice'), '/system.slice');
  assert.equal(expandSlice('a-b-c.slice'), '/a.slice/a-b.slice/a-b-c.slice');
  assert.equal(expandSlice('-.slice'), '/');
  for (const bad of ['a--b.slice', '-a.slice', 'a-.slice', 'a/b.slice', '.slice', 'foo', 'a b.slice']) {
    assert.throws(() => expandSlice(bad), /invalid slice name/, bad);
  }
});

test('cgroupsPath slice:prefix:name -> <prefix>-<name>.scope; empty parts take runc\'s defaults', () => {
  assert.deepEqual(systemdUnitPlace('user-1000.slice:crio:abc', 'id'), { slice: 'user-1000.slice', unit: 'crio-abc.scope', cgroupPath: '/user.slice/user-1000.slice/crio-abc.scope' });
  assert.deepEqual(systemdUnitPlace(':docker:abc', 'id'), { slice: 'system.slice', unit: 'docker-abc.scope', cgroupPath: '/system.slice/docker-abc.scope' });
  assert.deepEqual(systemdUnitPlace(undefined, 'c1'), { slice: 'system.slice', unit: 'runc-c1.scope', cgroupPath: '/system.slice/runc-c1.scope' });
  assert.deepEqual(systemdUnitPlace('::n', 'c1'), { slice: 'system.slice', unit: '-n.scope', cgroupPath: '/system.slice/-n.scope' });
  assert.throws(() => systemdUnitPlace('system.slice:p:my.slice', 'c1'), /slice as the container's own unit/);
});

test('resources -> unit properties, derived from the same file values the cgroupfs driver writes', () => {
  const { properties, resources } = systemdResources({
    memory: { limit: 64 << 20, reservation: 16 << 20, swap: 96 << 20 },
    cpu: { shares: 512, quota: 33333, period: 100000, cpus: '0-2,5', mems: '0' },
    pids: { limit: -1 },
    unified: { 'memory.high': '50331648' },
  });
  const byName = Object.fromEntries(properties.map(([n, v]) => [n, v]));
  assert.deepEqual(byName.MemoryMax, new Variant('t', 67108864n));
  assert.deepEqual(byName.MemoryLow, new Variant('t', 16777216n));
  assert.deepEqual(byName.MemorySwapMax, new Variant('t', 33554432n), 'swap.max excludes memory');
  assert.deepEqual(byName.MemoryHigh, new Variant('t', 50331648n));
  assert.deepEqual(byName.TasksMax, new Variant('t', (1n << 64n) - 1n), '-1 is infinity');
  assert.deepEqual(byName.CPUWeight, new Variant('t', 59n));
  assert.deepEqual(byName.CPUQuotaPeriodUSec, new Variant('t', 100000n));
  assert.deepEqual(byName.CPUQuotaPerSecUSec, new Variant('t', 340000n), 'rounded up to 1% of a CPU second');
  assert.equal(resources.cpu?.quota, 34000, 'and the file gets the same rounded quota');
  assert.deepEqual(byName.AllowedCPUs, new Variant('ay', Buffer.from([0b00100111])));
  assert.deepEqual(byName.AllowedMemoryNodes, new Variant('ay', Buffer.from([1])));
  assert.deepEqual(systemdResources({ pids: { limit: 0 } }).properties, [['TasksMax', new Variant('t', 1n)]], 'systemd refuses TasksMax=0');
  assert.deepEqual(systemdResources({ cpu: { idle: 1, shares: 512 } }).properties, [['CPUWeight', new Variant('t', 0n)]], 'cpu.idle=1 is CPUWeight=0');
  assert.deepEqual(rangesToMask('8', 'x'), Buffer.from([0, 1]));
  assert.throws(() => rangesToMask('3-1', 'linux.resources.cpu.cpus'), /linux\.resources\.cpu\.cpus: bad range/);
});

test('annotations: GVariant text values, Sec -> USec, errors naming the annotation', () => {
  assert.deepEqual(annotationProperties({
    'org.systemd.property.TimeoutStopSec': '7',
    'org.systemd.property.CollectMode': "'inactive-or-failed'",
    'org.systemd.property.CPUAccounting': 'true',
    'org.systemd.property.TasksMax': 'uint64 99',
    'org.systemd.property.RuntimeMaxSec': '@d 1.5',
    'org.systemd.property.Wants': "['a.service', 'b.service']",
    'other.annotation': 'ignored',
  }), [
    ['TimeoutStopUSec', new Variant('t', 7000000n)],
    ['CollectMode', new Variant('s', 'inactive-or-failed')],
    ['CPUAccounting', new Variant('b', true)],
    ['TasksMax', new Variant('t', 99n)],
    ['RuntimeMaxUSec', new Variant('t', 1500000n)],
    ['Wants', new Variant('as', ['a.service', 'b.service'])],
  ]);
  assert.deepEqual(annotationProperties({ 'org.systemd.property.Weight': '5' }), [['Weight', new Variant('i', 5)]], 'a bare integer is int32');
  assert.throws(() => annotationProperties({ 'org.systemd.property.lower': '1' }), /annotations\["org\.systemd\.property\.lower"\]: "lower" is not a systemd property name/);
  assert.throws(() => annotationProperties({ 'org.systemd.property.TimeoutStopSec': 'soon' }), /TimeoutStopSec.*"soon"/);
  assert.throws(() => annotationProperties({ 'org.systemd.property.X': "'open" }), /unterminated string/);
  assert.throws(() => annotationProperties({ 'org.systemd.property.X': 'byte 300' }), /out of range/);
  assert.throws(() => annotationProperties({ 'org.systemd.property.X': '[]' }), /needs a type/);
  assert.throws(() => annotationProperties({ 'org.systemd.property.TimeoutStopSec': '-1' }), /negative/);
});

test('the driver refuses hosts that are not pure cgroup v2, saying which they are', () => {
  const unified = { mountPoint: '/sys/fs/cgroup/unified', mountRoot: '/', ownPath: '/', controllers: [] };
  assert.throws(() => SystemdCgroups.forNew({ ociVersion: '1.0.0', linux: { cgroupsPath: ':p:n' } } as never, 'c1', { kind: 'hybrid', v1: [], unified }),
    /--systemd-cgroup: tsrunc's systemd driver supports pure cgroup v2 hosts only; this host's cgroups are hybrid/);
  const made = SystemdCgroups.forNew({ ociVersion: '1.0.0', linux: { cgroupsPath: 'a-b.slice:p:n' } } as never, 'c1', { kind: 'v2', v1: [], unified: { ...unified, mountPoint: '/sys/fs/cgroup' } });
  assert.deepEqual(made.record, { driver: 'v2', dirs: { unified: '/sys/fs/cgroup/a.slice/a-b.slice/p-n.scope' }, systemd: { unit: 'p-n.scope', slice: 'a-b.slice' } });
});

test('validate: a bad org.systemd.property.* annotation is a problem naming it; the cgroupfs driver only warns', () => {
  const spec = { ociVersion: '1.3.0', root: { path: 'rootfs' }, annotations: { 'org.systemd.property.TimeoutStopSec': 'soon', 'org.systemd.property.CollectMode': "'inactive-or-failed'", other: 'x' } };
  const problems = validateSpec(spec).problems;
  assert.equal(problems.length, 1, problems.join('\n'));
  assert.match(problems[0], /\/annotations\/org\.systemd\.property\.TimeoutStopSec: .*"soon"/);
  assert.deepEqual(validateSpec({ ...spec, annotations: { 'org.systemd.property.bad name': '1' } }).problems.length, 1);
  const cgroupfs = validateSpec(spec, { systemdCgroup: false });
  assert.deepEqual(cgroupfs.problems, []);
  assert.equal(cgroupfs.warnings.filter((w) => /TimeoutStopSec: ignored without --systemd-cgroup, and refused with it/.test(w)).length, 1, cgroupfs.warnings.join('\n'));
});

test('device rules -> DevicePolicy/DeviceAllow: an allow list under "strict", narrowed by later denies; allow-all -> "auto"', () => {
  const r = (allow: boolean, type: 'a' | 'b' | 'c', major: number, minor: number, access: string) => ({ allow, type, major, minor, access });
  const value = (props: [string, Variant][]) => props.map(([n, v]) => [n, v.value]);
  assert.deepEqual(value(deviceProperties([
    r(true, 'a', -1, -1, 'rwm'), r(false, 'a', -1, -1, 'rwm'),
    r(true, 'c', 1, 3, 'rwm'), r(true, 'c', 136, -1, 'rw'), r(true, 'b', -1, -1, 'm'), r(true, 'c', -1, 5, 'r'),
    r(false, 'c', 1, -1, 'w'), r(true, 'c', 1, 3, 'r'), r(true, 'c', 7, 7, 'w'), r(false, 'c', 7, 7, 'w'),
  ])), [
    ['DeviceAllow', []], ['DevicePolicy', 'strict'],
    // 1:3 lost "w" to the later "deny c 1:* w"; *:5 has no systemd spelling; 7:7 was taken back.
    ['DeviceAllow', [['/dev/char/1:3', 'rm'], ['char-136', 'rw'], ['block-*', 'm']]],
  ]);
  assert.deepEqual(value(deviceProperties([r(false, 'a', -1, -1, 'rwm'), r(true, 'a', -1, -1, 'rwm'), r(false, 'c', 1, 3, 'w')])), [['DeviceAllow', []], ['DevicePolicy', 'auto']]);
  assert.deepEqual(value(deviceProperties([])), [['DeviceAllow', []], ['DevicePolicy', 'strict'], ['DeviceAllow', []]]);
});

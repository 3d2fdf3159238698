// src/cgroups/host.ts and path.ts: which kind of cgroup host this is and where a container's
// cgroup goes. Fake /proc trees give each kind of host; the real host is checked against statfs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { detectCgroupHost } from '../../src/cgroups/host';
import { parseSystemdCgroupsPath, requireSystemd, resolveCgroupPath } from '../../src/cgroups/path';

const CGROUP2_SUPER_MAGIC = 0x63677270;
const CGROUP_SUPER_MAGIC = 0x27e0eb;

/** A fake /proc/self with the given mountinfo and cgroup files; `unified` gets a cgroup.controllers. */
function fakeProc(t: { after: (fn: () => void) => void }, mountinfo: (dir: string) => string, cgroup: string, controllers = ''): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-cgroups-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'proc', 'self'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'unified'));
  fs.writeFileSync(path.join(dir, 'unified', 'cgroup.controllers'), controllers);
  fs.writeFileSync(path.join(dir, 'proc', 'self', 'mountinfo'), mountinfo(dir));
  fs.writeFileSync(path.join(dir, 'proc', 'self', 'cgroup'), cgroup);
  return path.join(dir, 'proc');
}

test('a hybrid host (this project\'s CI layout): v1 controllers plus cgroup2 at unified', (t) => {
  const proc = fakeProc(t, (d) => [
    '30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
    '31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
    '34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
    '39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd',
    `40 30 0:37 / ${d}/unified rw,relatime - cgroup2 cgroup2 rw`,
  ].join('\n'), '9:name=systemd:/\n4:memory:/supervisor/abc\n1:cpu:/\n0::/\n', 'hugetlb\n');
  const host = detectCgroupHost(proc);
  assert.equal(host.kind, 'hybrid');
  assert.deepEqual(host.v1.map((h) => [h.controllers.join(','), h.name ?? '', h.mountPoint, h.ownPath]), [
    ['cpu', '', '/sys/fs/cgroup/cpu', '/'],
    ['memory', '', '/sys/fs/cgroup/memory', '/supervisor/abc'],
    ['', 'systemd', '/sys/fs/cgroup/systemd', '/'],
  ]);
  assert.deepEqual(host.unified?.controllers, ['hugetlb']);
  assert.equal(host.unified?.ownPath, '/');
});

test('pure v2 and pure v1 hosts; co-mounted controllers; a bind of a sub-cgroup', (t) => {
  const v2 = detectCgroupHost(fakeProc(t, (d) => `25 1 0:22 / ${d}/unified rw - cgroup2 cgroup2 rw,nsdelegate`, '0::/user.slice/x\n', 'cpu io memory pids\n'));
  assert.equal(v2.kind, 'v2');
  assert.deepEqual(v2.v1, []);
  assert.deepEqual(v2.unified?.controllers, ['cpu', 'io', 'memory', 'pids']);
  assert.equal(v2.unified?.ownPath, '/user.slice/x');

  const v1 = detectCgroupHost(fakeProc(t, () => [
    '31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct',
    '32 30 0:29 /docker/x /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids',
    '33 30 0:29 /docker/x /other/pids rw - cgroup cgroup rw,pids',
  ].join('\n'), '3:pids:/docker/x\n2:cpu,cpuacct:/a\n'));
  assert.equal(v1.kind, 'v1');
  assert.deepEqual(v1.v1.map((h) => [h.controllers.join(','), h.mountPoint, h.mountRoot, h.ownPath]), [
    ['cpu,cpuacct', '/sys/fs/cgroup/cpu,cpuacct', '/', '/a'],
    ['pids', '/sys/fs/cgroup/pids', '/docker/x', '/docker/x'],
  ], 'the first mount of a hierarchy stands for it');

  assert.equal(detectCgroupHost(fakeProc(t, () => '', '')).kind, 'none');
});

test('this host: the kind agrees with statfs of the mounts', () => {
  const host = detectCgroupHost();
  const magic = (p: string): number | undefined => { try { return fs.statfsSync(p).type; } catch { return undefined; } };
  const top = magic('/sys/fs/cgroup');
  if (top === CGROUP2_SUPER_MAGIC) assert.equal(host.kind, 'v2');
  else if (magic('/sys/fs/cgroup/unified') === CGROUP2_SUPER_MAGIC) assert.equal(host.kind, 'hybrid');
  else if (magic('/sys/fs/cgroup/memory') === CGROUP_SUPER_MAGIC) assert.equal(host.kind, 'v1');
  for (const h of host.v1) assert.equal(magic(h.mountPoint), CGROUP_SUPER_MAGIC, h.mountPoint);
});

test('cgroupsPath: absolute from the root, relative and empty below the runtime\'s own cgroup, never above the root', () => {
  assert.equal(resolveCgroupPath('/default/c1', 'c1', '/own'), '/default/c1');
  assert.equal(resolveCgroupPath('/a/../../b', 'c1', '/own'), '/b');
  assert.equal(resolveCgroupPath('x/y', 'c1', '/own'), '/own/x/y');
  assert.equal(resolveCgroupPath('../../etc', 'c1', '/own'), '/own/etc');
  assert.equal(resolveCgroupPath(undefined, 'c1', '/own'), '/own/c1');
  assert.equal(resolveCgroupPath('', 'c1', '/'), '/c1');
});

test('systemd cgroupsPath: parsed as slice:prefix:name, refused without systemd', (t) => {
  assert.deepEqual(parseSystemdCgroupsPath('machine.slice:libpod:abc'), { slice: 'machine.slice', prefix: 'libpod', name: 'abc' });
  assert.deepEqual(parseSystemdCgroupsPath(':tsrunc:abc'), { slice: 'system.slice', prefix: 'tsrunc', name: 'abc' });
  assert.throws(() => parseSystemdCgroupsPath('/not/systemd'), /slice:prefix:name/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-systemd-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  assert.throws(() => requireSystemd(path.join(dir, 'missing')), /systemd is not running on this host/);
  assert.doesNotThrow(() => requireSystemd(dir));
});

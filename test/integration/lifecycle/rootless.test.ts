// Rootless: tsrunc run by an unprivileged user (made here with useradd and removed after, with
// /etc/subuid and /etc/subgid restored byte for byte), compared with runc 1.1.5 run by the same
// user: `spec --rootless`, run, list, exec, kill, delete with the state under $XDG_RUNTIME_DIR;
// several id ranges through newuidmap/newgidmap; a range the user was not given.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestUser, idHelpersSkip, testUserSkip } from '../../helpers/test-user';
import { hasRunc, runtimeCommand, tsruncIsRunc, uniqueId } from '../../helpers/runtime';

const user = new TestUser({ prefix: 'tsrunc-rl', sub: { start: 200000, size: 65536 } });
const SUB_START = user.sub!.start;
const SUB_SIZE = user.sub!.size;
const setupSkip = testUserSkip;
const helpersSkip = idHelpersSkip;
let uid = 0;
let gid = 0;
let home = '';
let USER = '';

before(() => {
  if (setupSkip) return;
  user.create();
  ({ uid, gid, home } = user);
  USER = user.name;
});

after(() => {
  if (setupSkip) return;
  // Containers a failed case left: deleted as the user would, then the user goes.
  for (const rt of runtimes()) {
    const ids = asUser([...rt.bin, 'list', '--quiet'], home).stdout?.split('\n').filter(Boolean) ?? [];
    for (const id of ids) asUser([...rt.bin, 'delete', '--force', id], home);
  }
  user.remove();
});

const asUser = (argv: string[], cwd: string, detached = false): SpawnSyncReturns<string> => user.run(argv, cwd, { detached });
const userBundle = (bin: string[], args: string[], edit?: (s: Record<string, any>) => void): string => user.bundle(bin, args, edit);

const runtimes = (): { kind: string; bin: string[]; stateDir: string }[] => {
  const list = [{ kind: 'tsrunc', bin: runtimeCommand('tsrunc').argv, stateDir: tsruncIsRunc() ? 'runc' : 'tsrunc' }];
  if (hasRunc()) list.unshift({ kind: 'runc', bin: runtimeCommand('runc').argv, stateDir: 'runc' });
  return list;
};

const TIMEOUT = { timeout: 120_000 };

describe('rootless: an unprivileged user runs containers (each case also with runc 1.1.5)', () => {
  for (const rt of runtimes()) {
    test(`spec --rootless, run, list, exec, kill, delete as that user, state under $XDG_RUNTIME_DIR [${rt.kind}]`, { ...TIMEOUT, skip: setupSkip }, () => {
      const dir = userBundle(rt.bin, ['sleep', '120']);
      const id = uniqueId(`rl-${rt.kind}`);
      const run = asUser([...rt.bin, 'run', '--detach', id], dir, true);
      try {
        assert.equal(run.status, 0, run.stderr);
        const stateDir = path.join(home, 'run', rt.stateDir, id);
        assert.ok(fs.existsSync(stateDir), `state in ${stateDir}`);
        assert.equal(fs.statSync(stateDir).uid, uid, 'the state belongs to the user');
        const list = asUser([...rt.bin, 'list', '--format', 'json'], dir);
        assert.equal(list.status, 0, list.stderr);
        const listed = JSON.parse(list.stdout) as { id: string; pid: number; status: string; owner: string }[];
        const me = listed.find((c) => c.id === id);
        assert.equal(me?.status, 'running', list.stdout);
        assert.equal(me?.owner, USER);
        // The kernel's view: the init runs as the user, in a namespace mapping only the user to root.
        const status = fs.readFileSync(`/proc/${me!.pid}/status`, 'utf8');
        assert.match(status, new RegExp(`^Uid:\\s+${uid}\\s`, 'm'), status);
        assert.deepEqual(fs.readFileSync(`/proc/${me!.pid}/uid_map`, 'utf8').trim().split(/\s+/), ['0', String(uid), '1']);
        assert.equal(fs.readFileSync(`/proc/${me!.pid}/setgroups`, 'utf8').trim(), 'deny');
        const exec = asUser([...rt.bin, 'exec', id, 'sh', '-c', 'id -u; cat /proc/self/uid_map; stat -c "%t:%T" /dev/null'], dir);
        assert.equal(exec.status, 0, exec.stderr);
        const [who, map, nullDev] = exec.stdout.trim().split('\n');
        assert.equal(who, '0');
        assert.deepEqual(map.trim().split(/\s+/), ['0', String(uid), '1']);
        assert.equal(nullDev, '1:3', 'the host\'s /dev/null, bound in (no mknod in a user namespace)');
        const kill = asUser([...rt.bin, 'kill', id, 'KILL'], dir);
        assert.equal(kill.status, 0, kill.stderr);
        for (let i = 0; i < 100 && fs.existsSync(`/proc/${me!.pid}`) && !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${me!.pid}/status`, 'utf8')); i++) spawnSync('sleep', ['0.05']);
        const del = asUser([...rt.bin, 'delete', id], dir);
        assert.equal(del.status, 0, del.stderr);
        assert.ok(!fs.existsSync(stateDir), 'delete removes the state');
        // runc prints null for none.
        assert.deepEqual(JSON.parse(asUser([...rt.bin, 'list', '--format', 'json'], dir).stdout || '[]') ?? [], []);
      } finally {
        asUser([...rt.bin, 'delete', '--force', id], dir);
      }
    });

    test(`several ranges go through newuidmap/newgidmap [${rt.kind}]`, { ...TIMEOUT, skip: setupSkip ?? helpersSkip }, () => {
      const maps = (): { containerID: number; hostID: number; size: number }[] => [
        { containerID: 0, hostID: uid, size: 1 }, { containerID: 1, hostID: SUB_START, size: SUB_SIZE },
      ];
      const dir = userBundle(rt.bin, ['sh', '-c', 'cat /proc/self/uid_map /proc/self/gid_map'], (s) => {
        s.linux.uidMappings = maps();
        s.linux.gidMappings = maps().map((m, i) => (i === 0 ? { ...m, hostID: gid } : m));
      });
      // $USER empty: the name /etc/subuid lists the user under comes from the user database.
      const r = user.run([...rt.bin, 'run', uniqueId(`rl-map-${rt.kind}`)], dir, { env: { USER: '' } });
      assert.equal(r.status, 0, r.stderr);
      const rows = r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
      assert.deepEqual(rows, [`0 ${uid} 1`, `1 ${SUB_START} ${SUB_SIZE}`, `0 ${gid} 1`, `1 ${SUB_START} ${SUB_SIZE}`]);
    });
  }

  test('sysfs without a network namespace of its own: the host\'s /sys is bound, read-only [tsrunc]', { ...TIMEOUT, skip: setupSkip }, () => {
    const bin = runtimeCommand('tsrunc').argv;
    // podman's shape (runc 1.1.5 fails here: the kernel refuses such a sysfs mount).
    const dir = userBundle(bin, ['sh', '-c', 'grep -E "^[0-9]+ [0-9]+ [0-9:]+ [^ ]+ /sys " /proc/self/mountinfo; ls /sys/kernel >/dev/null && echo listed'], (s) => {
      s.mounts = s.mounts.map((m: { destination: string }) => (m.destination === '/sys'
        ? { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] } : m));
    });
    const r = asUser([...bin, 'run', uniqueId('rl-sysfs')], dir);
    assert.equal(r.status, 0, r.stderr);
    const [line, listed] = r.stdout.trim().split('\n');
    const fields = line.split(' ');
    assert.equal(fields[3], '/', `the host's whole sysfs: ${line}`);
    assert.match(fields[5], /^ro,/, line);
    assert.equal(fields[fields.indexOf('-') + 1], 'sysfs', line);
    assert.equal(listed, 'listed');
  });

  test('an id-mapped mount is refused, naming it [tsrunc]', { ...TIMEOUT, skip: setupSkip }, () => {
    const bin = runtimeCommand('tsrunc').argv;
    const dir = userBundle(bin, ['true'], (s) => {
      s.mounts.push({ destination: '/mnt', type: 'bind', source: home, options: ['rbind', 'idmap'] });
    });
    const id = uniqueId('rl-idmap');
    const r = asUser([...bin, 'run', id], dir);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /\/mounts\/\d+: an id-mapped mount cannot be made by a rootless tsrunc/, r.stderr);
    assert.ok(!fs.existsSync(path.join(home, 'run', 'tsrunc', id)), 'no state directory');
  });

  test('a range the user was not given: a clear error naming the mapping, nothing left [tsrunc]', { ...TIMEOUT, skip: setupSkip }, () => {
    const bin = runtimeCommand('tsrunc').argv;
    const dir = userBundle(bin, ['true'], (s) => {
      s.linux.uidMappings = [{ containerID: 0, hostID: uid, size: 1 }, { containerID: 1, hostID: 300000, size: 1000 }];
      s.linux.gidMappings = [{ containerID: 0, hostID: gid, size: 1 }, { containerID: 1, hostID: SUB_START, size: 1000 }];
    });
    const id = uniqueId('rl-bad');
    const r = asUser([...bin, 'run', id], dir);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, new RegExp(`/linux/uidMappings/1: host ids 300000-300999 are not delegated to user ${USER} \\(${uid}\\) in /etc/subuid \\(it has: ${SUB_START}-${SUB_START + SUB_SIZE - 1}\\)`), r.stderr);
    assert.ok(!fs.existsSync(path.join(home, 'run', 'tsrunc', id)), 'no state directory');
    // Zombies aside: an earlier case's killed init may still wait for the host's pid 1 to reap it.
    const left = spawnSync('ps', ['-u', String(uid), '-o', 'stat=,pid=,args='], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.trim() && !l.trim().startsWith('Z'));
    assert.deepEqual(left, [], 'no process of the user is left');
  });
});

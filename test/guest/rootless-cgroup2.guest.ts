// Runs inside the pure cgroup v2 guest (booted by test/integration/cgroups/rootless-cgroup2-lane.test.ts):
// a rootless user with a delegated cgroup v2 subtree, as systemd's Delegate=yes leaves it (the
// directory and its cgroup.procs, cgroup.subtree_control and cgroup.threads owned by the user, the
// controllers enabled in the parent), its commands running in a leaf of that subtree. Each case
// runs under runc 1.1.5 first (on the guest's root, the host's) and then tsrunc, run by the same
// user; what the kernel shows is checked: the limit files, the init's /proc/PID/cgroup,
// cgroup.freeze and cgroup.events, the cgroup gone after delete.
// The user is made with useradd inside the guest: its /etc is the host's under a throw-away
// overlay, so nothing reaches the host's /etc.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { guestOnly } from '../helpers/cgroup2-vm';
import { hasRunc, runtimeCommand, uniqueId } from '../helpers/runtime';
import { TestUser } from '../helpers/test-user';

const T = { timeout: 180_000 };
const ROOT = '/sys/fs/cgroup';
/** The subtree delegated to the user, and the leaf its commands run in (the caller's cgroup). */
const DELEGATED = path.join(ROOT, 'tsrunc-test-rl-delegated');
const SESSION = path.join(DELEGATED, 'session');
/** A leaf whose parent is root's: a user running there has no cgroup it may write. */
const PLAIN = path.join(ROOT, 'tsrunc-test-rl-plain');
const PLAIN_LEAF = path.join(PLAIN, 'leaf');
const MiB = 1024 * 1024;

const user = new TestUser({ prefix: 'tsrunc-rlcg', sub: null });
const runtimes = [...(hasRunc() ? [{ kind: 'runc', bin: runtimeCommand('runc').argv }] : []), { kind: 'tsrunc', bin: runtimeCommand('tsrunc').argv }];

/** This test process (and so every command it starts as the user) moves into `dir`. */
const moveSelfTo = (dir: string): void => fs.writeFileSync(path.join(dir, 'cgroup.procs'), String(process.pid));
const read = (dir: string, file: string): string => fs.readFileSync(path.join(dir, file), 'utf8').trim();
const cgroupOf = (pid: number): string => fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim();

function ok(r: SpawnSyncReturns<string>, what: string): string {
  assert.equal(r.status, 0, `${what}: status ${r.status}\n${r.stderr}`);
  return r.stdout;
}

/** `state`'s status and pid, as the user. */
function state(bin: string[], id: string, cwd: string): { status: string; pid: number } {
  return JSON.parse(ok(user.run([...bin, 'state', id], cwd), 'state')) as { status: string; pid: number };
}

async function waitStatus(bin: string[], id: string, cwd: string, want: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const now = state(bin, id, cwd).status;
    if (now === want) return;
    if (Date.now() > deadline) assert.fail(`status ${now}, waited for ${want}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Nothing of the container: not listed, no cgroup directory. */
function assertNothingLeft(bin: string[], cwd: string, cgroupDir: string): void {
  assert.equal(ok(user.run([...bin, 'list', '--quiet'], cwd), 'list').trim(), '', 'no container listed');
  assert.ok(!fs.existsSync(cgroupDir), `${cgroupDir} is left`);
}

guestOnly('rootless with a delegated cgroup v2 subtree', () => describe('rootless with a delegated cgroup v2 subtree (in the UML guest)', () => {
  before(() => {
    user.create();
    fs.mkdirSync(DELEGATED);
    for (const f of ['', 'cgroup.procs', 'cgroup.subtree_control', 'cgroup.threads']) fs.chownSync(path.join(DELEGATED, f), user.uid, user.gid);
    // The user makes its own leaf; placing its session there is the service manager's (root's) part.
    ok(user.run(['mkdir', SESSION], '/'), 'mkdir as the user');
    moveSelfTo(SESSION);
    fs.mkdirSync(PLAIN_LEAF, { recursive: true });
  });

  after(() => {
    moveSelfTo(ROOT);
    for (const rt of runtimes) {
      const ids = user.run([...rt.bin, 'list', '--quiet'], '/').stdout?.split('\n').filter(Boolean) ?? [];
      for (const id of ids) user.run([...rt.bin, 'delete', '--force', id], '/');
    }
    user.remove();
    const dirs = (d: string): string[] => fs.readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => path.join(d, e.name));
    for (const top of [DELEGATED, PLAIN]) {
      if (!fs.existsSync(top)) continue;
      for (const d of dirs(top)) fs.rmdirSync(d);
      fs.rmdirSync(top);
    }
  });

  for (const rt of runtimes) {
    test(`limits in a delegated cgroupsPath: written, the init placed, pause/resume, ps, update, events --stats, kill --all, delete removes it [${rt.kind}]`, T, async () => {
      const id = uniqueId(`rlcg-${rt.kind}`);
      const dir = path.join(DELEGATED, `c-${id}`);
      const bundle = user.bundle(rt.bin, ['sh', '-c', 'sleep 1000 & while :; do sleep 1; done'], (s) => {
        s.linux.cgroupsPath = `/${path.relative(ROOT, dir)}`;
        s.linux.resources = { memory: { limit: 64 * MiB }, pids: { limit: 20 }, cpu: { quota: 50000, period: 100000 } };
      });
      ok(user.run([...rt.bin, 'create', id], bundle, { detached: true }), 'create');
      const { pid } = state(rt.bin, id, bundle);
      assert.equal(fs.statSync(dir).uid, user.uid, 'the container\'s cgroup was made by the user');
      assert.equal(read(dir, 'memory.max'), String(64 * MiB));
      assert.equal(read(dir, 'pids.max'), '20');
      assert.equal(read(dir, 'cpu.max'), '50000 100000');
      assert.equal(cgroupOf(pid), `0::/${path.relative(ROOT, dir)}`, 'the init, before it runs, in its cgroup');
      assert.deepEqual(read(dir, 'cgroup.procs').split('\n').map(Number), [pid]);
      ok(user.run([...rt.bin, 'start', id], bundle), 'start');
      await waitStatus(rt.bin, id, bundle, 'running');
      // Inside: its own cgroup (a cgroup namespace) with its limits.
      const inside = ok(user.run([...rt.bin, 'exec', id, 'sh', '-c', 'cat /proc/self/cgroup /sys/fs/cgroup/pids.max'], bundle), 'exec');
      assert.deepEqual(inside.trim().split('\n'), ['0::/', '20']);

      ok(user.run([...rt.bin, 'pause', id], bundle), 'pause');
      assert.equal(read(dir, 'cgroup.freeze'), '1');
      assert.match(read(dir, 'cgroup.events'), /^frozen 1$/m);
      assert.equal(state(rt.bin, id, bundle).status, 'paused');
      ok(user.run([...rt.bin, 'resume', id], bundle), 'resume');
      assert.equal(read(dir, 'cgroup.freeze'), '0');
      assert.match(read(dir, 'cgroup.events'), /^frozen 0$/m);
      assert.equal(state(rt.bin, id, bundle).status, 'running');

      const listed = JSON.parse(ok(user.run([...rt.bin, 'ps', '--format', 'json', id], bundle), 'ps')) as number[];
      assert.deepEqual([...listed].sort((a, b) => a - b), read(dir, 'cgroup.procs').split('\n').map(Number).sort((a, b) => a - b));
      assert.ok(listed.includes(pid) && listed.length >= 2, `ps: ${listed.join(' ')}`);

      ok(user.run([...rt.bin, 'update', '--memory', String(32 * MiB), '--pids-limit', '30', '--cpu-quota', '20000', id], bundle), 'update');
      assert.equal(read(dir, 'memory.max'), String(32 * MiB));
      assert.equal(read(dir, 'pids.max'), '30');
      assert.equal(read(dir, 'cpu.max'), '20000 100000');

      const stats = JSON.parse(ok(user.run([...rt.bin, 'events', '--stats', id], bundle), 'events --stats')) as
        { type: string; data: { pids: { current: number; limit: number }; memory: { usage: { limit: number; usage: number } } } };
      assert.equal(stats.type, 'stats');
      assert.equal(stats.data.pids.limit, 30);
      assert.equal(stats.data.pids.current, Number(read(dir, 'pids.current')));
      assert.equal(stats.data.memory.usage.limit, 32 * MiB);
      assert.ok(stats.data.memory.usage.usage > 0);

      ok(user.run([...rt.bin, 'kill', '--all', id, 'KILL'], bundle), 'kill --all');
      await waitStatus(rt.bin, id, bundle, 'stopped');
      const deadline = Date.now() + 10_000;
      while (read(dir, 'cgroup.procs') !== '' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.equal(read(dir, 'cgroup.procs'), '', 'every process of the cgroup killed');
      ok(user.run([...rt.bin, 'delete', id], bundle), 'delete');
      assertNothingLeft(rt.bin, bundle, dir);
    });

    test(`no cgroupsPath: the container's cgroup hangs below the parent of the user's own, pause works; one below the own one: threaded, without domain limits [${rt.kind}]`, T, async () => {
      const id = uniqueId(`rlcgd-${rt.kind}`);
      const dir = path.join(DELEGATED, id);
      const bundle = user.bundle(rt.bin, ['sleep', '1000']);
      ok(user.run([...rt.bin, 'run', '--detach', id], bundle, { detached: true }), 'run --detach');
      const { pid } = state(rt.bin, id, bundle);
      assert.equal(cgroupOf(pid), `0::/${path.relative(ROOT, dir)}`);
      assert.equal(fs.statSync(dir).uid, user.uid);
      ok(user.run([...rt.bin, 'pause', id], bundle), 'pause');
      assert.match(read(dir, 'cgroup.events'), /^frozen 1$/m);
      ok(user.run([...rt.bin, 'delete', '--force', id], bundle), 'delete --force');
      assertNothingLeft(rt.bin, bundle, dir);

      // Below the user's own cgroup, which holds processes and so cannot enable controllers for
      // its children: with no limit asked, the container runs there all the same.
      const nested = path.join(SESSION, id);
      const below = user.bundle(rt.bin, ['sleep', '1000'], (s) => { s.linux.cgroupsPath = `/${path.relative(ROOT, nested)}`; });
      ok(user.run([...rt.bin, 'run', '--detach', id], below, { detached: true }), 'run --detach below the own cgroup');
      assert.equal(cgroupOf(state(rt.bin, id, below).pid), `0::/${path.relative(ROOT, nested)}`);
      assert.equal(read(nested, 'cgroup.type'), 'threaded');
      ok(user.run([...rt.bin, 'delete', '--force', id], below), 'delete --force');
      assertNothingLeft(rt.bin, below, nested);
      // There a memory limit has no controller to apply it (the own cgroup is now a threaded
      // domain): refused naming it, nothing left.
      const limited = user.bundle(rt.bin, ['true'], (s) => {
        s.linux.cgroupsPath = `/${path.relative(ROOT, nested)}`;
        s.linux.resources = { memory: { limit: 64 * MiB } };
      });
      const r = user.run([...rt.bin, 'create', id], limited, { detached: true });
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, rt.kind === 'runc' ? /cannot enter cgroupv2 .*\/session.* with domain controllers/ : /\+memory.* to .*\/session\/cgroup\.subtree_control: operation not supported/);
      assertNothingLeft(rt.bin, limited, nested);
    });

    test(`a cgroupsPath outside the delegated subtree: refused naming it, nothing left [${rt.kind}]`, T, () => {
      const id = uniqueId(`rlcgo-${rt.kind}`);
      const outside = path.join(ROOT, 'tsrunc-test-rl-outside');
      const bundle = user.bundle(rt.bin, ['true'], (s) => { s.linux.cgroupsPath = `/${path.basename(outside)}/${id}`; });
      const r = user.run([...rt.bin, 'create', id], bundle, { detached: true });
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /tsrunc-test-rl-outside/);
      assert.match(r.stderr, rt.kind === 'runc' ? /permission denied/ : /\/linux\/cgroupsPath: .*not writable by this user/);
      assertNothingLeft(rt.bin, bundle, outside);
      assert.ok(!fs.existsSync(path.join(user.runtimeDir, rt.kind, id)), 'no state directory');
    });

    test(`no cgroup the user may write, no cgroupsPath: runs without one when no limit is asked, refused with limits [${rt.kind}]`, T, async () => {
      moveSelfTo(PLAIN_LEAF);
      try {
        const id = uniqueId(`rlcgn-${rt.kind}`);
        const bundle = user.bundle(rt.bin, ['sleep', '1000']);
        ok(user.run([...rt.bin, 'run', '--detach', id], bundle, { detached: true }), 'run --detach');
        const { pid } = state(rt.bin, id, bundle);
        assert.equal(cgroupOf(pid), `0::/${path.relative(ROOT, PLAIN_LEAF)}`, 'left in the caller\'s cgroup');
        // Nothing of the host's cgroups shows inside.
        assert.equal(ok(user.run([...rt.bin, 'exec', id, 'ls', '-A', '/sys/fs/cgroup'], bundle), 'exec').trim(), '');
        ok(user.run([...rt.bin, 'delete', '--force', id], bundle), 'delete --force');
        assertNothingLeft(rt.bin, bundle, path.join(ROOT, id));

        const limited = user.bundle(rt.bin, ['true'], (s) => { s.linux.resources = { pids: { limit: 10 } }; });
        const r = user.run([...rt.bin, 'create', id], limited, { detached: true });
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, rt.kind === 'runc' ? /rootless needs no limits/ : /\/linux\/resources\/pids: a rootless container cannot be limited here/);
        assertNothingLeft(rt.bin, limited, path.join(ROOT, id));
      } finally {
        moveSelfTo(SESSION);
      }
    });
  }
}));

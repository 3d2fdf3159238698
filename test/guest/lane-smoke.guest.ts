// Runs inside the cgroup2 lane's guest (test/integration/cgroups/cgroup2-lane.test.ts boots it): proves the guest is
// the pure cgroup v2 host the cgroup tests rely on, that its limits really bite, and that this
// build of tsrunc runs there. Guest processes are slow (fork+exec 20-70 ms, touching memory about
// 0.3 s/MB), so each check starts as few processes and touches as little memory as it can.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { guestOnly } from '../helpers/cgroup2-vm';
import { repoRoot } from '../helpers/runtime';

const CGROUP2_SUPER_MAGIC = 0x63677270;
const ROOT = '/sys/fs/cgroup';

function busyboxSh(script: string, ...args: string[]): SpawnSyncReturns<string> {
  return spawnSync('/bin/busybox', ['sh', '-c', script, 'sh', ...args], { encoding: 'utf8', timeout: 30_000 });
}

function describe(r: SpawnSyncReturns<string>): string {
  return `status ${r.status} signal ${r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
}

/** "key value" lines of a cgroup file (memory.events, pids.events) → numbers. */
function readKeyed(file: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const [k, v] = line.split(' ');
    if (k && v !== undefined) m.set(k, Number(v));
  }
  return m;
}

/** A fresh cgroup under the guest's root, emptied (cgroup.kill) and removed afterwards. */
async function withScratchCgroup(name: string, fn: (dir: string) => Promise<void> | void): Promise<void> {
  const dir = path.join(ROOT, `tsrunc-test-${name}-${process.pid}`);
  fs.mkdirSync(dir);
  try {
    await fn(dir);
  } finally {
    fs.writeFileSync(path.join(dir, 'cgroup.kill'), '1');
    const deadline = Date.now() + 10_000;
    while (/populated 1/.test(fs.readFileSync(path.join(dir, 'cgroup.events'), 'utf8')) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    fs.rmdirSync(dir);
  }
}

guestOnly('cgroup2 lane smoke', () => {
  test('/sys/fs/cgroup is a cgroup2 mount and no v1 hierarchy is mounted', () => {
    assert.equal(fs.statfsSync(ROOT).type, CGROUP2_SUPER_MAGIC, `${ROOT} is not cgroup2 (statfs f_type)`);
    const mounts = fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' '));
    assert.ok(mounts.some((m) => m[1] === ROOT && m[2] === 'cgroup2'), `no cgroup2 mount at ${ROOT}`);
    assert.deepEqual(mounts.filter((m) => m[2] === 'cgroup').map((m) => m[1]), [], 'cgroup v1 mounts');
  });

  test('the root offers and delegates cpu, io, memory and pids', () => {
    for (const file of ['cgroup.controllers', 'cgroup.subtree_control']) {
      const have = fs.readFileSync(path.join(ROOT, file), 'utf8').trim().split(/\s+/);
      for (const c of ['cpu', 'io', 'memory', 'pids']) assert.ok(have.includes(c), `${file} lacks ${c}: ${have.join(' ')}`);
    }
  });

  test('pids.max=5 stops a fork loop with EAGAIN', async () => {
    await withScratchCgroup('lane-pids', (dir) => {
      fs.writeFileSync(path.join(dir, 'pids.max'), '5');
      // The shell counts as one: four sleepers fit, the fifth fork must fail.
      const r = busyboxSh(
        'echo $$ > "$1/cgroup.procs" || exit 99; i=0; while [ $i -lt 10 ]; do ' +
        'sleep 60 </dev/null >/dev/null 2>&1 & i=$((i + 1)); echo started $i; done',
        dir);
      assert.notEqual(r.status, 0, `the fork loop was never stopped\n${describe(r)}`);
      assert.equal(r.stdout.trim().split('\n').pop(), 'started 4', describe(r));
      assert.match(r.stderr, /can't fork: Resource temporarily unavailable/, describe(r)); // strerror(EAGAIN)
      assert.ok((readKeyed(path.join(dir, 'pids.events')).get('max') ?? 0) >= 1, 'pids.events max not counted');
    });
  });

  test('memory.max=8M OOM-kills a process that allocates 16M', async () => {
    await withScratchCgroup('lane-memory', (dir) => {
      fs.writeFileSync(path.join(dir, 'memory.max'), String(8 << 20));
      // dd's 16M buffer is faulted in as /dev/zero is read into it.
      const r = busyboxSh('echo $$ > "$1/cgroup.procs" || exit 99; exec dd if=/dev/zero of=/dev/null bs=16M count=1', dir);
      assert.equal(r.signal, 'SIGKILL', `the allocation was not killed\n${describe(r)}`);
      const events = readKeyed(path.join(dir, 'memory.events'));
      assert.ok((events.get('oom_kill') ?? 0) >= 1, `memory.events: ${JSON.stringify([...events])}`);
    });
  });

  test("this build's launcher is there and tsrunc runs", () => {
    const launcher = path.join(repoRoot(), 'build', 'Release', 'tsrunc-launcher');
    fs.accessSync(launcher, fs.constants.X_OK);
    const { version } = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'package.json'), 'utf8')) as { version: string };
    const r = spawnSync(process.execPath, [path.join(repoRoot(), 'bin', 'tsrunc'), '--version'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, describe(r));
    assert.match(r.stdout, new RegExp(`^tsrunc version ${version.replace(/\./g, '\\.')}\n`), describe(r));
  });
});

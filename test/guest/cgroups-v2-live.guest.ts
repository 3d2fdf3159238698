// Runs inside the pure cgroup v2 guest (started by test/cgroups-v2-live.test.ts): pause/resume and
// update of a live container on cgroup v2, read back from what the kernel shows: cgroup.freeze,
// `frozen` in cgroup.events, each process's state and CPU time in /proc, the v2 files `update`
// writes (values that differ from the defaults), and `events --stats`. Pause/resume and the
// updates runc 1.1.5 has are checked against it too (it is on the guest's root, the host's).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { detectCgroupHost } from '../../src/cgroups/host';
import { guestOnly } from '../helpers/cgroup2-vm';
import type { Bundle, BundleOptions } from '../helpers/rootfs';
import { describeResult, hasRunc, Runtime, sleep } from '../helpers/runtime';
import { expectOk, withContainer } from '../helpers/suite';

const T = { timeout: 120_000 };
const host = detectCgroupHost();
const MiB = 1024 * 1024;
const ROOT = host.unified?.mountPoint ?? '/sys/fs/cgroup';

const dirOf = (b: Bundle): string => path.join(ROOT, String(b.spec.linux.cgroupsPath));
const read = (b: Bundle, file: string): string => fs.readFileSync(path.join(dirOf(b), file), 'utf8').trim();
const procs = (b: Bundle): number[] => read(b, 'cgroup.procs').split('\n').filter(Boolean).map(Number);

/** The scheduler state letter of a process (R running, S sleeping, ...). */
const stateOf = (pid: number): string => /^State:\s+(\S)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '?';
/** utime + stime of a process, in clock ticks. */
function cpuTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

async function until(what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The init spins beside a sleeping child; cpu.weight 1 keeps the guest's one CPU usable. */
const SPIN = ['sh', '-c', 'sleep 111 & while :; do :; done'];
const LOW_WEIGHT = { shares: 2 };

function withResources(resources: Record<string, unknown>, args: string[] = SPIN): BundleOptions {
  return { args, mutate: (s) => { (s.linux as Record<string, unknown>).resources = resources; } };
}

const SPINNER = withResources({ cpu: LOW_WEIGHT });

async function runDetached(rt: Runtime, b: Bundle, id: string): Promise<number> {
  expectOk(await rt.exec(['run', '--detach', '--bundle', b.dir, id], { stdoutPath: rt.ioPath(`${id}.out`), stderrPath: rt.ioPath(`${id}.err`) }), 'run --detach');
  return (await rt.state(id)).pid;
}

/** Every process frozen: cgroup.freeze asked, cgroup.events says done, nothing runnable, no CPU time used. */
async function assertFrozen(b: Bundle, spinner: number): Promise<void> {
  assert.equal(read(b, 'cgroup.freeze'), '1');
  assert.match(read(b, 'cgroup.events'), /^frozen 1$/m);
  const states = procs(b).map(stateOf);
  assert.ok(states.length >= 2, `processes: ${states.join(' ')}`);
  assert.deepEqual([...new Set(states)], ['S'], `every process stopped in the freezer's trap: ${states.join(' ')}`);
  const before = cpuTicks(spinner);
  await sleep(400);
  assert.equal(cpuTicks(spinner), before, 'the spinning init used no CPU while frozen');
}

async function assertThawed(b: Bundle, spinner: number): Promise<void> {
  assert.equal(read(b, 'cgroup.freeze'), '0');
  assert.match(read(b, 'cgroup.events'), /^frozen 0$/m);
  await until('the spinning init to be runnable again', () => stateOf(spinner) === 'R');
  const before = cpuTicks(spinner);
  await until('the spinning init to use CPU again', () => cpuTicks(spinner) > before);
}

guestOnly('cgroup v2 pause/resume and update', () => describe('cgroup v2: pause/resume and update of a live container (in the UML guest)', () => {
  const runtimes = [new Runtime('tsrunc'), ...(hasRunc() ? [new Runtime('runc')] : [])];
  // The runtimes' roots live in the host's /tmp: nothing may stay there after the guest.
  after(async () => { for (const r of runtimes) assert.deepEqual(await r.cleanupAll(), [], `${r.label}: containers left`); });
  test('the host is pure cgroup v2', () => {
    assert.equal(host.kind, 'v2', JSON.stringify(host));
  });

  for (const rt of runtimes) {
    test(`pause freezes every process (cgroup.freeze, cgroup.events, /proc), resume thaws them; the wrong state is refused (${rt.kind})`, T, async () => {
      await withContainer(rt, 'v2l-pause', SPINNER, async (b, id) => {
        const init = await runDetached(rt, b, id);
        await until('the child to start', () => procs(b).length >= 2);
        assert.equal(read(b, 'cgroup.freeze'), '0');
        assert.match(read(b, 'cgroup.events'), /^frozen 0$/m);
        await until('the spinning init to run', () => stateOf(init) === 'R');

        const notPaused = await rt.exec(['resume', id]);
        assert.notEqual(notPaused.code, 0, describeResult(notPaused));
        assert.match(notPaused.stderr, /container not paused/, describeResult(notPaused));

        expectOk(await rt.exec(['pause', id]), 'pause');
        assert.equal((await rt.state(id)).status, 'paused');
        await assertFrozen(b, init);
        const again = await rt.exec(['pause', id]);
        assert.notEqual(again.code, 0, describeResult(again));
        assert.match(again.stderr, /container not running/, describeResult(again));
        assert.equal(read(b, 'cgroup.freeze'), '1', 'still frozen after the refused pause');

        expectOk(await rt.exec(['resume', id]), 'resume');
        assert.equal((await rt.state(id)).status, 'running');
        await assertThawed(b, init);
      });
    });

    test(`a created container is paused and resumed on v2 before start, and is "created" again (${rt.kind})`, T, async () => {
      await withContainer(rt, 'v2l-created', { args: ['sleep', '60'] }, async (b, id) => {
        expectOk(await rt.exec(['create', '--bundle', b.dir, id], { stdoutPath: rt.ioPath(`${id}.out`), stderrPath: rt.ioPath(`${id}.err`) }), 'create');
        expectOk(await rt.exec(['pause', id]), 'pause');
        assert.equal((await rt.state(id)).status, 'paused');
        assert.equal(read(b, 'cgroup.freeze'), '1');
        assert.match(read(b, 'cgroup.events'), /^frozen 1$/m);
        expectOk(await rt.exec(['resume', id]), 'resume');
        assert.equal(read(b, 'cgroup.freeze'), '0');
        assert.match(read(b, 'cgroup.events'), /^frozen 0$/m);
        assert.equal((await rt.state(id)).status, 'created');
        expectOk(await rt.exec(['start', id]), 'start');
        assert.equal((await rt.state(id)).status, 'running');
      });
    });

    test(`update of a paused container writes memory.max, memory.swap.max, memory.low, cpu.max, pids.max and leaves it frozen (${rt.kind})`, T, async () => {
      const start = { memory: { limit: 64 * MiB, swap: 96 * MiB, reservation: 8 * MiB }, cpu: { ...LOW_WEIGHT, quota: 20000, period: 100000 }, pids: { limit: 30 } };
      await withContainer(rt, 'v2l-update', withResources(start), async (b, id) => {
        const init = await runDetached(rt, b, id);
        await until('the child to start', () => procs(b).length >= 2);
        expectOk(await rt.exec(['pause', id]), 'pause');
        expectOk(await rt.exec(['update', '--memory', '40m', '--memory-swap', '100m', '--memory-reservation', '12m',
          '--cpu-period', '250000', '--cpu-quota', '75000', '--pids-limit', '11', id]), 'update while paused');
        assert.equal(read(b, 'memory.max'), String(40 * MiB));
        assert.equal(read(b, 'memory.swap.max'), String(60 * MiB), 'memory.swap.max is the swap beyond memory');
        assert.equal(read(b, 'memory.low'), String(12 * MiB));
        assert.equal(read(b, 'cpu.max'), '75000 250000');
        assert.equal(read(b, 'pids.max'), '11');
        assert.equal((await rt.state(id)).status, 'paused');
        await assertFrozen(b, init);

        // Only what is named changes; the period given alone keeps the quota in place.
        expectOk(await rt.exec(['update', '--cpu-period', '300000', id]), 'update --cpu-period');
        assert.equal(read(b, 'cpu.max'), '75000 300000');
        assert.equal(read(b, 'memory.max'), String(40 * MiB));
        assert.equal(read(b, 'pids.max'), '11');

        // -1 lifts limits.
        expectOk(await rt.exec(['update', '--memory', '-1', '--memory-swap', '-1', '--cpu-quota', '-1', '--pids-limit', '-1', id]), 'update to unlimited');
        assert.equal(read(b, 'memory.max'), 'max');
        assert.equal(read(b, 'memory.swap.max'), 'max');
        assert.equal(read(b, 'cpu.max'), 'max 300000');
        assert.equal(read(b, 'pids.max'), 'max');

        expectOk(await rt.exec(['resume', id]), 'resume');
        await assertThawed(b, init);
      });
    });

    test(`update --resources (a file and stdin) on v2, and events --stats reports the new limits (${rt.kind})`, T, async () => {
      await withContainer(rt, 'v2l-res', withResources({ memory: { limit: 64 * MiB }, pids: { limit: 30 } }, ['sleep', '60']), async (b, id) => {
        await runDetached(rt, b, id);
        const file = path.join(b.dir, 'resources.json');
        fs.writeFileSync(file, JSON.stringify({ memory: { limit: 48 * MiB, reservation: 6 * MiB }, cpu: { quota: 30000, period: 150000 }, pids: { limit: 13 } }));
        expectOk(await rt.exec(['update', '--resources', file, id]), 'update --resources FILE');
        assert.equal(read(b, 'memory.max'), String(48 * MiB));
        assert.equal(read(b, 'memory.low'), String(6 * MiB));
        assert.equal(read(b, 'cpu.max'), '30000 150000');
        assert.equal(read(b, 'pids.max'), '13');
        expectOk(await rt.exec(['update', '--resources', '-', id], { stdin: JSON.stringify({ pids: { limit: 17 }, memory: { limit: 56 * MiB } }) }), 'update --resources -');
        assert.equal(read(b, 'pids.max'), '17');
        assert.equal(read(b, 'memory.max'), String(56 * MiB));
        const r = await rt.ok(['events', '--stats', id]);
        const e = JSON.parse(r.stdout.trim()) as { type: string; data: { pids: { limit: number; current: number }; memory: { usage: { limit: number } } } };
        assert.equal(e.type, 'stats');
        assert.equal(e.data.pids.limit, 17, r.stdout);
        assert.ok(e.data.pids.current >= 1, r.stdout);
        assert.equal(e.data.memory.usage.limit, 56 * MiB, r.stdout);
      });
    });
  }

  // runc 1.1.5 has neither flag (runc ≥ 1.2 does).
  test('update --cpu-idle and --cpu-burst write cpu.idle and cpu.max.burst (tsrunc)', T, async () => {
    const rt = runtimes[0];
    await withContainer(rt, 'v2l-idle', withResources({ cpu: { quota: 50000, period: 100000 } }, ['sleep', '60']), async (b, id) => {
      await runDetached(rt, b, id);
      assert.equal(read(b, 'cpu.idle'), '0');
      assert.equal(read(b, 'cpu.max.burst'), '0');
      expectOk(await rt.exec(['update', '--cpu-idle', '1', '--cpu-burst', '20000', id]), 'update');
      assert.equal(read(b, 'cpu.idle'), '1');
      assert.equal(read(b, 'cpu.max.burst'), '20000');
      assert.equal(read(b, 'cpu.max'), '50000 100000', 'the quota stays');
    });
  });

  test('realtime flags are refused on v2, naming them, and nothing changes (tsrunc)', T, async () => {
    const rt = runtimes[0];
    await withContainer(rt, 'v2l-rt', withResources({ pids: { limit: 30 } }, ['sleep', '60']), async (b, id) => {
      await runDetached(rt, b, id);
      for (const flag of ['--cpu-rt-period', '--cpu-rt-runtime']) {
        const r = await rt.exec(['update', flag, '5000', '--pids-limit', '9', id]);
        assert.notEqual(r.code, 0, describeResult(r));
        assert.match(r.stderr, /realtime/, describeResult(r));
      }
      assert.equal(read(b, 'pids.max'), '30');
    });
  });
}));

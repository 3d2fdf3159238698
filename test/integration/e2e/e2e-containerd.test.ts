// containerd end to end: a private containerd (test/helpers/e2e/containerd.ts) runs containers
// with `ctr` and the runc v2 shim, the shim running the runtime under test by path
// (`--runc-binary`, the shim's BinaryName option) with the minimal environment it always gives.
// Each scenario is a user's command line; the checks are what the user sees (output, exit
// codes, status) and what must hold on the host (cgroup files, nothing left after delete).
// TSRUNC_BIN=runc runs the same file against runc, the reference.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeBundle } from '../../helpers/rootfs';
import { hasRunc, processAlive, sleep, uniqueId } from '../../helpers/runtime';
import { describeCommand, hasScript, median, type CommandResult } from '../../helpers/e2e/command';
import { Containerd, containerdMissing } from '../../helpers/e2e/containerd';
import { buildBusyboxImage } from '../../helpers/e2e/image';
import { COUNTER, readCounter, waitForCounter } from '../../helpers/e2e/counter';
import { leftovers } from '../../helpers/e2e/leftovers';
import { loggedCalls, writeRuntimeWrapper, type RuntimeWrapper } from '../../helpers/e2e/wrapper';

const T = { timeout: 60_000 };
const missing = containerdMissing();

let base = '';
let cd: Containerd;
let sut: RuntimeWrapper;
let runc: RuntimeWrapper | undefined;
let image = '';

function expectCode(r: CommandResult, code: number, what: string): void {
  assert.equal(r.code, code, `${what}: expected exit ${code}\n${describeCommand(r)}`);
}

/** `ctr run` on the runtime under test. */
function ctrRun(flags: string[], id: string, cmd: string[], opts: { tty?: boolean } = {}): Promise<CommandResult> {
  return cd.ctr(['run', ...cd.runtimeFlags(sut.path), ...flags, image, id, ...cmd], opts);
}

async function taskStatus(id: string): Promise<{ pid: number; status: string } | undefined> {
  const r = await cd.ctr(['task', 'list']);
  const row = r.stdout.split('\n').map((l) => l.trim().split(/\s+/)).find((f) => f[0] === id);
  return row ? { pid: Number(row[1]), status: row[2] } : undefined;
}

async function waitForStatus(id: string, status: string, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await taskStatus(id);
    if (s?.status === status) return s.pid;
    if (Date.now() > deadline) assert.fail(`task ${id} never became ${status}; last: ${JSON.stringify(s)}`);
    await sleep(50);
  }
}

/** kill -9, task delete, container delete: containerd's own teardown, which must leave nothing. */
async function removeContainer(id: string): Promise<void> {
  await cd.ctr(['task', 'kill', '--signal', 'SIGKILL', id]);
  await waitForStatus(id, 'STOPPED');
  expectCode(await cd.ctr(['task', 'delete', id]), 0, 'task delete');
  expectCode(await cd.ctr(['containers', 'delete', id]), 0, 'containers delete');
  await expectNothingLeft(id);
}

async function expectNothingLeft(id: string): Promise<void> {
  const left = await leftovers({ id, stateDir: cd.stateDir(id), cgroup: cd.cgroupOf(id) });
  assert.deepEqual(left, [], `container ${id} left things behind`);
  const listed = await cd.ctr(['containers', 'list', '--quiet']);
  assert.ok(!listed.stdout.split('\n').includes(id), `containerd still lists ${id}`);
}

describe('containerd (ctr, runc v2 shim) on the runtime under test', { skip: missing ?? false }, () => {
  before(async () => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-e2e-ctrd-'));
    sut = writeRuntimeWrapper(base, 'tsrunc');
    runc = hasRunc() ? writeRuntimeWrapper(base, 'runc') : undefined;
    fs.mkdirSync(path.join(base, 'image'));
    const img = buildBusyboxImage(path.join(base, 'image'));
    image = img.ref;
    cd = new Containerd(path.join(base, 'cd'));
    await cd.start();
    const imp = await cd.ctr(['images', 'import', img.tar]);
    expectCode(imp, 0, 'ctr images import');
  });

  after(async () => {
    const problems = cd ? await cd.stop() : [];
    fs.rmSync(base, { recursive: true, force: true });
    assert.deepEqual(problems, [], 'cleanup after the containerd tests had to force things');
  });

  test('run --rm: the container\'s output and exit code; the shim\'s calls; nothing left', T, async () => {
    const id = uniqueId('ctr-rm');
    const r = await ctrRun(['--rm'], id, ['sh', '-c', 'echo "out $(cat /etc/hostname)"; echo to-stderr >&2; exit 3']);
    expectCode(r, 3, 'ctr run --rm');
    assert.match(r.stdout, /^out /m, describeCommand(r));
    assert.match(r.stderr, /to-stderr/, describeCommand(r));
    const calls = loggedCalls(sut).filter((c) => c.includes(id));
    for (const verb of ['create', 'start', 'delete']) {
      assert.ok(calls.some((c) => new RegExp(`(^| )${verb} `).test(c)), `the shim never called ${verb}: ${calls.join('\n')}`);
    }
    await expectNothingLeft(id);
  });

  describe('a detached container', () => {
    const id = uniqueId('ctr-d');
    let pid = 0;

    test('run -d: running, with its counter going', T, async () => {
      expectCode(await ctrRun(['--detach'], id, COUNTER), 0, 'ctr run -d');
      pid = await waitForStatus(id, 'RUNNING');
      await waitForCounter(pid);
    });

    test('exec without a tty: output and exit code', T, async () => {
      const r = await cd.ctr(['task', 'exec', ...cd.fifoFlags(), '--exec-id', 'e-plain', id, 'sh', '-c', 'echo "in $(cat /tmp/count)"; [ -t 1 ] || echo no-tty; exit 5']);
      expectCode(r, 5, 'ctr task exec');
      assert.match(r.stdout, /^in \d+$/m, describeCommand(r));
      assert.match(r.stdout, /^no-tty$/m, describeCommand(r));
    });

    test('exec with a tty: the process has a pty, the exit code comes back', { ...T, skip: hasScript() ? false : 'util-linux script (a pty for ctr -t) is missing' }, async () => {
      const r = await cd.ctr(['task', 'exec', ...cd.fifoFlags(), '--tty', '--exec-id', 'e-tty', id, 'sh', '-c', 'tty; exit 6'], { tty: true });
      expectCode(r, 6, 'ctr task exec -t');
      assert.match(r.stdout, /\/dev\/pts\/\d+/, describeCommand(r));
      assert.ok(loggedCalls(sut).some((c) => / exec .*--console-socket /.test(c) && c.endsWith(id)), 'exec with a tty went through --console-socket');
    });

    test('ps: the init and an exec\'d process, both in the container\'s cgroup', T, async () => {
      expectCode(await cd.ctr(['task', 'exec', ...cd.fifoFlags(), '--detach', '--exec-id', 'e-sleep', id, 'sleep', '300']), 0, 'ctr task exec -d');
      const r = await cd.ctr(['task', 'ps', id]);
      expectCode(r, 0, 'ctr task ps');
      const pids = r.stdout.split('\n').slice(1).map((l) => Number(l.trim().split(/\s+/)[0])).filter((n) => n > 0);
      assert.ok(pids.includes(pid), `ps lists the init ${pid}\n${describeCommand(r)}`);
      // The counter's loop forks short-lived processes that ps may list and that are gone a moment
      // later: a vanished pid is simply not the sleeper.
      const cmdline = (p: number): string => { try { return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8'); } catch { return ''; } };
      const sleeper = pids.find((p) => cmdline(p).startsWith('sleep\x00300'));
      assert.ok(sleeper !== undefined, `ps lists the exec'd sleep\n${describeCommand(r)}`);
    });

    test('pause stops the counter (cgroup frozen), resume restarts it', T, async () => {
      expectCode(await cd.ctr(['task', 'pause', id]), 0, 'ctr task pause');
      assert.equal((await taskStatus(id))?.status, 'PAUSED');
      assert.equal(fs.readFileSync(`/sys/fs/cgroup/freezer${cd.cgroupOf(id)}/freezer.state`, 'utf8').trim(), 'FROZEN');
      const frozenAt = readCounter(pid);
      await sleep(300);
      assert.equal(readCounter(pid), frozenAt, 'the counter moved while paused');
      expectCode(await cd.ctr(['task', 'resume', id]), 0, 'ctr task resume');
      assert.equal((await taskStatus(id))?.status, 'RUNNING');
      // A loaded machine may take a moment to run the thawed loop again.
      await waitForCounter(pid, frozenAt + 1);
    });

    test('metrics: memory, cpu and pids figures of the container', T, async () => {
      const r = await cd.ctr(['task', 'metrics', id]);
      expectCode(r, 0, 'ctr task metrics');
      const value = (k: string): number => Number(r.stdout.match(new RegExp(`^${k.replace(/\./g, '\\.')}\\s+(\\d+)`, 'm'))?.[1] ?? NaN);
      assert.ok(value('memory.usage_in_bytes') > 0, describeCommand(r));
      assert.ok(value('cpuacct.usage') > 0, describeCommand(r));
      assert.ok(value('pids.current') >= 2, describeCommand(r));
    });

    test('kill, delete: nothing left (state, cgroup, mount, process)', T, async () => {
      await removeContainer(id);
      assert.ok(!processAlive(pid), `the init ${pid} is still alive`);
    });
  });

  test('kill and wait: a foreground ctr run exits 137 after SIGKILL', T, async () => {
    const id = uniqueId('ctr-kill');
    const fg = cd.ctrStart(['run', '--rm', ...cd.runtimeFlags(sut.path), image, id, 'sleep', '300']);
    await waitForStatus(id, 'RUNNING');
    expectCode(await cd.ctr(['task', 'kill', '--signal', 'SIGKILL', id]), 0, 'ctr task kill');
    expectCode(await fg.done, 137, 'the foreground ctr run');
    await expectNothingLeft(id);
  });

  test('run -t: the container gets a pty', { ...T, skip: hasScript() ? false : 'util-linux script (a pty for ctr -t) is missing' }, async () => {
    const id = uniqueId('ctr-tty');
    const r = await ctrRun(['--rm', '--tty'], id, ['sh', '-c', 'tty; [ -t 0 ] && echo stdin-is-a-tty; exit 4'], { tty: true });
    expectCode(r, 4, 'ctr run -t');
    assert.match(r.stdout, /\/dev\/pts\/0/, describeCommand(r));
    assert.match(r.stdout, /stdin-is-a-tty/, describeCommand(r));
    await expectNothingLeft(id);
  });

  test('a missing binary: ctr shows the runtime\'s error; nothing left', T, async () => {
    const id = uniqueId('ctr-missing');
    const r = await ctrRun(['--rm'], id, ['/no/such/binary']);
    assert.notEqual(r.code, 0, describeCommand(r));
    assert.match(r.stderr, /OCI runtime create failed: .*exec: "\/no\/such\/binary": stat \/no\/such\/binary: no such file or directory/, describeCommand(r));
    await expectNothingLeft(id);
    // ctr run --rm deletes the task, not always the container record of a task that never ran.
    await cd.ctr(['containers', 'delete', id]);
  });

  test('limits from ctr flags reach the cgroup: --memory-limit, --cpus', T, async () => {
    const id = uniqueId('ctr-lim');
    expectCode(await ctrRun(['--detach', '--memory-limit', String(64 << 20), '--cpus', '0.5'], id, ['sleep', '300']), 0, 'ctr run -d with limits');
    const cg = cd.cgroupOf(id);
    assert.equal(fs.readFileSync(`/sys/fs/cgroup/memory${cg}/memory.limit_in_bytes`, 'utf8').trim(), String(64 << 20));
    assert.equal(fs.readFileSync(`/sys/fs/cgroup/cpu${cg}/cpu.cfs_period_us`, 'utf8').trim(), '100000');
    assert.equal(fs.readFileSync(`/sys/fs/cgroup/cpu${cg}/cpu.cfs_quota_us`, 'utf8').trim(), '50000');
    await removeContainer(id);
  });

  test('limits from a whole OCI spec (ctr run --config): pids, memory, cpu shares', T, async () => {
    const id = uniqueId('ctr-spec');
    const specR = await cd.ctr(['oci', 'spec']);
    expectCode(specR, 0, 'ctr oci spec');
    const spec = JSON.parse(specR.stdout) as {
      process: Record<string, unknown>; root: Record<string, unknown>; linux: { cgroupsPath?: string; resources?: Record<string, unknown> };
    };
    const b = makeBundle({ parent: base });
    try {
      spec.process.args = ['sleep', '300'];
      spec.process.env = ['PATH=/bin'];
      spec.root = { path: b.rootfs };
      spec.linux.cgroupsPath = cd.cgroupOf(id);
      spec.linux.resources = { ...spec.linux.resources, pids: { limit: 42 }, memory: { limit: 48 << 20 }, cpu: { shares: 512 } };
      const specPath = path.join(b.dir, 'ctr-spec.json');
      fs.writeFileSync(specPath, JSON.stringify(spec));
      expectCode(await cd.ctr(['run', '--detach', '--config', specPath, ...cd.runtimeFlags(sut.path), id]), 0, 'ctr run --config');
      await waitForStatus(id, 'RUNNING');
      const cg = cd.cgroupOf(id);
      assert.equal(fs.readFileSync(`/sys/fs/cgroup/pids${cg}/pids.max`, 'utf8').trim(), '42');
      assert.equal(fs.readFileSync(`/sys/fs/cgroup/memory${cg}/memory.limit_in_bytes`, 'utf8').trim(), String(48 << 20));
      assert.equal(fs.readFileSync(`/sys/fs/cgroup/cpu${cg}/cpu.shares`, 'utf8').trim(), '512');
      await removeContainer(id);
    } finally {
      b.cleanup();
    }
  });

  test('timing: ctr run --rm of true, the runtime under test beside runc (medians of 7)', T, async (t) => {
    const rounds = 7;
    const times: Record<string, number[]> = { sut: [], runc: [] };
    for (let i = 0; i < rounds; i += 1) {
      // Interleaved, so that a busy moment of the machine weighs on both alike.
      for (const [key, w] of [['sut', sut], ['runc', runc]] as const) {
        if (w === undefined) continue;
        const id = uniqueId(`ctr-time-${key}`);
        const started = process.hrtime.bigint();
        const r = await cd.ctr(['run', '--rm', ...cd.runtimeFlags(w.path), image, id, 'true']);
        times[key].push(Number(process.hrtime.bigint() - started) / 1e6);
        expectCode(r, 0, `ctr run --rm true (${w.label})`);
      }
    }
    const m = median(times.sut);
    let line = `ctr run --rm true: ${sut.label} median ${m.toFixed(0)} ms`;
    if (runc) line += `, runc median ${median(times.runc).toFixed(0)} ms, ratio ${(m / median(times.runc)).toFixed(2)}`;
    t.diagnostic(line);
    t.diagnostic(`samples (ms): ${JSON.stringify({ sut: times.sut.map(Math.round), runc: times.runc.map(Math.round) })}`);
  });
});

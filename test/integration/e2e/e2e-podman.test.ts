// podman end to end: podman 4.3 with conmon, private storage and containers.conf
// (test/helpers/e2e/podman.ts), the runtime under test configured by path in [engine.runtimes].
// Each scenario is a user's command line; the checks are what the user sees (output, exit codes,
// status) and what must hold on the host (cgroup files, nothing left after rm).
// TSRUNC_BIN=runc runs the same file against runc, the reference.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { hasRunc, processAlive, sleep, uniqueId } from '../../helpers/runtime';
import { describeCommand, hasScript, median, type CommandResult } from '../../helpers/e2e/command';
import { buildBusyboxImage } from '../../helpers/e2e/image';
import { COUNTER, readCounter, waitForCounter } from '../../helpers/e2e/counter';
import { leftovers } from '../../helpers/e2e/leftovers';
import { Podman, podmanMissing } from '../../helpers/e2e/podman';
import { loggedCalls, writeRuntimeWrapper, type RuntimeWrapper } from '../../helpers/e2e/wrapper';

const T = { timeout: 60_000 };
const missing = podmanMissing();
const noScript = hasScript() ? false : 'util-linux script (a pty for podman -t) is missing';

let base = '';
let pm: Podman;
let sut: RuntimeWrapper;
let runc: RuntimeWrapper | undefined;
let image = '';
let cidCounter = 0;

function expectCode(r: CommandResult, code: number, what: string): void {
  assert.equal(r.code, code, `${what}: expected exit ${code}\n${describeCommand(r)}`);
}

/**
 * `podman run` in the test's cgroup parent. The container's full id comes back through
 * --cidfile, also for a `--rm` container that is gone by the time podman returns.
 */
async function podmanRun(flags: string[], cmd: string[], opts: { tty?: boolean; runtime?: string } = {}): Promise<{ r: CommandResult; id: string }> {
  cidCounter += 1;
  const cidfile = path.join(base, `cid-${cidCounter}`);
  const runtime = opts.runtime ? ['--runtime', opts.runtime] : [];
  const r = await pm.podman([...runtime, 'run', '--cidfile', cidfile, ...pm.runFlags(), ...flags, image, ...cmd], { tty: opts.tty });
  const id = fs.existsSync(cidfile) ? fs.readFileSync(cidfile, 'utf8').trim() : '';
  fs.rmSync(cidfile, { force: true });
  return { r, id };
}

async function inspect(name: string): Promise<{ pid: number; status: string; exitCode: number }> {
  const r = await pm.podman(['inspect', '--format', '{{.State.Pid}} {{.State.Status}} {{.State.ExitCode}}', name]);
  expectCode(r, 0, 'podman inspect');
  const [pid, status, exitCode] = r.stdout.trim().split(' ');
  return { pid: Number(pid), status, exitCode: Number(exitCode) };
}

async function expectNothingLeft(id: string): Promise<void> {
  assert.match(id, /^[0-9a-f]{64}$/, 'the container id is known');
  const left = await leftovers({ id, stateDir: pm.stateDir(id), cgroup: pm.cgroupOf(id) }, 5_000);
  assert.deepEqual(left, [], `container ${id} left things behind`);
  const listed = await pm.podman(['ps', '--all', '--quiet', '--no-trunc']);
  assert.ok(!listed.stdout.split('\n').includes(id), `podman still lists ${id}`);
}

describe('podman (conmon) on the runtime under test', { skip: missing ?? false }, () => {
  before(async () => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-e2e-podman-'));
    sut = writeRuntimeWrapper(base, 'tsrunc');
    runc = hasRunc() ? writeRuntimeWrapper(base, 'runc') : undefined;
    fs.mkdirSync(path.join(base, 'image'));
    const img = buildBusyboxImage(path.join(base, 'image'));
    image = img.ref;
    pm = new Podman(path.join(base, 'podman'), runc ? { tsrunc: sut, runc } : { tsrunc: sut });
    expectCode(await pm.podman(['load', '--quiet', '--input', img.tar]), 0, 'podman load');
  });

  after(async () => {
    const problems = pm ? await pm.cleanup() : [];
    fs.rmSync(base, { recursive: true, force: true });
    assert.deepEqual(problems, [], 'cleanup after the podman tests had to force things');
  });

  test('run --rm: the container\'s output and exit code; nothing left', T, async () => {
    const { r, id } = await podmanRun(['--rm'], ['sh', '-c', 'echo "out $(hostname)"; echo to-stderr >&2; exit 3']);
    expectCode(r, 3, 'podman run --rm');
    assert.match(r.stdout, /^out /m, describeCommand(r));
    assert.match(r.stderr, /to-stderr/, describeCommand(r));
    const calls = loggedCalls(sut).filter((c) => c.includes(id));
    for (const verb of ['create', 'start', 'delete']) {
      assert.ok(calls.some((c) => new RegExp(`(^| )${verb} `).test(c)), `podman/conmon never called ${verb}: ${calls.join('\n')}`);
    }
    await expectNothingLeft(id);
  });

  describe('a detached container', () => {
    const name = uniqueId('pm-d');
    let id = '';
    let pid = 0;

    test('run -d: running, with its counter going', T, async () => {
      const run = await podmanRun(['--detach', '--name', name], COUNTER);
      expectCode(run.r, 0, 'podman run -d');
      id = run.id;
      const st = await inspect(name);
      assert.equal(st.status, 'running');
      pid = st.pid;
      await waitForCounter(pid);
    });

    test('exec without a tty: output and exit code', T, async () => {
      const r = await pm.podman(['exec', name, 'sh', '-c', 'echo "in $(cat /tmp/count)"; [ -t 1 ] || echo no-tty; exit 5']);
      expectCode(r, 5, 'podman exec');
      assert.match(r.stdout, /^in \d+$/m, describeCommand(r));
      assert.match(r.stdout, /^no-tty$/m, describeCommand(r));
    });

    test('exec with a tty: the process has a pty, the exit code comes back', { ...T, skip: noScript }, async () => {
      const r = await pm.podman(['exec', '--tty', name, 'sh', '-c', 'tty; exit 6'], { tty: true });
      expectCode(r, 6, 'podman exec -t');
      assert.match(r.stdout, /\/dev\/pts\/\d+/, describeCommand(r));
      assert.ok(loggedCalls(sut).some((c) => / exec .*--console-socket /.test(c) && c.endsWith(id)), 'exec with a tty went through --console-socket');
    });

    test('top: the container\'s processes', T, async () => {
      const r = await pm.podman(['top', name, 'pid', 'args']);
      expectCode(r, 0, 'podman top');
      assert.match(r.stdout, /^1\s+sh -c i=0/m, describeCommand(r));
    });

    test('pause stops the counter (cgroup frozen), unpause restarts it', T, async () => {
      expectCode(await pm.podman(['pause', name]), 0, 'podman pause');
      assert.equal((await inspect(name)).status, 'paused');
      assert.equal(fs.readFileSync(`/sys/fs/cgroup/freezer${pm.cgroupOf(id)}/freezer.state`, 'utf8').trim(), 'FROZEN');
      const frozenAt = readCounter(pid);
      await sleep(300);
      assert.equal(readCounter(pid), frozenAt, 'the counter moved while paused');
      expectCode(await pm.podman(['unpause', name]), 0, 'podman unpause');
      assert.equal((await inspect(name)).status, 'running');
      // A loaded machine may take a moment to run the thawed loop again.
      await waitForCounter(pid, frozenAt + 1);
    });

    test('stats: memory and pids of the container', T, async () => {
      const r = await pm.podman(['stats', '--no-stream', '--format', 'json', name]);
      expectCode(r, 0, 'podman stats');
      const [s] = JSON.parse(r.stdout) as { mem_usage: string; pids: string }[];
      assert.match(s.mem_usage, /^[1-9][\d.]*[kMG]?B \//, describeCommand(r));
      assert.ok(Number(s.pids) >= 1, describeCommand(r));
    });

    test('kill and wait: 137', T, async () => {
      expectCode(await pm.podman(['kill', name]), 0, 'podman kill');
      const w = await pm.podman(['wait', name]);
      expectCode(w, 0, 'podman wait');
      assert.equal(w.stdout.trim(), '137', describeCommand(w));
      assert.ok(!processAlive(pid), `the init ${pid} is still alive`);
      const calls = loggedCalls(sut).filter((c) => c.includes(id));
      assert.ok(calls.some((c) => /(^| )kill .* (9|KILL|SIGKILL)$/.test(c)), `no SIGKILL sent: ${calls.join('\n')}`);
    });

    test('start of the stopped container: created and started again', T, async () => {
      expectCode(await pm.podman(['start', name]), 0, 'podman start');
      const st = await inspect(name);
      assert.equal(st.status, 'running');
      assert.notEqual(st.pid, pid, 'a new init');
      pid = st.pid;
      await waitForCounter(pid);
    });

    test('stop -t 1: SIGTERM ignored, SIGKILL after 1 s', T, async () => {
      const r = await pm.podman(['stop', '--time', '1', name]);
      expectCode(r, 0, 'podman stop -t 1');
      assert.ok(r.ms >= 900 && r.ms < 10_000, `stop took ${r.ms} ms`);
      const st = await inspect(name);
      assert.equal(st.status, 'exited');
      assert.equal(st.exitCode, 137);
      const calls = loggedCalls(sut).filter((c) => c.includes(id) && /(^| )kill /.test(c));
      assert.ok(calls.some((c) => / (15|TERM|SIGTERM)$/.test(c)), `no SIGTERM sent: ${calls.join('\n')}`);
      assert.ok(calls.some((c) => / (9|KILL|SIGKILL)$/.test(c)), `no SIGKILL sent: ${calls.join('\n')}`);
    });

    test('rm: nothing left (state, cgroup, mount, process)', T, async () => {
      expectCode(await pm.podman(['rm', name]), 0, 'podman rm');
      await expectNothingLeft(id);
    });
  });

  test('run -t: the container gets a pty', { ...T, skip: noScript }, async () => {
    const { r, id } = await podmanRun(['--rm', '--tty'], ['sh', '-c', 'tty; [ -t 0 ] && echo stdin-is-a-tty; exit 4'], { tty: true });
    expectCode(r, 4, 'podman run -t');
    assert.match(r.stdout, /\/dev\/pts\/0/, describeCommand(r));
    await expectNothingLeft(id);
  });

  test('a missing binary: exit 127 with the runtime\'s error; nothing left', T, async () => {
    const { r, id } = await podmanRun(['--rm'], ['/no/such/binary']);
    expectCode(r, 127, 'podman run of a missing binary');
    assert.match(r.stderr, /exec: "\/no\/such\/binary": stat \/no\/such\/binary: no such file or directory/, describeCommand(r));
    // The message, not the runtime's raw log line: podman read it from --log (runtime_supports_json).
    assert.doesNotMatch(r.stderr, /level=error/, describeCommand(r));
    await expectNothingLeft(id);
  });

  test('limits reach the cgroup: --memory, --cpus, --pids-limit', T, async () => {
    const { r, id } = await podmanRun(['--detach', '--memory', '64m', '--cpus', '0.5', '--pids-limit', '42'], ['sleep', '300']);
    expectCode(r, 0, 'podman run -d with limits');
    const cg = pm.cgroupOf(id);
    assert.equal(fs.readFileSync(`/sys/fs/cgroup/memory${cg}/memory.limit_in_bytes`, 'utf8').trim(), String(64 << 20));
    assert.equal(fs.readFileSync(`/sys/fs/cgroup/cpu${cg}/cpu.cfs_period_us`, 'utf8').trim(), '100000');
    assert.equal(fs.readFileSync(`/sys/fs/cgroup/cpu${cg}/cpu.cfs_quota_us`, 'utf8').trim(), '50000');
    assert.equal(fs.readFileSync(`/sys/fs/cgroup/pids${cg}/pids.max`, 'utf8').trim(), '42');
    expectCode(await pm.podman(['rm', '--force', '--time', '0', id]), 0, 'podman rm -f');
    await expectNothingLeft(id);
  });

  test('timing: podman run --rm of true, the runtime under test beside runc (medians of 7)', T, async (t) => {
    const rounds = 7;
    const times: Record<string, number[]> = { tsrunc: [], runc: [] };
    for (let i = 0; i < rounds; i += 1) {
      for (const name of runc ? ['tsrunc', 'runc'] : ['tsrunc']) {
        const started = process.hrtime.bigint();
        const { r } = await podmanRun(['--rm'], ['true'], { runtime: name });
        times[name].push(Number(process.hrtime.bigint() - started) / 1e6);
        expectCode(r, 0, `podman --runtime ${name} run --rm true`);
      }
    }
    const m = median(times.tsrunc);
    let line = `podman run --rm true: ${sut.label} median ${m.toFixed(0)} ms`;
    if (runc) line += `, runc median ${median(times.runc).toFixed(0)} ms, ratio ${(m / median(times.runc)).toFixed(2)}`;
    t.diagnostic(line);
    t.diagnostic(`samples (ms): ${JSON.stringify({ sut: times.tsrunc.map(Math.round), runc: times.runc.map(Math.round) })}`);
  });
});

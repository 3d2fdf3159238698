// The freezer as the kernel shows it, on this host's own hierarchies: both drivers' freeze and thaw
// on scratch cgroups (v1's freezer, and the hybrid host's cgroup2 mount, whose cgroup.freeze works
// whatever controllers it has), each process's state and CPU time in /proc; a thaw the kernel
// cannot grant (the parent is frozen) failing after its timeout; and `kill --all`, which freezes
// the container while it signals and thaws it after, a paused one too (against runc 1.1.5).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { waitForFreezer, type FreezerFiles } from '../../../src/cgroups/freezer';
import { freezerStateOf, v1FreezerState } from '../../../src/cgroups/freezer-state';
import { detectCgroupHost } from '../../../src/cgroups/host';
import { V1Cgroups } from '../../../src/cgroups/v1';
import { V2Cgroups } from '../../../src/cgroups/v2';
import { BUSYBOX, TEST_CGROUP_PARENT, type Bundle, type BundleOptions } from '../../helpers/rootfs';
import { describeResult, sleep, type Runtime } from '../../helpers/runtime';
import { expectOk, forEachRuntime, runtimesForSuite, withContainer } from '../../helpers/suite';

/** These records have no unified directory, so the v1 driver never asks for its part there. */
const noUnifiedPart = (): never => { throw new Error('no unified part in these tests'); };

const host = detectCgroupHost();
const V1_FREEZER = host.v1.find((h) => h.controllers.includes('freezer'));
const v1Root = V1_FREEZER ? V1_FREEZER.mountPoint : undefined;
const v2Root = host.kind === 'hybrid' ? host.unified?.mountPoint : undefined;
const read = (dir: string, file: string): string => fs.readFileSync(path.join(dir, file), 'utf8').trim();

/** The scheduler state letter of a process. */
const stateOf = (pid: number): string => /^State:\s+(\S)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '?';
/** utime + stime of a process, in clock ticks. */
function cpuTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

async function until(what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const exited = (c: ChildProcess): Promise<void> => new Promise((resolve) => {
  if (c.exitCode !== null || c.signalCode !== null) resolve();
  else c.once('exit', () => resolve());
});

/**
 * A scratch cgroup `root/PARENT/freezer-PID-X[/child]` with a spinning process (at nice 19) and a
 * sleeping one in it; everything is thawed, killed and removed after the test. PARENT is the
 * suite's cgroup parent, so a mutation run's sweep finds what a killed test left frozen.
 */
async function scratch(t: TestContext, root: string, kind: 'v1' | 'v2', nested = false): Promise<{ parent: string; dir: string; spinner: number; pids: number[] }> {
  const parent = path.join(root, TEST_CGROUP_PARENT, `freezer-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  const dir = nested ? path.join(parent, 'child') : parent;
  fs.mkdirSync(dir, { recursive: true });
  const children: ChildProcess[] = [];
  t.after(async () => {
    for (const d of nested ? [dir, parent] : [dir]) fs.writeFileSync(path.join(d, kind === 'v1' ? 'freezer.state' : 'cgroup.freeze'), kind === 'v1' ? 'THAWED' : '0');
    for (const c of children) c.kill('SIGKILL');
    await Promise.all(children.map(exited));
    for (const d of nested ? [dir, parent] : [dir]) {
      for (let i = 0; i < 100; i++) { try { fs.rmdirSync(d); break; } catch { await sleep(20); } }
    }
  });
  const join = `echo $$ > ${dir}/cgroup.procs || exit 97;`;
  for (const script of ['exec nice -n 19 sh -c "while :; do :; done"', 'exec sleep 600']) {
    children.push(spawn(BUSYBOX, ['sh', '-c', `${join} ${script}`], { stdio: 'ignore' }));
  }
  await until('both processes in the cgroup', () => read(dir, 'cgroup.procs').split('\n').filter(Boolean).length === 2);
  const pids = children.map((c) => c.pid as number);
  return { parent, dir, spinner: pids[0], pids };
}

async function assertStopped(pids: number[], spinner: number, letter: string): Promise<void> {
  await until(`every process in state ${letter}`, () => pids.every((p) => stateOf(p) === letter), 2000);
  const before = cpuTicks(spinner);
  await sleep(300);
  assert.equal(cpuTicks(spinner), before, 'no CPU time used while frozen');
}

async function assertRunning(spinner: number): Promise<void> {
  const before = cpuTicks(spinner);
  await until('the spinner to use CPU again', () => cpuTicks(spinner) > before, 5000);
}

test('v1 driver: freeze stops every process (D in /proc, no CPU time), thaw lets them run; the state follows', { timeout: 60_000 }, async (t) => {
  if (!v1Root) return t.skip('no v1 freezer hierarchy on this host');
  const s = await scratch(t, v1Root, 'v1');
  const record = { driver: 'v1' as const, dirs: { freezer: s.dir } };
  const cg = V1Cgroups.fromRecord(record, noUnifiedPart);
  assert.equal(cg.freezerState(), 'thawed');
  cg.freeze();
  assert.equal(read(s.dir, 'freezer.state'), 'FROZEN');
  assert.equal(freezerStateOf(record), 'frozen');
  await assertStopped(s.pids, s.spinner, 'D');
  cg.thaw();
  assert.equal(read(s.dir, 'freezer.state'), 'THAWED');
  assert.equal(freezerStateOf(record), 'thawed');
  await assertRunning(s.spinner);
});

test('v2 driver (this host\'s cgroup2 mount): freeze sets cgroup.freeze and waits for frozen 1 (S in /proc, no CPU time); thaw', { timeout: 60_000 }, async (t) => {
  if (!v2Root) return t.skip('needs a hybrid host (its cgroup2 mount beside the v1 hierarchies); the pure v2 lane covers v2 hosts');
  const s = await scratch(t, v2Root, 'v2');
  const record = { driver: 'v2' as const, dirs: { unified: s.dir } };
  const cg = V2Cgroups.fromRecord(record);
  assert.equal(cg.freezerState(), 'thawed');
  cg.freeze();
  assert.equal(read(s.dir, 'cgroup.freeze'), '1');
  assert.match(read(s.dir, 'cgroup.events'), /^frozen 1$/m, 'freeze returns once the kernel says every task is frozen');
  assert.equal(freezerStateOf(record), 'frozen');
  await assertStopped(s.pids, s.spinner, 'S');
  cg.thaw();
  assert.equal(read(s.dir, 'cgroup.freeze'), '0');
  assert.match(read(s.dir, 'cgroup.events'), /^frozen 0$/m);
  assert.equal(freezerStateOf(record), 'thawed');
  await assertRunning(s.spinner);
});

test('v2: a cgroup frozen by its parent alone is not "paused" (cgroup.freeze of its own is 0); a missing cgroup is thawed', async (t) => {
  if (!v2Root) return t.skip('needs a hybrid host (its cgroup2 mount beside the v1 hierarchies)');
  const s = await scratch(t, v2Root, 'v2', true);
  fs.writeFileSync(path.join(s.parent, 'cgroup.freeze'), '1');
  await until('the child to be frozen through its parent', () => /^frozen 1$/m.test(read(s.dir, 'cgroup.events')));
  assert.equal(freezerStateOf({ driver: 'v2', dirs: { unified: s.dir } }), 'thawed');
  assert.equal(freezerStateOf({ driver: 'v2', dirs: { unified: s.parent } }), 'frozen');
  assert.equal(freezerStateOf({ driver: 'v2', dirs: { unified: path.join(s.parent, 'gone') } }), 'thawed');
  assert.equal(freezerStateOf(undefined), 'thawed');
});

test('v1: a thaw the kernel cannot grant (the parent is frozen) fails after the timeout, naming the cgroup, having asked again', { timeout: 30_000 }, async (t) => {
  if (!v1Root) return t.skip('no v1 freezer hierarchy on this host');
  const s = await scratch(t, v1Root, 'v1', true);
  fs.writeFileSync(path.join(s.parent, 'freezer.state'), 'FROZEN');
  await until('the child to be frozen through its parent', () => v1FreezerState(s.dir) === 'frozen');
  // The driver's files (v1.ts), with the requests counted.
  const requests: boolean[] = [];
  const files: FreezerFiles = {
    request: (frozen) => { requests.push(frozen); fs.writeFileSync(path.join(s.dir, 'freezer.state'), frozen ? 'FROZEN' : 'THAWED'); },
    settled: (frozen) => read(s.dir, 'freezer.state') === (frozen ? 'FROZEN' : 'THAWED'),
  };
  const started = Date.now();
  assert.throws(() => waitForFreezer(s.dir, files, false, 600), (e: Error) => e.message === `cgroup ${s.dir} did not become thawed within 600 ms`);
  const took = Date.now() - started;
  assert.ok(took >= 600 && took < 3000, `gave up after ${took} ms`);
  assert.ok(requests.length >= 3 && requests.every((r) => r === false), `the thaw is asked for again while waiting: ${JSON.stringify(requests)}`);
  assert.equal(read(s.dir, 'freezer.state'), 'FROZEN');
  // Once the parent thaws, the same wait succeeds at once.
  fs.writeFileSync(path.join(s.parent, 'freezer.state'), 'THAWED');
  waitForFreezer(s.dir, files, false, 600);
  assert.equal(read(s.dir, 'freezer.state'), 'THAWED');
});

test('v1: without a freezer hierarchy, freeze and thaw say so, and the state reads thawed', () => {
  const cg = V1Cgroups.fromRecord({ driver: 'v1', dirs: {} }, noUnifiedPart);
  for (const op of [() => cg.freeze(), () => cg.thaw()]) {
    assert.throws(op, (e: Error) => e.message === 'the freezer cgroup controller is not mounted on this host');
  }
  assert.equal(cg.freezerState(), 'thawed');
});

// ---------------------------------------------------------------------------------------------
// kill --all against runc 1.1.5

const pair = runtimesForSuite();
const outDirs: string[] = [];
test.after(() => { for (const d of outDirs) fs.rmSync(d, { recursive: true, force: true }); });

/** An init and a child shell, each noting a SIGUSR1 in /out/got and going on (sleeps die of it). */
function trapping(): { opts: BundleOptions; got: string } {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-test-freezer-'));
  outDirs.push(out);
  const loop = 'while :; do sleep 0.1; done';
  return {
    got: path.join(out, 'got'),
    opts: {
      args: ['sh', '-c', `trap "echo init >> /out/got" USR1; sh -c 'trap "echo child >> /out/got" USR1; ${loop}' & ${loop}`],
      mounts: [{ destination: '/out', type: 'bind', source: out, options: ['rbind'] }],
    },
  };
}

const v1Only = (): string | undefined => (v1Root ? undefined : 'the container tests read the v1 freezer of this host');
const freezerOf = (b: Bundle): string => path.join(v1Root ?? '', String(b.spec.linux.cgroupsPath));
const gotLines = (file: string): string[] => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).sort() : []);

async function runTrapping(rt: Runtime, b: Bundle, id: string): Promise<void> {
  expectOk(await rt.exec(['run', '--detach', '--bundle', b.dir, id], { stdoutPath: rt.ioPath(`${id}.out`), stderrPath: rt.ioPath(`${id}.err`) }), 'run --detach');
  // init sh, the child sh and a sleep of each.
  await until('four processes', () => read(freezerOf(b), 'cgroup.procs').split('\n').filter(Boolean).length >= 4);
}

forEachRuntime(pair, 'kill --all signals every process of a running container and leaves it running, thawed', async (_t, rt) => {
  const { opts, got } = trapping();
  await withContainer(rt, 'frz-killall', opts, async (b, id) => {
    await runTrapping(rt, b, id);
    expectOk(await rt.exec(['kill', '--all', id, 'USR1']), 'kill --all USR1');
    await until('both shells to note the signal', () => gotLines(got).length >= 2);
    assert.deepEqual(gotLines(got), ['child', 'init']);
    assert.equal(read(freezerOf(b), 'freezer.state'), 'THAWED');
    assert.equal((await rt.state(id)).status, 'running');
  });
}, v1Only);

forEachRuntime(pair, 'kill --all of a paused container thaws it after signalling: the processes act on the signal at once', async (_t, rt) => {
  const { opts, got } = trapping();
  await withContainer(rt, 'frz-killpaused', opts, async (b, id) => {
    await runTrapping(rt, b, id);
    expectOk(await rt.exec(['pause', id]), 'pause');
    expectOk(await rt.exec(['kill', '--all', id, 'USR1']), 'kill --all USR1');
    assert.equal(read(freezerOf(b), 'freezer.state'), 'THAWED', describeResult(await rt.exec(['state', id])));
    await until('both shells to note the signal', () => gotLines(got).length >= 2);
    assert.deepEqual(gotLines(got), ['child', 'init']);
    assert.equal((await rt.state(id)).status, 'running');
  });
}, v1Only);

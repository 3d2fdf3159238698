// The pure cgroup v2 lane (test/helpers/cgroup2-vm.ts, scripts/cgroup2-vm/): the guest files it
// runs, and the lane's own contract: what a command sees and returns, and that a guest never
// outlives its run, however the run ends; and the ptrace shim UML needs on this CPU
// (scripts/cgroup2-vm/README.md). Each guest case boots one guest (~2.5 s, one at a time).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cgroup2LaneUnavailable, guestSuite, haveCc, laneXstateShim, runInCgroup2Guest } from '../../helpers/cgroup2-vm';
import { repoRoot, waitNoRelatedProcesses } from '../../helpers/runtime';

guestSuite('lane-smoke');

const LANE_TIMEOUT = { timeout: 90_000 };

/** A private TMPDIR for run.sh, so its job dir (cg2vm.*) and every process naming it are ours to check. */
async function withJobTmpdir(fn: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-test-cg2lane-'));
  try {
    await fn(tmp);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

async function assertNothingLeft(tmp: string): Promise<void> {
  const procs = await waitNoRelatedProcesses({ paths: [tmp] }, 15_000);
  // A broken lane must not leak into later tests: remove what it left (ours: named by tmp).
  for (const p of procs) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  assert.deepEqual(procs.map((p) => `${p.pid} ${p.cmdline}`), [], 'guest processes left behind');
  assert.deepEqual(fs.readdirSync(tmp), [], `job dir left behind in ${tmp}`);
}

test('a guest command: its status, separate stdout/stderr, the caller env, the project dir writable', LANE_TIMEOUT, async (t) => {
  const why = cgroup2LaneUnavailable();
  if (why) return t.skip(why);
  const marker = `tsrunc-test-cg2lane-${process.pid}`;
  const file = path.join(repoRoot(), `${marker}.tmp`);
  try {
    const r = await runInCgroup2Guest(
      ['/bin/sh', '-c', 'echo "out $LANE_X $(pwd)"; echo "err $CG2VM_GUEST" >&2; echo written > "$1"; exit 3', 'sh', `${marker}.tmp`],
      { env: { LANE_X: 'a b' }, timeoutSec: 60 });
    assert.equal(r.status, 3, JSON.stringify(r));
    assert.equal(r.stdout, `out a b ${repoRoot()}\n`);
    assert.equal(r.stderr, 'err 1\n');
    assert.equal(fs.readFileSync(file, 'utf8'), 'written\n');
  } finally {
    fs.rmSync(file, { force: true });
  }
});

test('a guest that times out returns 124 and leaves no process or job dir behind', LANE_TIMEOUT, async (t) => {
  const why = cgroup2LaneUnavailable();
  if (why) return t.skip(why);
  await withJobTmpdir(async (tmp) => {
    const r = await runInCgroup2Guest(['sleep', '60'], { timeoutSec: 5, env: { TMPDIR: tmp } });
    assert.equal(r.status, 124, JSON.stringify(r));
    assert.match(r.stderr, /timed out after 5s/);
    await assertNothingLeft(tmp);
  });
});

test('SIGKILL of run.sh in the middle of a run leaves no process or job dir behind', LANE_TIMEOUT, async (t) => {
  const why = cgroup2LaneUnavailable();
  if (why) return t.skip(why);
  await withJobTmpdir(async (tmp) => {
    const child = spawn('/bin/bash', [path.join(repoRoot(), 'scripts', 'cgroup2-vm', 'run.sh'), '--', 'sh', '-c', 'echo up; sleep 60'], {
      cwd: repoRoot(), env: { ...process.env, TMPDIR: tmp, CG2VM_TIMEOUT: '60' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    // 'exit', not 'close': a leftover guest would hold the pipes as long as it lives.
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    // Killed once the command runs, so that the guest is fully up.
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (b: Buffer) => { if (b.toString().includes('up')) resolve(); });
      child.on('exit', (code) => reject(new Error(`run.sh ended (status ${code}) before the command started`)));
    });
    child.kill('SIGKILL');
    await exited;
    child.stdout.destroy();
    child.stderr.destroy();
    await assertNothingLeft(tmp);
  });
});

/** Compiles test/helpers/NAME.c into dir (a fresh scratch dir the caller removes): the binary's path. */
function compileHelper(name: string, dir: string, extra: string[] = []): string {
  const out = path.join(dir, name);
  const r = spawnSync('cc', ['-O2', '-Wall', '-o', out, path.join(repoRoot(), 'test', 'helpers', `${name}.c`), ...extra],
    { encoding: 'utf8' });
  assert.equal(r.status, 0, `cc ${name}.c: ${r.stderr}`);
  return out;
}

function cpuFlags(): string[] {
  const line = fs.readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags'));
  return line?.split(':')[1]?.trim().split(/\s+/) ?? [];
}

// supervise.sh without a guest: a stand-in for user-mode-linux that reports the command's status
// and output as the guest does (JOBDIR/job/status, fds 4 and 5), then aborts on its way down, as
// UML now and then does. The command's stderr must stay the command's: bash reports a background
// job a signal ended ("Aborted") on its own stderr unless the wait for it is quiet (seen failing
// in a clean-clone run before that).
test('a guest that aborts after reporting: the status and stderr are the command\'s, nothing of bash\'s', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-test-supervise-'));
  try {
    const jobDir = path.join(dir, 'job');
    fs.mkdirSync(path.join(jobDir, 'job'), { recursive: true });
    fs.mkdirSync(path.join(jobDir, 'host'), { recursive: true });
    const fakeUml = path.join(dir, 'fake-uml');
    fs.writeFileSync(fakeUml, `#!/bin/bash\necho out 1 >&4\necho err 1 >&5\necho 7 > "${jobDir}/job/status"\nkill -ABRT $$\n`, { mode: 0o755 });
    for (const env of [{}, { CG2VM_TIMEOUT: '30' }]) {
      fs.mkdirSync(path.join(jobDir, 'job'), { recursive: true });
      fs.mkdirSync(path.join(jobDir, 'host'), { recursive: true });
      fs.writeFileSync(path.join(jobDir, 'job', 'status'), '');
      const r = spawnSync(path.join(repoRoot(), 'scripts', 'cgroup2-vm', 'supervise.sh'), [jobDir, '', fakeUml],
        { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env } });
      const what = JSON.stringify(env);
      assert.equal(r.status, 7, `${what}: ${r.stderr}`);
      assert.equal(r.stdout, 'out 1\n', what);
      assert.equal(r.stderr, 'err 1\n', what);
      assert.ok(!fs.existsSync(jobDir), `${what}: the job dir is removed`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// The host side of scripts/cgroup2-vm/xstate-shim.c, without a guest: a tracer keeping two threads'
// registers in short buffers as user-mode-linux does (test/helpers/xstate-shim-check.c).
test('the xstate shim: a short XSTATE SET is refused without it; with it each buffer keeps its whole state', async (t) => {
  if (process.arch !== 'x64' || process.platform !== 'linux') return t.skip('the shim is for x86-64 Linux hosts');
  if (!cpuFlags().includes('avx512f')) return t.skip('the check holds values in AVX-512 registers; this CPU has no AVX-512F');
  if (!haveCc()) return t.skip('no C compiler (cc) to build the shim and the check');
  const shim = laneXstateShim();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-test-xstate-'));
  try {
    const check = compileHelper('xstate-shim-check', dir);
    const bare = spawnSync(check, [], { encoding: 'utf8', timeout: 30_000 });
    const size = Number(/^xstate size (\d+)$/m.exec(bare.stdout)?.[1]);
    assert.ok(size >= 832, `no xstate size reported: ${bare.stdout}${bare.stderr}`);
    if (size !== 832) {
      // What breaks user-mode-linux here: the host wants the whole XSAVE size in a SET.
      assert.equal(bare.status, 3, `without the shim: ${bare.stdout}${bare.stderr}`);
      assert.match(bare.stderr, /SET of 832 bytes: Bad address/);
    }
    const shimmed = spawnSync(check, [], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, LD_PRELOAD: shim } });
    assert.equal(shimmed.status, 0, `with the shim: ${shimmed.stdout}${shimmed.stderr}`);
    assert.match(shimmed.stdout, /^ok$/m);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('guest threads keep their own vector registers and get right string and floating point results', LANE_TIMEOUT, async (t) => {
  const why = cgroup2LaneUnavailable();
  if (why) return t.skip(why);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-test-simd-'));
  try {
    // Host /tmp is part of the guest's read-only root: the guest runs the binary from there.
    const bin = compileHelper('simd-threads', dir, ['-pthread', '-lm']);
    const runs = 3;
    const r = await runInCgroup2Guest(['/bin/sh', '-c', `for i in $(seq ${runs}); do "$0" 12 100 || exit; done`, bin], { timeoutSec: 80 });
    assert.equal(r.status, 0, JSON.stringify(r));
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, runs, r.stdout);
    for (const line of lines) assert.match(line, /^simd-threads: (avx512|avx2) 12 x 100 errors 0$/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

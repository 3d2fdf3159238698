// The pure cgroup v2 lane (test/helpers/cgroup2-vm.ts, scripts/cgroup2-vm/): the guest files it
// runs, and the lane's own contract: what a command sees and returns, and that a guest never
// outlives its run, however the run ends. Each case boots one guest (~2.5 s, one at a time).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cgroup2LaneUnavailable, guestSuite, runInCgroup2Guest } from './helpers/cgroup2-vm';
import { repoRoot, waitNoRelatedProcesses } from './helpers/runtime';

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

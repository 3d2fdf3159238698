// The pure cgroup v2 test lane. This host is hybrid (v1 controllers, an almost empty cgroup2), so
// cgroup v2 behaviour is tested in a throw-away user-mode-linux guest booted by
// scripts/cgroup2-vm/run.sh: its /sys/fs/cgroup is cgroup2 with cpu, io, memory and pids, its /
// the host's / (read-only, writes land in a discarded overlay) and the project directory is
// shared writable, so the guest runs this very build.
//
// Guest-side tests are node:test files test/guest/*.guest.ts. A host test file boots one guest
// per guest file with guestSuite(); the guest files themselves skip anywhere but in a guest, since
// node 20's `node --test dist/test/` runs every .js file under a directory named "test".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from './runtime';

export interface GuestOptions {
  /** Whole run, boot included; the guest is stopped (exit status 124) after it. Default 120. */
  timeoutSec?: number;
  /** Added to (and overriding) this process's environment in the guest. CG2VM_* names are not passed. */
  env?: Record<string, string>;
  /** Guest RAM, as the kernel's mem= (e.g. "512M"). Default 1G, a sparse file: only what is used costs. */
  memory?: string;
  /** Size of a scratch block device /dev/ubda (98:0) for io.max tests, e.g. "64M". None by default. */
  disk?: string;
  /** 'systemd': scripts/systemd-vm, the same guest with systemd 252 as PID 1 (SDLANE_GUEST=1 in
   * the command's environment); default the plain cgroup2 lane. */
  lane?: Lane;
}

export type Lane = 'cgroup2' | 'systemd';

export interface GuestResult {
  /** The command's exit status; 124 when timed out, 125 when the guest itself failed. */
  status: number;
  stdout: string;
  stderr: string;
}

const DEFAULT_TIMEOUT_SEC = 120;
/** The name of the one test a guest file declares outside a guest (see guestOnly). */
const GUEST_ONLY_SKIP = 'runs only in a cgroup2 guest';
/** After run.sh's own timeout, time for it to stop the guest before we signal it ourselves. */
const HOST_GRACE_MS = 15_000;
const PIPE_DRAIN_MS = 2_000;

function umlCache(): string {
  return process.env.CG2VM_CACHE ?? '/var/tmp/cgroup2-vm';
}

function laneScript(lane: Lane = 'cgroup2'): string {
  return path.join(repoRoot(), 'scripts', lane === 'systemd' ? 'systemd-vm' : 'cgroup2-vm', 'run.sh');
}

/** True inside a guest booted by run.sh (it sets this for the command; the host never passes it). */
export function insideCgroup2Guest(): boolean {
  return process.env.CG2VM_GUEST === '1';
}

/** Why the lane cannot boot a guest here, or undefined when it can. */
export function cgroup2LaneUnavailable(lane: Lane = 'cgroup2'): string | undefined {
  if (lane === 'systemd' && !fs.existsSync('/lib/systemd/systemd')) return 'the systemd lane needs systemd installed (apt-get install systemd; scripts/setup.sh)';
  if (insideCgroup2Guest()) return 'already inside a cgroup2 guest (user-mode-linux does not nest here)';
  if (process.platform !== 'linux') return 'the cgroup2 lane needs Linux';
  if (process.getuid?.() !== 0) return 'the cgroup2 lane boots user-mode-linux guests as root; not root';
  if (!fs.existsSync(laneScript())) return `${laneScript()} is missing`;
  const cache = umlCache();
  let dir: string;
  try {
    dir = fs.readFileSync(path.join(cache, 'uml-current'), 'utf8').trim();
  } catch {
    return `user-mode-linux is not prepared in ${cache} (run bash scripts/setup.sh; it needs the Debian mirror once)`;
  }
  if (!fs.existsSync(path.join(dir, '.complete')) || !fs.existsSync(path.join(dir, 'usr', 'bin', 'linux.uml'))) {
    return `user-mode-linux in ${dir} is incomplete (run bash scripts/setup.sh)`;
  }
  for (const tool of ['/bin/busybox', '/usr/bin/setpriv', '/usr/bin/setsid']) {
    if (!fs.existsSync(tool)) return `${tool} is missing (the lane's init and supervisor need it)`;
  }
  if (!haveCc()) return 'no C compiler (cc): run.sh builds the lane\'s ptrace shim with it (run bash scripts/setup.sh)';
  return undefined;
}

/** True when `cc` is on PATH (the lane's shim and the lane tests' C checks are compiled with it). */
export function haveCc(): boolean {
  return spawnSync('/bin/sh', ['-c', 'command -v cc'], { stdio: 'ignore' }).status === 0;
}

/**
 * The lane's ptrace shim for user-mode-linux (scripts/cgroup2-vm/xstate-shim.c), built into the
 * lane's cache by build-shim.sh when not yet there: its path.
 */
export function laneXstateShim(): string {
  const r = spawnSync('/bin/bash', [path.join(repoRoot(), 'scripts', 'cgroup2-vm', 'build-shim.sh')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build-shim.sh failed (status ${r.status}): ${r.stderr}`);
  return r.stdout.trim();
}

/**
 * Runs argv as root in a fresh pure-cgroup2 guest, in the project directory (shared writable with
 * the host) with this process's environment plus opts.env. Resolves with the exit status and the
 * command's output; never rejects for a failing command, only when run.sh cannot be started.
 */
export function runInCgroup2Guest(argv: string[], opts: GuestOptions = {}): Promise<GuestResult> {
  if (argv.length === 0) throw new Error('runInCgroup2Guest: empty argv');
  const timeoutSec = opts.timeoutSec ?? DEFAULT_TIMEOUT_SEC;
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env, CG2VM_TIMEOUT: String(timeoutSec) };
  if (opts.memory) env.CG2VM_MEM = opts.memory;
  if (opts.disk) env.CG2VM_DISK = opts.disk;
  // Set by `node --test` for the test file's process: a node:test file in the guest would take
  // it for its runner's child and write the runner's binary protocol instead of a report.
  delete env.NODE_TEST_CONTEXT;
  // pdeathsig: if this process dies (a killed test), run.sh gets SIGTERM and stops the guest.
  const child = spawn('/usr/bin/setpriv', ['--pdeathsig', 'TERM', '--', '/bin/bash', laneScript(opts.lane), '--', ...argv], {
    cwd: repoRoot(),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  return new Promise((resolve, reject) => {
    // A backstop only: run.sh enforces timeoutSec itself. SIGTERM lets it clean up.
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutSec * 1000 + HOST_GRACE_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    // The output is complete when run.sh has exited and its pipes are drained. A pipe still held
    // a while after the exit means a guest process outlived the run: do not wait for it (the
    // caller's own checks should see it), stop reading.
    child.on('exit', () => {
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, PIPE_DRAIN_MS).unref();
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        status: code ?? 128 + (signal ? os.constants.signals[signal] : 0),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

/**
 * Declares one host test that runs the compiled guest file dist/test/guest/<name>.guest.js in its
 * own guest with the spec reporter, and fails with the guest's whole output when that run fails.
 * Skips with the reason when the lane is unavailable.
 */
export function guestSuite(name: string, opts: GuestOptions = {}): void {
  const rel = path.join('dist', 'test', 'guest', `${name}.guest.js`);
  const timeoutSec = opts.timeoutSec ?? DEFAULT_TIMEOUT_SEC;
  const where = opts.lane === 'systemd' ? 'a pure cgroup2 guest under systemd' : 'a pure cgroup2 guest';
  test(`${name} (in ${where})`, { timeout: timeoutSec * 1000 + 2 * HOST_GRACE_MS }, async (t) => {
    const why = cgroup2LaneUnavailable(opts.lane);
    if (why) return t.skip(why);
    assert.ok(fs.existsSync(path.join(repoRoot(), rel)), `${rel} is not built (npx tsc -p tsconfig.json)`);
    const started = Date.now();
    // The file is run directly, not under `node --test`: that would start a second node (~0.7 s in
    // a guest) for the same result; a failing test still makes node exit non-zero.
    const r = await runInCgroup2Guest([process.execPath, '--test-reporter=spec', rel], { ...opts, timeoutSec });
    t.diagnostic(`guest run of ${rel}: ${((Date.now() - started) / 1000).toFixed(1)} s wall, boot included`);
    // Top-level results, and the lines a guest file prints as "guest-note: ..." (measurements).
    for (const line of r.stdout.split('\n')) if (/^[✔✖﹣]|^guest-note: /.test(line)) t.diagnostic(`guest: ${line}`);
    const output = `--- guest stdout\n${r.stdout}--- guest stderr\n${r.stderr}`;
    if (r.status !== 0) {
      assert.fail(`guest run of ${rel} exited with status ${r.status}` +
        `${r.status === 124 ? ` (timed out after ${timeoutSec} s)` : r.status === 125 ? ' (the guest failed)' : ''}\n${output}`);
    }
    // A guest file that did not see itself in a guest skips everything and exits 0: that must
    // not pass for a green lane.
    const passed = Number(/^ℹ pass (\d+)$/m.exec(r.stdout)?.[1] ?? 0);
    assert.ok(passed > 0 && !r.stdout.includes(GUEST_ONLY_SKIP), `guest run of ${rel} passed no test\n${output}`);
  });
}

/**
 * For guest files: declares their tests only inside a guest; anywhere else (the host's test runner
 * loads every dist/test/**.js file) one skipped test says where they run.
 */
export function guestOnly(name: string, declare: () => void, lane: Lane = 'cgroup2'): void {
  if (insideCgroup2Guest() && (lane !== 'systemd' || process.env.SDLANE_GUEST === '1')) return declare();
  test(`${name}: ${GUEST_ONLY_SKIP}`, (t) => {
    t.skip(lane === 'systemd' ? 'booted by its host file with the systemd lane (scripts/systemd-vm/run.sh)' : 'booted by test/integration/cgroups/cgroup2-lane.test.ts (scripts/cgroup2-vm/run.sh)');
  });
}

#!/usr/bin/env node
// SIGKILL of tsrunc at random moments: in a loop, one of create, start, exec, delete, pause, resume
// and update is run against a container in the state it needs and killed after a random delay
// (or, for create, right after a random step of its undo stack through the TSRUNC_TEST_CRASH_AT
// seam, src/container/undo.ts). Afterwards:
//   - what tsrunc left running does not hang: a create killed before state.json leaves no process
//     (the launcher kills the init when tsrunc goes away), and whatever is left is killable;
//   - `delete --force` succeeds and leaves no state directory, cgroup, mount or process.
//
//   node scripts/crash-loop.js [--runs 300] [--seed S] [--seconds T] [--verbose]
//
// Needs `npm run build` (the executable and dist/test/helpers). test/integration/safety/
// crash-loop.test.ts runs a few dozen rounds in CI with a fixed seed; by hand, no --seed draws one.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const fc = require('fast-check');
const common = require('./fuzz-common');

const { makeBundle, TEST_CGROUP_PARENT } = require(path.join(common.TOP, 'dist', 'test', 'helpers', 'rootfs.js'));

const MARKER = `crash${process.pid}`;
// The steps of create's undo stack a test can stop at (src/container/create.ts, crashPoint).
const CREATE_STEPS = ['the state directory', 'the cgroups', 'the launcher', 'state.json'];

// Each operation: the state the container must be in first, the command, and how long it usually
// takes on a quiet machine (the random kill falls within 1.5 times that).
const OPS = {
  create: { needs: 'none', args: (b, id) => ['create', '--bundle', b.dir, id], ms: 150 },
  start: { needs: 'created', args: (b, id) => ['start', id], ms: 50 },
  exec: { needs: 'running', args: (b, id) => ['exec', id, 'sleep', '30'], ms: 150 },
  'exec -d': { needs: 'running', args: (b, id) => ['exec', '-d', id, 'sleep', '30'], ms: 100 },
  delete: { needs: 'running', args: (b, id) => ['delete', '--force', id], ms: 50 },
  'delete stopped': { needs: 'stopped', args: (b, id) => ['delete', id], ms: 45 },
  pause: { needs: 'running', args: (b, id) => ['pause', id], ms: 50 },
  resume: { needs: 'paused', args: (b, id) => ['resume', id], ms: 50 },
  update: { needs: 'running', args: (b, id) => ['update', '--memory', '200m', '--pids-limit', '77', '--cpu-share', '512', id], ms: 45 },
};

const ROUND = fc.record({
  op: fc.constantFrom(...Object.keys(OPS)),
  // A fraction of the operation's usual time; now and then the seam instead (create only).
  at: fc.noBias(fc.integer({ min: 0, max: 1500 })).map((n) => n / 1000),
  step: fc.option(fc.constantFrom(...CREATE_STEPS), { freq: 3 }),
});

let round = 0;
let verbose = false;
let shared;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function tsrunc(args, o = {}) {
  return common.runTsrunc(['--root', shared.root, ...args], { cwd: shared.base, timeoutMs: 60_000, ...o });
}

async function must(args) {
  const r = await tsrunc(args);
  if (r.code !== 0) throw new Error(`setting up: ${common.describe(r)}`);
  return r;
}

async function status(id) {
  const r = await tsrunc(['state', id]);
  return r.code === 0 ? JSON.parse(r.stdout) : undefined;
}

/** Brings a new container `id` to the state the operation needs. */
async function prepare(id, needs) {
  if (needs === 'none') return;
  await must(['create', '--bundle', shared.bundle.dir, id]);
  if (needs === 'created') return;
  await must(['start', id]);
  if (needs === 'paused') await must(['pause', id]);
  if (needs === 'stopped') {
    await must(['kill', id, 'KILL']);
    for (let i = 0; i < 200 && (await status(id))?.status !== 'stopped'; i++) await sleep(50);
  }
}

async function check(input) {
  round += 1;
  const id = `${MARKER}-${round}`;
  const cgroup = `${TEST_CGROUP_PARENT}/${id}`;
  const op = OPS[input.op];
  const seam = input.op === 'create' && input.step !== null ? input.step : undefined;
  const problems = [];
  shared.bundle.spec.linux.cgroupsPath = cgroup;
  shared.bundle.writeSpec();
  let r;
  try {
    await prepare(id, op.needs);
    const delay = Math.round(input.at * op.ms);
    r = await tsrunc(op.args(shared.bundle, id), {
      env: seam ? { TSRUNC_TEST_CRASH_AT: seam } : {},
      onSpawn: (child) => { if (!seam) setTimeout(() => child.kill('SIGKILL'), delay); },
    });
    const how = seam ? `after "${seam}"` : `at ${delay} ms`;
    if (verbose) console.log(`${id}: ${input.op} killed ${how}: ${r.signal ?? `exit ${r.code}`} in ${r.ms} ms`);
    if (r.timedOut) problems.push(`${input.op} hung`);
    if (seam && r.signal !== 'SIGKILL') problems.push(`the seam "${seam}" did not stop create (${r.code})`);
    if (r.signal === null) problems.push(...common.outputProblems(r, { codes: [0, 1, 255] }).map((p) => `${input.op} (finished before the kill): ${p}`));

    // A create killed before it wrote state.json leaves no container to delete: what it started
    // must go by itself (the init must not outlive, or hang on, its dead parent).
    const st = await status(id);
    if (input.op === 'create' && !fs.existsSync(path.join(shared.root, id, 'state.json'))) {
      const procs = await common.settled(() => common.processesOf(id, shared.bundle.dir), 10_000);
      if (procs.length) problems.push(`processes outlived the killed create: ${procs.join('; ')}`);
    }
    const d = await tsrunc(['delete', '--force', id]);
    problems.push(...common.outputProblems(d, { codes: [0] }).map((p) => `delete --force after the kill: ${p}`));
    const left = await common.settled(() => common.containerLeftovers(shared.root, id, cgroup, shared.bundle.dir), 10_000);
    if (left.length) problems.push(...left.map((l) => `after delete --force: ${l} (state before: ${st?.status ?? 'none'})`));
    if (problems.length) throw new Error(`${problems.join('\n')}\nround ${id}: ${input.op} killed ${how}\n${common.describe(r)}\n${common.describe(d)}`);
  } finally {
    if (fs.existsSync(path.join(shared.root, id))) await tsrunc(['delete', '--force', id]);
    common.removeCgroupDirs(cgroup);
  }
}

async function main() {
  const args = common.parseArgs(process.argv.slice(2), { runs: 300 });
  verbose = args.verbose;
  // Shrinking would replay rounds of seconds each; the round that failed is reported as it was.
  args.endOnFailure = true;
  const base = fs.mkdtempSync(path.join(os.tmpdir(), `tsrunc-${MARKER}-`));
  const root = path.join(base, 'root');
  fs.mkdirSync(root, { mode: 0o700 });
  shared = { base, root, bundle: makeBundle({ parent: base, args: ['sleep', '60'] }) };
  try {
    return await common.assertProperty('crash-loop', 'scripts/crash-loop.js', fc, fc.asyncProperty(ROUND, check), args);
  } finally {
    for (const id of fs.existsSync(root) ? fs.readdirSync(root) : []) await tsrunc(['delete', '--force', id]);
    shared.bundle.cleanup();
    fs.rmSync(base, { recursive: true, force: true });
  }
}

main().then((code) => { process.exitCode = code; }, (e) => { console.error(e); process.exitCode = 2; });

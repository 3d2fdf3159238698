// The launcher contract (src/contract/launcher.contract.json) is written once: the generated
// TypeScript and C++ are current, docs/launch-plan.md names exactly its fields, the launcher
// refuses what the contract does not allow (naming the field), and a few seconds of fuzzing of the
// launcher's parser find nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { addon, launcherPath } from '../../../src/native/addon';
import { LaunchError, launch } from '../../../src/native/launcher';
import { Logger } from '../../../src/log';
import { PLAN_VERSION, type LaunchPlan } from '../../../src/plan/types';

const TOP = path.resolve(__dirname, '..', '..', '..', '..');
const contract = JSON.parse(fs.readFileSync(path.join(TOP, 'src', 'contract', 'launcher.contract.json'), 'utf8')) as {
  planVersion: number;
  plan: string;
  types: Record<string, { fields?: Record<string, { type: string }> }>;
  messages: Record<string, unknown>;
};

test('the generated TypeScript, C++ and message table are current with the contract', () => {
  const r = spawnSync(process.execPath, [path.join(TOP, 'scripts', 'build-contract.js'), '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(PLAN_VERSION, contract.planVersion);
});

test('a stale generated file is caught by the check', () => {
  // A copy of what the generator reads and writes, one generated file edited by hand.
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-contract-'));
  try {
    for (const rel of ['scripts/build-contract.js', 'src/contract/launcher.contract.json', 'src/contract/generated/contract.ts',
      'cpp/common/generated/contract.h', 'cpp/common/generated/contract.cc', 'docs/launch-plan.md']) {
      fs.mkdirSync(path.dirname(path.join(copy, rel)), { recursive: true });
      fs.copyFileSync(path.join(TOP, rel), path.join(copy, rel));
    }
    const check = () => spawnSync(process.execPath, [path.join(copy, 'scripts', 'build-contract.js'), '--check'], { encoding: 'utf8' });
    assert.equal(check().status, 0, check().stderr);
    const header = path.join(copy, 'cpp', 'common', 'generated', 'contract.h');
    fs.writeFileSync(header, fs.readFileSync(header, 'utf8').replace('constexpr int kPlanVersion', 'constexpr int kStaleVersion'));
    const r = check();
    assert.equal(r.status, 1);
    assert.match(r.stderr, /out of date .*cpp\/common\/generated\/contract\.h/);
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
});

test("docs/launch-plan.md's field table names exactly the plan's fields", () => {
  const doc = fs.readFileSync(path.join(TOP, 'docs', 'launch-plan.md'), 'utf8');
  const table = doc.slice(doc.indexOf('| field | meaning |'), doc.indexOf('## The conversation'));
  const named = new Set<string>();
  for (const line of table.split('\n')) {
    const first = /^\| ([^|]+) \|/.exec(line)?.[1] ?? '';
    for (const m of first.matchAll(/`([\w.]+)`/g)) named.add(m[1]);
  }
  const fieldsOf = (type: string) => contract.types[type]?.fields ?? {};
  const top = Object.keys(fieldsOf(contract.plan));
  assert.deepEqual([...named].filter((n) => !n.includes('.')).sort(), [...top].sort());
  // A dotted name is a path through the contract's types.
  for (const name of [...named].filter((n) => n.includes('.'))) {
    let type = contract.plan;
    for (const part of name.split('.')) {
      const field = fieldsOf(type)[part];
      assert.ok(field, `docs/launch-plan.md names ${name}, which the contract does not have`);
      type = field.type.replace(/\[\]$/, '');
    }
  }
  // Every message is in the generated table.
  for (const m of Object.keys(contract.messages)) assert.ok(doc.includes(`| \`${m}\` |`), `message ${m} is not in docs/launch-plan.md`);
});

function minimalPlan(): LaunchPlan {
  return {
    version: PLAN_VERSION, id: 'contract-test', debug: false, rootfs: '/nonexistent-contract-test', readonlyRoot: false, rootPropagation: 0,
    noPivot: false, noNewKeyring: true, namespaces: [], uidMappings: [], gidMappings: [], timeOffsets: [], mounts: [], setupDev: false,
    devices: [], maskedPaths: [], readonlyPaths: [], sysctl: [], execFifo: '/nonexistent-contract-test/exec.fifo', preserveFds: 0,
  };
}

function refusal(plan: unknown): string {
  const log = new Logger(undefined, 'text', false);
  try {
    const launched = launch(plan as LaunchPlan, log);
    launched.abort();
  } catch (e) {
    assert.ok(e instanceof LaunchError, String(e));
    return e.message;
  }
  assert.fail('the launcher accepted the plan');
}

test('the launcher refuses a plan outside the contract, naming the field, before it makes anything', () => {
  const bad = (patch: (p: Record<string, any>) => void) => {
    const p = minimalPlan() as unknown as Record<string, any>;
    patch(p);
    return refusal(p);
  };
  assert.equal(bad((p) => { p.version = PLAN_VERSION + 1; }), `launch plan version ${PLAN_VERSION + 1} is not supported by this launcher`);
  assert.equal(bad((p) => { p.extra = 1; }), 'launch plan: unknown field "extra"');
  assert.equal(bad((p) => { delete p.mounts; }), 'launch plan.mounts: is required');
  assert.equal(bad((p) => { p.process = { args: ['x'], env: [], cwd: '/', uid: -1, gid: 0, additionalGids: [], umask: -1, noNewPrivileges: false, rlimits: [] }; }),
    'launch plan.process.uid: expected a non-negative integer in range');
  assert.equal(bad((p) => { p.devices = [{ path: '/dev/x', type: 'q', major: 1, minor: 1, fileMode: 0o666, uid: 0, gid: 0 }]; }),
    'launch plan.devices[0].type: expected "c" or "b" or "u" or "p"');
  assert.equal(bad((p) => { p.kind = 'run'; }), 'launch plan.kind: expected "create" or "exec"');
  assert.equal(bad((p) => { p.process = { args: [], env: [], cwd: '/', uid: 0, gid: 0, additionalGids: [], umask: -1, noNewPrivileges: false, rlimits: [{ type: 7, soft: '1e3', hard: 'infinity' }] }; }),
    'launch plan.process.rlimits[0].soft: expected a decimal string or "infinity"');
  assert.equal(bad((p) => { p.process = { args: [], env: [], cwd: '/', uid: 0, gid: 0, additionalGids: [], umask: -1, noNewPrivileges: false, rlimits: [], capabilities: { bounding: [64], effective: [], inheritable: [], permitted: [], ambient: [] } }; }),
    'launch plan.process.capabilities.bounding[0]: expected a bit number from 0 to 63');
});

/** What the launcher answers to one raw line in place of a plan. */
function answerTo(line: string): Record<string, unknown> | undefined {
  const native = addon();
  const { pid, fd } = native.spawnLauncher(launcherPath(), [0, 1, 2]);
  try {
    fs.writeSync(fd, line + '\n');
    const chunk = Buffer.alloc(65536);
    let text = '';
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(fd, chunk, 0, chunk.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        throw e;
      }
      if (n === 0 || text.includes('\n')) break;
      text += chunk.toString('utf8', 0, n);
    }
    return text ? JSON.parse(text.split('\n')[0]) as Record<string, unknown> : undefined;
  } finally {
    fs.closeSync(fd);
    native.waitPid(pid);
  }
}

test("the launcher's JSON codec takes JSON's number grammar only, and finite numbers", () => {
  const plan = JSON.stringify(minimalPlan());
  for (const number of ['1e999', '-1e999', '+1', '0x1', 'NaN', 'nan', 'Infinity', 'inf', '01', '1.', '.5', '1e']) {
    const answer = answerTo(plan.replace('"rootPropagation":0', `"rootPropagation":${number}`));
    assert.equal(answer?.type, 'error', number);
    assert.match(String(answer?.message), /^launch plan: not valid JSON: .* at offset \d+$/, number);
  }
  // A JSON number that is no integer reaches the contract's check; integral ones in other
  // spellings pass it (and the launcher goes on to the exec.fifo, which is not there).
  assert.equal(answerTo(plan.replace('"rootPropagation":0', '"rootPropagation":0.5'))?.message, 'launch plan.rootPropagation: expected a non-negative integer in range');
  for (const number of ['-0', '1E2', '2e-0', '0.0']) {
    const answer = answerTo(plan.replace('"rootPropagation":0', `"rootPropagation":${number}`));
    assert.equal(answer?.step, 'open exec fifo', `${number}: ${JSON.stringify(answer)}`);
  }
});

/**
 * The launcher's first answer to `lines`, written in one go and followed by the end of our side
 * (a half-close: the answer still comes back), so a launcher that waits for more reports EOF.
 */
async function answerToAll(lines: string[]): Promise<Record<string, unknown>> {
  const native = addon();
  const { pid, fd } = native.spawnLauncher(launcherPath(), [0, 1, 2]);
  const sock = new net.Socket({ fd, readable: true, writable: true });
  let text = '';
  sock.on('data', (d) => { text += d.toString('utf8'); });
  await new Promise<void>((resolve) => { sock.on('end', resolve); sock.end(lines.map((l) => l + '\n').join('')); });
  sock.destroy();
  native.waitPid(pid);
  return JSON.parse(text.split('\n')[0]) as Record<string, unknown>;
}

/** A plan whose cgroups come after it (create's), with a real exec.fifo and a cgroup that is not there. */
function afterPlanPlan(dir: string): LaunchPlan {
  const fifo = path.join(dir, 'exec.fifo');
  addon().mkfifo(fifo, 0o622);
  return { ...minimalPlan(), execFifo: fifo, cgroup: { intoCgroup: path.join(dir, 'not-a-cgroup'), procsFiles: [], afterPlan: true } };
}

// create sends cgroups-ready as soon as it has made the cgroups, which may be before the launcher
// has read the plan: both then arrive in one read, and the launcher must not lose the second line
// when it moves its socket above the container's fds (it waited for it forever once).
test('plan.cgroup.afterPlan: cgroups-ready in the same read as the plan is seen, and the launcher goes on', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'contract-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const plan = afterPlanPlan(dir);
  const answer = await answerToAll([JSON.stringify(plan), JSON.stringify({ type: 'cgroups-ready' })]);
  // The step after the wait: opening the cgroup for clone3, which is not there.
  assert.equal(answer.step, 'open the container\'s cgroup', JSON.stringify(answer));
  assert.equal(answer.path, plan.cgroup?.intoCgroup);
});

test('plan.cgroup.afterPlan: launch() refuses it without the cgroups to make', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'contract-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  assert.throws(() => launch(afterPlanPlan(dir), new Logger(undefined, 'text', false)), /cgroup\.afterPlan, and no cgroups to make/);
});

test('plan.cgroup.afterPlan without cgroups-ready: the launcher goes no further than the wait', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'contract-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const answer = await answerToAll([JSON.stringify(afterPlanPlan(dir))]);
  assert.equal(answer.type, 'error', JSON.stringify(answer));
  assert.equal(answer.step, 'wait for the cgroups', JSON.stringify(answer));
});

// The codec recurses once per level (parser, destructor, writer): a bound keeps a hostile or broken
// line from exhausting the launcher's stack. A plan is a few levels deep.
test("the launcher's JSON codec takes 256 levels of nesting and refuses 257, by name", () => {
  const plan = JSON.stringify(minimalPlan());
  // The plan's own object is the first level, the extra field's arrays the rest.
  const withNesting = (levels: number) => answerTo(plan.replace(/^\{/, `{"extra":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)},`));
  assert.equal(withNesting(256)?.message, 'launch plan: unknown field "extra"');
  assert.match(String(withNesting(257)?.message), /^launch plan: not valid JSON: exceeded max depth \(arrays and objects nested deeper than 256 levels\) at offset 2\d\d$/);
  assert.match(String(withNesting(200_000)?.message), /^launch plan: not valid JSON: exceeded max depth/);
});

test('a few seconds of fuzzing the launcher\'s JSON codec, contract parsers and plan reader find nothing', (t) => {
  const clang = spawnSync('clang++', ['--version']);
  if (clang.status !== 0) {
    t.skip('clang++ is not installed (scripts/setup.sh installs it): the fuzz target cannot be built');
    return;
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-fuzz-'));
  try {
    const binary = path.join(work, 'fuzz_contract');
    execFileSync('clang++', ['-std=c++17', '-O1', '-fsanitize=fuzzer,address,undefined', '-fno-sanitize-recover=all',
      path.join(TOP, 'fuzz', 'contract', 'fuzz_contract.cc'), path.join(TOP, 'cpp', 'common', 'generated', 'contract.cc'),
      path.join(TOP, 'cpp', 'common', 'json.cc'), path.join(TOP, 'cpp', 'launcher', 'channel.cc'), path.join(TOP, 'cpp', 'launcher', 'plan.cc'),
      path.join(TOP, 'cpp', 'common', 'fdpass.cc'), '-o', binary], { stdio: 'pipe' });
    const corpus = path.join(work, 'corpus');
    fs.mkdirSync(corpus);
    const r = spawnSync(binary, ['-max_total_time=5', `-artifact_prefix=${work}/`, corpus, path.join(TOP, 'fuzz', 'contract', 'corpus')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr.slice(-3000));
    assert.match(r.stderr, /Done \d+ runs/);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

/** The sealed launcher copies (memfds) this process holds. */
function launcherCopiesHeld(): string[] {
  return fs.readdirSync('/proc/self/fd')
    .map((fd) => { try { return fs.readlinkSync(`/proc/self/fd/${fd}`); } catch { return ''; } })
    .filter((target) => target.startsWith('/memfd:tsrunc-launcher'));
}

// create, run and exec have the sealed copy made ahead, on a thread (prepareLauncher): the launch
// must run that copy and keep none; a copy prepared for another path is dropped, not run.
test('prepareLauncher: the spawn runs the copy made ahead and keeps none; one made for another path is dropped', async (t) => {
  const native = addon();
  const spawnAndAnswer = (): Record<string, unknown> | undefined => answerTo('not json');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'contract-'));
  const other = path.join(dir, 'tsrunc-launcher');
  fs.copyFileSync(launcherPath(), other);
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const prepared of [launcherPath(), '/nonexistent/tsrunc-launcher', other]) {
    native.prepareLauncher(prepared);
    await new Promise((r) => setTimeout(r, 50)); // the thread has made (or failed to make) its copy
    if (prepared !== '/nonexistent/tsrunc-launcher') assert.equal(launcherCopiesHeld().length, 1, 'the copy made ahead is held until the spawn');
    const answer = spawnAndAnswer();
    assert.equal(answer?.type, 'error', `the launcher ran and answered (prepared for ${prepared})`);
    assert.deepEqual(launcherCopiesHeld(), [], `no copy left behind (prepared for ${prepared})`);
  }
});

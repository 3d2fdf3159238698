// What container engines rely on from the command line: the log format, file descriptors
// handed to the container (--preserve-fds, LISTEN_FDS, stdio), the state JSON, safety against
// PID reuse, the waiting init's hardening, version/help/usage errors, and half-created state
// directories. Cases that are runc's contract run against runc first (so the expectation is
// proven to be runc's) and then against the runtime under test; cases about tsrunc's own
// state format or launcher run against tsrunc only.

import { test, describe } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeBundle } from '../../helpers/rootfs';
import type { Bundle } from '../../helpers/rootfs';
import {
  Runtime, describeResult, withoutRuntimeLog, processAlive, procStartTime,
  repoRoot, sleep, waitForExit, tsruncIsRunc,
} from '../../helpers/runtime';
import { expectOk, forEachRuntime, runtimesForSuite, spawnRuntime, TEST_TIMEOUT, withContainer } from '../../helpers/suite';

const T = TEST_TIMEOUT;
const { sut, ref } = runtimesForSuite();

/** Declares the case once per runtime, runc first, so runc vouches for the expectations. */
function both(name: string, fn: (t: TestContext, rt: Runtime) => Promise<void>): void {
  forEachRuntime({ sut, ref }, name, fn);
}

/** A case about tsrunc's own formats or launcher; meaningless when TSRUNC_BIN points at runc. */
function tsruncOnly(name: string, fn: (t: TestContext, rt: Runtime) => Promise<void>): void {
  test(`${name} [tsrunc]`, T, (t) => {
    if (tsruncIsRunc()) return t.skip('TSRUNC_BIN is runc: this case checks tsrunc-specific behaviour');
    return fn(t, sut);
  });
}



/** create (with extra fds/env) → start → wait until stopped; returns the container's stdout. */
async function createStartWithFds(rt: Runtime, b: Bundle, id: string, o: {
  createArgs?: string[]; extraFds?: number[]; env?: Record<string, string>; listenPid?: boolean;
}): Promise<string> {
  const out = rt.ioPath(`${id}.out`);
  const err = rt.ioPath(`${id}.err`);
  const c = await spawnRuntime(rt, ['create', ...(o.createArgs ?? []), '--bundle', b.dir, id], {
    stdout: out, stderr: err, extraFds: o.extraFds, env: o.env, listenPid: o.listenPid,
  });
  assert.equal(c.code, 0, `create should succeed: exit ${c.code ?? c.signal}\n${c.stderr}`);
  expectOk(await rt.exec(['start', id]), 'start');
  await rt.waitForStatus(id, 'stopped');
  return fs.readFileSync(out, 'utf8');
}

/** Opens n empty scratch files; the caller closes the fds. */
function scratchFiles(rt: Runtime, n: number): { fds: number[]; paths: string[] } {
  const paths = Array.from({ length: n }, (_, i) => rt.ioPath(`fd${i + 3}`));
  return { paths, fds: paths.map((p) => fs.openSync(p, 'w+')) };
}

/** `ls /proc/self/fd` of an exec'd ls: its own directory fd is the lowest free one. */
const fdList = (stdout: string): string[] =>
  stdout.split('\n').filter((l) => /^\d+$/.test(l)).sort((a, b) => Number(a) - Number(b));

interface LogLine { level?: unknown; msg?: unknown; time?: unknown }

function parseJsonLog(file: string): LogLine[] {
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  return text.split('\n').filter((l) => l !== '').map((l) => {
    try {
      return JSON.parse(l) as LogLine;
    } catch {
      assert.fail(`log line is not JSON: ${JSON.stringify(l)}\nwhole log:\n${text}`);
    }
  });
}

function checkLogLine(l: LogLine, text: string): void {
  assert.equal(typeof l.level, 'string', `level: ${text}`);
  assert.equal(typeof l.msg, 'string', `msg: ${text}`);
  assert.equal(typeof l.time, 'string', `time: ${text}`);
  assert.ok(!Number.isNaN(Date.parse(l.time as string)), `time is not a timestamp: ${text}`);
}

describe(`CLI contract (${sut.label}${ref ? ', runc cases also against runc' : ''})`, () => {
  describe('logging', () => {
    both('--log FILE --log-format json: every line is JSON; the last error names the missing executable', async (_t, rt) => {
      await withContainer(rt, `cli-${rt.kind}`, { args: ['no-such-program-xyz'] }, async (b, id) => {
        const log = rt.ioPath('log.json');
        const r = await rt.exec(['create', '--bundle', b.dir, id], { globalArgs: ['--log', log, '--log-format', 'json'] });
        assert.notEqual(r.code, 0, describeResult(r));
        const lines = parseJsonLog(log);
        assert.ok(lines.length > 0, 'the log file should have the error');
        for (const l of lines) checkLogLine(l, JSON.stringify(l));
        const errors = lines.filter((l) => l.level === 'error');
        assert.ok(errors.length > 0, `no error line in ${JSON.stringify(lines)}`);
        assert.match(String(errors[errors.length - 1].msg), /executable file not found in \$PATH/, JSON.stringify(lines));
      });
    });

    both('--log FILE --log-format json --debug on a successful create: every line is JSON', async (_t, rt) => {
      await withContainer(rt, `cli-${rt.kind}`, { args: ['true'] }, async (b, id) => {
        const log = rt.ioPath('debug.json');
        expectOk(await rt.exec(['create', '--bundle', b.dir, id], { globalArgs: ['--log', log, '--log-format', 'json', '--debug'] }), 'create');
        expectOk(await rt.exec(['delete', '--force', id], { globalArgs: ['--log', log, '--log-format', 'json', '--debug'] }), 'delete');
        const lines = parseJsonLog(log);
        assert.ok(lines.length > 0, '--debug should log something');
        for (const l of lines) checkLogLine(l, JSON.stringify(l));
        assert.ok(!lines.some((l) => l.level === 'error'), `no error expected: ${JSON.stringify(lines)}`);
      });
    });

    both('text log format on stderr: time="..." level=... msg="..."', async (_t, rt) => {
      await withContainer(rt, `cli-${rt.kind}`, { args: ['no-such-program-xyz'] }, async (b, id) => {
        const r = await rt.exec(['create', '--bundle', b.dir, id]);
        assert.notEqual(r.code, 0, describeResult(r));
        const lines = r.stderr.split('\n').filter((l) => l !== '');
        assert.ok(lines.length > 0, describeResult(r));
        for (const l of lines) assert.match(l, /^time="[^"]+" level=[a-z]+ msg=".*"$/, `stderr line: ${l}`);
        const last = lines.filter((l) => / level=error /.test(l)).pop() ?? '';
        assert.match(last, /executable file not found in \$PATH/, describeResult(r));
      });
    });
  });

  describe('file descriptors and stdio', () => {
    both('--preserve-fds 2: fds 3 and 4 reach the container, nothing above them', async (_t, rt) => {
      await withContainer(rt, `cli-${rt.kind}`, { args: ['sh', '-c', 'echo to-fd3 >&3; echo to-fd4 >&4; exec ls /proc/self/fd'] }, async (b, id) => {
        const { fds, paths } = scratchFiles(rt, 2);
        try {
          const out = await createStartWithFds(rt, b, id, { createArgs: ['--preserve-fds', '2'], extraFds: fds });
          // 0-4 are the container's; 5 is the directory ls itself opened to list them.
          assert.deepEqual(fdList(out), ['0', '1', '2', '3', '4', '5'], `fds in the container:\n${out}`);
          assert.equal(fs.readFileSync(paths[0], 'utf8'), 'to-fd3\n');
          assert.equal(fs.readFileSync(paths[1], 'utf8'), 'to-fd4\n');
        } finally {
          for (const fd of fds) fs.closeSync(fd);
        }
      });
    });

    both('without --preserve-fds an fd 3 inherited by the runtime does not reach the container', async (_t, rt) => {
      await withContainer(rt, `cli-${rt.kind}`, { args: ['sh', '-c', 'echo leaked >&3; exec ls /proc/self/fd'] }, async (b, id) => {
        const { fds, paths } = scratchFiles(rt, 1);
        try {
          const out = await createStartWithFds(rt, b, id, { extraFds: fds });
          // 3 is the directory ls opened, not an inherited fd.
          assert.deepEqual(fdList(out), ['0', '1', '2', '3'], `fds in the container:\n${out}`);
          assert.equal(fs.readFileSync(paths[0], 'utf8'), '', 'the container must not be able to write to fd 3');
        } finally {
          for (const fd of fds) fs.closeSync(fd);
        }
      });
    });

    both('LISTEN_FDS=1: fd 3 is passed and the container gets LISTEN_FDS=1, LISTEN_PID=1', async (_t, rt) => {
      await withContainer(rt, `cli-${rt.kind}`, {
        args: ['sh', '-c', 'env | grep "^LISTEN_" | sort; echo via-listen-fd >&3; exec ls /proc/self/fd'],
      }, async (b, id) => {
        const { fds, paths } = scratchFiles(rt, 1);
        try {
          const out = await createStartWithFds(rt, b, id, { extraFds: fds, env: { LISTEN_FDS: '1' }, listenPid: true });
          const env = out.split('\n').filter((l) => l.startsWith('LISTEN_'));
          assert.deepEqual(env, ['LISTEN_FDS=1', 'LISTEN_PID=1'], out);
          assert.deepEqual(fdList(out), ['0', '1', '2', '3', '4'], `fds in the container:\n${out}`);
          assert.equal(fs.readFileSync(paths[0], 'utf8'), 'via-listen-fd\n');
        } finally {
          for (const fd of fds) fs.closeSync(fd);
        }
      });
    });

    both("create's stdin, stdout and stderr are the container's", async (_t, rt) => {
      await withContainer(rt, `cli-${rt.kind}`, { args: ['sh', '-c', 'cat; echo to-stderr >&2'] }, async (b, id) => {
        const out = rt.ioPath('stdio.out');
        const err = rt.ioPath('stdio.err');
        expectOk(await rt.exec(['create', '--bundle', b.dir, id], { stdin: 'through the pipe\n', stdoutPath: out, stderrPath: err }), 'create');
        const { pid } = await rt.state(id);
        // The waiting init already holds the very files create was given.
        assert.equal(fs.readlinkSync(`/proc/${pid}/fd/1`), out);
        assert.equal(fs.readlinkSync(`/proc/${pid}/fd/2`), err);
        assert.match(fs.readlinkSync(`/proc/${pid}/fd/0`), /^(pipe|socket):\[\d+\]$/);
        expectOk(await rt.exec(['start', id]), 'start');
        await rt.waitForStatus(id, 'stopped');
        assert.equal(fs.readFileSync(out, 'utf8'), 'through the pipe\n');
        assert.equal(withoutRuntimeLog(fs.readFileSync(err, 'utf8')), 'to-stderr\n');
      });
    });
  });

  describe('state', () => {
    both('state JSON has exactly runc\'s fields; created → running → stopped; pid 0 when stopped; list shows it', async (_t, rt) => {
      const annotations = { 'org.tsrunc.test': 'cli-contract' };
      await withContainer(rt, `cli-${rt.kind}`, { args: ['sleep', '30'], annotations }, async (b, id) => {
        expectOk(await rt.exec(['create', '--bundle', b.dir, id]), 'create');
        const fields = ['annotations', 'bundle', 'created', 'id', 'ociVersion', 'owner', 'pid', 'rootfs', 'status'];
        const created = await rt.state(id);
        assert.deepEqual(Object.keys(created).sort(), fields, JSON.stringify(created));
        assert.equal(created.id, id);
        assert.equal(created.status, 'created');
        assert.ok(created.pid > 0 && processAlive(created.pid), JSON.stringify(created));
        assert.equal(created.bundle, b.dir);
        assert.equal(created.rootfs, b.rootfs);
        assert.equal(typeof created.created, 'string');
        assert.ok(!Number.isNaN(Date.parse(created.created as string)), `created: ${String(created.created)}`);
        assert.deepEqual(created.annotations, annotations);
        assert.equal(typeof created.ociVersion, 'string');

        expectOk(await rt.exec(['start', id]), 'start');
        const running = await rt.state(id);
        assert.equal(running.status, 'running');
        assert.equal(running.pid, created.pid);
        assert.equal(running.created, created.created);

        const list = await rt.exec(['list', '--format', 'json']);
        expectOk(list, 'list');
        const entries = (JSON.parse(list.stdout) ?? []) as { id: string; status: string; pid: number; bundle: string }[];
        const mine = entries.find((e) => e.id === id);
        assert.ok(mine, `list should include ${id}: ${list.stdout}`);
        assert.equal(mine.status, 'running');
        assert.equal(mine.pid, created.pid);
        assert.equal(mine.bundle, b.dir);

        expectOk(await rt.exec(['kill', id, 'KILL']), 'kill');
        const stopped = await rt.waitForStatus(id, 'stopped');
        assert.equal(stopped.pid, 0, `a stopped container reports pid 0: ${JSON.stringify(stopped)}`);
        assert.deepEqual(Object.keys(stopped).sort(), fields, JSON.stringify(stopped));
        // Last, so the rest of the contract is checked even if this differs: runc's `state`
        // leaves owner empty (only `list` fills in the user name).
        assert.equal(created.owner, '', `state's owner field: ${JSON.stringify(created)}`);
      });
    });

    tsruncOnly('PID reuse: a live unrelated process with the recorded pid is not the container', async (_t, rt) => {
      await withContainer(rt, `cli-${rt.kind}`, { args: ['sleep', '30'] }, async (b, id) => {
        expectOk(await rt.exec(['create', '--bundle', b.dir, id]), 'create');
        const real = await rt.state(id);
        const bystander = spawn('sleep', ['60'], { stdio: 'ignore' });
        const fakeId = `${id}-reused`;
        try {
          const pid = bystander.pid ?? 0;
          assert.ok(pid > 0 && processAlive(pid));
          const stateFile = path.join(rt.root, id, 'state.json');
          const st = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as {
            id: string; pid: number; tsrunc: { initStartTime: string; cgroup?: unknown };
          };
          assert.notEqual(st.tsrunc.initStartTime, procStartTime(pid), 'precondition: the start times differ');
          // The container's record, as if its init had died and the number had gone to `sleep`.
          st.id = fakeId;
          st.pid = pid;
          // The copy must not claim the real container's cgroup, which its delete would remove.
          delete st.tsrunc.cgroup;
          fs.mkdirSync(path.join(rt.root, fakeId), { mode: 0o711 });
          fs.writeFileSync(path.join(rt.root, fakeId, 'state.json'), JSON.stringify(st));

          const s = await rt.state(fakeId);
          assert.equal(s.status, 'stopped', JSON.stringify(s));
          assert.equal(s.pid, 0, JSON.stringify(s));
          const k = await rt.exec(['kill', fakeId, 'KILL']);
          assert.notEqual(k.code, 0, describeResult(k));
          assert.match(k.stderr, /container not running/, describeResult(k));
          // A grace period so that a wrongly sent SIGKILL has turned the process into a zombie.
          await sleep(100);
          assert.ok(processAlive(pid), 'kill must not signal the unrelated process');
          expectOk(await rt.exec(['delete', '--force', fakeId]), 'delete --force');
          await sleep(100);
          assert.ok(processAlive(pid), 'delete --force must not signal the unrelated process');
          assert.ok(!fs.existsSync(path.join(rt.root, fakeId)), 'the stale state dir should be gone');

          const still = await rt.state(id);
          assert.equal(still.status, 'created', 'the real container is unaffected');
          assert.equal(still.pid, real.pid);
        } finally {
          bystander.kill('SIGKILL');
          await rt.deleteForce(fakeId);
        }
      });
    });

    both('a state dir without state.json: state says it does not exist, list skips it, delete --force removes it', async (_t, rt) => {
      await withContainer(rt, `cli-${rt.kind}`, { args: ['sleep', '30'] }, async (b, id) => {
        expectOk(await rt.exec(['create', '--bundle', b.dir, id]), 'create');
        const halfId = `${id}-half`;
        const halfDir = path.join(rt.root, halfId);
        fs.mkdirSync(halfDir, { mode: 0o711 });
        try {
          const s = await rt.exec(['state', halfId]);
          assert.notEqual(s.code, 0, describeResult(s));
          assert.match(s.stderr, /container does not exist/, describeResult(s));

          const l = await rt.exec(['list', '--format', 'json']);
          expectOk(l, 'list');
          const ids = ((JSON.parse(l.stdout) ?? []) as { id: string }[]).map((e) => e.id);
          assert.ok(ids.includes(id), `the real container is listed: ${l.stdout}`);
          assert.ok(!ids.includes(halfId), `the half-created one is not: ${l.stdout}`);

          expectOk(await rt.exec(['delete', '--force', halfId]), 'delete --force');
          assert.ok(!fs.existsSync(halfDir), 'delete --force should remove the directory');
          assert.equal((await rt.state(id)).status, 'created', 'the real container is unaffected');
        } finally {
          fs.rmSync(halfDir, { recursive: true, force: true });
        }
      });
    });
  });

  describe('kill', () => {
    both('kill of a stopped container: plain kill says "container not running", kill --all exits 0', async (_t, rt) => {
      await withContainer(rt, `cli-${rt.kind}`, { args: ['true'] }, async (b, id) => {
        await createStartWithFds(rt, b, id, {});
        const plain = await rt.exec(['kill', id, '9']);
        assert.equal(plain.code, 1, describeResult(plain));
        assert.match(plain.stderr, /container not running/, describeResult(plain));
        // containerd's task delete sends this after the task exited and treats a failure as one.
        for (const args of [['kill', '--all', id, '9'], ['kill', '-a', id, 'KILL'], ['kill', '--all', id]]) {
          expectOk(await rt.exec(args), args.join(' '));
        }
        const bad = await rt.exec(['kill', '--all', id, 'NOSUCHSIGNAL']);
        assert.equal(bad.code, 1, describeResult(bad));
        assert.match(bad.stderr, /unknown signal \\?"NOSUCHSIGNAL\\?"/, describeResult(bad));
        assert.equal((await rt.state(id)).status, 'stopped');
      });
    });

    both('kill --all of a created container stops it (through its cgroup), as plain kill does', async (_t, rt) => {
      for (const args of [['--all'], []]) {
        await withContainer(rt, `cli-${rt.kind}`, { args: ['sleep', '100'] }, async (b, id) => {
          expectOk(await rt.exec(['create', '--bundle', b.dir, id]), 'create');
          const { pid } = await rt.state(id);
          expectOk(await rt.exec(['kill', ...args, id, '9']), `kill ${args.join(' ')}`);
          assert.ok(await waitForExit(pid), `init ${pid} survived kill ${args.join(' ')} 9`);
          await rt.waitForStatus(id, 'stopped');
        });
      }
    });

    both('kill --all of a stopped container without a pid namespace kills what its init left in the cgroup', async (_t, rt) => {
      // Without a pid namespace the init's exit takes nothing with it: the sleep stays in the cgroup.
      const namespaces = [{ type: 'mount' }, { type: 'ipc' }, { type: 'uts' }, { type: 'network' }];
      await withContainer(rt, `cli-${rt.kind}`, { args: ['sh', '-c', 'sleep 1000 & echo $!'], namespaces }, async (b, id) => {
        const left = Number((await createStartWithFds(rt, b, id, {})).trim());
        assert.ok(left > 0 && processAlive(left), `precondition: the init's child ${left} outlives it`);
        const procs = fs.readFileSync(`/sys/fs/cgroup/pids${String(b.spec.linux.cgroupsPath)}/cgroup.procs`, 'utf8');
        assert.deepEqual(procs.split('\n').filter(Boolean).map(Number), [left], 'precondition: it is all that is left in the cgroup');
        const plain = await rt.exec(['kill', id, '9']);
        assert.equal(plain.code, 1, describeResult(plain));
        assert.ok(processAlive(left), 'plain kill of a stopped container signals nothing');
        expectOk(await rt.exec(['kill', '--all', id, '9']), 'kill --all');
        assert.ok(await waitForExit(left), `${left}, left in the cgroup, survived kill --all`);
      });
    });
  });

  describe('the waiting init', () => {
    tsruncOnly('holds no fd of the caller\'s and no handle on the host\'s /proc', async (_t, rt) => {
      await withContainer(rt, `cli-${rt.kind}`, { args: ['true'] }, async (b, id) => {
        // fd 3 handed to the runtime without --preserve-fds (as containerd's shim does with its socket).
        const { fds, paths } = scratchFiles(rt, 1);
        try {
          const out = rt.ioPath(`${id}.out`);
          const c = await spawnRuntime(rt, ['create', '--bundle', b.dir, id], { stdout: out, stderr: `${out}.err`, extraFds: fds });
          assert.equal(c.code, 0, c.stderr);
          const { pid } = await rt.state(id);
          const hostProc = fs.statSync('/proc');
          const held = fs.readdirSync(`/proc/${pid}/fd`).map((n) => ({ n, target: fs.readlinkSync(`/proc/${pid}/fd/${n}`), st: fs.statSync(`/proc/${pid}/fd/${n}`) }));
          const show = held.map((f) => `${f.n} -> ${f.target}`).join(', ');
          assert.ok(!held.some((f) => f.target === paths[0]), `the caller's fd 3 reached the init: ${show}`);
          for (const f of held.filter((x) => x.st.isDirectory())) {
            assert.notEqual(f.st.dev, hostProc.dev, `fd ${f.n} is on the host's procfs: ${show}`);
          }
          // stdio, exec.fifo and the private procfs of its own pid namespace; nothing else.
          assert.ok(held.length <= 5, `unexpected fds in the waiting init: ${show}`);
        } finally {
          for (const fd of fds) fs.closeSync(fd);
        }
      });
    });

    tsruncOnly('is not dumpable and does not run the launcher file from disk', async (_t, rt) => {
      // A dumpable uid-1000 process owns its /proc/PID/status; the kernel gives a non-dumpable
      // one's to root (directories are exempt). A plain uid-1000 process shows the first case.
      const control = spawn('sleep', ['60'], { stdio: 'ignore', uid: 1000, gid: 1000 });
      try {
        await withContainer(rt, `cli-${rt.kind}`, { args: ['true'], user: { uid: 1000, gid: 1000 } }, async (b, id) => {
          const cpid = control.pid ?? 0;
          assert.equal(fs.statSync(`/proc/${cpid}/status`).uid, 1000, 'control: a dumpable uid-1000 process owns its /proc files');

          expectOk(await rt.exec(['create', '--bundle', b.dir, id]), 'create');
          const { pid } = await rt.state(id);
          const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
          assert.match(status, /^Uid:\s+1000\s+1000\s+1000\s+1000$/m, `precondition: the waiting init already runs as 1000\n${status}`);
          assert.equal(fs.statSync(`/proc/${pid}/status`).uid, 0, 'the waiting init must not be dumpable');

          assert.equal(fs.readlinkSync(`/proc/${pid}/exe`), '/memfd:tsrunc-launcher (deleted)');
          const launcher = path.join(repoRoot(), 'build', 'Release', 'tsrunc-launcher');
          if (fs.existsSync(launcher)) {
            const exe = fs.statSync(`/proc/${pid}/exe`);
            const disk = fs.statSync(launcher);
            assert.ok(exe.dev !== disk.dev || exe.ino !== disk.ino, 'the init must not execute the launcher file itself');
          }
        });
      } finally {
        control.kill('SIGKILL');
        if (control.pid) await waitForExit(control.pid);
      }
    });
  });

  describe('command line', () => {
    tsruncOnly('--version: "tsrunc version X" then "spec: 1.3.0"', async () => {
      const r = spawnSync(sut.argv[0], [...sut.argv.slice(1), '--version'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const lines = r.stdout.split('\n');
      assert.match(lines[0], /^tsrunc version \S+$/, r.stdout);
      assert.equal(lines[1], 'spec: 1.3.0', r.stdout);
    });

    both('--version after global options (as engines pass --root first)', async (_t, rt) => {
      const r = await rt.exec(['--log-format', 'json', '--version']);
      expectOk(r, '--root ROOT --log-format json --version');
      assert.match(r.stdout.split('\n')[0], /^\S+ version \S+$/, r.stdout);
    });

    both('--help lists the commands', async (_t, rt) => {
      const r = await rt.exec(['--help']);
      expectOk(r, '--help');
      for (const c of ['create', 'start', 'state', 'kill', 'delete', 'run', 'list', 'spec']) {
        // runc indents the bare name, tsrunc prefixes it with "tsrunc ".
        assert.match(r.stdout, new RegExp(`^\\s+(\\S+ )?${c}\\s`, 'm'), `--help should list ${c}\n${r.stdout}`);
      }
    });

    for (const cmd of ['start', 'state', 'delete', 'kill', 'create']) {
      both(`${cmd} without an ID fails and creates nothing`, async (_t, rt) => {
        const b = makeBundle({ args: ['true'] });
        const before = rt.listedIds();
        try {
          // From inside a bundle, so a runtime that invented an id would have something to create.
          const r = await rt.exec([cmd], { cwd: b.dir });
          assert.notEqual(r.code, 0, describeResult(r));
          assert.notEqual(r.stderr.trim(), '', `an error message is expected\n${describeResult(r)}`);
          assert.deepEqual(rt.listedIds(), before, 'no state dir may appear');
        } finally {
          for (const id of rt.listedIds().filter((i) => !before.includes(i))) await rt.deleteForce(id);
          b.cleanup();
        }
      });
    }
  });
});

// The container lifecycle as a container engine drives it, against the runtime under test
// (tsrunc by default; TSRUNC_BIN=runc runs the same checks against runc to validate them).

import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeBundle } from '../../helpers/rootfs';
import type { Bundle } from '../../helpers/rootfs';
import {
  Runtime, uniqueId, describeResult, processAlive, parentPid, cmdline, waitForExit,
  relatedProcesses, sleep, withoutRuntimeLog,
} from '../../helpers/runtime';
import { expectOk, waitForFileContent, withContainer } from '../../helpers/suite';

const T = { timeout: 60_000 };
const rt = new Runtime('tsrunc');

after(async () => {
  await rt.cleanupAll();
});




/** `run --detach` with the container's stdout/stderr going to files. */
async function runDetached(b: Bundle, id: string, runtime: Runtime = rt): Promise<{ out: string; err: string; pid: number }> {
  const out = runtime.ioPath(`${id}.out`);
  const err = runtime.ioPath(`${id}.err`);
  const r = await runtime.exec(['run', '--detach', '--bundle', b.dir, id], { stdoutPath: out, stderrPath: err });
  expectOk(r, 'run --detach');
  const st = await runtime.state(id);
  assert.equal(st.status, 'running', `state after run --detach: ${JSON.stringify(st)}`);
  return { out, err, pid: st.pid };
}

async function expectGone(id: string, runtime: Runtime = rt): Promise<void> {
  const r = await runtime.exec(['state', id]);
  assert.notEqual(r.code, 0, `state of a deleted container should fail\n${describeResult(r)}`);
  assert.match(r.stderr, /does not exist/, describeResult(r));
  assert.ok(!fs.existsSync(path.join(runtime.root, id)), `state dir ${path.join(runtime.root, id)} left behind`);
}

describe(`lifecycle (${rt.label})`, () => {
  test('create → state created → start → running → output → kill → stopped → delete', T, async () => {
    await withContainer(rt, 'lc', {
      args: ['sh', '-c', 'echo "hello from $(hostname)"; exec sleep 100'],
      hostname: 'lifecycle',
      annotations: { 'org.tsrunc.test': 'lifecycle' },
    }, async (b, id) => {
      const out = rt.ioPath('out');
      const err = rt.ioPath('err');
      const pidFile = path.join(b.dir, 'init.pid');
      const c = await rt.exec(['create', '--bundle', b.dir, '--pid-file', pidFile, id], { stdoutPath: out, stderrPath: err });
      expectOk(c, 'create');

      const st = await rt.state(id);
      assert.equal(st.status, 'created', JSON.stringify(st));
      assert.equal(st.id, id);
      assert.equal(typeof st.ociVersion, 'string');
      assert.ok(st.ociVersion.length > 0, 'ociVersion is empty');
      assert.equal(st.bundle, b.dir);
      assert.deepEqual(st.annotations, { 'org.tsrunc.test': 'lifecycle' });
      assert.ok(Number.isInteger(st.pid) && st.pid > 0, `pid ${st.pid}`);
      const pidText = fs.readFileSync(pidFile, 'utf8');
      assert.match(pidText, /^[1-9][0-9]*$/, `pid file must hold a bare decimal pid, got ${JSON.stringify(pidText)}`);
      assert.equal(Number(pidText), st.pid, 'pid file and state disagree');
      assert.ok(processAlive(st.pid), `init ${st.pid} is not alive after create`);
      assert.doesNotMatch(fs.readFileSync(out, 'utf8'), /hello/, 'the user process ran before start');

      expectOk(await rt.exec(['start', id]), 'start');
      const text = await waitForFileContent(out, /hello from lifecycle\n/);
      assert.equal(text, 'hello from lifecycle\n');
      const running = await rt.state(id);
      assert.equal(running.status, 'running', JSON.stringify(running));
      assert.equal(running.pid, st.pid, 'the init pid changed across start');

      expectOk(await rt.exec(['kill', id, 'KILL']), 'kill');
      const stopped = await rt.waitForStatus(id, 'stopped');
      assert.equal(stopped.id, id);
      assert.ok(await waitForExit(st.pid), `init ${st.pid} still alive after KILL`);
      assert.equal(withoutRuntimeLog(fs.readFileSync(err, 'utf8')), '', 'unexpected stderr from runtime or container');

      expectOk(await rt.exec(['delete', id]), 'delete of a stopped container');
      await expectGone(id);
    });
  });

  test("create's stdio becomes the container's stdin, stdout and stderr", T, async () => {
    await withContainer(rt, 'stdio', { args: ['sh', '-c', 'cat; echo to-stderr >&2'] }, async (b, id) => {
      const out = rt.ioPath('out');
      const err = rt.ioPath('err');
      expectOk(await rt.exec(['create', '--bundle', b.dir, id], { stdin: 'piped data\n', stdoutPath: out, stderrPath: err }), 'create');
      expectOk(await rt.exec(['start', id]), 'start');
      await rt.waitForStatus(id, 'stopped');
      assert.equal(fs.readFileSync(out, 'utf8'), 'piped data\n');
      assert.equal(withoutRuntimeLog(fs.readFileSync(err, 'utf8')), 'to-stderr\n');
      expectOk(await rt.exec(['delete', id]), 'delete');
    });
  });

  test('create → start → wait → delete, as containerd drives a task, delivers the output', T, async () => {
    const b = makeBundle({ args: ['sh', '-c', 'echo "pid $$ in $(pwd)"'], cwd: '/tmp' });
    try {
      const id = uniqueId('csw');
      const r = await rt.createStartWait(b.dir, id);
      expectOk(r.create, 'create');
      assert.ok(r.start, 'start was not attempted');
      expectOk(r.start, 'start');
      assert.equal(r.stdout, 'pid 1 in /tmp\n');
      assert.equal(withoutRuntimeLog(r.stderr), '');
      await expectGone(id);
    } finally {
      b.cleanup();
    }
  });

  test('after create returns, no runtime process remains around the container init', T, async () => {
    await withContainer(rt, 'orphan', { args: ['sleep', '100'] }, async (b, id) => {
      const c = await rt.exec(['create', '--bundle', b.dir, id]);
      expectOk(c, 'create');
      const { pid } = await rt.state(id);
      const ppid = parentPid(pid);
      assert.ok(ppid !== undefined, `init ${pid} vanished`);
      if (ppid !== 1) {
        const parent = cmdline(ppid);
        assert.doesNotMatch(parent, /runc|node/, `the init's parent ${ppid} looks like a runtime process: ${parent}`);
      }
      // The init itself carries the id (cgroup, maybe argv); anything else does not belong here.
      const others = relatedProcesses({ ids: [id], paths: [rt.root, b.dir], excludePids: [pid] });
      assert.deepEqual(others, [], `processes left behind by create:\n${JSON.stringify(others, null, 2)}`);
    });
  });

  test('run in the foreground passes through output and the exit code', T, async () => {
    const b = makeBundle({ args: ['sh', '-c', 'echo out; echo err >&2; exit 7'] });
    try {
      const id = uniqueId('exit');
      const r = await rt.runToCompletion(b.dir, id);
      assert.equal(r.code, 7, describeResult(r.result));
      assert.equal(r.stdout, 'out\n');
      assert.equal(withoutRuntimeLog(r.stderr), 'err\n');
      await expectGone(id);
    } finally {
      b.cleanup();
    }
  });

  test('run in the foreground exits 128+N when the container is killed by signal N', T, async () => {
    await withContainer(rt, 'sig', { args: ['sleep', '100'] }, async (b, id) => {
      const running = rt.exec(['run', '--bundle', b.dir, id]);
      const deadline = Date.now() + 10_000;
      for (;;) {
        const s = await rt.exec(['state', id]);
        if (s.code === 0 && (JSON.parse(s.stdout) as { status: string }).status === 'running') break;
        if (Date.now() > deadline) assert.fail(`container never became running\n${describeResult(s)}`);
        await sleep(25);
      }
      expectOk(await rt.exec(['kill', id, 'KILL']), 'kill');
      const r = await running;
      assert.equal(r.code, 128 + 9, describeResult(r));
    });
  });

  test('rlimits are applied exactly, beyond 2^53 too (JSON doubles would round them)', T, async () => {
    const limits: [string, string, string][] = [
      ['RLIMIT_NOFILE', '3000', '4000'],
      ['RLIMIT_FSIZE', '9007199254740993', '9007199254740993'],
      ['RLIMIT_CORE', '9223372036854775807', '18446744073709551615'],
    ];
    await withContainer(rt, 'rlim', {
      args: ['sh', '-c', 'cat /proc/self/limits'],
      mutate: (spec) => {
        // Placeholders, replaced by the bare digits below: JSON.stringify cannot write them.
        spec.process!.rlimits = limits.map(([type], i) => ({ type, soft: `@soft${i}@`, hard: `@hard${i}@` }) as never);
      },
    }, async (b, id) => {
      let text = fs.readFileSync(b.configPath, 'utf8');
      limits.forEach(([, soft, hard], i) => {
        text = text.replace(`"@soft${i}@"`, soft).replace(`"@hard${i}@"`, hard);
      });
      fs.writeFileSync(b.configPath, text);
      const r = await rt.runToCompletion(b.dir, id);
      assert.equal(r.code, 0, describeResult(r.result));
      const row = (label: string): string[] => {
        const line = r.stdout.split('\n').find((l) => l.startsWith(label));
        assert.ok(line, `no "${label}" in /proc/self/limits:\n${r.stdout}`);
        return line.slice(label.length).trim().split(/\s+/).slice(0, 2);
      };
      assert.deepEqual(row('Max open files'), ['3000', '4000']);
      assert.deepEqual(row('Max file size'), ['9007199254740993', '9007199254740993']);
      assert.deepEqual(row('Max core file size'), ['9223372036854775807', 'unlimited']);
    });
  });

  test('start of a container created without a process fails clearly and the container stops', T, async () => {
    await withContainer(rt, 'noproc', { mutate: (spec) => { delete (spec as { process?: unknown }).process; } }, async (b, id) => {
      expectOk(await rt.exec(['create', '--bundle', b.dir, id]), 'create without process');
      const { pid, status } = await rt.state(id);
      assert.equal(status, 'created');
      const r = await rt.exec(['start', id]);
      assert.equal(r.code, 1, describeResult(r));
      assert.match(r.stderr, /cannot start a container without a process/, describeResult(r));
      assert.ok(await waitForExit(pid), `init ${pid} still alive after the failed start`);
      assert.equal((await rt.state(id)).status, 'stopped');
      expectOk(await rt.exec(['delete', id]), 'delete');
      await expectGone(id);
    });
  });

  test('run --keep leaves the stopped container for an explicit delete', T, async () => {
    await withContainer(rt, 'keep', { args: ['true'] }, async (b, id) => {
      const r = await rt.exec(['run', '--keep', '--bundle', b.dir, id]);
      expectOk(r, 'run --keep');
      const st = await rt.state(id);
      assert.equal(st.status, 'stopped', JSON.stringify(st));
      expectOk(await rt.exec(['delete', id]), 'delete');
      await expectGone(id);
    });
  });

  test('run --detach returns while the container keeps running', T, async () => {
    await withContainer(rt, 'detach', { args: ['sh', '-c', 'echo detached; exec sleep 100'] }, async (b, id) => {
      const { out, pid } = await runDetached(b, id);
      assert.ok(processAlive(pid), `init ${pid} not alive`);
      await waitForFileContent(out, /^detached\n$/);
      expectOk(await rt.exec(['kill', id, 'KILL']), 'kill');
      await rt.waitForStatus(id, 'stopped');
      expectOk(await rt.exec(['delete', id]), 'delete');
      await expectGone(id);
    });
  });

  test('list: table, json and -q; OWNER names the state directory\'s owner', T, async () => {
    // A root of its own, so the listing holds exactly the containers made here.
    const lrt = new Runtime('tsrunc');
    // The owner comes from the user database, as runc's: not from $USER, which a shim may not set
    // or may set to anything.
    const env = { ...process.env, USER: 'not-the-owner' };
    const b = makeBundle({ args: ['sleep', '100'] });
    const created = uniqueId('list-c');
    const running = uniqueId('list-r');
    try {
      const empty = await lrt.exec(['list', '--format', 'json']);
      expectOk(empty, 'list --format json on an empty root');
      const parsedEmpty: unknown = JSON.parse(empty.stdout);
      assert.ok(parsedEmpty === null || (Array.isArray(parsedEmpty) && parsedEmpty.length === 0),
        `empty list should be null or []: ${empty.stdout}`);
      const emptyQ = await lrt.exec(['list', '-q']);
      expectOk(emptyQ, 'list -q on an empty root');
      assert.equal(emptyQ.stdout.trim(), '');

      expectOk(await lrt.exec(['create', '--bundle', b.dir, created], { env }), 'create');
      expectOk(await lrt.exec(['run', '--detach', '--bundle', b.dir, running], { env }), 'run --detach');

      const table = await lrt.exec(['list'], { env });
      expectOk(table, 'list');
      const lines = table.stdout.trimEnd().split('\n');
      assert.match(lines[0], /^ID\s+PID\s+STATUS\s+BUNDLE\s+CREATED\s+OWNER\s*$/, table.stdout);
      const rows = new Map(lines.slice(1).map((l) => {
        const f = l.trim().split(/\s+/);
        return [f[0], f] as const;
      }));
      assert.equal(rows.size, 2, table.stdout);
      assert.equal(rows.get(created)?.[2], 'created', table.stdout);
      assert.equal(rows.get(running)?.[2], 'running', table.stdout);
      assert.equal(rows.get(running)?.[3], b.dir, table.stdout);
      assert.match(rows.get(running)?.[1] ?? '', /^[1-9][0-9]*$/, table.stdout);
      assert.equal(rows.get(created)?.[5], 'root', table.stdout);
      assert.equal(rows.get(running)?.[5], 'root', table.stdout);

      const json = await lrt.exec(['list', '--format', 'json'], { env });
      expectOk(json, 'list --format json');
      const entries = JSON.parse(json.stdout) as { id: string; status: string; pid: number; bundle: string; owner: string }[];
      assert.ok(Array.isArray(entries), json.stdout);
      const byId = new Map(entries.map((e) => [e.id, e]));
      assert.deepEqual([...byId.keys()].sort(), [created, running].sort(), json.stdout);
      assert.equal(byId.get(created)?.status, 'created');
      assert.equal(byId.get(running)?.status, 'running');
      assert.equal(byId.get(running)?.bundle, b.dir);
      assert.ok((byId.get(running)?.pid ?? 0) > 0, json.stdout);
      assert.equal(byId.get(running)?.pid, (await lrt.state(running)).pid);
      assert.deepEqual(entries.map((e) => e.owner), ['root', 'root'], json.stdout);

      const quiet = await lrt.exec(['list', '-q']);
      expectOk(quiet, 'list -q');
      assert.deepEqual(quiet.stdout.trim().split('\n').sort(), [created, running].sort(), quiet.stdout);
    } finally {
      await lrt.deleteForce(created);
      await lrt.deleteForce(running);
      b.cleanup();
      await lrt.cleanupAll();
    }
  });

  describe('kill', () => {
    for (const sig of ['KILL', 'SIGKILL', '9']) {
      test(`kill ID ${sig} stops a running container`, T, async () => {
        await withContainer(rt, 'kill', { args: ['sleep', '100'] }, async (b, id) => {
          const { pid } = await runDetached(b, id);
          expectOk(await rt.exec(['kill', id, sig]), `kill ${sig}`);
          await rt.waitForStatus(id, 'stopped');
          assert.ok(await waitForExit(pid), `init ${pid} survived kill ${sig}`);
        });
      });
    }

    test('kill ID without a signal sends SIGTERM', T, async () => {
      // PID 1 of a pid namespace only receives signals it handles, so the shell traps TERM:
      // seeing its message proves TERM (not KILL) arrived.
      const script = "trap 'echo got TERM; exit 143' TERM; echo ready; while :; do sleep 1 & wait $!; done";
      await withContainer(rt, 'term', { args: ['sh', '-c', script] }, async (b, id) => {
        const { out, pid } = await runDetached(b, id);
        await waitForFileContent(out, /ready\n/);
        expectOk(await rt.exec(['kill', id]), 'kill (default signal)');
        await rt.waitForStatus(id, 'stopped');
        assert.ok(await waitForExit(pid), `init ${pid} survived TERM`);
        assert.equal(fs.readFileSync(out, 'utf8'), 'ready\ngot TERM\n');
      });
    });
  });

  describe('delete', () => {
    test('delete --force kills and removes a running container', T, async () => {
      await withContainer(rt, 'delf', { args: ['sleep', '100'] }, async (b, id) => {
        const { pid } = await runDetached(b, id);
        expectOk(await rt.exec(['delete', '--force', id]), 'delete --force');
        await expectGone(id);
        assert.ok(await waitForExit(pid), `init ${pid} survived delete --force`);
        const left = relatedProcesses({ ids: [id], paths: [b.dir] }).filter((p) => processAlive(p.pid));
        assert.deepEqual(left, [], JSON.stringify(left, null, 2));
      });
    });

    test('delete --force of a created (never started) container', T, async () => {
      await withContainer(rt, 'delc', { args: ['sleep', '100'] }, async (b, id) => {
        expectOk(await rt.exec(['create', '--bundle', b.dir, id]), 'create');
        const { pid } = await rt.state(id);
        expectOk(await rt.exec(['delete', '--force', id]), 'delete --force');
        await expectGone(id);
        assert.ok(await waitForExit(pid), `init ${pid} survived delete --force`);
      });
    });

    test('delete (no --force) of a created, never started container fails and leaves it created', T, async () => {
      // The spec: deleting a container that is not stopped MUST fail and have no effect. runc 1.1
      // kills and removes it instead (it fails runtime-tools' `delete` for that); crun refuses.
      await withContainer(rt, 'delcr', { args: ['sleep', '100'] }, async (b, id) => {
        expectOk(await rt.exec(['create', '--bundle', b.dir, id]), 'create');
        const { pid } = await rt.state(id);
        const r = await rt.exec(['delete', id]);
        assert.equal(r.code, 1, describeResult(r));
        assert.match(r.stderr, new RegExp(`cannot delete container ${id} that is not stopped: created`), describeResult(r));
        const st = await rt.state(id);
        assert.equal(st.status, 'created', `state after the refused delete: ${JSON.stringify(st)}`);
        assert.equal(st.pid, pid);
        assert.ok(processAlive(pid), `init ${pid} was killed by a refused delete`);
        expectOk(await rt.exec(['delete', '--force', id]), 'delete --force');
        await expectGone(id);
        assert.ok(await waitForExit(pid), `init ${pid} survived delete --force`);
      });
    });

    test('delete --force of a non-existent id exits 0 (containerd relies on it)', T, async () => {
      const r = await rt.exec(['delete', '--force', uniqueId('nothere')]);
      assert.equal(r.code, 0, describeResult(r));
    });
  });
});

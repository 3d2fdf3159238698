// What each kind of hook gets and what its failure does, seen from the hook and the host: exactly
// the env given (read from /proc/self/environ of a program the hook execs directly, no shell), the
// state on stdin with the annotations, only stdio as descriptors, a timeout for every phase the
// launcher runs (createContainer, startContainer) as for the runtime's own, death by a signal as a
// failure, and poststop after a create whose createContainer hook failed. Cases where runc 1.1.5
// behaves the same run against it first. Where it does not, tsrunc follows the spec and the case is
// tsrunc's: runc gives a hook without env its own environment, gives createContainer and
// startContainer hooks its init's open descriptors (and poststop hooks what its caller left open),
// and reports a failed startContainer hook nowhere (`start` has returned by then).
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Bundle, BundleOptions, Spec } from '../../helpers/rootfs';
import { describeResult, relatedProcesses, type Runtime } from '../../helpers/runtime';
import { expectOk, forEachRuntime, runtimesForSuite, TEST_TIMEOUT, withContainer } from '../../helpers/suite';

const pair = runtimesForSuite();
const { sut } = pair;

type Phase = 'createRuntime' | 'createContainer' | 'startContainer' | 'prestart' | 'poststart' | 'poststop';
const HOST_PHASES: Phase[] = ['createRuntime', 'createContainer', 'prestart', 'poststart', 'poststop'];
const ANNOTATIONS = { 'org.example.hooks': 'effects' };

interface HookSpec { path: string; args: string[]; env?: string[]; timeout?: number }

/**
 * A bundle whose hooks are made once its directory is known: `make(phase, out)` gives each hook,
 * `out` the file it writes (the bundle's for the phases that run with the host's paths, the
 * container's own root for startContainer, which runs after pivot_root).
 */
function hooked(phases: Phase[], make: (phase: Phase, out: string) => HookSpec, extra: BundleOptions = {}): BundleOptions & { arm: (b: Bundle) => void } {
  return {
    args: ['sleep', '60'],
    readonly: false,
    annotations: ANNOTATIONS,
    ...extra,
    arm: (b: Bundle) => {
      const hooks: Record<string, HookSpec[]> = {};
      for (const p of phases) hooks[p] = [make(p, p === 'startContainer' ? `/${p}.out` : path.join(b.dir, `${p}.out`))];
      (b.spec as Spec & { hooks?: unknown }).hooks = hooks;
      b.writeSpec();
    },
  };
}

const outFile = (b: Bundle, phase: Phase): string => (phase === 'startContainer' ? path.join(b.rootfs, `${phase}.out`) : path.join(b.dir, `${phase}.out`));
const readOut = (b: Bundle, phase: Phase): string | undefined => (fs.existsSync(outFile(b, phase)) ? fs.readFileSync(outFile(b, phase), 'utf8') : undefined);

/** create → start → delete, the whole lifecycle every hook belongs to. */
async function lifecycle(rt: Runtime, b: Bundle, id: string): Promise<number> {
  expectOk(await rt.exec(['create', '--bundle', b.dir, id], { stdoutPath: rt.ioPath(`${id}.out`), stderrPath: rt.ioPath(`${id}.err`) }), 'create');
  const { pid } = await rt.state(id);
  expectOk(await rt.exec(['start', id]), 'start');
  expectOk(await rt.exec(['delete', '--force', id]), 'delete --force');
  return pid;
}

const both = (name: string, fn: (t: TestContext, rt: Runtime) => Promise<void>): void => forEachRuntime(pair, name, fn);
const tsruncOnly = (name: string, fn: (rt: Runtime) => Promise<void>): void => { test(`${name} [tsrunc]`, TEST_TIMEOUT, () => fn(sut)); };

/** Descriptors above stdio that this test process leaves open across execve: its caller's, which
 * reach the runtime and (on Node, which cannot close them in a child) the runtime-side hooks. */
function passedDown(): string[] {
  return fs.readdirSync('/proc/self/fd').filter((fd) => {
    if (Number(fd) < 3) return false;
    try {
      const flags = /^flags:\s+([0-7]+)/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
      return flags !== undefined && (parseInt(flags, 8) & 0o2000000) === 0;
    } catch {
      return false;
    }
  });
}

async function expectOnlyStdio(rt: Runtime, phases: Phase[]): Promise<void> {
  const opts = hooked(phases, (_p, out) => ({ path: '/bin/busybox', args: ['sh', '-c', `ls /proc/self/fd > ${out}`] }));
  const callers = new Set(passedDown());
  await withContainer(rt, 'hke-fds', opts, async (b, id) => {
    opts.arm(b);
    await lifecycle(rt, b, id);
    // ls's own directory fd is the one more; none of the runtime's own may be there.
    for (const p of phases) {
      const fds = (readOut(b, p) ?? '').split(/\s+/).filter((fd) => fd !== '' && !callers.has(fd)).sort().join(' ');
      assert.equal(fds, '0 1 2 3', `${p} hook's descriptors (the test's caller's ${[...callers].join(' ') || 'none'} aside)`);
    }
  });
}

describe(`hooks: what they get and what their failure does (${sut.label})`, () => {
  both('every phase\'s hook gets exactly the env given, nothing of the runtime\'s', async (_t, rt) => {
    const phases: Phase[] = [...HOST_PHASES, 'startContainer'];
    const opts = hooked(phases, (p, out) => ({ path: '/bin/busybox', args: ['cp', '/proc/self/environ', out], env: [`PHASE=${p}`, 'ONLY=this', 'EMPTY='] }));
    await withContainer(rt, 'hke-env', opts, async (b, id) => {
      opts.arm(b);
      await lifecycle(rt, b, id);
      for (const p of phases) {
        assert.equal(readOut(b, p), `PHASE=${p}\0ONLY=this\0EMPTY=\0`, `${p} hook's environment`);
      }
    });
  });

  both('every phase\'s hook gets its args as its argv, args[0] included (not its path)', async (_t, rt) => {
    const phases: Phase[] = [...HOST_PHASES, 'startContainer'];
    const opts = hooked(phases, (_p, out) => ({ path: '/bin/busybox', args: ['cp', '/proc/self/cmdline', out] }));
    await withContainer(rt, 'hke-argv', opts, async (b, id) => {
      opts.arm(b);
      await lifecycle(rt, b, id);
      for (const p of phases) {
        const out = p === 'startContainer' ? `/${p}.out` : path.join(b.dir, `${p}.out`);
        assert.equal(readOut(b, p), `cp\0/proc/self/cmdline\0${out}\0`, `${p} hook's argv`);
      }
    });
  });

  // A hook asking the runtime about its container while create runs: runc takes no lock for state,
  // and neither does tsrunc (a locked read would wait for the create, which waits for the hook).
  both('a createRuntime hook\'s `state` of its container answers at once: it does not exist yet', async (_t, rt) => {
    const q = (a: string): string => `'${a.replace(/'/g, "'\\''")}'`;
    const opts = hooked(['createRuntime'], (_p, out) => ({
      path: '/bin/sh',
      args: ['sh', '-c', `${[...rt.argv, '--root', rt.root].map(q).join(' ')} state "$(sed 's/.*"id":"\\([^"]*\\)".*/\\1/')" > ${out} 2>&1; echo "exit $?" >> ${out}`],
      timeout: 20,
    }));
    await withContainer(rt, 'hke-self-state', opts, async (b, id) => {
      opts.arm(b);
      expectOk(await rt.exec(['create', '--bundle', b.dir, id], { stdoutPath: rt.ioPath(`${id}.out`), stderrPath: rt.ioPath(`${id}.err`) }), 'create');
      const out = readOut(b, 'createRuntime') ?? '';
      assert.match(out, /container does not exist/, out);
      assert.match(out, /exit 1\n$/, out);
    });
  });

  tsruncOnly('a hook without env gets an empty environment', async (rt) => {
    const phases: Phase[] = ['createRuntime', 'createContainer', 'startContainer', 'poststop'];
    const opts = hooked(phases, (_p, out) => ({ path: '/bin/busybox', args: ['cp', '/proc/self/environ', out] }));
    await withContainer(rt, 'hke-noenv', opts, async (b, id) => {
      opts.arm(b);
      await lifecycle(rt, b, id);
      for (const p of phases) assert.equal(readOut(b, p), '', `${p} hook's environment`);
    });
  });

  tsruncOnly('every hook reads the state on stdin: id, bundle, annotations, the status of its phase and the init\'s pid as its namespace sees it', async (rt) => {
    const phases: Phase[] = ['createRuntime', 'createContainer', 'startContainer', 'poststop'];
    const opts = hooked(phases, (_p, out) => ({ path: '/bin/busybox', args: ['sh', '-c', `cat > ${out}`] }));
    await withContainer(rt, 'hke-state', opts, async (b, id) => {
      opts.arm(b);
      const pid = await lifecycle(rt, b, id);
      const want: Record<string, string> = { createRuntime: 'creating', createContainer: 'creating', startContainer: 'created', poststop: 'stopped' };
      for (const p of phases) {
        const s = JSON.parse(readOut(b, p) ?? '{}') as { id?: string; bundle?: string; status?: string; pid?: number; annotations?: Record<string, string>; ociVersion?: string };
        assert.equal(s.id, id, `${p}: id`);
        assert.equal(s.bundle, b.dir, `${p}: bundle`);
        assert.equal(s.status, want[p], `${p}: status`);
        assert.deepEqual(s.annotations, ANNOTATIONS, `${p}: annotations`);
        assert.equal(typeof s.ociVersion, 'string', `${p}: ociVersion`);
        // runtime.md § State: the runtime's pid for hooks in its namespace, the container's (1 in a
        // pid namespace of its own) for hooks run in the container's.
        if (p === 'createRuntime') assert.equal(s.pid, pid, `${p}: the init's pid as the host sees it`);
        else if (p !== 'poststop') assert.equal(s.pid, 1, `${p}: the init's pid as the container sees it`);
      }
    });
  });

  tsruncOnly('a hook of any phase has only stdin, stdout and stderr open', async (rt) => {
    await expectOnlyStdio(rt, ['createRuntime', 'createContainer', 'startContainer', 'poststop']);
  });

  // The hook ignores SIGTERM (inherited by sleep across exec): only SIGKILL ends it at its timeout.
  for (const phase of ['createRuntime', 'createContainer', 'startContainer'] as const) {
    both(`a ${phase} hook that outlives its timeout is killed, the process never runs and the container stops`, async (_t, rt) => {
      const opts = hooked([phase], () => ({ path: '/bin/busybox', args: ['sh', '-c', 'trap "" TERM; exec sleep 37'], timeout: 1 }), { args: ['sh', '-c', 'echo ran > /ran'] });
      await withContainer(rt, `hke-to-${phase}`, opts, async (b, id) => {
        opts.arm(b);
        const started = Date.now();
        const create = await rt.exec(['create', '--bundle', b.dir, id], { stdoutPath: rt.ioPath(`${id}.out`), stderrPath: rt.ioPath(`${id}.err`), timeoutMs: 25_000 });
        if (phase !== 'startContainer') {
          assert.notEqual(create.code, 0, describeResult(create));
          assert.match(create.stderr, /timeout|timed out|killed/i, describeResult(create));
        } else {
          expectOk(create, 'create');
          const start = await rt.exec(['start', id], { timeoutMs: 25_000 });
          // runc's start has returned before its init runs the hook; tsrunc's waits for it (see the top).
          if (rt.kind === 'tsrunc') {
            assert.notEqual(start.code, 0, describeResult(start));
            assert.match(start.stderr, /startContainer hook #0 .*timeout after 1s/, describeResult(start));
          } else {
            await rt.waitForStatus(id, 'stopped', 15_000);
          }
        }
        assert.ok(Date.now() - started < 15_000, `failed at the timeout, not after the hook's 37 s (${Date.now() - started} ms)`);
        assert.ok(!fs.existsSync(path.join(b.rootfs, 'ran')), 'the process never ran');
        const sleeping = relatedProcesses({ ids: [id], paths: [b.dir] }).filter((p) => /sleep 37/.test(p.cmdline));
        assert.deepEqual(sleeping, [], 'the hook was killed');
      });
    });
  }

  both('a createContainer hook killed by a signal fails create; poststop runs and nothing is left', async (_t, rt) => {
    const opts = hooked(['createContainer', 'poststop'], (p, out) => (p === 'poststop'
      ? { path: '/bin/busybox', args: ['sh', '-c', `cat > ${out}`] }
      : { path: '/bin/busybox', args: ['sh', '-c', 'kill -9 $$'] }));
    await withContainer(rt, 'hke-signal', opts, async (b, id) => {
      opts.arm(b);
      const r = await rt.exec(['create', '--bundle', b.dir, id], { stdoutPath: rt.ioPath(`${id}.out`), stderrPath: rt.ioPath(`${id}.err`) });
      assert.notEqual(r.code, 0, describeResult(r));
      const poststop = readOut(b, 'poststop');
      assert.ok(poststop !== undefined, 'poststop ran after the failed create');
      assert.equal((JSON.parse(poststop) as { status: string }).status, 'stopped');
      const st = await rt.exec(['state', id]);
      assert.notEqual(st.code, 0, `no container is left: ${describeResult(st)}`);
    });
  });

  test('a createRuntime hook killed by a signal fails create naming the signal [tsrunc]', TEST_TIMEOUT, async () => {
    // runc 1.1 words it differently ("signal: killed" inside its own error chain); the failure is the same.
    const opts = hooked(['createRuntime'], () => ({ path: '/bin/busybox', args: ['sh', '-c', 'kill -9 $$'] }));
    await withContainer(sut, 'hke-rtsignal', opts, async (b, id) => {
      opts.arm(b);
      const r = await sut.exec(['create', '--bundle', b.dir, id]);
      assert.notEqual(r.code, 0, describeResult(r));
      assert.match(r.stderr, /createRuntime hook #0 \(\/bin\/busybox\): signal: SIGKILL"/, describeResult(r));
      assert.ok(!sut.listedIds().includes(id), 'no state left');
    });
  });

  test('what a runtime-side hook writes to stderr goes to the log under its name; it runs in /', TEST_TIMEOUT, async () => {
    const opts = hooked(['createRuntime', 'poststop'], (p, out) => ({ path: '/bin/busybox', args: ['sh', '-c', `pwd > ${out}; echo ${p}-says-hello >&2`] }));
    await withContainer(sut, 'hke-log', opts, async (b, id) => {
      opts.arm(b);
      const c = await sut.exec(['create', '--bundle', b.dir, id], { stdoutPath: sut.ioPath(`${id}.out`), stderrPath: sut.ioPath(`${id}.err`) });
      expectOk(c, 'create');
      assert.match(c.stderr, /level=info msg="createRuntime hook #0 \(\/bin\/busybox\): createRuntime-says-hello"/, describeResult(c));
      const d = await sut.exec(['delete', '--force', id]);
      expectOk(d, 'delete --force');
      assert.match(d.stderr, /level=info msg="poststop hook #0 \(\/bin\/busybox\): poststop-says-hello"/, describeResult(d));
      for (const p of ['createRuntime', 'poststop'] as const) assert.equal(readOut(b, p), '/\n', `${p} hook's working directory`);
    });
  });

  test('a failing runtime-side hook\'s error says how it ended, with its stderr when it wrote any', TEST_TIMEOUT, async () => {
    const cases: [string, RegExp][] = [
      ['exit 3', /: error running createRuntime hook #0 \(\/bin\/busybox\): exit status 3"/],
      ['echo dying >&2; kill -9 $$', /: error running createRuntime hook #0 \(\/bin\/busybox\): signal: SIGKILL, stderr: dying"/],
      ['printf "one\\n\\ntwo\\n" >&2; exit 4', /: error running createRuntime hook #0 \(\/bin\/busybox\): exit status 4, stderr: one"/],
    ];
    for (const [script, want] of cases) {
      const opts = hooked(['createRuntime'], () => ({ path: '/bin/busybox', args: ['sh', '-c', script] }));
      await withContainer(sut, 'hke-msg', opts, async (b, id) => {
        opts.arm(b);
        const r = await sut.exec(['create', '--bundle', b.dir, id]);
        assert.notEqual(r.code, 0, describeResult(r));
        assert.match(r.stderr, want, describeResult(r));
        // The hook's stderr lines, blank ones left out, went to the log too.
        assert.doesNotMatch(r.stderr, /createRuntime hook #0 \(\/bin\/busybox\): "/, 'no empty log line');
      });
    }
  });

  test('a hook whose program is missing fails create, naming the path and why', TEST_TIMEOUT, async () => {
    const opts = hooked(['createRuntime'], () => ({ path: '/nonexistent/hook', args: ['hook'] }));
    await withContainer(sut, 'hke-missing', opts, async (b, id) => {
      opts.arm(b);
      const r = await sut.exec(['create', '--bundle', b.dir, id]);
      assert.notEqual(r.code, 0, describeResult(r));
      assert.match(r.stderr, /error running createRuntime hook #0 \(\/nonexistent\/hook\): no such file or directory/, describeResult(r));
      assert.ok(!sut.listedIds().includes(id), 'no state left');
    });
  });

  test('empty annotations are left out of the state hooks read', TEST_TIMEOUT, async () => {
    const opts = hooked(['createRuntime', 'poststop'], (_p, out) => ({ path: '/bin/busybox', args: ['sh', '-c', `cat > ${out}`] }), { annotations: {} });
    await withContainer(sut, 'hke-noann', opts, async (b, id) => {
      opts.arm(b);
      await lifecycle(sut, b, id);
      for (const p of ['createRuntime', 'poststop'] as const) assert.equal('annotations' in (JSON.parse(readOut(b, p) ?? '{}') as object), false, `${p}: ${readOut(b, p)}`);
    });
  });

  test('start failing for a reason that is no hook\'s (exec format error) keeps the container, stopped; poststop runs at delete', TEST_TIMEOUT, async () => {
    const opts = hooked(['poststop'], (_p, out) => ({ path: '/bin/busybox', args: ['sh', '-c', `cat > ${out}`] }), {
      args: ['/notabinary'],
      rootfsFiles: { notabinary: 'no interpreter line here\n' },
    });
    await withContainer(sut, 'hke-noexec', opts, async (b, id) => {
      opts.arm(b);
      fs.chmodSync(path.join(b.rootfs, 'notabinary'), 0o755);
      expectOk(await sut.exec(['create', '--bundle', b.dir, id], { stdoutPath: sut.ioPath(`${id}.out`), stderrPath: sut.ioPath(`${id}.err`) }), 'create');
      const r = await sut.exec(['start', id]);
      assert.notEqual(r.code, 0, describeResult(r));
      assert.match(r.stderr, /exec format error/, describeResult(r));
      assert.equal((await sut.state(id)).status, 'stopped', 'the container is kept, stopped');
      assert.equal(readOut(b, 'poststop'), undefined, 'poststop waits for delete');
      expectOk(await sut.exec(['delete', id]), 'delete');
      assert.equal((JSON.parse(readOut(b, 'poststop') ?? '{}') as { status?: string }).status, 'stopped', 'poststop ran at delete');
    });
  });

  test('a poststop hook that outlives its timeout is killed with a warning; delete goes on [tsrunc]', TEST_TIMEOUT, async () => {
    const opts = hooked(['poststop'], () => ({ path: '/bin/busybox', args: ['sh', '-c', 'trap "" TERM; exec sleep 38'], timeout: 1 }));
    await withContainer(sut, 'hke-poststop-to', opts, async (b, id) => {
      opts.arm(b);
      expectOk(await sut.exec(['run', '--detach', '--bundle', b.dir, id]), 'run --detach');
      const started = Date.now();
      const r = await sut.exec(['delete', '--force', id], { timeoutMs: 25_000 });
      expectOk(r, 'delete --force');
      assert.ok(Date.now() - started < 15_000, `delete waited ${Date.now() - started} ms`);
      assert.match(r.stderr, /level=warning.*poststop hook #0.*timeout after 1s/, describeResult(r));
      assert.ok(!sut.listedIds().includes(id));
    });
  });
});

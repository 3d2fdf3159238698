// OCI hooks with runtime-spec 1.3's semantics. Mostly tsrunc only: runc 1.1 runs poststart during
// create and treats a failing poststart as a warning. prestart's place (during create, before
// pivot_root, status "creating") is the same in runc 1.1, so those cases run against runc first. Every hook appends a marker line with its name,
// argv, stdin state and mount namespace; the cases check order, status, pid, namespace, env,
// timeouts and each kind of failure, and that nothing is left behind.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Bundle, BundleOptions } from '../../helpers/rootfs';
import { describeResult, type Runtime } from '../../helpers/runtime';
import { expectOk, forEachRuntime, runtimesForSuite, TEST_TIMEOUT, withContainer } from '../../helpers/suite';

const pair = runtimesForSuite();
const { sut } = pair;

const HOOK = `#!/bin/sh
# hook NAME [fail|sleep]: one line per call: name, $0, the state on stdin, the mount namespace and the
# environment execve gave it (the shell adds its own defaults to its env).
echo "$1 argv0=$0 state=$(cat) mnt=$(readlink /proc/self/ns/mnt) env=$(tr '\\0' ',' < /proc/$$/environ)" >> "$(dirname "$0")/hooks.log"
case "$2" in
  fail) echo "hook $1 says no" >&2; echo "noise on stdout"; exit 3;;
  sleep) sleep 30;;
esac
echo "noise on stdout"
exit 0
`;

type Phase = 'prestart' | 'createRuntime' | 'poststart' | 'poststop';

interface Line { name: string; argv0: string; state: { status: string; pid?: number; id: string; bundle: string }; mnt: string; env: string }

function withHooks(hooks: Partial<Record<Phase, { how?: string; timeout?: number; env?: string[] }[]>>): BundleOptions {
  return {
    args: ['sleep', '60'],
    bundleFiles: { 'hook.sh': HOOK },
    mutate: (s) => {
      const out: Record<string, unknown[]> = {};
      for (const [phase, list] of Object.entries(hooks)) {
        out[phase] = (list ?? []).map((h, i) => ({
          // busybox picks its applet from argv[0]: the hooks run at all only if args[0] is honoured.
          path: '/bin/busybox', args: ['sh', 'SCRIPT', `${phase}${i}`, ...(h.how ? [h.how] : [])],
          env: h.env ?? ['HOOKVAR=yes'], ...(h.timeout ? { timeout: h.timeout } : {}),
        }));
      }
      s.hooks = out;
    },
  };
}

/** Points the hooks at the bundle's own script (its path is known only once the bundle exists). */
function arm(b: Bundle): void {
  const script = path.join(b.dir, 'hook.sh');
  for (const list of Object.values(b.spec.hooks as Record<string, { args: string[] }[]>)) for (const h of list) h.args[1] = script;
  b.writeSpec();
}

function lines(b: Bundle): Line[] {
  const file = path.join(b.dir, 'hooks.log');
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => {
    const m = /^(\S+) argv0=(\S+) state=(\{.*\}) mnt=(\S+) env=(.*)$/.exec(l);
    assert.ok(m, `marker line: ${l}`);
    return { name: m[1], argv0: m[2], state: JSON.parse(m[3]) as Line['state'], mnt: m[4], env: m[5] };
  });
}

const hostMnt = fs.readlinkSync('/proc/self/ns/mnt');

/** runtime.md: a failed hook stops the container and the lifecycle continues at delete. */
async function expectDeleted(id: string, b: Bundle): Promise<void> {
  const st = await sut.exec(['state', id]);
  assert.notEqual(st.code, 0, `the container is deleted: ${describeResult(st)}`);
  assert.match(st.stderr, /does not exist/);
  assert.ok(cgroupGone(b), 'its cgroup is gone');
}
const cgroupGone = (b: Bundle): boolean => !fs.existsSync(path.join('/sys/fs/cgroup/pids', String(b.spec.linux.cgroupsPath)));

describe(`hooks (${sut.label})`, () => {
  test('prestart and createRuntime (create), poststart (start), poststop (delete): in order, with the status, pid and namespace the spec says', TEST_TIMEOUT, async () => {
    await withContainer(sut, 'hk-order', withHooks({ prestart: [{}], createRuntime: [{}, {}], poststart: [{}], poststop: [{}] }), async (b, id) => {
      arm(b);
      const c = await sut.exec(['create', '--bundle', b.dir, id]);
      expectOk(c, 'create');
      assert.equal(c.stdout, '', 'a hook\'s stdout never reaches the runtime\'s');
      const { pid } = await sut.state(id);
      // runtime-spec 1.3 config.md: prestart during create, before the createRuntime hooks.
      assert.deepEqual(lines(b).map((l) => l.name), ['prestart0', 'createRuntime0', 'createRuntime1'], 'create runs prestart, then createRuntime');
      expectOk(await sut.exec(['start', id]), 'start');
      expectOk(await sut.exec(['delete', '--force', id]), 'delete --force');
      const all = lines(b);
      assert.deepEqual(all.map((l) => l.name), ['prestart0', 'createRuntime0', 'createRuntime1', 'poststart0', 'poststop0']);
      assert.deepEqual(all.map((l) => l.state.status), ['creating', 'creating', 'creating', 'running', 'stopped']);
      for (const l of all.slice(0, 4)) assert.equal(l.state.pid, pid, `${l.name} sees the init's pid`);
      assert.equal(all[4].state.pid, undefined, 'no pid once stopped');
      for (const l of all) {
        assert.equal(l.state.id, id);
        assert.equal(l.state.bundle, b.dir);
        assert.equal(l.mnt, hostMnt, `${l.name} runs in the runtime's mount namespace`);
        assert.equal(l.argv0, path.join(b.dir, 'hook.sh'));
        assert.equal(l.env, 'HOOKVAR=yes,', 'exactly the env given');
      }
    });
  });

  test('createContainer (before pivot_root) and startContainer (after start) run in the container\'s namespaces', TEST_TIMEOUT, async () => {
    await withContainer(sut, 'hk-container', {
      args: ['sleep', '60'],
      readonly: false,
      bundleFiles: { 'hook.sh': HOOK },
      rootfsFiles: { 'hook.sh': HOOK },
      mutate: (s) => {
        s.hooks = {
          createContainer: [{ path: '/bin/busybox', args: ['sh', 'BUNDLE', 'createContainer0'], env: ['HOOKVAR=yes'] }],
          // After pivot_root only the container's files are there: the script inside the rootfs.
          startContainer: [{ path: '/bin/busybox', args: ['sh', '/hook.sh', 'startContainer0'], env: ['HOOKVAR=yes'] }],
        };
      },
    }, async (b, id) => {
      (b.spec.hooks as { createContainer: { args: string[] }[] }).createContainer[0].args[1] = path.join(b.dir, 'hook.sh');
      b.writeSpec();
      expectOk(await sut.exec(['create', '--bundle', b.dir, id]), 'create');
      const { pid } = await sut.state(id);
      const initMnt = fs.readlinkSync(`/proc/${pid}/ns/mnt`);
      const [created] = lines(b);
      assert.equal(created.name, 'createContainer0');
      assert.equal(created.state.status, 'creating');
      assert.equal(created.state.pid, 1, 'the pid as the container sees it (runtime.md § State): pid 1 of its own pid namespace');
      assert.equal(created.mnt, initMnt, 'createContainer runs in the container\'s mount namespace');
      assert.notEqual(created.mnt, hostMnt);
      // (Its env is not checked: /proc/$$ of the host's procfs, still mounted there before pivot_root,
      // names another process from inside the container's pid namespace.)
      expectOk(await sut.exec(['start', id]), 'start');
      const inside = path.join(b.rootfs, 'hooks.log');
      assert.ok(fs.existsSync(inside), 'startContainer ran before start returned');
      const [started] = fs.readFileSync(inside, 'utf8').trim().split('\n');
      assert.match(started, /^startContainer0 /);
      assert.match(started, /"status":"created"/);
      assert.match(started, /"pid":1[,}]/);
      assert.match(started, new RegExp(`mnt=${initMnt.replace(/[[\]]/g, '\\$&')} `));
    });
  });

  test('a container hook\'s stderr lands in the runtime\'s log under its name; a failure quotes it', TEST_TIMEOUT, async () => {
    await withContainer(sut, 'hk-stderr', {
      args: ['sleep', '60'],
      mutate: (s) => { s.hooks = { createContainer: [{ path: '/bin/busybox', args: ['sh', '-c', 'echo said-by-the-hook >&2; echo not-for-the-log'] }] }; },
    }, async (b, id) => {
      const r = await sut.exec(['create', '--bundle', b.dir, id]);
      expectOk(r, 'create');
      assert.match(r.stderr, /level=info msg="createContainer hook #0 \(\/bin\/busybox\): said-by-the-hook"/, describeResult(r));
      assert.doesNotMatch(r.stdout + r.stderr, /not-for-the-log/, 'stdout goes nowhere');
    });
    await withContainer(sut, 'hk-stderr-fail', {
      args: ['sleep', '60'],
      mutate: (s) => { s.hooks = { createContainer: [{ path: '/bin/busybox', args: ['sh', '-c', 'echo cannot-do-it >&2; exit 4'] }] }; },
    }, async (b, id) => {
      const r = await sut.exec(['create', '--bundle', b.dir, id]);
      assert.notEqual(r.code, 0, describeResult(r));
      assert.match(r.stderr, /createContainer hook #0 .*exit status 4, stderr: cannot-do-it/, describeResult(r));
      assert.ok(!sut.listedIds().includes(id));
      assert.ok(cgroupGone(b));
    });
  });

  test('a startContainer hook that fails: start fails naming it, the container is stopped and deleted', TEST_TIMEOUT, async () => {
    await withContainer(sut, 'hk-startfail', {
      args: ['sleep', '60'],
      readonly: false,
      rootfsFiles: { 'hook.sh': HOOK },
      mutate: (s) => { s.hooks = { startContainer: [{ path: '/bin/busybox', args: ['sh', '/hook.sh', 'startContainer0', 'fail'] }] }; },
    }, async (b, id) => {
      expectOk(await sut.exec(['create', '--bundle', b.dir, id]), 'create');
      const r = await sut.exec(['start', id]);
      assert.notEqual(r.code, 0, describeResult(r));
      assert.match(r.stderr, /startContainer hook #0 .*exit status 3/, describeResult(r));
      await expectDeleted(id, b);
    });
  });

  test('a createRuntime hook configures the container\'s network namespace, as CNI plugins do', TEST_TIMEOUT, async () => {
    // The hook reads the pid from its stdin state and brings lo up through nsenter, as a CNI
    // plugin would set up a veth pair.
    const cni = 'pid=$(sed -n "s/.*\\"pid\\":\\([0-9]*\\).*/\\1/p"); /bin/busybox nsenter --net=/proc/$pid/ns/net /bin/busybox ip link set lo up';
    await withContainer(sut, 'hk-cni', {
      args: ['ip', 'link', 'show', 'lo'],
      mutate: (s) => { s.hooks = { createRuntime: [{ path: '/bin/busybox', args: ['sh', '-c', cni], env: ['PATH=/bin:/usr/bin:/sbin:/usr/sbin'] }] }; },
    }, async (b, id) => {
      const r = await sut.runToCompletion(b.dir, id);
      assert.equal(r.code, 0, describeResult(r.result));
      assert.match(r.stdout, /<LOOPBACK,UP,LOWER_UP>/, `lo is up inside: ${r.stdout}`);
    });
  });

  test('a hook that never reads its stdin and exits at once is a success', TEST_TIMEOUT, async () => {
    const quick = { path: '/bin/busybox', args: ['true'] };
    await withContainer(sut, 'hk-noread', { args: ['true'], mutate: (s) => { s.hooks = { createRuntime: [quick], prestart: [quick], poststart: [quick], poststop: [quick] }; } }, async (b, id) => {
      const r = await sut.runToCompletion(b.dir, id);
      assert.equal(r.code, 0, describeResult(r.result));
    });
  });

  test('delete --force of a container that never started runs poststop once', TEST_TIMEOUT, async () => {
    await withContainer(sut, 'hk-never', withHooks({ poststop: [{}] }), async (b, id) => {
      arm(b);
      expectOk(await sut.exec(['create', '--bundle', b.dir, id]), 'create');
      expectOk(await sut.exec(['delete', '--force', id]), 'delete --force');
      expectOk(await sut.exec(['delete', '--force', id]), 'delete --force again');
      assert.deepEqual(lines(b).map((l) => l.name), ['poststop0']);
    });
  });

  test('a createRuntime hook that fails: create fails naming it, poststop runs, nothing is left', TEST_TIMEOUT, async () => {
    await withContainer(sut, 'hk-fail', withHooks({ createRuntime: [{ how: 'fail' }], poststop: [{}] }), async (b, id) => {
      arm(b);
      const r = await sut.exec(['create', '--bundle', b.dir, id]);
      assert.notEqual(r.code, 0, describeResult(r));
      assert.match(r.stderr, /createRuntime hook #0 .*exit status 3.*hook createRuntime0 says no/, describeResult(r));
      assert.deepEqual(lines(b).map((l) => l.name), ['createRuntime0', 'poststop0']);
      assert.ok(!sut.listedIds().includes(id), 'no state left');
      assert.ok(cgroupGone(b), 'no cgroup left');
    });
  });

  test('a hook that outlives its timeout is killed and the create fails', TEST_TIMEOUT, async () => {
    await withContainer(sut, 'hk-timeout', withHooks({ createRuntime: [{ how: 'sleep', timeout: 1 }] }), async (b, id) => {
      arm(b);
      const started = Date.now();
      const r = await sut.exec(['create', '--bundle', b.dir, id]);
      assert.notEqual(r.code, 0, describeResult(r));
      assert.match(r.stderr, /createRuntime hook #0 .*timeout/, describeResult(r));
      assert.ok(Date.now() - started < 15_000, 'killed at its timeout, not after its 30 s sleep');
      assert.ok(!sut.listedIds().includes(id));
      assert.ok(cgroupGone(b));
    });
  });

  // runtime.md § State: hooks run in the container's namespaces get the pid as the container sees
  // it. runc 1.1 gives the same (its init's getpid()), so both runtimes run these.
  for (const sharedPid of [false, true]) {
    const which = sharedPid ? 'sharing the runtime\'s pid namespace: the host pid' : 'with a pid namespace of its own: 1';
    forEachRuntime(pair, `createContainer and startContainer get the init's pid as the container sees it (${which})`, async (_t, rt: Runtime) => {
      await withContainer(rt, 'hk-cpid', {
        args: ['sleep', '60'],
        readonly: false,
        mutate: (s) => {
          if (sharedPid) s.linux.namespaces = s.linux.namespaces.filter((n) => n.type !== 'pid');
          s.hooks = {
            // Before pivot_root the host's paths still resolve: FILE is set below, in the bundle.
            createContainer: [{ path: '/bin/busybox', args: ['sh', '-c', 'cat > "$1"', 'sh', 'FILE'] }],
            startContainer: [{ path: '/bin/busybox', args: ['sh', '-c', 'cat > /start-state.json'] }],
          };
        },
      }, async (b, id) => {
        const createState = path.join(b.dir, 'create-state.json');
        (b.spec.hooks as { createContainer: { args: string[] }[] }).createContainer[0].args[4] = createState;
        b.writeSpec();
        expectOk(await rt.exec(['create', '--bundle', b.dir, id]), 'create');
        const { pid } = await rt.state(id);
        const want = sharedPid ? pid : 1;
        const created = JSON.parse(fs.readFileSync(createState, 'utf8')) as Line['state'];
        assert.deepEqual([created.status, created.pid], ['creating', want], 'createContainer\'s state');
        expectOk(await rt.exec(['start', id]), 'start');
        const started = JSON.parse(fs.readFileSync(path.join(b.rootfs, 'start-state.json'), 'utf8')) as Line['state'];
        assert.deepEqual([started.status, started.pid], ['created', want], 'startContainer\'s state');
        assert.ok(pid > 1, `the runtime's view of the init is its host pid (${pid})`);
      });
    });
  }

  // Runs once per runtime, runc first: runc 1.1 already runs prestart where runtime-spec 1.1+ puts it.
  const PRESTART_PROBE = `pid=$(sed -n 's/.*"pid":\\([0-9]*\\).*/\\1/p'); ` +
    'echo "root=$(readlink /proc/$pid/root) mnt=$(readlink /proc/self/ns/mnt) proc=$(grep -c " $ROOTFS/proc " /proc/$pid/mountinfo)" >> $LOG';
  forEachRuntime(pair, 'prestart runs during create, in the runtime\'s namespaces, after the mounts and before pivot_root, with status "creating" and the init\'s pid', async (_t, rt: Runtime) => {
    await withContainer(rt, 'hk-pre', { ...withHooks({ prestart: [{}], createRuntime: [{}] }), args: ['true'] }, async (b, id) => {
      arm(b);
      const hooks = b.spec.hooks as Record<string, { path: string; args: string[]; env: string[] }[]>;
      hooks.prestart.push({ path: '/bin/busybox', args: ['sh', '-c', PRESTART_PROBE], env: [`ROOTFS=${b.rootfs}`, `LOG=${path.join(b.dir, 'probe.log')}`] });
      b.writeSpec();
      expectOk(await rt.exec(['create', '--bundle', b.dir, id]), 'create');
      const { pid, status } = await rt.state(id);
      assert.equal(status, 'created');
      const seen = lines(b);
      assert.deepEqual(seen.map((l) => l.name), ['prestart0', 'createRuntime0'], 'prestart ran during create, before createRuntime');
      assert.equal(seen[0].state.status, 'creating');
      assert.equal(seen[0].state.pid, pid, 'the init\'s pid as the runtime sees it');
      assert.equal(seen[0].mnt, hostMnt, 'in the runtime\'s mount namespace');
      const probe = fs.readFileSync(path.join(b.dir, 'probe.log'), 'utf8').trim();
      assert.match(probe, /^root=\/ /, `the init had not pivoted yet: ${probe}`);
      assert.match(probe, / proc=[1-9]/, `the container's /proc was already mounted: ${probe}`);
      expectOk(await rt.exec(['start', id]), 'start');
      assert.deepEqual(lines(b).map((l) => l.name), ['prestart0', 'createRuntime0'], 'start runs no prestart hook');
    });
  });

  forEachRuntime(pair, 'a prestart hook that fails: create fails naming it, the process never runs, nothing is left', async (_t, rt: Runtime) => {
    await withContainer(rt, 'hk-prefail', { ...withHooks({ prestart: [{ how: 'fail' }], createRuntime: [{}] }), args: ['sh', '-c', 'echo ran > /ran'], readonly: false }, async (b, id) => {
      arm(b);
      const r = await rt.exec(['create', '--bundle', b.dir, id]);
      assert.notEqual(r.code, 0, describeResult(r));
      assert.match(r.stderr, /exit status 3/, describeResult(r));
      assert.ok(!fs.existsSync(path.join(b.rootfs, 'ran')), 'the process never ran');
      assert.deepEqual(lines(b).map((l) => l.name), ['prestart0'], 'no createRuntime hook after a failed prestart');
      assert.ok(!rt.listedIds().includes(id), 'no state left');
      assert.ok(cgroupGone(b), 'no cgroup left');
    });
  });

  test('a failing prestart hook stops the container: poststop runs (runtime.md), and the message names the hook', TEST_TIMEOUT, async () => {
    await withContainer(sut, 'hk-prestop', withHooks({ prestart: [{ how: 'fail' }], poststop: [{}] }), async (b, id) => {
      arm(b);
      const r = await sut.exec(['create', '--bundle', b.dir, id]);
      assert.notEqual(r.code, 0, describeResult(r));
      assert.match(r.stderr, /prestart hook #0 .*exit status 3.*hook prestart0 says no/, describeResult(r));
      assert.deepEqual(lines(b).map((l) => l.name), ['prestart0', 'poststop0'], 'the lifecycle went on at delete: poststop ran');
      assert.deepEqual(lines(b).map((l) => l.state.status), ['creating', 'stopped']);
      assert.ok(!sut.listedIds().includes(id), 'no state left');
      assert.ok(cgroupGone(b), 'no cgroup left');
    });
  });

  test('a poststart hook that fails: start fails, the container is stopped and deleted, poststop runs once', TEST_TIMEOUT, async () => {
    await withContainer(sut, 'hk-poststart', withHooks({ poststart: [{ how: 'fail' }], poststop: [{}] }), async (b, id) => {
      arm(b);
      expectOk(await sut.exec(['create', '--bundle', b.dir, id]), 'create');
      const r = await sut.exec(['start', id]);
      assert.notEqual(r.code, 0, describeResult(r));
      assert.match(r.stderr, /poststart hook #0/, describeResult(r));
      await expectDeleted(id, b);
      expectOk(await sut.exec(['delete', '--force', id]), 'delete --force of a deleted container');
      assert.deepEqual(lines(b).map((l) => l.name), ['poststart0', 'poststop0'], 'poststop once');
    });
  });

  test('a poststop hook that fails is a warning: the other poststop hooks and the delete go on', TEST_TIMEOUT, async () => {
    await withContainer(sut, 'hk-poststop', withHooks({ poststop: [{ how: 'fail' }, {}] }), async (b, id) => {
      arm(b);
      expectOk(await sut.exec(['run', '--detach', '--bundle', b.dir, id]), 'run --detach');
      const r = await sut.exec(['delete', '--force', id]);
      expectOk(r, 'delete --force');
      assert.match(r.stderr, /level=warning.*poststop hook #0/, describeResult(r));
      assert.deepEqual(lines(b).map((l) => l.name), ['poststop0', 'poststop1']);
      assert.ok(!sut.listedIds().includes(id));
    });
  });
});

// exec into created and running containers, each case against runc first when it is installed:
// output, stdin and exit codes, the process's namespaces and cgroup, the flags runc has
// (--env, --cwd, --user, --additional-gids, --cap, --no-new-privs, --preserve-fds, --pid-file,
// --detach), a whole process from --process (containerd's and podman's way), the container's
// seccomp profile and capabilities applying to it, no fd leaking in, and the errors for a missing
// binary and for stopped or paused containers.
import { after, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Bundle, BundleOptions } from '../../helpers/rootfs';
import { describeResult, processAlive, repoRoot, sleep, waitForExit, type Runtime } from '../../helpers/runtime';
import { expectOk, forEachRuntime, keyed, runtimesForSuite, TEST_TIMEOUT, waitForFileContent, withContainer } from '../../helpers/suite';

const pair = runtimesForSuite();
const { sut } = pair;

function both(name: string, fn: (t: TestContext, rt: Runtime) => Promise<void>): void {
  forEachRuntime(pair, name, fn);
}

/** A running container whose init sleeps; fn runs with it. */
async function withRunning(rt: Runtime, prefix: string, opts: BundleOptions, fn: (b: Bundle, id: string, initPid: number) => Promise<void>): Promise<void> {
  await withContainer(rt, prefix, { args: ['sleep', '120'], ...opts }, async (b, id) => {
    expectOk(await rt.exec(['run', '--detach', '--bundle', b.dir, id], { stdoutPath: rt.ioPath('init.out'), stderrPath: rt.ioPath('init.err') }), 'run --detach');
    const { pid } = await rt.state(id);
    await fn(b, id, pid);
  });
}

let keyringHelper: string | null | undefined;
let helperDir: string | undefined;
after(() => { if (helperDir) fs.rmSync(helperDir, { recursive: true, force: true }); });
/** test/helpers/session-keyring.c built static (busybox containers have no libc), or null without a compiler. */
function sessionKeyringHelper(): string | null {
  if (keyringHelper === undefined) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-keyring-'));
    helperDir = dir;
    const out = path.join(dir, 'session-keyring');
    const r = spawnSync('cc', ['-static', '-O2', '-o', out, path.join(repoRoot(), 'test', 'helpers', 'session-keyring.c')], { encoding: 'utf8' });
    keyringHelper = r.status === 0 ? out : null;
  }
  return keyringHelper;
}

const nsOf = (pid: number | string, ns: string): string => fs.readlinkSync(`/proc/${pid}/ns/${ns}`);

describe(`exec (${sut.label}${pair.ref ? ', each case also against runc' : ''})`, () => {
  both('output, stdin and exit codes come from the exec\'d process', async (_t, rt) => {
    await withRunning(rt, 'ex-basic', {}, async (_b, id) => {
      const r = await rt.exec(['exec', id, 'sh', '-c', 'echo "out $$"; echo err >&2; exit 3']);
      assert.equal(r.code, 3, describeResult(r));
      assert.match(r.stdout, /^out \d+\n$/, describeResult(r));
      assert.notEqual(r.stdout.trim(), 'out 1', 'not the init');
      assert.match(r.stderr, /err/);
      const cat = await rt.exec(['exec', id, 'cat'], { stdin: 'through stdin\n' });
      expectOk(cat, 'exec cat');
      assert.equal(cat.stdout, 'through stdin\n');
      const killed = await rt.exec(['exec', id, 'sh', '-c', 'kill -9 $$']);
      assert.equal(killed.code, 137, describeResult(killed));
    });
  });

  both('the exec\'d process is in every namespace and the cgroup of the init', async (_t, rt) => {
    await withRunning(rt, 'ex-ns', { mutate: (s) => { s.linux.namespaces.push({ type: 'cgroup' }); } }, async (b, id, init) => {
      const pidFile = path.join(b.dir, 'exec.pid');
      expectOk(await rt.exec(['exec', '--detach', '--pid-file', pidFile, id, 'sleep', '30']), 'exec --detach');
      const pid = Number(fs.readFileSync(pidFile, 'utf8'));
      assert.ok(pid > 0 && processAlive(pid), `pid file ${pid}`);
      for (const ns of ['pid', 'mnt', 'net', 'ipc', 'uts', 'cgroup']) assert.equal(nsOf(pid, ns), nsOf(init, ns), `${ns} namespace`);
      assert.equal(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8'), fs.readFileSync(`/proc/${init}/cgroup`, 'utf8'), 'the same cgroups');
      assert.equal(fs.readlinkSync(`/proc/${pid}/root`), fs.readlinkSync(`/proc/${init}/root`), 'the container\'s root');
      process.kill(pid, 'SIGKILL');
      assert.ok(await waitForExit(pid));
    });
  });

  both('--env, --cwd, --user and --additional-gids shape the process', async (_t, rt) => {
    await withRunning(rt, 'ex-flags', {}, async (_b, id) => {
      const r = await rt.exec(['exec', '--env', 'EXTRA=1', '--env', 'MORE=two', '--cwd', '/tmp', '--user', '1000:1001', '--additional-gids', '1002', id,
        'sh', '-c', 'echo "env $EXTRA $MORE"; echo "cwd $(pwd)"; echo "id $(id -u):$(id -g) $(id -G)"']);
      expectOk(r, 'exec with flags');
      const o = keyed(r.stdout);
      assert.equal(o.get('env'), '1 two');
      assert.equal(o.get('cwd'), '/tmp');
      assert.equal(o.get('id'), '1000:1001 1001 1002');
    });
  });

  both('--cap adds a capability and --no-new-privs sets no_new_privs for the exec\'d process only', async (_t, rt) => {
    await withRunning(rt, 'ex-caps', { mutate: (s) => { s.process.noNewPrivileges = false; } }, async (_b, id, init) => {
      const status = (args: string[]) => rt.ok(['exec', ...args, id, 'grep', '-E', '^(CapBnd|CapEff|NoNewPrivs)', '/proc/self/status']);
      const CAP_SYS_TIME = 25n;
      const bits = (out: string, field: string): bigint => BigInt(`0x${new RegExp(`${field}:\\s+([0-9a-f]+)`).exec(out)?.[1] ?? '0'}`);
      const plain = (await status([])).stdout;
      assert.equal(bits(plain, 'CapBnd') & (1n << CAP_SYS_TIME), 0n, plain);
      assert.match(plain, /NoNewPrivs:\s+0/, plain);
      const added = (await status(['--cap', 'CAP_SYS_TIME', '--no-new-privs'])).stdout;
      assert.notEqual(bits(added, 'CapBnd') & (1n << CAP_SYS_TIME), 0n, added);
      assert.notEqual(bits(added, 'CapEff') & (1n << CAP_SYS_TIME), 0n, added);
      assert.match(added, /NoNewPrivs:\s+1/, added);
      const initStatus = fs.readFileSync(`/proc/${init}/status`, 'utf8');
      assert.equal(bits(initStatus, 'CapBnd') & (1n << CAP_SYS_TIME), 0n, 'the init is unchanged');
    });
  });

  both('--cgroup runs the process in an existing sub-cgroup of the container', async (_t, rt) => {
    await withRunning(rt, 'ex-subcg', {}, async (b, id, init) => {
      const cg = String(b.spec.linux.cgroupsPath);
      const pidsDir = path.join('/sys/fs/cgroup/pids', cg, 'sub');
      fs.mkdirSync(pidsDir);
      try {
        const r = await rt.exec(['exec', '--cgroup', 'pids:sub', id, 'cat', '/proc/self/cgroup']);
        expectOk(r, 'exec --cgroup pids:sub');
        assert.match(r.stdout, new RegExp(`:pids:${cg}/sub\n`), r.stdout);
        assert.match(fs.readFileSync(`/proc/${init}/cgroup`, 'utf8'), new RegExp(`:pids:${cg}\n`));
        const bad = await rt.exec(['exec', '--cgroup', 'pids:nope', id, 'true']);
        assert.notEqual(bad.code, 0, describeResult(bad));
      } finally {
        fs.rmdirSync(pidsDir);
      }
    });
  });

  // runc (1.1.5 and its newest) reads a path without a controller on a v1 or hybrid host as that
  // sub-cgroup in every hierarchy, the unified one included.
  both('--cgroup PATH alone on a v1 host: the same sub-cgroup in every hierarchy', async (t, rt) => {
    if (!fs.existsSync('/sys/fs/cgroup/pids/cgroup.procs')) return t.skip('needs a v1 or hybrid host with controllers mounted at /sys/fs/cgroup/<name>');
    await withRunning(rt, 'ex-subcg-all', {}, async (b, id, init) => {
      const cg = String(b.spec.linux.cgroupsPath);
      // Each hierarchy of the init, and where it is mounted on this layout.
      const lines = fs.readFileSync(`/proc/${init}/cgroup`, 'utf8').trim().split('\n').map((l) => l.split(':'));
      const dirs = lines.map(([, ctrls, p]) => path.join('/sys/fs/cgroup', ctrls === '' ? 'unified' : ctrls.replace(/^name=/, '').split(',')[0], p, 'sub'));
      if (!dirs.every((d) => fs.existsSync(path.dirname(d)))) return t.skip(`a hierarchy is not mounted where this test looks: ${dirs.join(' ')}`);
      for (const d of dirs) {
        fs.mkdirSync(d);
        // A cpuset needs its cpus and memory nodes before it takes a task.
        for (const f of ['cpuset.cpus', 'cpuset.mems']) {
          if (fs.existsSync(path.join(d, f))) fs.writeFileSync(path.join(d, f), fs.readFileSync(path.join(path.dirname(d), f)));
        }
      }
      try {
        const r = await rt.exec(['exec', '--cgroup', 'sub', id, 'cat', '/proc/self/cgroup']);
        expectOk(r, 'exec --cgroup sub');
        const got = r.stdout.trim().split('\n').map((l) => l.split(':')).map(([, ctrls, p]) => `${ctrls}:${p}`).sort();
        assert.deepEqual(got, lines.map(([, ctrls]) => `${ctrls}:${cg}/sub`).sort(), r.stdout);
        // An unknown controller is refused before anything runs.
        const bad = await rt.exec(['exec', '--cgroup', 'nosuchctrl:sub', id, 'true']);
        assert.notEqual(bad.code, 0, describeResult(bad));
        assert.match(bad.stderr, rt.kind === 'runc' ? /unknown controller nosuchctrl in SubCgroupPaths/ : /--cgroup: no nosuchctrl controller in this container's cgroups/, bad.stderr);
      } finally {
        for (const d of dirs.reverse()) {
          // runc's delete removes sub-cgroups with the container; ours stay for the test to remove.
          try { fs.rmdirSync(d); } catch { /* gone with the container */ }
        }
      }
    });
  });

  both('--tty does not change a process file: its own "terminal": false holds', async (_t, rt) => {
    await withRunning(rt, 'ex-proctty', {}, async (b, id) => {
      const file = path.join(b.dir, 'process.json');
      fs.writeFileSync(file, JSON.stringify({ terminal: false, user: { uid: 0, gid: 0 }, args: ['sh', '-c', 'tty; true'], env: ['PATH=/bin:/usr/bin'], cwd: '/' }));
      const r = await rt.exec(['exec', '--tty', '--process', file, id]);
      expectOk(r, 'exec --tty --process');
      assert.equal(r.stdout, 'not a tty\n');
    });
  });

  test('--tty in the foreground without a console socket: the process has a terminal of its own, relayed by tsrunc [tsrunc; runc needs one of its own]', TEST_TIMEOUT, async () => {
    await withRunning(sut, 'ex-tty', {}, async (_b, id) => {
      const r = await sut.exec(['exec', '--tty', id, 'sh', '-c', 'tty; test -t 0 && test -t 1 && echo both; ls /proc/self/fd | tr "\\n" " "']);
      expectOk(r, 'exec --tty');
      // No descriptor of the pty's setup is left beside stdio (ls's directory is the 3).
      assert.match(r.stdout, /^\/dev\/pts\/\d+\r?\nboth\r?\n0 1 2 3 $/, JSON.stringify(r.stdout));
    });
  });

  both('a whole process from --process, as containerd and podman send it', async (_t, rt) => {
    await withRunning(rt, 'ex-procfile', {}, async (b, id) => {
      const file = path.join(b.dir, 'process.json');
      fs.writeFileSync(file, JSON.stringify({
        terminal: false, user: { uid: 1000, gid: 1000 }, args: ['sh', '-c', 'echo "who $(id -u)"; echo "home $HOME"; grep CapEff /proc/self/status'],
        env: ['PATH=/bin:/usr/bin', 'HOME=/nowhere'], cwd: '/',
        capabilities: { bounding: ['CAP_KILL'], effective: [], permitted: [], inheritable: [], ambient: [] },
        noNewPrivileges: true,
      }));
      const r = await rt.exec(['exec', '--process', file, id]);
      expectOk(r, 'exec --process');
      const o = keyed(r.stdout);
      assert.equal(o.get('who'), '1000');
      assert.equal(o.get('home'), '/nowhere');
      assert.match(r.stdout, /CapEff:\s+0+\n/, 'no capabilities');
    });
  });

  both('the container\'s seccomp profile applies to exec\'d processes', async (_t, rt) => {
    const seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] };
    await withRunning(rt, 'ex-seccomp', { readonly: false, mutate: (s) => { s.linux.seccomp = seccomp; } }, async (_b, id) => {
      const r = await rt.exec(['exec', id, 'mkdir', '/blocked']);
      assert.notEqual(r.code, 0, describeResult(r));
      assert.match(r.stderr, /Operation not permitted/, describeResult(r));
    });
  });

  both('no fd of the runtime or its caller reaches the exec\'d process; --preserve-fds passes exactly N', async (_t, rt) => {
    await withRunning(rt, 'ex-fds', {}, async (b, id) => {
      const extra = fs.openSync(path.join(b.dir, 'config.json'), 'r');
      try {
        const run = async (args: string[], command: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> => {
          const argv = [...rt.argv, '--root', rt.root, 'exec', ...args, id, ...command];
          const out = rt.ioPath('fds');
          const outFd = fs.openSync(out, 'w');
          // fd 3 is an open file of the caller's, not close-on-exec (as containerd's shim leaves its socket).
          const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', outFd, 'inherit', extra], env });
          fs.closeSync(outFd);
          const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
          assert.equal(code, 0);
          return fs.readFileSync(out, 'utf8');
        };
        const list = async (args: string[], env?: NodeJS.ProcessEnv): Promise<string> =>
          (await run(args, ['ls', '/proc/self/fd'], env)).split(/\s+/).filter(Boolean).sort().join(' ');
        // ls's own directory fd is the one extra entry.
        assert.equal(await list([]), '0 1 2 3', 'stdio plus ls\'s directory');
        assert.equal(await list(['--preserve-fds', '1']), '0 1 2 3 4', 'stdio, the preserved fd 3, ls\'s directory');
        // Socket activation is create's and run's: exec passes no $LISTEN_FDS descriptors, nor the variables.
        const activated = { ...process.env, LISTEN_FDS: '1', LISTEN_PID: String(process.pid) };
        assert.equal(await list([], activated), '0 1 2 3', 'with LISTEN_FDS=1: stdio plus ls\'s directory');
        assert.equal(await run([], ['sh', '-c', 'echo "listen ${LISTEN_FDS:-none} ${LISTEN_PID:-none}"'], activated), 'listen none none\n');
      } finally {
        fs.closeSync(extra);
      }
    });
  });

  /** The session keyrings of the init and of an exec'd process, and the one the caller (this test) is in. */
  async function keyrings(rt: Runtime, helper: string, prefix: string, runFlags: string[], opts: BundleOptions = {}): Promise<{ init: string; exec: string; caller: string; id: string }> {
    // The init waits for the helper (copied in once it runs) and says which keyring it is in.
    const init = ['sh', '-c', 'while [ ! -x /keyring ]; do sleep 0.05; done; /keyring; exec sleep 120'];
    let out = { init: '', exec: '', caller: '', id: '' };
    await withContainer(rt, prefix, { ...opts, args: init }, async (b, id) => {
      // A mapped root (user namespace) must reach the rootfs.
      fs.chmodSync(b.dir, 0o755);
      fs.chmodSync(b.rootfs, 0o755);
      const initOut = rt.ioPath('init.out');
      expectOk(await rt.exec(['run', '--detach', ...runFlags, '--bundle', b.dir, id], { stdoutPath: initOut, stderrPath: rt.ioPath('init.err') }), 'run --detach');
      // Renamed into place: the init polls for an executable /keyring and would otherwise run a
      // file still open for writing (ETXTBSY) or not yet whole.
      fs.copyFileSync(helper, path.join(b.rootfs, 'keyring.tmp'));
      fs.chmodSync(path.join(b.rootfs, 'keyring.tmp'), 0o755);
      fs.renameSync(path.join(b.rootfs, 'keyring.tmp'), path.join(b.rootfs, 'keyring'));
      const initRing = (await waitForFileContent(initOut, /^\d+ keyring;.*\n/)).trim();
      const r = await rt.exec(['exec', id, '/keyring']);
      expectOk(r, 'exec /keyring');
      out = { init: initRing, exec: r.stdout.trim(), caller: execFileSync(helper, { encoding: 'utf8' }).trim(), id };
    });
    return out;
  }

  both('the exec\'d process is in the session keyring its init made (_ses.ID), not its caller\'s', async (t, rt) => {
    const helper = sessionKeyringHelper();
    if (!helper) return t.skip('no C compiler with a static libc to build test/helpers/session-keyring.c');
    const got = await keyrings(rt, helper, 'ex-keyring', []);
    assert.match(got.init, new RegExp(`^\\d+ keyring;0;0;[0-9a-f]+;_ses\\.${got.id}$`), 'the init\'s keyring is named after the container');
    assert.equal(got.exec, got.init, 'the same keyring');
    assert.notEqual(got.exec, got.caller, 'not the caller\'s');
  });

  // runc makes the keyring searchable by others in a user namespace for this, yet 1.1.5's exec'd
  // process ends in a new keyring of the same name.
  test('in a user namespace of its own too, the exec\'d process joins the init\'s session keyring [tsrunc]', TEST_TIMEOUT, async (t) => {
    const helper = sessionKeyringHelper();
    if (!helper) return t.skip('no C compiler with a static libc to build test/helpers/session-keyring.c');
    const map = [{ containerID: 0, hostID: 200000, size: 65536 }];
    const got = await keyrings(sut, helper, 'ex-keyring-userns', [], {
      mutate: (s) => {
        s.linux.namespaces.push({ type: 'user' });
        Object.assign(s.linux, { uidMappings: map, gidMappings: map });
        s.mounts = s.mounts.filter((m) => m.destination !== '/sys/fs/cgroup');
      },
    });
    assert.match(got.init, /^\d+ keyring;/, got.init);
    assert.equal(got.exec, got.init, 'the same keyring');
  });

  both('with --no-new-keyring the init and the exec\'d process keep their caller\'s session keyring', async (t, rt) => {
    const helper = sessionKeyringHelper();
    if (!helper) return t.skip('no C compiler with a static libc to build test/helpers/session-keyring.c');
    const got = await keyrings(rt, helper, 'ex-nokeyring', ['--no-new-keyring']);
    assert.equal(got.init, got.caller, 'the init');
    assert.equal(got.exec, got.caller, 'the exec\'d process');
  });

  both('a missing binary fails with runc\'s words and leaves no process', async (_t, rt) => {
    await withRunning(rt, 'ex-missing', {}, async (_b, id) => {
      const r = await rt.exec(['exec', id, 'no-such-binary']);
      assert.notEqual(r.code, 0, describeResult(r));
      assert.match(r.stderr, /executable file not found in \$PATH/, describeResult(r));
      const ps = await rt.ok(['ps', '--format', 'json', id]);
      assert.equal((JSON.parse(ps.stdout) as number[]).length, 1, `only the init is left: ${ps.stdout}`);
    });
  });

  test('an AppArmor profile this host cannot apply is refused before anything runs [tsrunc]', TEST_TIMEOUT, async () => {
    await withRunning(sut, 'ex-lsm', {}, async (_b, id) => {
      const r = await sut.exec(['exec', '--apparmor', 'some-profile', id, 'true']);
      assert.equal(r.code, 255, describeResult(r));
      assert.match(r.stderr, /exec failed: .*apparmor/i, describeResult(r));
    });
  });

  test('the init\'s namespaces are joined through its pidfd, all at once [tsrunc]', TEST_TIMEOUT, async () => {
    await withRunning(sut, 'ex-pidfd', {}, async (_b, id, init) => {
      const r = await sut.exec(['--debug', 'exec', id, 'true']);
      expectOk(r, 'exec --debug');
      assert.match(r.stderr, new RegExp(`joined the namespaces of init ${init} through its pidfd`), r.stderr);
      assert.match(r.stderr, /exec plan: \{\\?"version\\?":/, 'the plan is in the debug log');
    });
  });

  both('exec into a created container runs beside the waiting init', async (_t, rt) => {
    await withContainer(rt, 'ex-created', { args: ['sleep', '60'] }, async (b, id) => {
      expectOk(await rt.exec(['create', '--bundle', b.dir, id]), 'create');
      const r = await rt.exec(['exec', id, 'echo', 'hi']);
      expectOk(r, 'exec into a created container');
      assert.equal(r.stdout, 'hi\n');
      assert.equal((await rt.state(id)).status, 'created', 'still waiting for start');
    });
  });

  test('a container created without a process: exec needs a whole --process file [tsrunc; runc 1.1.5 refuses such a create]', TEST_TIMEOUT, async () => {
    await withContainer(sut, 'ex-noproc', { mutate: (s) => { delete (s as { process?: unknown }).process; } }, async (b, id) => {
      expectOk(await sut.exec(['create', '--bundle', b.dir, id]), 'create without a process');
      const r = await sut.exec(['exec', id, 'echo', 'ran']);
      assert.equal(r.code, 255, describeResult(r));
      assert.match(r.stderr, /exec failed: the container's config has no process to base this one on: give a whole process with --process/, describeResult(r));
      const file = path.join(b.dir, 'process.json');
      fs.writeFileSync(file, JSON.stringify({ user: { uid: 0, gid: 0 }, args: ['echo', 'ran'], env: ['PATH=/bin'], cwd: '/' }));
      const whole = await sut.exec(['exec', '--process', file, id]);
      expectOk(whole, 'exec --process');
      assert.equal(whole.stdout, 'ran\n');
    });
  });

  both('exec into a paused container is refused unless --ignore-paused; a stopped one always', async (_t, rt) => {
    await withRunning(rt, 'ex-state', {}, async (_b, id, init) => {
      expectOk(await rt.exec(['pause', id]), 'pause');
      const paused = await rt.exec(['exec', id, 'true']);
      assert.notEqual(paused.code, 0, describeResult(paused));
      assert.match(paused.stderr, /cannot exec in a paused container \(use --ignore-paused to override\)/, describeResult(paused));
      expectOk(await rt.exec(['resume', id]), 'resume');
      process.kill(init, 'SIGKILL');
      await rt.waitForStatus(id, 'stopped');
      const stopped = await rt.exec(['exec', id, 'true']);
      assert.notEqual(stopped.code, 0, describeResult(stopped));
      assert.match(stopped.stderr, /cannot exec in a stopped container/, describeResult(stopped));
    });
  });

  both('a foreground exec does not hold the container while its process runs: pause and resume go through meanwhile', async (_t, rt) => {
    await withRunning(rt, 'ex-unlocked', {}, async (_b, id) => {
      let settled = false;
      const running = rt.exec(['exec', id, 'sh', '-c', 'echo started; sleep 4; echo ended'], { timeoutMs: 20_000 }).finally(() => { settled = true; });
      const deadline = Date.now() + 10_000;
      while ((JSON.parse((await rt.ok(['ps', '--format', 'json', id])).stdout) as number[]).length < 2) {
        assert.ok(Date.now() < deadline, 'the exec\'d process never showed up');
        await sleep(50);
      }
      expectOk(await rt.exec(['pause', id], { timeoutMs: 10_000 }), 'pause during the exec');
      expectOk(await rt.exec(['resume', id], { timeoutMs: 10_000 }), 'resume during the exec');
      assert.equal(settled, false, 'pause and resume returned while the exec\'d process still ran');
      const r = await running;
      expectOk(r, 'exec');
      assert.equal(r.stdout, 'started\nended\n');
    });
  });

  both('signals to the runtime reach the exec\'d process', async (_t, rt) => {
    await withRunning(rt, 'ex-signal', {}, async (_b, id) => {
      const argv = [...rt.argv, '--root', rt.root, 'exec', id, 'sh', '-c', 'trap "echo got-winch" WINCH; trap "echo got-term; exit 5" TERM; echo ready; while true; do sleep 0.1; done'];
      const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      const deadline = Date.now() + 10_000;
      while (!out.includes('ready') && Date.now() < deadline) await sleep(20);
      // Without a terminal there is no window to change: SIGWINCH is not passed on (runc neither).
      child.kill('SIGWINCH');
      await sleep(300);
      child.kill('SIGTERM');
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      assert.match(out, /got-term/);
      assert.doesNotMatch(out, /got-winch/);
      assert.equal(code, 5);
    });
  });
});

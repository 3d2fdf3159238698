// What an exec'd process inherits from its container, and what each exec flag changes, read from
// the kernel (/proc/PID/status, limits, oom_score_adj, the cgroup files) rather than from the
// runtime: a container with no default anywhere (another user with extra groups, a cwd, five
// different capability sets, no_new_privs, rlimits with soft below hard, oom_score_adj, umask, a
// seccomp profile, a cgroup namespace), each case against runc 1.1.5 first with the same checks.
// Two values runc takes from elsewhere are checked for tsrunc only: runc applies user.umask to the
// init alone (an exec'd process keeps runc's caller's umask) and gives every exec'd process the
// container's oomScoreAdj, even when a process file has its own; tsrunc follows the spec, for
// which both belong to the process being started. RLIMIT_NOFILE is also tsrunc's only: runc
// 1.1's Go runtime raises its own soft limit to the hard one, and an exec'd process sometimes
// starts with that (core, set the same way, is checked for both).
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Bundle, BundleOptions } from '../../helpers/rootfs';
import { describeResult, processAlive, waitForExit, type Runtime } from '../../helpers/runtime';
import { expectOk, forEachRuntime, keyed, runtimesForSuite, TEST_TIMEOUT, withContainer } from '../../helpers/suite';

const pair = runtimesForSuite();
const { sut } = pair;

const CAPS = {
  bounding: ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW', 'CAP_SETUID', 'CAP_SETGID', 'CAP_SYS_PTRACE'],
  permitted: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETUID'],
  effective: ['CAP_KILL', 'CAP_NET_BIND_SERVICE'],
  inheritable: ['CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW'],
  ambient: ['CAP_KILL', 'CAP_NET_BIND_SERVICE'],
};
const BIT: Record<string, number> = {
  CAP_CHOWN: 0, CAP_DAC_OVERRIDE: 1, CAP_KILL: 5, CAP_SETGID: 6, CAP_SETUID: 7, CAP_NET_BIND_SERVICE: 10,
  CAP_NET_RAW: 13, CAP_SYS_PTRACE: 19, CAP_SYS_TIME: 25,
};
const mask = (names: string[]): string => names.reduce((m, n) => m | (1n << BigInt(BIT[n])), 0n).toString(16).padStart(16, '0');

/** The container: nothing at its default. Its init sleeps; the exec'd processes are checked. */
function container(o: { noNewPrivileges?: boolean; capabilities?: Record<string, string[]>; execCPUAffinity?: { final: string } } = {}): BundleOptions {
  return {
    args: ['sleep', '120'],
    cwd: '/tmp',
    user: { uid: 1000, gid: 1000, additionalGids: [2000] },
    extraEnv: ['FROM_CONFIG=yes'],
    hostname: 'inherits',
    mutate: (s) => {
      s.linux.namespaces.push({ type: 'cgroup' });
      const p = s.process as Record<string, unknown>;
      p.capabilities = o.capabilities ?? CAPS;
      if (o.execCPUAffinity) p.execCPUAffinity = o.execCPUAffinity;
      p.noNewPrivileges = o.noNewPrivileges ?? true;
      p.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1001, hard: 2002 }, { type: 'RLIMIT_CORE', soft: 4096, hard: 8192 }];
      p.oomScoreAdj = 123;
      (p.user as Record<string, unknown>).umask = 0o027;
      (s.linux as Record<string, unknown>).seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 71 }] };
    },
  };
}

async function withRunning(rt: Runtime, prefix: string, opts: BundleOptions, fn: (b: Bundle, id: string, initPid: number) => Promise<void>): Promise<void> {
  await withContainer(rt, prefix, opts, async (b, id) => {
    expectOk(await rt.exec(['run', '--detach', '--bundle', b.dir, id], { stdoutPath: rt.ioPath('init.out'), stderrPath: rt.ioPath('init.err') }), 'run --detach');
    const { pid } = await rt.state(id);
    await fn(b, id, pid);
  });
}

// Everything the process can see of itself, one "key value" line each.
const REPORT = [
  'echo "ids $(id -u):$(id -g) $(id -G)"', 'echo "cwd $(pwd)"', 'echo "home $HOME"', 'echo "from_config $FROM_CONFIG"',
  'echo "extra $EXTRA"', 'echo "umask $(umask)"', 'echo "hostname $(hostname)"',
  'for f in CapInh CapPrm CapEff CapBnd CapAmb NoNewPrivs Seccomp; do echo "$f $(grep "^$f:" /proc/self/status | cut -f2)"; done',
  'echo "nofile $(grep "^Max open files" /proc/self/limits | tr -s " " | cut -d" " -f4,5)"',
  'echo "core $(grep "^Max core file size" /proc/self/limits | tr -s " " | cut -d" " -f5,6)"',
  'echo "oom $(cat /proc/self/oom_score_adj)"',
  'mkdir /tmp/x 2>/dev/null; echo "mkdir $?"',
  // Field 6 of stat is the session: runc's exec'd processes lead their own, tty or not.
  'echo "session-leader $([ "$(cut -d" " -f6 /proc/$$/stat)" = "$$" ] && echo yes || echo no)"',
].join('; ');

async function report(rt: Runtime, id: string, flags: string[] = []): Promise<Map<string, string>> {
  return (await reportAndStderr(rt, id, flags)).got;
}

/** The report, and what the runtime printed besides (warnings). */
async function reportAndStderr(rt: Runtime, id: string, flags: string[]): Promise<{ got: Map<string, string>; stderr: string }> {
  const r = await rt.exec(['exec', ...flags, id, 'sh', '-c', REPORT]);
  assert.equal(r.code, 0, describeResult(r));
  return { got: keyed(r.stdout), stderr: r.stderr };
}

function expectFields(got: Map<string, string>, want: Record<string, string>, label: string): void {
  const picked = Object.fromEntries(Object.keys(want).map((k) => [k, got.get(k)]));
  assert.deepEqual(picked, want, `${label}: ${JSON.stringify(Object.fromEntries(got))}`);
}

/** A sysfs attribute with no read method: opening it to read fails with EACCES, even for root. */
const WRITE_ONLY = '/sys/bus/pci/rescan';

const both = (name: string, fn: (t: TestContext, rt: Runtime) => Promise<void>): void => forEachRuntime(pair, name, fn);

/** The fields runc 1.1.5 takes from elsewhere (see the top of the file): checked for tsrunc only. */
const specOnly = (rt: Runtime, fields: Record<string, string>): Record<string, string> => (rt.kind === 'runc' ? {} : fields);

describe(`exec: what the process inherits and what each flag changes (${sut.label})`, () => {
  both('without flags: the container\'s user, groups, cwd, env, umask, capabilities, no_new_privs, rlimits, oom_score_adj and seccomp', async (_t, rt) => {
    await withRunning(rt, 'exi-plain', container(), async (_b, id, init) => {
      const got = await report(rt, id);
      expectFields(got, {
        ids: '1000:1000 1000 2000', cwd: '/tmp', home: '/home/user', from_config: 'yes', hostname: 'inherits', ...specOnly(rt, { umask: '0027' }),
        // A non-root process keeps across execve only its ambient capabilities (as permitted and effective).
        CapInh: mask(CAPS.inheritable), CapPrm: mask(CAPS.ambient), CapEff: mask(CAPS.ambient), CapBnd: mask(CAPS.bounding), CapAmb: mask(CAPS.ambient),
        NoNewPrivs: '1', Seccomp: '2', core: '4096 8192', oom: '123', mkdir: '1', ...specOnly(rt, { nofile: '1001 2002' }),
        'session-leader': 'yes',
      }, 'exec');
      // The init shows the same: the exec'd process got its limits from the config, like the init.
      const status = fs.readFileSync(`/proc/${init}/status`, 'utf8');
      assert.match(status, new RegExp(`CapBnd:\\s+${mask(CAPS.bounding)}`));
    });
  });

  both('--user 0:0: root keeps the permitted set across execve (no_new_privs caps what it would gain) as effective too', async (_t, rt) => {
    await withRunning(rt, 'exi-root', container(), async (_b, id) => {
      const got = await report(rt, id, ['--user', '0:0']);
      expectFields(got, {
        ids: '0:0 0 2000', home: '/root', CapInh: mask(CAPS.inheritable), CapPrm: mask(CAPS.permitted), CapEff: mask(CAPS.permitted),
        CapBnd: mask(CAPS.bounding), CapAmb: mask(CAPS.ambient), NoNewPrivs: '1', core: '4096 8192', oom: '123',
      }, 'exec --user 0:0');
    });
  });

  both('--cap adds to the container\'s bounding, effective and permitted sets (and ambient, as it has inheritable ones); the init keeps its own', async (_t, rt) => {
    await withRunning(rt, 'exi-cap', container(), async (_b, id, init) => {
      const root = await report(rt, id, ['--user', '0:0', '--cap', 'CAP_SYS_TIME']);
      expectFields(root, {
        CapBnd: mask([...CAPS.bounding, 'CAP_SYS_TIME']), CapPrm: mask([...CAPS.permitted, 'CAP_SYS_TIME']), CapEff: mask([...CAPS.permitted, 'CAP_SYS_TIME']),
        CapInh: mask(CAPS.inheritable), CapAmb: mask(CAPS.ambient),
      }, 'exec --cap CAP_SYS_TIME as root');
      const initStatus = fs.readFileSync(`/proc/${init}/status`, 'utf8');
      assert.match(initStatus, new RegExp(`CapBnd:\\s+${mask(CAPS.bounding)}`), 'the init is unchanged');
    });
  });

  both('--cap of a capability the container has as inheritable makes it ambient too, so a non-root process keeps it', async (_t, rt) => {
    await withRunning(rt, 'exi-capamb', container(), async (_b, id) => {
      const got = await report(rt, id, ['--cap', 'CAP_NET_RAW']);
      const withRaw = [...CAPS.ambient, 'CAP_NET_RAW'];
      expectFields(got, { CapAmb: mask(withRaw), CapPrm: mask(withRaw), CapEff: mask(withRaw), CapInh: mask(CAPS.inheritable), CapBnd: mask(CAPS.bounding) }, 'exec --cap CAP_NET_RAW as 1000');
    });
  });

  both('bad exec input is refused naming it, and nothing runs', async (_t, rt) => {
    await withRunning(rt, 'exi-bad', container(), async (b, id) => {
      const bad: [string[], RegExp][] = [
        [['--user', 'alice'], /alice/],
        [['--user', '1000:staff'], /staff/],
        [['--additional-gids', 'x'], /"?x"?/],
        [['--additional-gids', '-3'], /additional-gids must be a positive number -3/],
        [['--process', path.join(b.dir, 'missing.json')], /missing\.json: no such file or directory/],
        [['--cgroup', 'pids:nope'], /nope/],
        [['--cgroup', ':sub'], /sub/],
        // Numbers must be whole: a digit at either end is not enough.
        [['--user', '1000x'], /1000x/],
        [['--user', 'x1000'], /x1000/],
        [['--user', '1000:5x'], /5x/],
        [['--user', '1000:x5'], /x5/],
        [['--additional-gids', '5x'], /5x/],
        [['--additional-gids', 'x5'], /x5/],
        // A process file that cannot be read, each with the reason the kernel gave.
        [['--process', b.dir], /is a directory/],
        [['--process', path.join(b.dir, 'config.json', 'x')], /not a directory/],
        ...(fs.existsSync(WRITE_ONLY) ? [[['--process', WRITE_ONLY], /open \/sys\/bus\/pci\/rescan: permission denied/] as [string[], RegExp]] : []),
        [['--cwd', 'relative'], rt.kind === 'runc' ? /Cwd must be an absolute path/ : /exec failed: the exec process: \/cwd: must be an absolute path/],
        // runc 1.1.5 runs the process first and fails writing the file; tsrunc checks first.
        ...(rt.kind === 'runc' ? [] : [[['--pid-file', path.join(b.dir, 'no-dir', 'exec.pid')], /no such file or directory/] as [string[], RegExp]]),
        // Nor is a directory (or a device, fifo, socket) at the pid file's path replaced.
        ...(rt.kind === 'runc' ? [] : [[['--pid-file', path.join(b.dir, 'rootfs')], /rootfs: it exists and is not a regular file/] as [string[], RegExp]]),
        [['--tty', '--detach'], /cannot allocate tty if \w+ will detach without setting console socket/],
        [['--console-socket', path.join(b.dir, 'console.sock')], /cannot use console socket if \w+ will not detach or allocate tty/],
      ];
      for (const [flags, want] of bad) {
        const r = await rt.exec(['exec', ...flags, id, 'sh', '-c', 'echo ran']);
        assert.notEqual(r.code, 0, describeResult(r));
        assert.doesNotMatch(r.stdout, /^ran$/m, `nothing ran: ${describeResult(r)}`);
        assert.match(r.stderr, want, describeResult(r));
      }
      const empty = await rt.exec(['exec', id]);
      assert.notEqual(empty.code, 0, describeResult(empty));
      assert.match(empty.stderr, /args cannot be empty/, describeResult(empty));
      fs.writeFileSync(path.join(b.dir, 'broken.json'), '{"args": ["sh"');
      const broken = await rt.exec(['exec', '--process', path.join(b.dir, 'broken.json'), id]);
      assert.notEqual(broken.code, 0, describeResult(broken));
      assert.match(broken.stderr, /broken\.json|JSON|unexpected (end|EOF)/i, describeResult(broken));
      // A process file the config rules refuse: named by its file and the field (runc: the field).
      const relative = path.join(b.dir, 'relative.json');
      fs.writeFileSync(relative, JSON.stringify({ user: { uid: 0, gid: 0 }, args: ['sh', '-c', 'echo ran'], env: ['PATH=/bin'], cwd: 'rel' }));
      const refused = await rt.exec(['exec', '--process', relative, id]);
      assert.equal(refused.code, 255, describeResult(refused));
      assert.equal(refused.stdout, '', 'nothing ran');
      assert.match(refused.stderr, rt.kind === 'runc' ? /Cwd must be an absolute path/ : new RegExp(`exec failed: ${relative}: /cwd: must be an absolute path`), describeResult(refused));
      const ps = await rt.ok(['ps', '--format', 'json', id]);
      assert.equal((JSON.parse(ps.stdout) as number[]).length, 1, `only the init: ${ps.stdout}`);
    });
  });

  both('--no-new-privs sets no_new_privs for that process only; the container\'s own setting is inherited otherwise', async (_t, rt) => {
    await withRunning(rt, 'exi-nnp', container({ noNewPrivileges: false }), async (_b, id, init) => {
      expectFields(await report(rt, id), { NoNewPrivs: '0', Seccomp: '2', mkdir: '1' }, 'exec');
      expectFields(await report(rt, id, ['--no-new-privs']), { NoNewPrivs: '1', Seccomp: '2', mkdir: '1' }, 'exec --no-new-privs');
      assert.match(fs.readFileSync(`/proc/${init}/status`, 'utf8'), /NoNewPrivs:\s+0/, 'the init is unchanged');
    });
  });

  both('--env adds to the container\'s environment, --cwd and --user replace, --additional-gids adds', async (_t, rt) => {
    await withRunning(rt, 'exi-flags', container(), async (_b, id) => {
      const got = await report(rt, id, ['--env', 'EXTRA=given', '--cwd', '/etc', '--user', '65534:100', '--additional-gids', '5']);
      expectFields(got, { ids: '65534:100 100 5 2000', cwd: '/etc', extra: 'given', from_config: 'yes', home: '/nonexistent', ...specOnly(rt, { umask: '0027' }) }, 'exec with flags');
    });
  });

  both('an exec\'d process is in the container\'s cgroup in every hierarchy, and its cgroup namespace', async (_t, rt) => {
    await withRunning(rt, 'exi-cg', container(), async (b, id, init) => {
      const pidFile = path.join(b.dir, 'exec.pid');
      expectOk(await rt.exec(['exec', '--detach', '--pid-file', pidFile, id, 'sleep', '30']), 'exec --detach');
      const pid = Number(fs.readFileSync(pidFile, 'utf8'));
      try {
        assert.ok(pid > 0 && processAlive(pid), `pid file ${pid}`);
        assert.equal(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8'), fs.readFileSync(`/proc/${init}/cgroup`, 'utf8'));
        for (const ns of ['cgroup', 'pid', 'mnt', 'net', 'ipc', 'uts', 'user']) {
          assert.equal(fs.readlinkSync(`/proc/${pid}/ns/${ns}`), fs.readlinkSync(`/proc/${init}/ns/${ns}`), `${ns} namespace`);
        }
        // Counted by the container's pids controller, as the kernel sees it.
        const procs = fs.readFileSync(path.join('/sys/fs/cgroup/pids', String(b.spec.linux.cgroupsPath), 'cgroup.procs'), 'utf8').split('\n');
        assert.ok(procs.includes(String(pid)), `cgroup.procs: ${procs.join(' ')}`);
      } finally {
        try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
        await waitForExit(pid);
      }
    });
  });

  both('a process file\'s own values replace the container\'s (rlimits, capabilities, user, cwd, env)', async (_t, rt) => {
    await withRunning(rt, 'exi-procfile', container(), async (b, id) => {
      const file = path.join(b.dir, 'process.json');
      fs.writeFileSync(file, JSON.stringify({
        user: { uid: 1000, gid: 1000, umask: 0o077 }, args: ['sh', '-c', REPORT], env: ['PATH=/bin:/usr/bin', 'EXTRA=file'], cwd: '/bin',
        capabilities: { bounding: ['CAP_KILL', 'CAP_NET_RAW'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'], inheritable: ['CAP_KILL'], ambient: ['CAP_KILL'] },
        rlimits: [{ type: 'RLIMIT_CORE', soft: 333, hard: 444 }],
        noNewPrivileges: false, oomScoreAdj: 77,
      }));
      const r = await rt.exec(['exec', '--process', file, id]);
      expectOk(r, 'exec --process');
      expectFields(keyed(r.stdout), {
        ids: '1000:1000 1000', cwd: '/bin', extra: 'file', from_config: '', home: '/home/user',
        CapBnd: mask(['CAP_KILL', 'CAP_NET_RAW']), CapAmb: mask(['CAP_KILL']), CapEff: mask(['CAP_KILL']), CapInh: mask(['CAP_KILL']),
        NoNewPrivs: '0', core: '333 444', Seccomp: '2', ...specOnly(rt, { umask: '0077', oom: '77' }),
      }, 'exec --process');
    });
  });

  both('without user.umask an exec\'d process keeps its caller\'s umask (the spec\'s "should not be changed"), here 077', async (_t, rt) => {
    await withRunning(rt, 'exi-umask', { args: ['sleep', '120'] }, async (_b, id) => {
      const old = process.umask(0o077);
      try {
        const r = await rt.exec(['exec', id, 'sh', '-c', 'umask']);
        expectOk(r, 'exec');
        assert.equal(r.stdout.trim(), '0077');
      } finally {
        process.umask(old);
      }
    });
  });

  both('--ignore-paused: exec into a paused container waits, frozen with it, and runs once it is resumed', async (_t, rt) => {
    await withRunning(rt, 'exi-paused', container(), async (_b, id) => {
      expectOk(await rt.exec(['pause', id]), 'pause');
      let settled = false;
      const pending = rt.exec(['exec', '--ignore-paused', id, 'echo', 'ran'], { timeoutMs: 20_000 }).finally(() => { settled = true; });
      await new Promise((r) => setTimeout(r, 700));
      assert.equal(settled, false, 'nothing runs in a frozen container');
      assert.equal((await rt.state(id)).status, 'paused');
      expectOk(await rt.exec(['resume', id], { timeoutMs: 10_000 }), 'resume, while the exec waits');
      const r = await pending;
      expectOk(r, 'exec --ignore-paused');
      assert.equal(r.stdout, 'ran\n');
    });
  });

  both('--user UID alone keeps the container\'s gid; --additional-gids 0 adds root\'s group like any other', async (_t, rt) => {
    await withRunning(rt, 'exi-uidonly', container(), async (_b, id) => {
      expectFields(await report(rt, id, ['--user', '65534', '--additional-gids', '0']), { ids: '65534:1000 1000 0 2000', home: '/nonexistent' }, 'exec --user 65534 --additional-gids 0');
    });
  });

  both('--cap on a container with only bounding and inheritable capabilities: the capability is in every set, ambient too, and nothing is warned about', async (_t, rt) => {
    await withRunning(rt, 'exi-caponly', container({ capabilities: { bounding: ['CAP_NET_RAW'], inheritable: ['CAP_NET_RAW'] } }), async (_b, id) => {
      const { got, stderr } = await reportAndStderr(rt, id, ['--cap', 'CAP_NET_RAW']);
      const raw = mask(['CAP_NET_RAW']);
      expectFields(got, { ids: '1000:1000 1000 2000', CapBnd: raw, CapPrm: raw, CapEff: raw, CapInh: raw, CapAmb: raw }, 'exec --cap CAP_NET_RAW as 1000');
      assert.equal(stderr, '', 'no warning');
    });
  });

  both('--cap on a container without bounding or inheritable capabilities: bounding holds just that one, none becomes ambient (a non-root process keeps none), nothing is warned about', async (_t, rt) => {
    const { permitted, effective } = CAPS;
    await withRunning(rt, 'exi-capnoinh', container({ capabilities: { permitted, effective } }), async (_b, id) => {
      const { got, stderr } = await reportAndStderr(rt, id, ['--cap', 'CAP_NET_RAW']);
      const none = mask([]);
      expectFields(got, { CapBnd: mask(['CAP_NET_RAW']), CapAmb: none, CapInh: none, CapPrm: none, CapEff: none }, 'exec --cap CAP_NET_RAW as 1000');
      assert.equal(stderr, '', 'no warning');
    });
  });

  both('--cap makes a capability effective while the process starts: a user may run a program only CAP_DAC_OVERRIDE can reach; an unknown one is ignored with a warning', async (_t, rt) => {
    await withRunning(rt, 'exi-capdac', container(), async (b, id) => {
      // A directory only root may enter, holding a program anyone may run.
      const secret = path.join(b.rootfs, 'secret');
      fs.mkdirSync(secret, { mode: 0o700 });
      fs.copyFileSync(path.join(b.rootfs, 'bin', 'busybox'), path.join(secret, 'busybox'));
      fs.chmodSync(path.join(secret, 'busybox'), 0o755);
      const run = (flags: string[]) => rt.exec(['exec', ...flags, id, '/secret/busybox', 'echo', 'reached']);
      const denied = await run([]);
      assert.notEqual(denied.code, 0, describeResult(denied));
      assert.match(denied.stderr, /permission denied/i, describeResult(denied));
      const allowed = await run(['--cap', 'CAP_DAC_OVERRIDE']);
      expectOk(allowed, 'exec --cap CAP_DAC_OVERRIDE');
      assert.equal(allowed.stdout, 'reached\n');
      const unknown = await rt.exec(['exec', '--cap', 'CAP_NOPE', id, 'sh', '-c', 'grep ^CapBnd: /proc/self/status']);
      expectOk(unknown, 'exec --cap CAP_NOPE');
      assert.match(unknown.stdout, new RegExp(`CapBnd:\\s+${mask(CAPS.bounding)}`), 'the other capabilities are kept');
      assert.match(unknown.stderr, rt.kind === 'runc' ? /CAP_NOPE/ : /the exec process: \/capabilities\/bounding\/\d+: unknown capability CAP_NOPE, ignored/, `a warning names it: ${describeResult(unknown)}`);
    });
  });

  both('--env on a container whose process has no environment: the process gets exactly that (and HOME)', async (_t, rt) => {
    await withRunning(rt, 'exi-noenv', { args: ['/bin/sleep', '120'], mutate: (s) => { delete (s.process as Record<string, unknown>).env; } }, async (_b, id) => {
      const r = await rt.exec(['exec', '--env', 'ONLY=this', id, '/bin/cat', '/proc/self/environ']);
      expectOk(r, 'exec --env');
      assert.deepEqual(r.stdout.split('\0').filter(Boolean).sort(), ['HOME=/root', 'ONLY=this']);
    });
  });

  test('execCPUAffinity of the container\'s process: an exec\'d process ends on the final CPUs, the init keeps its own [tsrunc, runc 1.1.5 lacks it]', TEST_TIMEOUT, async (t) => {
    if (os.cpus().length < 2) return t.skip('needs two CPUs');
    await withRunning(sut, 'exi-affinity', container({ execCPUAffinity: { final: '1' } }), async (_b, id, init) => {
      const r = await sut.exec(['exec', id, 'grep', '^Cpus_allowed_list:', '/proc/self/status']);
      expectOk(r, 'exec');
      assert.match(r.stdout, /Cpus_allowed_list:\s+1\n/, r.stdout);
      assert.doesNotMatch(fs.readFileSync(`/proc/${init}/status`, 'utf8'), /Cpus_allowed_list:\s+1\n/, 'the init is not moved');
    });
  });

  test('--cap of a capability the runtime itself lacks: left out, with a warning naming it [tsrunc]', TEST_TIMEOUT, async (t) => {
    if (spawnSync('setpriv', ['--version']).status !== 0) return t.skip('no setpriv to run tsrunc with a smaller bounding set');
    await withRunning(sut, 'exi-capgrant', container(), async (_b, id) => {
      // tsrunc run without CAP_SYS_TIME in its own bounding set, so it cannot grant it.
      const argv = ['setpriv', '--bounding-set', '-sys_time', ...sut.argv, '--root', sut.root, 'exec', '--user', '0:0', '--cap', 'CAP_SYS_TIME', id, 'grep', '^CapBnd:', '/proc/self/status'];
      const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`CapBnd:\\s+${mask(CAPS.bounding)}`), 'the container\'s own bounding set');
      assert.match(r.stderr, /cannot be granted; left out of every set: CAP_SYS_TIME/, r.stderr);
    });
  });

  test('--process-label and --apparmor are refused on a host without SELinux or AppArmor, before anything runs [tsrunc]', TEST_TIMEOUT, async (t) => {
    if (fs.existsSync('/sys/fs/selinux/enforce') || fs.existsSync('/sys/kernel/security/apparmor')) return t.skip('this host has an LSM that could apply the label');
    await withRunning(sut, 'exi-lsm', container(), async (_b, id) => {
      for (const flags of [['--process-label', 'system_u:system_r:container_t:s0'], ['--apparmor', 'some-profile']]) {
        const r = await sut.exec(['exec', ...flags, id, 'sh', '-c', 'echo ran']);
        assert.equal(r.code, 255, describeResult(r));
        assert.equal(r.stdout, '', 'nothing ran');
        // The refusal of a label the host cannot apply, not a failure to apply it.
        assert.match(r.stderr, /exec failed: (selinux label is specified in config, but selinux is disabled|apparmor profile \\?"some-profile\\?" is specified in config)/, describeResult(r));
      }
      const ps = await sut.ok(['ps', '--format', 'json', id]);
      assert.equal((JSON.parse(ps.stdout) as number[]).length, 1, `only the init: ${ps.stdout}`);
    });
  });
});

// Rootless, command by command: every command run by an unprivileged user with no /etc/subuid
// range (so only its own id can be mapped), on this hybrid cgroup v1 host where such a user can
// write no cgroup, compared with runc 1.1.5 run by the same user; a traced lifecycle that must not
// write outside the user's own directories; and the errors such a user meets (several ranges
// without subordinate ids, a host id it does not own, a state root it cannot write, limits with no
// writable cgroup): each named, with a non-zero exit and nothing left behind.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TestUser, testUserSkip } from '../../helpers/test-user';
import { hasRunc, hostMountsMentioning, runtimeCommand, tsruncIsRunc, uniqueId } from '../../helpers/runtime';
import { openMaster, startConsoleReceiver } from '../../helpers/console-socket';
import { STRACE_ARGS, straceSkip, under, writeAttempts } from '../../helpers/write-trace';

// No subordinate range at all: the spec --rootless config (its own uid and gid) must do.
const user = new TestUser({ prefix: 'tsrunc-rlc', sub: null });
const setupSkip = testUserSkip;
const TIMEOUT = { timeout: 180_000 };

before(() => { if (!setupSkip) user.create(); });
after(() => {
  if (setupSkip) return;
  for (const rt of runtimes()) {
    const ids = user.run([...rt.bin, 'list', '--quiet'], user.home).stdout?.split('\n').filter(Boolean) ?? [];
    for (const id of ids) user.run([...rt.bin, 'delete', '--force', id], user.home);
  }
  user.remove();
});

interface Rt { kind: 'runc' | 'tsrunc'; bin: string[]; stateDir: string }
function runtimes(): Rt[] {
  const list: Rt[] = [{ kind: 'tsrunc', bin: runtimeCommand('tsrunc').argv, stateDir: tsruncIsRunc() ? 'runc' : 'tsrunc' }];
  if (hasRunc()) list.unshift({ kind: 'runc', bin: runtimeCommand('runc').argv, stateDir: 'runc' });
  return list;
}
const tsrunc = (): Rt => runtimes().find((r) => r.kind === 'tsrunc')!;

const as = (argv: string[], cwd: string, opts: Parameters<TestUser['run']>[2] = {}): SpawnSyncReturns<string> => user.run(argv, cwd, opts);
const pause = (): void => { spawnSync('sleep', ['0.05']); };
function until(what: string, cond: () => boolean, ms = 30_000): void {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    pause();
  }
}
const status = (rt: Rt, id: string, dir: string): string | undefined => {
  const r = as([...rt.bin, 'state', id], dir);
  return r.status === 0 ? (JSON.parse(r.stdout) as { status: string }).status : undefined;
};
const gone = (pid: number): boolean => !fs.existsSync(`/proc/${pid}`) || /^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));

/** The user's live processes (zombies aside: a killed init may wait for the host's pid 1 to reap it). */
const userProcesses = (): string[] => spawnSync('ps', ['-u', String(user.uid), '-o', 'stat=,pid=,args='], { encoding: 'utf8' }).stdout
  .split('\n').filter((l) => l.trim() && !l.trim().startsWith('Z'));

/** A user bundle with a writable rootfs (the trap below leaves its mark there). */
const bundle = (rt: Rt, args: string[], edit?: (s: Record<string, any>) => void): string => user.bundle(rt.bin, args, (s) => {
  s.root.readonly = false;
  edit?.(s);
});

const observed = new Map<string, { events: string; pauseCode: number | null; watchCode: number | null }>();

describe('rootless commands: an unprivileged user without subordinate ids, no writable cgroup (each also with runc 1.1.5)', () => {
  for (const rt of runtimes()) {
    test(`create --pid-file, start, state, list, exec, ps, events --stats, pause, kill with a trapped signal, delete [${rt.kind}]`, { ...TIMEOUT, skip: setupSkip }, () => {
      assert.equal(fs.readFileSync('/etc/subuid', 'utf8').split('\n').some((l) => l.startsWith(`${user.name}:`)), false, 'the user has no subordinate range');
      // One long child, so the process list stays the same between two ps calls; a trapped
      // signal interrupts the shell's wait.
      const dir = bundle(rt, ['sh', '-c', 'trap "echo trapped > /trapped; exit 3" USR1; sleep 600 & echo ready > /ready; wait']);
      const id = uniqueId(`rlc-${rt.kind}`);
      const pidFile = path.join(dir, 'init.pid');
      try {
        const create = as([...rt.bin, 'create', '--pid-file', pidFile, id], dir, { detached: true });
        assert.equal(create.status, 0, create.stderr);
        const state = JSON.parse(as([...rt.bin, 'state', id], dir).stdout) as { pid: number; status: string };
        assert.equal(state.status, 'created');
        // The pid file: the init's host pid, bare decimal, owned by the user.
        assert.equal(fs.readFileSync(pidFile, 'utf8'), String(state.pid));
        assert.equal(fs.statSync(pidFile).uid, user.uid);
        // exec into the created container, before start: the user joins the waiting init's
        // namespaces (/proc/PID/ns needs it reachable by the user, as runc's is).
        const early = as([...rt.bin, 'exec', id, 'sh', '-c', 'id -u; cat /proc/self/uid_map'], dir);
        assert.equal(early.status, 0, early.stderr);
        assert.deepEqual(early.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' ')), ['0', `0 ${user.uid} 1`]);
        const start = as([...rt.bin, 'start', id], dir);
        assert.equal(start.status, 0, start.stderr);
        until('the init to set its trap', () => fs.existsSync(path.join(dir, 'rootfs', 'ready')));
        assert.equal(status(rt, id, dir), 'running');
        const list = JSON.parse(as([...rt.bin, 'list', '--format', 'json'], dir).stdout) as { id: string; owner: string }[];
        assert.equal(list.find((c) => c.id === id)?.owner, user.name);

        // exec without a terminal: root of the container's namespace, which maps the user.
        const exec = as([...rt.bin, 'exec', id, 'sh', '-c', 'id -u; cat /proc/self/uid_map'], dir);
        assert.equal(exec.status, 0, exec.stderr);
        const [who, map] = exec.stdout.trim().split('\n');
        assert.equal(who, '0');
        assert.deepEqual(map.trim().split(/\s+/), ['0', String(user.uid), '1']);

        if (rt.kind === 'tsrunc') {
          // runc 1.1.5 fails here ("unable to get all container pids: lstat : no such file or
          // directory"): without a cgroup tsrunc finds the processes by their pid namespace.
          const json = as([...rt.bin, 'ps', '--format', 'json', id], dir);
          assert.equal(json.status, 0, json.stderr);
          const pids = JSON.parse(json.stdout) as number[];
          assert.ok(pids.includes(state.pid), json.stdout);
          assert.equal(pids.length, 2, `the init and its sleep: ${json.stdout}`);
          for (const p of pids) assert.equal(fs.statSync(`/proc/${p}/ns/pid`).ino, fs.statSync(`/proc/${state.pid}/ns/pid`).ino);
          const table = as([...rt.bin, 'ps', id, '-o', 'pid,args'], dir);
          assert.equal(table.status, 0, table.stderr);
          const rows = table.stdout.trim().split('\n');
          assert.match(rows[0], /PID/);
          assert.ok(rows.some((r) => r.trim().startsWith(`${state.pid} sh -c trap`)), table.stdout);
          assert.ok(rows.slice(1).every((r) => pids.includes(Number(r.trim().split(/\s+/)[0]))), table.stdout);
        }

        // events --stats without a cgroup: one line of statistics, every counter zero, exit 0.
        const events = as([...rt.bin, 'events', '--stats', id], dir);
        assert.equal(events.status, 0, events.stderr);
        const line = JSON.parse(events.stdout) as { type: string; id: string };
        assert.equal(line.type, 'stats');
        assert.equal(line.id, id);

        // events without --stats: no cgroup to watch for OOM kills; runc fails ("memory
        // controller missing"), tsrunc fails with the same exit code, saying why.
        const watch = as([...rt.bin, 'events', '--interval', '1s', id], dir, { timeout: 30_000 });
        assert.notEqual(watch.status, 0, watch.stderr);
        if (rt.kind === 'tsrunc') assert.match(watch.stderr, new RegExp(`container ${id} has no cgroup \\(it was created rootless`), watch.stderr);

        // pause: nothing to freeze with; a clear error and a failing exit.
        const paused = as([...rt.bin, 'pause', id], dir);
        assert.notEqual(paused.status, 0);
        if (rt.kind === 'tsrunc') assert.match(paused.stderr, new RegExp(`container ${id} has no cgroup \\(it was created rootless, where no cgroup was writable by its user; delegate a cgroup v2 subtree`), paused.stderr);
        else assert.match(paused.stderr, /cgroups not configured for container/, paused.stderr);
        assert.equal(status(rt, id, dir), 'running', 'a failed pause leaves it running');
        observed.set(rt.kind, { events: events.stdout.replace(id, 'ID'), pauseCode: paused.status, watchCode: watch.status });

        // A signal other than KILL, which the init traps: it runs the trap and exits.
        const kill = as([...rt.bin, 'kill', id, 'USR1'], dir);
        assert.equal(kill.status, 0, kill.stderr);
        until('the init to exit', () => gone(state.pid));
        assert.equal(fs.readFileSync(path.join(dir, 'rootfs', 'trapped'), 'utf8'), 'trapped\n');
        assert.equal(status(rt, id, dir), 'stopped');
        const del = as([...rt.bin, 'delete', id], dir);
        assert.equal(del.status, 0, del.stderr);
        assert.ok(!fs.existsSync(path.join(user.runtimeDir, rt.stateDir, id)), 'delete removes the state');
      } finally {
        as([...rt.bin, 'delete', '--force', id], dir);
      }
    });

    test(`delete --force of a running container, and exec -t through a --console-socket [${rt.kind}]`, { ...TIMEOUT, skip: setupSkip }, async () => {
      const dir = bundle(rt, ['sleep', '600']);
      const id = uniqueId(`rlc-tty-${rt.kind}`);
      const receiver = await startConsoleReceiver();
      // The socket's directory is root's (0700): the user must reach and connect to it.
      spawnSync('chown', ['-R', `${user.uid}:${user.gid}`, path.dirname(receiver.path)]);
      try {
        const run = as([...rt.bin, 'run', '--detach', id], dir, { detached: true });
        assert.equal(run.status, 0, run.stderr);
        const pid = (JSON.parse(as([...rt.bin, 'state', id], dir).stdout) as { pid: number }).pid;
        const exec = as([...rt.bin, 'exec', '--detach', '--tty', '--console-socket', receiver.path, id, 'sh'], dir, { detached: true });
        assert.equal(exec.status, 0, exec.stderr);
        const master = openMaster(await receiver.master(30_000));
        try {
          master.write('echo "tty=$(tty) uid=$(id -u) sum=$((6*7))"; exit 0\n');
          const seen = await master.waitFor(/tty=\S+ uid=\d+ sum=42/, 30_000);
          assert.match(seen, /tty=\/dev\/pts\/\d+ uid=0 sum=42/);
          await master.ended;
        } finally {
          master.close();
        }
        const del = as([...rt.bin, 'delete', '--force', id], dir);
        assert.equal(del.status, 0, del.stderr);
        until('the init to go', () => gone(pid));
        assert.ok(!fs.existsSync(path.join(user.runtimeDir, rt.stateDir, id)), 'no state left');
        assert.deepEqual(userProcesses(), [], 'no process of the user left');
      } finally {
        receiver.close();
        as([...rt.bin, 'delete', '--force', id], dir);
      }
    });
  }

  test('events --stats, events and pause without a cgroup: tsrunc prints what runc prints and fails as runc does', { skip: setupSkip ?? (hasRunc() ? undefined : 'runc is not installed') }, () => {
    const r = observed.get('runc');
    const t = observed.get('tsrunc');
    assert.ok(r && t, 'both lifecycle cases ran');
    assert.equal(t.events, r.events);
    assert.equal(t.pauseCode, r.pauseCode);
    assert.equal(t.watchCode, r.watchCode);
  });

  test('a whole lifecycle writes nothing outside the user\'s home, its runtime dir and the bundle [tsrunc]', { ...TIMEOUT, skip: setupSkip ?? straceSkip }, () => {
    const rt = tsrunc();
    const dir = bundle(rt, ['sleep', '600']);
    const id = uniqueId('rlc-trace');
    const bin = rt.bin.map((a) => `'${a}'`).join(' ');
    const script = [
      'set -e',
      `${bin} create --pid-file ${dir}/init.pid ${id} </dev/null >/dev/null`,
      `${bin} start ${id}`,
      `${bin} exec ${id} sh -c 'echo in > /tmp/made-by-exec'`,
      `${bin} ps ${id} >/dev/null`,
      `${bin} ps --format json ${id} >/dev/null`,
      `${bin} state ${id} >/dev/null`,
      `${bin} list >/dev/null`,
      `${bin} events --stats ${id} >/dev/null`,
      `${bin} kill ${id} KILL`,
      `while ! ${bin} state ${id} | grep -q stopped; do sleep 0.1; done`,
      `${bin} delete ${id}`,
    ].join('\n');
    const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-rlc-trace-')), 'strace.log');
    try {
      // strace runs as root (it can then read the non-dumpable launcher's arguments); everything
      // it traces runs as the user.
      const r = spawnSync('strace', [...STRACE_ARGS, '-o', log, 'setpriv', '--reuid', String(user.uid), '--regid', String(user.gid), '--clear-groups', '--', 'sh', '-c', script], {
        cwd: dir, env: user.env(), encoding: 'utf8', timeout: 120_000,
      });
      assert.equal(r.status, 0, r.stderr);
      const attempts = writeAttempts(fs.readFileSync(log, 'utf8'));
      const outside = attempts.filter((a) => {
        // The home holds XDG_RUNTIME_DIR (the state root) and the bundle (rootfs, pid file).
        if (under(a.path, user.home)) return false;
        // Inside the container (after pivot_root, or setns into its mount namespace): its paths
        // are the rootfs's, which lies in the bundle, or its own mounts.
        if (a.inContainer) return false;
        // Mounts made in a mount namespace of its own change no one else's view.
        if (a.ownMounts && (a.syscall === 'mount' || a.syscall === 'umount2')) return false;
        // The container's user namespace gets its maps and setgroups written through /proc/PID;
        // a process's own attributes through /proc/self and /proc/thread-self.
        if (/^\/proc\/(\d+|self|thread-self)\/(uid_map|gid_map|setgroups|oom_score_adj|attr\/.*|fd\/\d+)$/.test(a.path)) return false;
        // Device nodes opened for writing (stdio on /dev/null, a terminal): no file is written.
        if (/^\/dev\/(null|tty|ptmx|pts\/\d+)$/.test(a.path)) return false;
        return true;
      });
      assert.deepEqual(outside.map((a) => `${a.syscall} ${a.path}: ${a.line}`), []);
      // The trace is not blind: it saw the state written and the container's own writes.
      assert.ok(attempts.some((a) => under(a.path, path.join(user.runtimeDir, 'tsrunc', id))), 'the trace sees the state being written');
      assert.ok(attempts.some((a) => a.inContainer), 'the trace sees the container\'s own writes');
      assert.ok(!fs.existsSync(path.join(user.runtimeDir, 'tsrunc', id)));
    } finally {
      as([...rt.bin, 'delete', '--force', id], dir);
      fs.rmSync(path.dirname(log), { recursive: true, force: true });
    }
  });

  describe('errors: named, a failing exit, and nothing left (no state, no process, no mount)', () => {
    const noneLeft = (dir: string, id: string, root = path.join(user.runtimeDir, tsrunc().stateDir)): void => {
      assert.ok(!fs.existsSync(path.join(root, id)), `no state directory in ${root}`);
      assert.deepEqual(userProcesses(), [], 'no process of the user is left');
      assert.deepEqual(hostMountsMentioning([dir]), [], 'no mount is left');
    };
    const refused = (argv: string[], dir: string, want: RegExp, env?: Record<string, string>): void => {
      const r = as([...tsrunc().bin, ...argv], dir, { env });
      assert.notEqual(r.status, 0, r.stderr);
      assert.match(r.stderr, want, r.stderr);
    };

    test('several ranges asked by a user with no /etc/subuid range; a host id it does not own in a single-id map', { ...TIMEOUT, skip: setupSkip }, () => {
      const rt = tsrunc();
      const several = bundle(rt, ['true'], (s) => {
        s.linux.uidMappings = [{ containerID: 0, hostID: user.uid, size: 1 }, { containerID: 1, hostID: 500000, size: 1000 }];
        s.linux.gidMappings = [{ containerID: 0, hostID: user.gid, size: 1 }, { containerID: 1, hostID: 500000, size: 1000 }];
      });
      const id = uniqueId('rlc-sev');
      refused(['run', id], several, new RegExp(`/linux/uidMappings/1: host ids 500000-500999 are not delegated to user ${user.name} \\(${user.uid}\\) in /etc/subuid \\(it has: none\\)`));
      noneLeft(several, id);
      const foreign = bundle(rt, ['true'], (s) => {
        s.linux.uidMappings = [{ containerID: 0, hostID: 0, size: 1 }];
      });
      const id2 = uniqueId('rlc-foreign');
      refused(['run', id2], foreign, new RegExp(`/linux/uidMappings/0: host id 0 is not delegated to user ${user.name} \\(${user.uid}\\) in /etc/subuid \\(it has: none\\)`));
      noneLeft(foreign, id2);
    });

    test('a state root the user cannot write: --root, XDG_RUNTIME_DIR unwritable or unset (runc fails alike)', { ...TIMEOUT, skip: setupSkip }, () => {
      const rt = tsrunc();
      const dir = bundle(rt, ['true']);
      const rootOwned = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-rlc-rootowned-'));
      fs.chmodSync(rootOwned, 0o755);
      try {
        const id = uniqueId('rlc-root');
        refused(['--root', rootOwned, 'run', id], dir, new RegExp(`state root ${rootOwned} \\(--root\\): permission denied`));
        refused(['run', id], dir, new RegExp(`state root ${rootOwned}/tsrunc \\(from \\$XDG_RUNTIME_DIR=${rootOwned}\\): permission denied`), { XDG_RUNTIME_DIR: rootOwned });
        // Unset: the root's default, /run/tsrunc, which says what to do.
        refused(['run', id], dir, /state root \/run\/tsrunc \(the default, as XDG_RUNTIME_DIR is not set; set it or give --root\): permission denied/, { XDG_RUNTIME_DIR: '' });
        assert.deepEqual(fs.readdirSync(rootOwned), []);
        noneLeft(dir, id);
        if (hasRunc()) {
          const runc = runtimes().find((r) => r.kind === 'runc')!;
          for (const [argv, env] of [[['--root', rootOwned, 'run', id], undefined], [['run', id], { XDG_RUNTIME_DIR: rootOwned }]] as const) {
            assert.notEqual(as([...runc.bin, ...argv], dir, { env: env as Record<string, string> | undefined }).status, 0, 'runc fails too');
          }
        }
      } finally {
        fs.rmSync(rootOwned, { recursive: true, force: true });
      }
    });

    test('limits where no cgroup is writable: refused before anything exists (runc fails too, after starting)', { ...TIMEOUT, skip: setupSkip }, () => {
      const rt = tsrunc();
      const dir = bundle(rt, ['true'], (s) => { s.linux.resources = { memory: { limit: 64 * 1024 * 1024 } }; });
      const id = uniqueId('rlc-mem');
      refused(['run', id], dir, new RegExp(`/linux/resources/memory: a rootless container cannot be limited here: /sys/fs/cgroup/\\S+ is not writable by this user \\(delegate a cgroup v2 subtree to it, or leave the limits out\\)`));
      noneLeft(dir, id);
    });
  });

  // A user namespace may not clear the flags a mount was made with (they are locked): a read-only
  // bind of such a source must keep them. runc 1.1.5 drops them and fails with EPERM (1.2 keeps
  // them), so this is checked on tsrunc alone.
  test('a read-only bind of a nosuid,nodev,noexec source keeps those locked flags [tsrunc]', { ...TIMEOUT, skip: setupSkip }, () => {
    const src = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-locked-'));
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'nosuid,nodev,noexec,size=1m', 'tmpfs', src]);
    assert.equal(mounted.status, 0, String(mounted.stderr));
    try {
      const dir = bundle(tsrunc(), ['sh', '-c', 'grep " /mnt " /proc/self/mountinfo'], (s) => {
        s.mounts.push({ destination: '/mnt', type: 'bind', source: src, options: ['rbind', 'ro'] });
      });
      const r = as([...tsrunc().bin, 'run', uniqueId('rlc-locked')], dir);
      assert.equal(r.status, 0, r.stderr);
      const flags = r.stdout.trim().split(' ')[5].split(',');
      for (const f of ['ro', 'nosuid', 'nodev', 'noexec']) assert.ok(flags.includes(f), `${f} in ${r.stdout}`);
    } finally {
      spawnSync('umount', [src]);
      fs.rmdirSync(src);
    }
  });
});

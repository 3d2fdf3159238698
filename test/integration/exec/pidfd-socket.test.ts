// --pidfd-socket on create, run and exec (runc 1.2's flag): the listener receives one message
// whose data is runc's name for the kind of process ("standard", "setns") and whose descriptor is
// a pidfd of the container's init or of the exec'd process. Checked with what the kernel shows
// for the received fd (/proc/self/fd, /proc/self/fdinfo) and by killing the process through it.
// Each case runs against runc too when the installed runc has the flag (1.1.5 does not: the
// cases are skipped for it, saying so). A bad socket path fails before anything exists.

import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { addon, POLLIN } from '../../../src/native/addon';
import { startFdReceiver, type FdReceiver, type ReceivedFd } from '../../helpers/console-socket';
import type { Bundle } from '../../helpers/rootfs';
import { describeResult, processAlive, relatedProcesses, sleep, waitForExit, type Runtime } from '../../helpers/runtime';
import { expectOk, forEachRuntime, runtimesForSuite, withContainer } from '../../helpers/suite';

const pair = runtimesForSuite();
const SIGKILL = 9;

const support = new Map<Runtime, string | undefined>();
/** Why the runtime cannot run these cases (its create has no --pidfd-socket), or undefined. */
function lacksFlag(rt: Runtime): string | undefined {
  if (!support.has(rt)) {
    const r = spawnSync(rt.argv[0], [...rt.argv.slice(1), 'create', '--help'], { encoding: 'utf8' });
    support.set(rt, `${r.stdout}${r.stderr}`.includes('--pidfd-socket') ? undefined : `${rt.label} has no --pidfd-socket (runc added it in 1.2; 1.1.5 is installed)`);
  }
  return support.get(rt);
}

function withPidfd(name: string, fn: (rt: Runtime) => Promise<void>): void {
  forEachRuntime(pair, name, (_t, rt) => fn(rt), lacksFlag);
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The pid a pidfd names, from its fdinfo: -1 once the process has been reaped. */
function pidOf(fd: number): number {
  const m = /^Pid:\s*(-?\d+)$/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
  assert.ok(m, `fd ${fd} has no Pid: line in its fdinfo`);
  return Number(m[1]);
}

/** The checks every received pidfd must pass: what it is, whom it names, how it arrived. */
function checkPidfd(got: ReceivedFd, pid: number, kind: string): void {
  assert.equal(fs.readlinkSync(`/proc/self/fd/${got.fd}`), 'anon_inode:[pidfd]', 'the descriptor is a pidfd');
  assert.equal(pidOf(got.fd), pid, 'it names the container\'s process');
  assert.equal(got.data, kind, 'the message\'s data is runc\'s kind of process');
  assert.equal(got.senderClosed, true, 'the connection was closed after the message: no container process keeps it');
}

async function withReceiver(fn: (rx: FdReceiver) => Promise<void>): Promise<void> {
  const rx = await startFdReceiver();
  try { await fn(rx); } finally { rx.close(); }
}

/** Kills through the pidfd, then waits until the pidfd reports the exit (POLLIN). */
async function killThrough(fd: number): Promise<void> {
  addon().pidfdSendSignal(fd, SIGKILL);
  const deadline = Date.now() + 10_000;
  while (!(addon().poll([fd], 0)[0] & POLLIN)) {
    assert.ok(Date.now() < deadline, 'the pidfd never reported the exit');
    await sleep(20);
  }
}

/** The container's directory in every mounted cgroup hierarchy that has one. */
function cgroupDirs(b: Bundle): string[] {
  const cgroupsPath = String(b.spec.linux.cgroupsPath);
  return fs.readdirSync('/sys/fs/cgroup', { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => path.join('/sys/fs/cgroup', e.name, cgroupsPath))
    .filter((d) => fs.existsSync(d));
}

describe(`--pidfd-socket (${pair.sut.label}${pair.ref ? ', and runc when it has the flag' : ''})`, () => {
  withPidfd('create: the init\'s pidfd ("standard") arrives before create returns; SIGKILL through it stops the container', async (rt) => {
    await withContainer(rt, 'pidfd', { args: ['sleep', '100'] }, async (b, id) => {
      await withReceiver(async (rx) => {
        expectOk(await rt.exec(['create', '--pidfd-socket', rx.path, '--bundle', b.dir, id]), 'create');
        const got = await rx.receive(15_000, true);
        try {
          const st = await rt.state(id);
          assert.equal(st.status, 'created');
          checkPidfd(got, st.pid, 'standard');
          await killThrough(got.fd);
          await rt.waitForStatus(id, 'stopped');
          expectOk(await rt.exec(['delete', id]), 'delete');
          // Still a handle on that process, not on its number: once reaped, it names nothing.
          const deadline = Date.now() + 10_000;
          while (pidOf(got.fd) !== -1) {
            assert.ok(Date.now() < deadline, `the pidfd still names pid ${pidOf(got.fd)} after the init was reaped`);
            await sleep(20);
          }
          assert.throws(() => addon().pidfdSendSignal(got.fd, 0), { code: 'ESRCH' });
        } finally {
          fs.closeSync(got.fd);
        }
      });
    });
  });

  withPidfd('run --detach: the running init\'s pidfd; SIGKILL through it stops the container', async (rt) => {
    await withContainer(rt, 'pidfd', { args: ['sleep', '100'] }, async (b, id) => {
      await withReceiver(async (rx) => {
        expectOk(await rt.exec(['run', '--detach', '--pidfd-socket', rx.path, '--bundle', b.dir, id]), 'run --detach');
        const got = await rx.receive(15_000, true);
        try {
          const st = await rt.state(id);
          assert.equal(st.status, 'running');
          checkPidfd(got, st.pid, 'standard');
          await killThrough(got.fd);
          await rt.waitForStatus(id, 'stopped');
        } finally {
          fs.closeSync(got.fd);
        }
      });
    });
  });

  withPidfd('run in the foreground: SIGKILL through the received pidfd ends it with status 137', async (rt) => {
    await withContainer(rt, 'pidfd', { args: ['sleep', '100'] }, async (b, id) => {
      await withReceiver(async (rx) => {
        const run = rt.exec(['run', '--pidfd-socket', rx.path, '--bundle', b.dir, id]);
        const got = await rx.receive(15_000);
        try {
          const st = await rt.waitForStatus(id, 'running');
          assert.equal(pidOf(got.fd), st.pid);
          await killThrough(got.fd);
          const r = await run;
          assert.equal(r.code, 137, describeResult(r));
        } finally {
          fs.closeSync(got.fd);
        }
      });
    });
  });

  withPidfd('exec --detach: the exec\'d process\'s pidfd ("setns"); SIGKILL through it ends only that process', async (rt) => {
    await withContainer(rt, 'pidfd', { args: ['sleep', '100'] }, async (b, id) => {
      expectOk(await rt.exec(['run', '--detach', '--bundle', b.dir, id]), 'run --detach');
      const init = (await rt.state(id)).pid;
      await withReceiver(async (rx) => {
        const pidFile = rt.ioPath('exec.pid');
        expectOk(await rt.exec(['exec', '--detach', '--pid-file', pidFile, '--pidfd-socket', rx.path, id, 'sleep', '200']), 'exec');
        const got = await rx.receive(15_000, true);
        try {
          const execPid = Number(fs.readFileSync(pidFile, 'utf8'));
          checkPidfd(got, execPid, 'setns');
          const procs = fs.readFileSync(`/sys/fs/cgroup/pids${String(b.spec.linux.cgroupsPath)}/cgroup.procs`, 'utf8');
          assert.ok(procs.split('\n').includes(String(execPid)), `the process is the container's: ${execPid} in ${JSON.stringify(procs)}`);
          await killThrough(got.fd);
          assert.ok(await waitForExit(execPid), `${execPid} survived SIGKILL through its pidfd`);
          const st = await rt.state(id);
          assert.equal(st.status, 'running', 'the container goes on');
          assert.equal(st.pid, init);
          assert.ok(processAlive(init));
        } finally {
          fs.closeSync(got.fd);
        }
      });
    });
  });

  describe('a socket nobody can be connected to fails before anything exists', () => {
    /** Paths that cannot be connected to, made under `dir`, with the reason tsrunc gives. */
    const badPaths = (dir: string): Array<{ what: string; path: string; reason: RegExp }> => {
      const file = path.join(dir, 'regular-file');
      fs.writeFileSync(file, '');
      const stale = path.join(dir, 'stale.sock');
      // A socket file whose listener is gone: the path exists, the connection is refused.
      fs.closeSync(addon().listenUnix(stale));
      return [
        { what: 'a missing path', path: path.join(dir, 'missing.sock'), reason: /connect: no such file or directory/ },
        { what: 'a regular file', path: file, reason: /connect: connection refused \(not a socket\)/ },
        { what: 'a directory', path: dir, reason: /connect: connection refused \(a directory\)/ },
        { what: 'a socket nobody listens on', path: stale, reason: /connect: connection refused \(nothing listens on it\)/ },
      ];
    };

    withPidfd('create and run: an error naming the path and why; no state, cgroup or process left', async (rt) => {
      const dir = fs.mkdtempSync(path.join(rt.base, 'pidfd-bad-'));
      for (const bad of badPaths(dir)) {
        for (const cmd of [['create'], ['run', '--detach']]) {
          await withContainer(rt, 'pidfd', { args: ['sleep', '100'] }, async (b, id) => {
            const before = rt.listedIds();
            const r = await rt.exec([...cmd, '--pidfd-socket', bad.path, '--bundle', b.dir, id]);
            const what = `${cmd.join(' ')} with ${bad.what}\n${describeResult(r)}`;
            assert.equal(r.code, 1, what);
            assert.ok(r.stderr.includes(bad.path), what);
            if (rt.kind === 'tsrunc') assert.match(r.stderr, new RegExp(`--pidfd-socket ${escape(bad.path)}: ${bad.reason.source}`), what);
            assert.deepEqual(rt.listedIds(), before, `no state dir: ${what}`);
            assert.deepEqual(cgroupDirs(b), [], `no cgroup: ${what}`);
            const procs = relatedProcesses({ ids: [id], paths: [b.dir] }).filter((p) => processAlive(p.pid));
            assert.deepEqual(procs, [], `no process: ${what}`);
          });
        }
      }
    });

    withPidfd('exec: exit 255 with the reason; the command never runs', async (rt) => {
      const dir = fs.mkdtempSync(path.join(rt.base, 'pidfd-bad-'));
      await withContainer(rt, 'pidfd', { args: ['sleep', '100'] }, async (b, id) => {
        expectOk(await rt.exec(['run', '--detach', '--bundle', b.dir, id]), 'run --detach');
        const init = (await rt.state(id)).pid;
        const procsFile = `/sys/fs/cgroup/pids${String(b.spec.linux.cgroupsPath)}/cgroup.procs`;
        for (const [i, bad] of badPaths(dir).entries()) {
          // The command would leave a mark in the container's /dev/shm (a tmpfs of its own) had it run.
          const mark = `/dev/shm/ran-${i}`;
          const r = await rt.exec(['exec', '--detach', '--pidfd-socket', bad.path, id, 'sh', '-c', `touch ${mark}; exec sleep 200`]);
          const what = `exec with ${bad.what}\n${describeResult(r)}`;
          assert.equal(r.code, 255, what);
          if (rt.kind === 'tsrunc') assert.match(r.stderr, new RegExp(`exec failed: --pidfd-socket ${escape(bad.path)}: ${bad.reason.source}`), what);
          assert.deepEqual(fs.readFileSync(procsFile, 'utf8').split('\n').filter(Boolean).map(Number), [init], `only the init is in the container: ${what}`);
          assert.ok(!fs.existsSync(`/proc/${init}/root${mark}`), `the command never ran: ${what}`);
        }
        assert.equal((await rt.state(id)).status, 'running');
      });
    });
  });
});

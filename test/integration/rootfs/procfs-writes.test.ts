// Every procfs write the launcher makes for a container (sysctls, oom_score_adj, id maps, LSM exec
// labels) goes through a procfs instance of the runtime's own, mounted nowhere, opened without
// following symlinks (CVE-2025-52881's class). The hostile case: a container that may mount (it
// has CAP_SYS_ADMIN) covers its own /proc with a tmpfs in which /proc/self/oom_score_adj is a
// symlink to kernel.shmmni of a second procfs; `exec` with an oomScoreAdj used to write the
// score into that sysctl (of the container's IPC namespace: never a host sysctl in a test). The
// effects are read from outside: the sysctl through the init's IPC namespace, the host's own
// values before and after. runc 1.1.5 refuses that exec (it lists /proc/self/fd through the
// covered /proc), so for it only the sysctl is checked.
import { describe } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeBundle, type BundleOptions } from '../../helpers/rootfs';
import { describeResult, sleep, uniqueId, type Runtime } from '../../helpers/runtime';
import { expectOk, forEachRuntime, runtimesForSuite, scratchDirsForFile } from '../../helpers/suite';

const pair = runtimesForSuite();
const scratch = scratchDirsForFile('tsrunc-procfs-writes-');

/** A sysctl as the process `pid` sees it, read from the host through its IPC/network namespaces. */
function sysctlOf(pid: number, file: string): string {
  return execFileSync('nsenter', ['-t', String(pid), '--ipc', '--net', 'cat', `/proc/sys/${file}`], { encoding: 'utf8' }).trim();
}

async function waitForFile(file: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fs.existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`${file} did not appear`);
    await sleep(50);
  }
}

async function withRunning(rt: Runtime, opts: BundleOptions, fn: (pid: number, id: string, spec: BundleOptions) => Promise<void>): Promise<void> {
  const b = makeBundle(opts);
  // With a user namespace the rootfs is set up by the mapped root, a stranger to a 0700 mkdtemp.
  fs.chmodSync(b.dir, 0o755);
  fs.chmodSync(b.rootfs, 0o755);
  const id = uniqueId('procfsw');
  try {
    expectOk(await rt.exec(['run', '--detach', '--bundle', b.dir, id], { stdoutPath: rt.ioPath('init.out'), stderrPath: rt.ioPath('init.err') }), 'run --detach');
    const { pid } = await rt.state(id);
    await fn(pid, id, opts);
  } finally {
    await rt.exec(['delete', '--force', id]);
    b.cleanup();
  }
}

// The container's own doing, after its start: a real procfs at /p2, a tmpfs over /proc, and in it
// self/oom_score_adj -> /p2/sys/kernel/shmmni.
const COVER_PROC = [
  'mkdir -p /p2', 'mount -t proc proc /p2', 'mount -t tmpfs tmpfs /proc', 'mkdir /proc/self',
  'ln -s /p2/sys/kernel/shmmni /proc/self/oom_score_adj', 'touch /tmp/covered', 'exec sleep 120',
].join(' && ');

describe('procfs writes go through the runtime\'s own procfs', () => {
  forEachRuntime(pair, 'exec\'s oom_score_adj reaches the process, not the sysctl a covered /proc points at', async (_t: TestContext, rt) => {
    await withRunning(rt, {
      args: ['sh', '-c', COVER_PROC],
      mutate: (s) => {
        const caps = s.process.capabilities as Record<string, string[]>;
        for (const set of ['bounding', 'effective', 'permitted']) caps[set].push('CAP_SYS_ADMIN');
        caps.ambient = [];
        s.linux.maskedPaths = [];
        s.linux.readonlyPaths = [];
        s.root.readonly = false;
      },
    }, async (pid, id) => {
      const rootfs = `/proc/${pid}/root`;
      await waitForFile(`${rootfs}/tmp/covered`);
      const before = sysctlOf(pid, 'kernel/shmmni');
      assert.notEqual(before, '500');
      const processFile = path.join(scratch(), 'process.json');
      fs.writeFileSync(processFile, JSON.stringify({ args: ['cat', '/p2/self/oom_score_adj'], cwd: '/', env: ['PATH=/bin:/usr/bin'], user: { uid: 0, gid: 0 }, oomScoreAdj: 500 }));
      const r = await rt.exec(['exec', '--process', processFile, id]);
      if (rt.kind === 'tsrunc') {
        assert.equal(r.code, 0, describeResult(r));
        assert.equal(r.stdout.trim(), '500', 'the exec\'d process has the score');
      }
      assert.equal(sysctlOf(pid, 'kernel/shmmni'), before, 'the container\'s kernel.shmmni was not written');
    });
  });

  // The init's writes, in a user namespace too (where the kernel may refuse a fresh procfs and
  // the runtime falls back to a clone of /proc's mount). Values differ from the defaults; the
  // host's own are read before and after.
  for (const userns of [false, true]) {
    forEachRuntime(pair, `the init's sysctls and oom_score_adj land in the container${userns ? ' (user namespace)' : ''}, the host's stay`, async (_t: TestContext, rt) => {
      const hostBefore = ['kernel/shmmni', 'kernel/shm_rmid_forced', 'net/ipv4/ip_forward'].map((f) => fs.readFileSync(`/proc/sys/${f}`, 'utf8'));
      await withRunning(rt, {
        args: ['sleep', '120'],
        mutate: (s) => {
          const linux = s.linux as Record<string, unknown>;
          linux.sysctl = { 'kernel.shmmni': '1234', 'kernel.shm_rmid_forced': '1', 'net.ipv4.ip_forward': hostBefore[2].trim() === '1' ? '0' : '1' };
          (s.process as Record<string, unknown>).oomScoreAdj = 321;
          if (userns) {
            s.linux.namespaces.push({ type: 'user' });
            linux.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
            linux.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
            s.mounts = s.mounts.filter((m) => m.destination !== '/sys' && m.destination !== '/sys/fs/cgroup');
          }
        },
      }, async (pid) => {
        assert.equal(sysctlOf(pid, 'kernel/shmmni'), '1234');
        assert.equal(sysctlOf(pid, 'kernel/shm_rmid_forced'), '1');
        assert.equal(sysctlOf(pid, 'net/ipv4/ip_forward'), hostBefore[2].trim() === '1' ? '0' : '1');
        assert.equal(fs.readFileSync(`/proc/${pid}/oom_score_adj`, 'utf8').trim(), '321');
        if (userns) assert.match(fs.readFileSync(`/proc/${pid}/uid_map`, 'utf8'), /^\s*0\s+200000\s+65536\s*$/);
      });
      const hostAfter = ['kernel/shmmni', 'kernel/shm_rmid_forced', 'net/ipv4/ip_forward'].map((f) => fs.readFileSync(`/proc/sys/${f}`, 'utf8'));
      assert.deepEqual(hostAfter, hostBefore, 'the host\'s sysctls are unchanged');
    });
  }
});

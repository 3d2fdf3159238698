// AppArmor and SELinux: host detection (against a fake /sys and /proc, so both answers are seen),
// and the launcher's side driven directly with plans that claim the host has the modules. This
// host has neither, so the kernel refuses what the launcher writes; the errors prove the launcher
// wrote the right value to the right file at the right step. The refusals `create` makes on such
// a host are in bad-input.test.ts, against runc.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Spec as ConfigSpec } from '../../../src/config/types';
import { describeNativeFailure, type NativeFailure } from '../../../src/errors';
import { apparmorEnabled, detectLsm, selinuxEnabled, type LsmRoots } from '../../../src/linux/lsm';
import { Logger } from '../../../src/log';
import { launch, LaunchError } from '../../../src/native/launcher';
import { buildLaunchPlan, resolveRootfs } from '../../../src/plan/build';
import type { LaunchPlan } from '../../../src/plan/types';
import type { Bundle, BundleOptions } from '../../helpers/rootfs';
import { hostMountsMentioning, processAlive, sleep, uniqueId, waitForExit, waitNoRelatedProcesses } from '../../helpers/runtime';
import { runtimesForSuite, TEST_TIMEOUT, withContainer, withExecFifo } from '../../helpers/suite';

const { sut } = runtimesForSuite();

// ---- detection ---------------------------------------------------------------------------------

function fakeRoots(files: Record<string, string>): LsmRoots & { cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-lsm-'));
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  return { sys: path.join(dir, 'sys'), proc: path.join(dir, 'proc'), cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

function withRoots(files: Record<string, string>, fn: (r: LsmRoots) => void): void {
  const r = fakeRoots(files);
  try { fn(r); } finally { r.cleanup(); }
}

const FILESYSTEMS = 'nodev\tsysfs\nnodev\tproc\nnodev\tselinuxfs\n\text4\n';
const mountinfo = (selinuxfsOptions: string, superOptions = 'rw'): string => [
  '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
  '23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw',
  `24 25 0:20 / /sys/fs/selinux ${selinuxfsOptions} shared:4 - selinuxfs selinuxfs ${superOptions}`,
].join('\n') + '\n';
const SELINUX_ON = {
  'proc/filesystems': FILESYSTEMS,
  'proc/self/mountinfo': mountinfo('rw,nosuid,noexec,relatime'),
  'proc/thread-self/attr/current': 'unconfined_u:unconfined_r:unconfined_t:s0\0',
};

describe('LSM detection', () => {
  test('AppArmor: enabled exactly when the module parameter reads Y', () => {
    withRoots({ 'sys/module/apparmor/parameters/enabled': 'Y\n' }, (r) => assert.equal(apparmorEnabled(r), true));
    withRoots({ 'sys/module/apparmor/parameters/enabled': 'N\n' }, (r) => assert.equal(apparmorEnabled(r), false));
    withRoots({}, (r) => assert.equal(apparmorEnabled(r), false));
  });

  test('SELinux: enabled with selinuxfs registered and mounted writable, and a policy loaded', () => {
    withRoots(SELINUX_ON, (r) => {
      assert.equal(selinuxEnabled(r), true);
      assert.deepEqual(detectLsm(r), { apparmor: false, selinux: true });
    });
    // An unreadable context is not "kernel": go-selinux counts that as enabled too.
    const { 'proc/thread-self/attr/current': _current, ...noContext } = SELINUX_ON;
    withRoots(noContext, (r) => assert.equal(selinuxEnabled(r), true));
  });

  test('SELinux: disabled without selinuxfs in the kernel, without a mount, with a read-only one, or before a policy is loaded', () => {
    withRoots({}, (r) => assert.equal(selinuxEnabled(r), false));
    withRoots({ ...SELINUX_ON, 'proc/filesystems': 'nodev\tproc\n\text4\n' }, (r) => assert.equal(selinuxEnabled(r), false));
    withRoots({ ...SELINUX_ON, 'proc/self/mountinfo': mountinfo('rw').split('\n').slice(0, 2).join('\n') }, (r) => assert.equal(selinuxEnabled(r), false));
    withRoots({ ...SELINUX_ON, 'proc/self/mountinfo': mountinfo('ro,nosuid,noexec,relatime') }, (r) => assert.equal(selinuxEnabled(r), false));
    withRoots({ ...SELINUX_ON, 'proc/self/mountinfo': mountinfo('rw,relatime', 'ro') }, (r) => assert.equal(selinuxEnabled(r), false));
    withRoots({ ...SELINUX_ON, 'proc/thread-self/attr/current': 'kernel\0' }, (r) => assert.equal(selinuxEnabled(r), false));
  });
});

// ---- the launcher, with a plan that claims the modules ---------------------------------------

const log = new Logger(undefined, 'text', false);
const CLAIM_BOTH = { apparmor: true, selinux: true };
const MOUNT_LABEL = 'system_u:object_r:container_file_t:s0:c1,c2';

function planFor(b: Bundle, fifo: string): LaunchPlan {
  const spec = b.spec as unknown as ConfigSpec;
  return buildLaunchPlan(spec, resolveRootfs(spec, b.dir), {
    id: uniqueId('lsm'), bundle: b.dir, execFifo: fifo, noPivot: false, noNewKeyring: false, preserveFds: 0, debug: false, lsm: CLAIM_BOTH,
  });
}


/** What `start` does: release the init through the fifo and return what it wrote there. */
async function releaseAndReadReport(fifo: string): Promise<string> {
  const fd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    const buf = Buffer.alloc(4096);
    let text = '';
    const deadline = Date.now() + 10_000;
    // EAGAIN: the init has not opened its end yet; 0: it closed it (after its report, or by a
    // successful execve, which here means the label was never written).
    for (;;) {
      let n = -1;
      try { n = fs.readSync(fd, buf, 0, buf.length, null); } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      }
      if (n > 0) { text += buf.toString('utf8', 0, n); continue; }
      if (n === 0 && text !== '') return text;
      if (Date.now() > deadline) assert.fail(`no failure report from the init; got ${JSON.stringify(text)}`);
      await sleep(10);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Launches the plan, starts it, and returns the init's start failure as `start` prints it. */
async function startFailure(b: Bundle, fifo: string, edit: (p: LaunchPlan) => void): Promise<string> {
  const plan = planFor(b, fifo);
  edit(plan);
  const launched = launch(plan, log);
  const pid = launched.initPid;
  try {
    launched.commit();
    const report = await releaseAndReadReport(fifo);
    return describeNativeFailure(JSON.parse(report.trim().split('\n')[0]) as NativeFailure);
  } finally {
    if (processAlive(pid)) process.kill(pid, 'SIGKILL');
    await waitForExit(pid);
  }
}

/** Launches the plan, expecting the launch itself to fail; checks nothing is left. */
async function launchFailure(b: Bundle, fifo: string, edit: (p: LaunchPlan) => void): Promise<string> {
  const plan = planFor(b, fifo);
  edit(plan);
  let message = '';
  assert.throws(() => launch(plan, log), (e: unknown) => {
    assert.ok(e instanceof LaunchError, String(e));
    message = e.message;
    return true;
  });
  assert.deepEqual(await waitNoRelatedProcesses({ paths: [b.dir] }), [], 'no process may be left');
  assert.deepEqual(hostMountsMentioning([b.dir]), [], 'no mount may be left');
  return message;
}

/** The launcher mounts a tmpfs for the v1 hierarchies when this process is in any (as runc does). */
const cgroupV1Host = (): boolean => /^\d+:[^:]+:/m.test(fs.readFileSync('/proc/self/cgroup', 'utf8'));

const bundle: BundleOptions = { args: ['true'], readonly: false };

describe('LSM labels in the launcher (plans driven directly; this host has neither module)', () => {
  test('apparmorProfile: "exec <profile>" written after the release, to attr/exec when attr/apparmor is missing', TEST_TIMEOUT, async () => {
    await withExecFifo((fifo) => withContainer(sut, 'lsm-aa', {
      ...bundle, mutate: (s) => { s.process.apparmorProfile = 'docker-default'; },
    }, async (b) => {
      assert.equal(planFor(b, fifo).process?.apparmorProfile, 'docker-default');
      // The kernel without AppArmor refuses "exec …" as runc sees it ("write /proc/self/attr/exec: invalid argument").
      assert.equal(await startFailure(b, fifo, () => {}), 'apply apparmor profile: write /proc/thread-self/attr/exec: invalid argument');
    }));
  });

  test('selinuxLabel: written to attr/exec after the release', TEST_TIMEOUT, async () => {
    await withExecFifo((fifo) => withContainer(sut, 'lsm-se', {
      ...bundle, mutate: (s) => { s.process.selinuxLabel = 'system_u:system_r:container_t:s0'; },
    }, async (b) => {
      assert.equal(await startFailure(b, fifo, () => {}), 'apply selinux label: write /proc/thread-self/attr/exec: invalid argument');
    }));
  });

  test('mountLabel: context= in the tmpfs data, the mqueue root\'s xattr, the masked directories\' tmpfs', TEST_TIMEOUT, async () => {
    await withExecFifo((fifo) => withContainer(sut, 'lsm-ml', {
      ...bundle, mutate: (s) => { s.linux.mountLabel = MOUNT_LABEL; },
    }, async (b) => {
      // As runc fails on this host: the first labelled mount is /dev's tmpfs.
      assert.match(await launchFailure(b, fifo, () => {}), /^mount \/dev: mount tmpfs: invalid argument$/);
      // Without the data's context=, mqueue is next: its root gets the label as an xattr.
      const unlabelled = (p: LaunchPlan): void => { p.mounts = p.mounts.map((m) => ({ ...m, data: m.data.replace(/,?context="[^"]*"/, '') })); };
      assert.match(await launchFailure(b, fifo, unlabelled), /^mount \/dev\/mqueue: setxattr security\.selinux \/dev\/mqueue: operation not supported$/);
      // Without mqueue: on a cgroup v1 host the tmpfs holding the hierarchies carries it.
      const noMqueue = (p: LaunchPlan): void => { unlabelled(p); p.mounts = p.mounts.filter((m) => m.type !== 'mqueue'); };
      if (cgroupV1Host()) assert.match(await launchFailure(b, fifo, noMqueue), /^mount \/sys\/fs\/cgroup: mount tmpfs \/sys\/fs\/cgroup: invalid argument$/);
      // Then the first masked directory's tmpfs.
      const noCgroup = (p: LaunchPlan): void => { noMqueue(p); p.mounts = p.mounts.filter((m) => m.type !== 'cgroup'); };
      // The masked directory's tmpfs is made with fsopen: the label is its own fsconfig step.
      assert.match(await launchFailure(b, fifo, noCgroup), /^masked path \/\S+: fsconfig context \/\S+: invalid argument$/);
    }));
  });
});

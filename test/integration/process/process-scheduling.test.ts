// How the container's process is scheduled: process.scheduler (sched_setattr), process.ioPriority
// (ioprio_set), linux.personality and process.execCPUAffinity. Observed from inside through
// /proc/<pid>/stat (field 18 priority, 19 nice, 40 rt_priority, 41 policy), /proc/self/personality,
// `uname -m` and busybox `ionice`, and from the host on the created init with util-linux `ionice`.
//
// runc 1.1 (the installed reference) ignores all four fields; the runc variant of a case runs only
// when the installed runc is 1.2 or newer, which implements them, so the expectations are then
// vouched for by runc too. The execCPUAffinity case is differential with any runc: the field must
// leave the init alone.

import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Spec as ConfigSpec } from '../../../src/config/types';
import { Logger } from '../../../src/log';
import { launch, LaunchError } from '../../../src/native/launcher';
import { buildLaunchPlan, resolveRootfs } from '../../../src/plan/build';
import { planExecCpuAffinity } from '../../../src/plan/scheduling';
import { TEST_GID, TEST_UID } from '../../helpers/rootfs';
import type { Bundle, BundleOptions, Spec } from '../../helpers/rootfs';
import {
  describeResult, hostMountsMentioning, processAlive, Runtime, uniqueId, waitForExit, waitNoRelatedProcesses, tsruncIsRunc,
} from '../../helpers/runtime';
import { expectOk, forEachRuntime, keyed, runtimesForSuite, TEST_TIMEOUT, waitForFileContent, withContainer, withExecFifo } from '../../helpers/suite';

const { sut, ref } = runtimesForSuite();

const runcVersion: [number, number] = (() => {
  if (!ref) return [0, 0];
  const m = /runc version (\d+)\.(\d+)/.exec(spawnSync(ref.argv[0], ['--version'], { encoding: 'utf8' }).stdout ?? '');
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
})();
const runcHasScheduling = runcVersion[0] > 1 || (runcVersion[0] === 1 && runcVersion[1] >= 2);
const isRunc = (rt: Runtime): boolean => rt === ref || tsruncIsRunc();
const NEEDS_RUNC_1_2 = (rt: Runtime): string | undefined =>
  isRunc(rt) && !runcHasScheduling ? `runc ${runcVersion.join('.')} ignores process.scheduler, ioPriority and linux.personality (added in runc 1.2)` : undefined;

/** For the cases only the runtime under test runs: skipped when that is an older runc (TSRUNC_BIN=runc). */
const sutSkip = (): { skip?: string } => {
  const reason = NEEDS_RUNC_1_2(sut);
  return reason ? { skip: reason } : {};
};

/** Shell script inside the container with stderr folded into stdout. */
const sh = (script: string): string[] => ['sh', '-c', `exec 2>&1; ${script}`];


/** Prints "<tag> <priority> <nice> <rt_priority> <policy>" from /proc/<which>/stat. */
const statLine = (tag: string, which: string): string => `echo "${tag} $(cut -d' ' -f18,19,40,41 /proc/${which}/stat)"`;

/** The same four fields read from the host. */
function hostSched(pid: number): string {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return [f[15], f[16], f[37], f[38]].join(' ');
}

function hostIonice(pid: number): string {
  const r = spawnSync('ionice', ['-p', String(pid)], { encoding: 'utf8' });
  assert.equal(r.status, 0, `ionice -p ${pid}: ${r.stderr}`);
  return r.stdout.trim();
}

function cpusAllowed(status: string): string {
  return /^Cpus_allowed_list:\s*(\S+)$/m.exec(status)?.[1] ?? `(no Cpus_allowed_list in ${JSON.stringify(status)})`;
}

async function runOk(rt: Runtime, b: Bundle, prefix: string): Promise<string> {
  const r = await rt.runToCompletion(b.dir, uniqueId(prefix));
  assert.equal(r.code, 0, `${rt.label}: container should exit 0\n${describeResult(r.result)}`);
  return r.stdout;
}

/** `create` only: the init is set up and waiting, so the host sees what it will exec with. */
async function createdInit(rt: Runtime, b: Bundle, id: string): Promise<number> {
  expectOk(await rt.exec(['create', '--bundle', b.dir, id]), `${rt.label} create`);
  return (await rt.state(id)).pid;
}

function both(name: string, fn: (t: TestContext, rt: Runtime) => Promise<void>, skip = NEEDS_RUNC_1_2): void {
  forEachRuntime({ sut, ref }, name, fn, skip);
}

/**
 * create must fail naming the step, and leave no state dir, process or mount behind.
 */
async function expectCreateFails(rt: Runtime, opts: BundleOptions, phrase: RegExp): Promise<void> {
  await withContainer(rt, 'sched-bad', opts, async (b, id) => {
    // With a user namespace the mapped root sets up the rootfs: it must get that far.
    fs.chmodSync(b.dir, 0o755);
    fs.chmodSync(b.rootfs, 0o755);
    const before = rt.listedIds().sort();
    const r = await rt.exec(['create', '--bundle', b.dir, id]);
    assert.notEqual(r.code, 0, `create should fail\n${describeResult(r)}`);
    assert.match(r.stderr, phrase, describeResult(r));
    assert.deepEqual(rt.listedIds().sort(), before, 'no state dir may be left');
    assert.deepEqual(hostMountsMentioning([rt.base, b.dir]), [], 'no mount may be left');
    const procs = await waitNoRelatedProcesses({ ids: [id], paths: [rt.root, b.dir] });
    assert.deepEqual(procs, [], 'no process may be left');
  });
}

/**
 * This host's kernel has real-time group scheduling: a new cpu cgroup gets no real-time time
 * (cpu.rt_runtime_us 0), and SCHED_FIFO/SCHED_RR are refused in it, with runc as with tsrunc. A
 * real-time container needs linux.resources.cpu.realtimeRuntime, in a cgroup directly under the
 * root (whose budget it takes from; the shared test parent has none).
 */
function realtimeCgroup(s: Spec): void {
  s.linux.cgroupsPath = `/tsrunc-rt-${path.basename(String(s.linux.cgroupsPath))}`;
  s.linux.resources = { ...s.linux.resources, cpu: { realtimeRuntime: 10000 } };
}

describe(`process scheduling (${sut.label}${ref ? ', cases also against runc when it implements them' : ''})`, () => {
  both('scheduler SCHED_BATCH with nice 7: the process and its children run with that policy and nice', async (_t, rt) => {
    await withContainer(rt, 'sched-batch', {
      args: sh([statLine('self', '$$'), statLine('child', 'self')].join('; ')),
      mutate: (s) => { s.process.scheduler = { policy: 'SCHED_BATCH', nice: 7 }; },
    }, async (b) => {
      const o = keyed(await runOk(rt, b, 'sched-batch'));
      // priority 20+nice, nice, rt_priority 0, SCHED_BATCH = 3
      assert.equal(o.get('self'), '27 7 0 3');
      assert.equal(o.get('child'), '27 7 0 3', 'children inherit the policy');
    });
  });

  both('scheduler SCHED_FIFO priority 10 with SCHED_FLAG_RESET_ON_FORK: flags reach the kernel', async (_t, rt) => {
    await withContainer(rt, 'sched-fifo', {
      args: sh([statLine('self', '$$'), statLine('child', 'self')].join('; ')),
      mutate: (s) => { s.process.scheduler = { policy: 'SCHED_FIFO', priority: 10, flags: ['SCHED_FLAG_RESET_ON_FORK'] }; realtimeCgroup(s); },
    }, async (b) => {
      const o = keyed(await runOk(rt, b, 'sched-fifo'));
      // Real-time priority 10 shows as -11 in field 18; SCHED_FIFO = 1.
      assert.equal(o.get('self'), '-11 0 10 1');
      assert.equal(o.get('child'), '20 0 0 0', 'with reset-on-fork a child starts as SCHED_OTHER');
    });
  });

  both('ioPriority: the created init has it (seen from the host) and the process keeps it', async (_t, rt) => {
    await withContainer(rt, 'ioprio', {
      args: sh('echo "ionice $(ionice -p $$)"; echo "child $(ionice)"'),
      mutate: (s) => { s.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 6 }; },
    }, async (b, id) => {
      const out = rt.ioPath(`${id}.out`);
      expectOk(await rt.exec(['create', '--bundle', b.dir, id], { stdoutPath: out }), `${rt.label} create`);
      const { pid } = await rt.state(id);
      assert.equal(hostIonice(pid), 'best-effort: prio 6');
      expectOk(await rt.exec(['start', id]), `${rt.label} start`);
      const o = keyed(await waitForFileContent(out, /^child /m));
      assert.equal(o.get('ionice'), 'best-effort: prio 6');
      assert.equal(o.get('child'), 'best-effort: prio 6');
    });
  });

  both('ioPriority IOPRIO_CLASS_IDLE and scheduler SCHED_IDLE: both on the created init, seen from the host', async (_t, rt) => {
    await withContainer(rt, 'ioprio-idle', {
      args: ['sleep', '30'],
      mutate: (s) => {
        s.process.ioPriority = { class: 'IOPRIO_CLASS_IDLE', priority: 0 };
        s.process.scheduler = { policy: 'SCHED_IDLE' };
      },
    }, async (b, id) => {
      const pid = await createdInit(rt, b, id);
      assert.equal(hostIonice(pid), 'idle');
      assert.equal(hostSched(pid), '20 0 0 5', 'SCHED_IDLE = 5');
    });
  });

  // A user without CAP_SYS_NICE (and RLIMIT_RTPRIO 0) could set neither a real-time policy nor
  // IOPRIO_CLASS_RT itself: this passes only if both are applied before the user switch.
  both('real-time scheduler and I/O class are applied while privileged, before the switch to an unprivileged user', async (_t, rt) => {
    await withContainer(rt, 'sched-user', {
      args: sh(`echo "id $(id -u)"; ${statLine('self', '$$')}; echo "ionice $(ionice -p $$)"; echo "caps $(grep CapEff /proc/self/status)"`),
      user: { uid: TEST_UID, gid: TEST_GID },
      mutate: (s) => {
        s.process.scheduler = { policy: 'SCHED_RR', priority: 5 };
        realtimeCgroup(s);
        s.process.ioPriority = { class: 'IOPRIO_CLASS_RT', priority: 2 };
      },
    }, async (b) => {
      const o = keyed(await runOk(rt, b, 'sched-user'));
      assert.equal(o.get('id'), String(TEST_UID));
      assert.equal(o.get('self'), '-6 0 5 2', 'SCHED_RR = 2 with priority 5');
      assert.equal(o.get('ionice'), 'realtime: prio 2');
      assert.match(o.get('caps') ?? '', /CapEff:\s+0+$/, 'the process has no effective capabilities');
    });
  });

  both('linux.personality LINUX32: the persona is PER_LINUX32 and uname reports a 32-bit machine', async (_t, rt) => {
    await withContainer(rt, 'persona', {
      args: sh('echo "persona $(cat /proc/self/personality)"; echo "machine $(uname -m)"'),
      mutate: (s) => { s.linux.personality = { domain: 'LINUX32' }; },
    }, async (b) => {
      const o = keyed(await runOk(rt, b, 'persona'));
      assert.equal(o.get('persona'), '00000008');
      if (os.arch() === 'x64') assert.equal(o.get('machine'), 'i686');
    });
  });

  // setarch -R gives the runtime ADDR_NO_RANDOMIZE; the container inherits it unless the config
  // names a domain, which replaces the whole persona.
  test('linux.personality LINUX replaces a persona inherited from the caller [tsrunc]', { ...TEST_TIMEOUT, ...sutSkip() }, async (t) => {
    if (spawnSync('setarch', [os.machine(), '-R', 'true']).status !== 0) return t.skip('setarch -R is not available');
    const probe = sh('echo "persona $(cat /proc/self/personality)"');
    const cases: [BundleOptions, string][] = [
      [{ args: probe }, '00040000'],
      [{ args: probe, mutate: (s) => { s.linux.personality = { domain: 'LINUX' }; } }, '00000000'],
    ];
    for (const [opts, want] of cases) {
      await withContainer(sut, 'persona-reset', opts, async (b, id) => {
        const r = spawnSync('setarch', [os.machine(), '-R', ...sut.argv, '--root', sut.root, 'run', '--bundle', b.dir, id], { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(keyed(r.stdout).get('persona'), want, r.stdout);
      });
    }
  });

  // runtime-spec: execCPUAffinity "is not applicable to the container's init process" (runc and
  // crun apply it to `exec` only). runc 1.1 ignores the field, so any runc agrees here.
  forEachRuntime({ sut, ref }, 'execCPUAffinity leaves the container process (the init) on the CPUs it inherits', async (_t, rt) => {
    const hostCpus = cpusAllowed(fs.readFileSync('/proc/self/status', 'utf8'));
    await withContainer(rt, 'affinity-init', {
      args: sh('grep Cpus_allowed_list /proc/self/status'),
      mutate: (s) => { s.process.execCPUAffinity = { initial: '0', final: '0' }; },
    }, async (b) => {
      const out = await runOk(rt, b, 'affinity-init');
      assert.equal(cpusAllowed(out), hostCpus, out);
    });
  }, () => (os.availableParallelism() < 2 ? 'needs two CPUs to tell "0" from all' : undefined));

  test('scheduler the kernel refuses (SCHED_DEADLINE runtime under 1µs): create fails naming the step and leaves nothing [tsrunc]', { ...TEST_TIMEOUT, ...sutSkip() }, async () => {
    await expectCreateFails(sut, {
      args: ['true'],
      mutate: (s) => { s.process.scheduler = { policy: 'SCHED_DEADLINE', runtime: 100, deadline: 1000, period: 1000 }; },
    }, /unable to start container process: set scheduler: sched_setattr: invalid argument/);
  });

  test('IOPRIO_CLASS_RT in a user namespace (no CAP_SYS_NICE on the host): create fails naming the step and leaves nothing [tsrunc]', { ...TEST_TIMEOUT, ...sutSkip() }, async () => {
    await expectCreateFails(sut, {
      args: ['true'],
      namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'user' }],
      mutate: (s) => {
        s.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        s.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        s.mounts = s.mounts.filter((m) => m.destination !== '/sys/fs/cgroup' && m.destination !== '/sys');
        s.process.ioPriority = { class: 'IOPRIO_CLASS_RT', priority: 0 };
      },
    }, /unable to start container process: set I\/O priority: ioprio_set: operation not permitted/);
  });
});

// execCPUAffinity is for `exec`, which tsrunc does not have yet; its launcher side is driven here
// directly with the plan `exec` will send: the create plan plus process.scheduling.cpuAffinity.
describe('exec CPU affinity in the launcher (plan driven directly)', () => {
  const log = new Logger(undefined, 'text', false);

  function launchWithAffinity(b: Bundle, affinity: { initial?: string; final?: string }, fifo: string) {
    const spec = b.spec as unknown as ConfigSpec;
    const plan = buildLaunchPlan(spec, resolveRootfs(spec, b.dir), {
      id: uniqueId('affinity'), bundle: b.dir, execFifo: fifo, noPivot: false, noNewKeyring: false, preserveFds: 0, debug: false,
    });
    const cpuAffinity = planExecCpuAffinity(affinity);
    assert.ok(plan.process && cpuAffinity);
    plan.process.scheduling = { cpuAffinity };
    return launch(plan, log);
  }

  const withFifo = (fn: (fifo: string) => Promise<void>) => (): Promise<void> => withExecFifo(fn);

  const twoCpus = os.availableParallelism() >= 2 ? {} : { skip: 'needs two CPUs' };

  test('initial applies while the process is set up, final once it is released to exec', { ...TEST_TIMEOUT, ...twoCpus }, withFifo(async (fifo) => {
    await withContainer(sut, 'affinity', {
      // The launcher hands the container this test's stdio: the output goes to a file instead.
      args: sh('grep Cpus_allowed_list /proc/self/status > /result; sleep 30'),
      readonly: false,
    }, async (b) => {
      const launched = launchWithAffinity(b, { initial: '0', final: '1' }, fifo);
      const pid = launched.initPid;
      try {
        launched.commit();
        assert.equal(cpusAllowed(fs.readFileSync(`/proc/${pid}/status`, 'utf8')), '0', 'waiting for start, the init is on the initial CPUs');
        // What `start` does: opening the fifo for reading releases the init.
        const release = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
        try {
          const result = await waitForFileContent(path.join(b.rootfs, 'result'), /Cpus_allowed_list/);
          assert.equal(cpusAllowed(result), '1', 'the process runs on the final CPUs');
        } finally {
          fs.closeSync(release);
        }
      } finally {
        if (processAlive(pid)) process.kill(pid, 'SIGKILL');
        await waitForExit(pid);
      }
    });
  }));

  test('an initial CPU the machine does not have: the launch fails naming the step and the CPUs', TEST_TIMEOUT, withFifo(async (fifo) => {
    await withContainer(sut, 'affinity-bad', { args: ['true'], readonly: false }, async (b) => {
      assert.throws(() => launchWithAffinity(b, { initial: '4095' }, fifo), (e: unknown) => {
        assert.ok(e instanceof LaunchError, String(e));
        assert.equal(e.message, 'set initial CPU affinity: sched_setaffinity 4095: invalid argument');
        return true;
      });
      const procs = await waitNoRelatedProcesses({ paths: [b.dir] });
      assert.deepEqual(procs, [], 'no process may be left');
      assert.deepEqual(hostMountsMentioning([b.dir]), [], 'no mount may be left');
    });
  }));
});

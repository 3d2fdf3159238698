// linux.memoryPolicy (runtime-spec 1.3): set_mempolicy(2) for the container's process and every
// process exec'd into it. The kernel shows a task's policy in /proc/<pid>/numa_maps, on each
// mapping that has no policy of its own ("bind:0", "interleave:0", "prefer=relative:0", ...):
// read there from inside the container and, for the waiting init, from the host.
//
// This host has one NUMA node (0), so every policy names node 0; the flags and the node lists are
// still told apart by the kernel's text. runc implements the field from 1.4 on; the installed
// runc 1.1 ignores it, so its variant of a case runs only with a runc that has it.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Spec as ConfigSpec } from '../../../src/config/types';
import { buildFeatures } from '../../../src/config/features';
import { MAX_NODE, MEMPOLICY_FLAGS, MEMPOLICY_MODES, hostMemoryNodes, nodeListText, parseNodeList } from '../../../src/linux/numa';
import { Logger } from '../../../src/log';
import { launch, LaunchError } from '../../../src/native/launcher';
import { buildLaunchPlan, resolveRootfs } from '../../../src/plan/build';
import { planMemoryPolicy } from '../../../src/plan/memory-policy';
import type { Bundle, Spec } from '../../helpers/rootfs';
import {
  describeResult, hostMountsMentioning, repoRoot, Runtime, tsruncIsRunc, uniqueId, waitNoRelatedProcesses,
} from '../../helpers/runtime';
import { expectOk, forEachRuntime, keyed, runtimesForSuite, TEST_TIMEOUT, waitForFileContent, withContainer, withExecFifo } from '../../helpers/suite';

const { sut, ref } = runtimesForSuite();

const runcVersion: [number, number] = (() => {
  const m = /runc version (\d+)\.(\d+)/.exec(spawnSync(ref?.argv[0] ?? 'runc', ['--version'], { encoding: 'utf8' }).stdout ?? '');
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
})();
const runcHasPolicy = runcVersion[0] > 1 || (runcVersion[0] === 1 && runcVersion[1] >= 4);
const isRunc = (rt: Runtime): boolean => rt === ref || tsruncIsRunc();
const NEEDS_RUNC_1_4 = (rt: Runtime): string | undefined =>
  isRunc(rt) && !runcHasPolicy ? `runc ${runcVersion.join('.')} ignores linux.memoryPolicy (added in runc 1.4)` : undefined;
/** For the cases only the runtime under test runs: skipped when that is an older runc (TSRUNC_BIN=runc). */
const sutOnly = (): { skip?: string } => {
  const reason = NEEDS_RUNC_1_4(sut);
  return reason ? { skip: reason } : {};
};

const kernel = os.release().split('.').map(Number);
const kernelAtLeast = (major: number, minor: number): boolean => kernel[0] > major || (kernel[0] === major && kernel[1] >= minor);
const hostNodes = hostMemoryNodes();
// The expectations name node 0, which every NUMA kernel has (with memory, unless it was offlined).
const numaSkip = hostNodes === undefined ? 'this kernel has no NUMA support (/sys/devices/system/node/has_memory is missing)'
  : !hostNodes.includes(0) ? `node 0 has no memory on this host (nodes with memory: ${nodeListText(hostNodes)})` : undefined;
const noNuma = numaSkip ? { skip: numaSkip } : {};
/** For the cases whose kernel text depends on node 0 being the only node with memory. */
const oneNode = hostNodes?.length === 1 ? undefined : 'expects node 0 to be the only node with memory, as on this project\'s hosts';

type Policy = NonNullable<ConfigSpec['linux']>['memoryPolicy'];

/** The task policy in the first line of a numa_maps file: the text between the address and the mapping's other fields. */
function policyText(numaMaps: string): string {
  const m = /^[0-9a-f]+ (default|local|[^:\n]+:[0-9,-]+)/.exec(numaMaps);
  return m ? m[1] : `(no policy in ${JSON.stringify(numaMaps.split('\n')[0])})`;
}

/** Prints "init <policy line>" (the container's process, pid 1) and "child <...>" (a process it forks). */
const probe = ['sh', '-c', 'exec 2>&1; echo "init $(head -n 1 /proc/1/numa_maps)"; echo "child $(head -n 1 /proc/self/numa_maps)"'];

const withPolicy = (policy: Policy) => (s: Spec): void => { s.linux.memoryPolicy = policy; };

async function runProbe(rt: Runtime, b: Bundle, prefix: string): Promise<{ init: string; child: string }> {
  const r = await rt.runToCompletion(b.dir, uniqueId(prefix));
  assert.equal(r.code, 0, `${rt.label}: container should exit 0\n${describeResult(r.result)}`);
  const o = keyed(r.stdout);
  return { init: policyText(o.get('init') ?? ''), child: policyText(o.get('child') ?? '') };
}

/** set_mempolicy(MPOL_INTERLEAVE, {0}) on itself, then exec: a caller whose policy is not the default. */
const INTERLEAVED_CALLER = [
  'import ctypes, os, sys',
  "nr = {'x86_64': 238, 'aarch64': 237}[os.uname().machine]",
  'libc = ctypes.CDLL(None, use_errno=True)',
  'mask = ctypes.c_ulong(1)',
  "if libc.syscall(nr, 3, ctypes.byref(mask), 65) != 0: sys.exit('set_mempolicy: ' + os.strerror(ctypes.get_errno()))",
  'os.execvp(sys.argv[1], sys.argv[1:])',
].join('\n');

function interleavedCallerSkip(): string | undefined {
  if (numaSkip) return numaSkip;
  if (!['x86_64', 'aarch64'].includes(os.machine())) return `no set_mempolicy number known for ${os.machine()}`;
  if (spawnSync('python3', ['-c', 'import ctypes'], { stdio: 'ignore' }).status !== 0) return 'python3 with ctypes is needed to start the runtime under a policy';
  return undefined;
}

function runInterleaved(rt: Runtime, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('python3', ['-c', INTERLEAVED_CALLER, ...rt.argv, '--root', rt.root, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe(`linux.memoryPolicy in containers (${sut.label})`, () => {
  // [name, policy, what numa_maps shows, skip reason]
  const cases: [string, Policy, string, string?][] = [
    ['MPOL_BIND 0', { mode: 'MPOL_BIND', nodes: '0' }, 'bind:0'],
    ['MPOL_BIND with MPOL_F_STATIC_NODES', { mode: 'MPOL_BIND', nodes: '0', flags: ['MPOL_F_STATIC_NODES'] }, 'bind=static:0'],
    ['MPOL_BIND with MPOL_F_NUMA_BALANCING', { mode: 'MPOL_BIND', nodes: '0', flags: ['MPOL_F_NUMA_BALANCING'] }, 'bind=balancing:0',
      kernelAtLeast(5, 12) ? undefined : 'MPOL_F_NUMA_BALANCING needs Linux 5.12'],
    // Node 5 has no memory here: the kernel keeps node 0 of the mask.
    ['MPOL_BIND 0,5', { mode: 'MPOL_BIND', nodes: '0,5' }, 'bind:0', oneNode],
    // Relative nodes are folded onto the allowed ones: 5 of a one-node set is node 0.
    ['MPOL_BIND 5 with MPOL_F_RELATIVE_NODES', { mode: 'MPOL_BIND', nodes: '5', flags: ['MPOL_F_RELATIVE_NODES'] }, 'bind=relative:0', oneNode],
    ['MPOL_INTERLEAVE with blanks and an empty element in the list', { mode: 'MPOL_INTERLEAVE', nodes: ' 0 ,' }, 'interleave:0'],
    ['MPOL_PREFERRED with MPOL_F_RELATIVE_NODES', { mode: 'MPOL_PREFERRED', nodes: '0', flags: ['MPOL_F_RELATIVE_NODES'] }, 'prefer=relative:0'],
    // set_mempolicy(2): an empty MPOL_PREFERRED mask means local allocation.
    ['MPOL_PREFERRED without nodes', { mode: 'MPOL_PREFERRED' }, 'local'],
    ['MPOL_PREFERRED_MANY', { mode: 'MPOL_PREFERRED_MANY', nodes: '0' }, 'prefer (many):0', kernelAtLeast(5, 15) ? undefined : 'MPOL_PREFERRED_MANY needs Linux 5.15'],
    ['MPOL_WEIGHTED_INTERLEAVE', { mode: 'MPOL_WEIGHTED_INTERLEAVE', nodes: '0' }, 'weighted interleave:0',
      kernelAtLeast(6, 9) ? undefined : 'MPOL_WEIGHTED_INTERLEAVE needs Linux 6.9'],
    ['MPOL_LOCAL', { mode: 'MPOL_LOCAL' }, 'local'],
  ];
  for (const [name, policy, shown, skip] of cases) {
    forEachRuntime({ sut, ref }, `${name}: the process and its children run with "${shown}"`, async (t, rt) => {
      if (skip) return t.skip(skip);
      await withContainer(rt, 'mpol', { args: probe, mutate: withPolicy(policy) }, async (b) => {
        const seen = await runProbe(rt, b, 'mpol');
        assert.equal(seen.init, shown, 'the container process');
        assert.equal(seen.child, shown, 'a child inherits it');
      });
    }, (rt) => NEEDS_RUNC_1_4(rt) ?? numaSkip);
  }

  test('the created init runs under the policy while it waits for start (runc sets it before "ready")', { ...TEST_TIMEOUT, ...sutOnly(), ...noNuma }, async () => {
    await withContainer(sut, 'mpol-created', {
      args: probe,
      mutate: withPolicy({ mode: 'MPOL_INTERLEAVE', nodes: '0', flags: ['MPOL_F_STATIC_NODES'] }),
    }, async (b, id) => {
      const out = sut.ioPath(`${id}.out`);
      expectOk(await sut.exec(['create', '--bundle', b.dir, id], { stdoutPath: out }), 'create');
      const { pid } = await sut.state(id);
      assert.equal(policyText(fs.readFileSync(`/proc/${pid}/numa_maps`, 'utf8')), 'interleave=static:0', 'the waiting init, seen from the host');
      expectOk(await sut.exec(['start', id]), 'start');
      const o = keyed(await waitForFileContent(out, /^child /m));
      assert.equal(policyText(o.get('init') ?? ''), 'interleave=static:0');
    });
  });

  // runc 1.4 sets the policy in its setns init too: an exec'd process gets the container's policy.
  test('a process exec\'d into the container gets the container\'s policy, not the caller\'s', { ...TEST_TIMEOUT, ...sutOnly(), ...noNuma }, async (t) => {
    await withContainer(sut, 'mpol-exec', { args: ['sleep', '60'], mutate: withPolicy({ mode: 'MPOL_BIND', nodes: '0', flags: ['MPOL_F_RELATIVE_NODES'] }) }, async (b, id) => {
      expectOk(await sut.exec(['run', '--detach', '--bundle', b.dir, id], { stdoutPath: sut.ioPath('init.out') }), 'run --detach');
      const r = await sut.exec(['exec', id, 'head', '-n', '1', '/proc/self/numa_maps']);
      expectOk(r, 'exec');
      assert.equal(policyText(r.stdout), 'bind=relative:0');
      const reason = interleavedCallerSkip();
      if (reason) return t.diagnostic(`not checked under a caller with its own policy: ${reason}`);
      const under = runInterleaved(sut, ['exec', id, 'head', '-n', '1', '/proc/self/numa_maps']);
      assert.equal(under.status, 0, under.stderr);
      assert.equal(policyText(under.stdout), 'bind=relative:0', 'the caller\'s interleave policy is replaced');
    });
  });

  test('MPOL_DEFAULT and MPOL_LOCAL replace the policy the runtime inherited; without memoryPolicy it is kept', { ...TEST_TIMEOUT, ...sutOnly() }, async (t) => {
    const reason = interleavedCallerSkip();
    if (reason) return t.skip(reason);
    const cases: [Policy | undefined, string][] = [[undefined, 'interleave:0'], [{ mode: 'MPOL_DEFAULT' }, 'default'], [{ mode: 'MPOL_LOCAL' }, 'local']];
    for (const [policy, shown] of cases) {
      await withContainer(sut, 'mpol-caller', { args: probe, mutate: (s) => { if (policy) s.linux.memoryPolicy = policy; } }, async (b, id) => {
        const r = runInterleaved(sut, ['run', '--bundle', b.dir, id]);
        assert.equal(r.status, 0, r.stderr);
        const o = keyed(r.stdout);
        assert.equal(policyText(o.get('init') ?? ''), shown, `memoryPolicy ${JSON.stringify(policy)}`);
      });
    }
  });
});

/** The messages of the error lines a runtime logged with --log-format json. */
function errors(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: string; msg: string })
    .filter((l) => l.level === 'error').map((l) => l.msg);
}

describe('bad linux.memoryPolicy values: validate and create refuse them, naming the value, and leave nothing', () => {
  const cases: [string, Policy | Record<string, unknown>, string][] = [
    ['an unknown mode', { mode: 'MPOL_RANDOM', nodes: '0' }, '/linux/memoryPolicy/mode: must be one of MPOL_DEFAULT'],
    ['an unknown flag', { mode: 'MPOL_BIND', nodes: '0', flags: ['MPOL_F_LAZY'] }, '/linux/memoryPolicy/flags/0: must be one of MPOL_F_NUMA_BALANCING'],
    ['a malformed node list', { mode: 'MPOL_BIND', nodes: '0-' }, '/linux/memoryPolicy/nodes: must be a list of node numbers and ranges such as 0-3,7 (got "0-")'],
    ['a node no kernel can have', { mode: 'MPOL_BIND', nodes: `0-${MAX_NODE + 1}` }, `/linux/memoryPolicy/nodes: node ${MAX_NODE + 1} is above ${MAX_NODE}, the largest node number of any kernel`],
    ['MPOL_BIND without nodes', { mode: 'MPOL_BIND' }, '/linux/memoryPolicy/nodes: MPOL_BIND needs at least one node'],
    ['MPOL_DEFAULT with nodes', { mode: 'MPOL_DEFAULT', nodes: '0' }, '/linux/memoryPolicy/nodes: must be empty for MPOL_DEFAULT (got "0")'],
    ['MPOL_LOCAL with a flag', { mode: 'MPOL_LOCAL', flags: ['MPOL_F_STATIC_NODES'] }, '/linux/memoryPolicy/flags/0: MPOL_F_STATIC_NODES cannot be used with MPOL_LOCAL'],
    ['static and relative nodes together', { mode: 'MPOL_BIND', nodes: '0', flags: ['MPOL_F_STATIC_NODES', 'MPOL_F_RELATIVE_NODES'] }, '/linux/memoryPolicy/flags: MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other'],
    ['NUMA balancing with MPOL_INTERLEAVE', { mode: 'MPOL_INTERLEAVE', nodes: '0', flags: ['MPOL_F_NUMA_BALANCING'] }, '/linux/memoryPolicy/flags/0: MPOL_F_NUMA_BALANCING works only with MPOL_BIND or MPOL_PREFERRED_MANY'],
  ];
  if (hostNodes !== undefined && !hostNodes.includes(5)) {
    // Valid in any config, impossible on this host: the kernel would fail with EINVAL.
    cases.push(['a node without memory on this host', { mode: 'MPOL_BIND', nodes: '5' },
      `/linux/memoryPolicy/nodes: no node of "5" has memory on this host (nodes with memory: ${nodeListText(hostNodes)})`]);
  }
  for (const [name, policy, message] of cases) {
    test(`${name}: ${message.split(':')[0]}`, { ...TEST_TIMEOUT, ...sutOnly() }, async () => {
      await withContainer(sut, 'mpol-bad', { args: ['true'], mutate: (s) => { s.linux.memoryPolicy = policy as Policy; } }, async (b, id) => {
        const validate = await sut.exec(['validate', '--bundle', b.dir], { globalArgs: ['--log-format', 'json'] });
        assert.equal(validate.code, 1, describeResult(validate));
        assert.ok(errors(validate.stderr).some((m) => m.startsWith(`config.json: ${message}`)), describeResult(validate));
        const before = sut.listedIds().sort();
        const r = await sut.exec(['create', '--bundle', b.dir, id], { globalArgs: ['--log-format', 'json'] });
        assert.notEqual(r.code, 0, `create should fail\n${describeResult(r)}`);
        assert.ok(errors(r.stderr).some((m) => m.includes(`config.json: ${message}`)), describeResult(r));
        assert.deepEqual(sut.listedIds().sort(), before, 'no state dir may be left');
        assert.deepEqual(hostMountsMentioning([sut.base, b.dir]), [], 'no mount may be left');
        assert.deepEqual(await waitNoRelatedProcesses({ ids: [id], paths: [sut.root, b.dir] }), [], 'no process may be left');
      });
    });
  }
});

// What the kernel still refuses after the plan builder's checks reaches the user as the launcher's
// failure. A plan naming only a node without memory (which the builder would refuse) makes the
// kernel say EINVAL for real.
describe('set_mempolicy refused by the kernel (plan driven directly)', () => {
  test('the launch fails naming the step, the call and the nodes, and leaves nothing', { ...TEST_TIMEOUT, ...noNuma }, () => withExecFifo(async (fifo) => {
    await withContainer(sut, 'mpol-kernel', { args: ['true'], readonly: false }, async (b) => {
      const spec = b.spec as unknown as ConfigSpec;
      const plan = buildLaunchPlan(spec, resolveRootfs(spec, b.dir), {
        id: uniqueId('mpol'), bundle: b.dir, execFifo: fifo, noPivot: false, noNewKeyring: false, preserveFds: 0, debug: false,
      });
      const absent = (hostNodes ?? [0]).reduce((a, n) => Math.max(a, n), 0) + 5;
      plan.memoryPolicy = { mode: MEMPOLICY_MODES.MPOL_BIND, nodes: [absent] };
      assert.throws(() => launch(plan, new Logger(undefined, 'text', false)), (e: unknown) => {
        assert.ok(e instanceof LaunchError, String(e));
        assert.equal(e.message, `set memory policy: set_mempolicy nodes ${absent}: invalid argument`);
        assert.equal(e.failure.op, 'set_mempolicy');
        return true;
      });
      assert.deepEqual(await waitNoRelatedProcesses({ paths: [b.dir] }), [], 'no process may be left');
      assert.deepEqual(hostMountsMentioning([b.dir]), [], 'no mount may be left');
    });
  }));
});

describe('memory policy tables and node lists', () => {
  test('node lists: ranges, blanks and empty elements as runc reads them; strides and descending ranges refused', () => {
    assert.deepEqual(parseNodeList('0-3,7'), { nodes: [0, 1, 2, 3, 7] });
    assert.deepEqual(parseNodeList(' 7 , 1-2,,1 ,'), { nodes: [1, 2, 7] });
    assert.deepEqual(parseNodeList(''), { nodes: [] });
    assert.deepEqual(parseNodeList(`${MAX_NODE}`), { nodes: [MAX_NODE] });
    assert.deepEqual(parseNodeList('3-1'), { error: 'range 3-1 ends before it starts', malformed: false });
    assert.deepEqual(parseNodeList('0-9876543210'), { error: `node 9876543210 is above ${MAX_NODE}, the largest node number of any kernel`, malformed: false });
    assert.equal((parseNodeList('0-7:2/4') as { malformed: boolean }).malformed, true);
    assert.equal((parseNodeList('0 - 3') as { malformed: boolean }).malformed, true);
    assert.equal(nodeListText([0, 1, 2, 3, 7, 9, 10]), '0-3,7,9-10');
  });

  test('the plan: the mode with its flags or\'ed in, and the node numbers', () => {
    const host = (): number[] => [0, 1];
    assert.deepEqual(planMemoryPolicy({ mode: 'MPOL_BIND', nodes: '1,0-1', flags: ['MPOL_F_STATIC_NODES', 'MPOL_F_NUMA_BALANCING'] }, host),
      { mode: 2 | (1 << 15) | (1 << 13), nodes: [0, 1] });
    assert.deepEqual(planMemoryPolicy({ mode: 'MPOL_PREFERRED' }, host), { mode: 1, nodes: [] });
    assert.equal(planMemoryPolicy(undefined, host), undefined);
    // Some node with memory is enough (the kernel drops the others); relative nodes are never refused.
    assert.deepEqual(planMemoryPolicy({ mode: 'MPOL_INTERLEAVE', nodes: '1,6' }, host), { mode: 3, nodes: [1, 6] });
    assert.deepEqual(planMemoryPolicy({ mode: 'MPOL_BIND', nodes: '6', flags: ['MPOL_F_RELATIVE_NODES'] }, host), { mode: 2 | (1 << 14), nodes: [6] });
    assert.throws(() => planMemoryPolicy({ mode: 'MPOL_BIND', nodes: '5-6' }, host),
      /config\.json: \/linux\/memoryPolicy\/nodes: no node of "5-6" has memory on this host \(nodes with memory: 0-1\)$/);
    // A host whose node list cannot be read: the kernel decides.
    assert.deepEqual(planMemoryPolicy({ mode: 'MPOL_BIND', nodes: '5' }, () => undefined), { mode: 2, nodes: [5] });
  });

  test('the schema, the tables and the features document name the same modes and flags', () => {
    const schema = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'src/config/schema/config.schema.json'), 'utf8'));
    const def = schema.definitions.MemoryPolicy.properties;
    const sorted = (l: readonly string[]): string[] => [...l].sort();
    assert.deepEqual(sorted(def.mode.enum), sorted(Object.keys(MEMPOLICY_MODES)));
    assert.deepEqual(sorted(def.flags.items.enum), sorted(Object.keys(MEMPOLICY_FLAGS)));
    assert.deepEqual(buildFeatures().linux.memoryPolicy, { modes: sorted(Object.keys(MEMPOLICY_MODES)), flags: sorted(Object.keys(MEMPOLICY_FLAGS)) });
  });

  test('the numbers are linux/mempolicy.h\'s', (t) => {
    const header = '/usr/include/linux/mempolicy.h';
    if (!fs.existsSync(header)) return t.skip(`${header} is missing (install linux-libc-dev)`);
    const text = fs.readFileSync(header, 'utf8');
    // The modes are an enum in kernel order; an older header may end before the newest ones.
    const body = /enum\s*\{([^}]*)\}/.exec(text)?.[1] ?? '';
    const modes = [...body.matchAll(/\b(MPOL_[A-Z_]+)\b/g)].map((m) => m[1]).filter((n) => n !== 'MPOL_MAX');
    assert.ok(modes.length >= 5, `modes in ${header}: ${modes.join(' ')}`);
    modes.forEach((name, i) => assert.equal(MEMPOLICY_MODES[name], i, name));
    for (const [name, value] of Object.entries(MEMPOLICY_FLAGS)) {
      const m = new RegExp(`#define\\s+${name}\\s+\\(1 << (\\d+)\\)`).exec(text);
      if (m) assert.equal(value, 2 ** Number(m[1]), name);
      else t.diagnostic(`${name} is not in ${header}`);
    }
  });
});

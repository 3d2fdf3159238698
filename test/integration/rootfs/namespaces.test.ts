// Namespaces: user (with id maps), joining by path, time, cgroup, uts (hostname/domainname),
// namespaced sysctls, and which namespaces are shared with the host. Every case runs against
// runc first when runc supports the feature, with the same expectations: a case that fails
// under runc is a wrong test, not a runtime bug. Then it runs against the runtime under test.

import { describe } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeBundle } from '../../helpers/rootfs';
import type { Bundle, BundleOptions, Namespace } from '../../helpers/rootfs';
import {
  Runtime, uniqueId, describeResult, withoutRuntimeLog, processAlive,
  hostMountsMentioning, waitNoRelatedProcesses, procStartTime, tsruncIsRunc,
} from '../../helpers/runtime';
import { forEachRuntime, keyed, runtimesForSuite, waitForFileContent } from '../../helpers/suite';
import type { RunResult } from '../../helpers/runtime';

const { sut, ref } = runtimesForSuite();

const HOST_ID = 100000;
const MAP_SIZE = 65536;
const YEAR = 86400 * 365;

/** [major, minor] of the installed runc; [0, 0] when unknown. */
const runcVersion: [number, number] = (() => {
  if (!ref) return [0, 0];
  const m = /runc version (\d+)\.(\d+)/.exec(spawnSync(ref.argv[0], ['--version'], { encoding: 'utf8' }).stdout ?? '');
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
})();
const runcAtLeast = (major: number, minor: number): boolean =>
  runcVersion[0] > major || (runcVersion[0] === major && runcVersion[1] >= minor);

/** Namespace kinds the installed runc implements (runc 1.1 predates time namespaces). */
const runcNamespaces: string[] = (() => {
  if (!ref) return [];
  const r = spawnSync(ref.argv[0], ['features'], { encoding: 'utf8' });
  try {
    return (JSON.parse(r.stdout) as { linux?: { namespaces?: string[] } }).linux?.namespaces ?? [];
  } catch {
    return [];
  }
})();

interface Case {
  /** Set when runc cannot do what the case needs: the runc variant is skipped with this reason. */
  runcSkip?: string;
  /** Set when the host cannot run the case at all. */
  hostSkip?: string;
}

/** runc itself: the reference, or the runtime under test when TSRUNC_BIN=runc. */
const isRunc = (rt: Runtime): boolean => rt === ref || tsruncIsRunc();

/**
 * Declares the case once per runtime, runc first, so a pass under runc vouches for the
 * expectations before they are held against the runtime under test.
 */
function both(name: string, c: Case, fn: (t: TestContext, rt: Runtime) => Promise<void>): void {
  forEachRuntime({ sut, ref }, name, fn, (rt) => c.hostSkip ?? (isRunc(rt) ? c.runcSkip : undefined));
}

/**
 * A bundle whose directory (and rootfs) can be traversed by any uid: with a user namespace
 * the runtime sets up the rootfs as the mapped root, which has no rights over host-root-only
 * directories such as a 0700 mkdtemp.
 */
function openBundle(opts: BundleOptions, mountPoints: string[] = []): Bundle {
  const b = makeBundle(opts);
  fs.chmodSync(b.dir, 0o755);
  fs.chmodSync(b.rootfs, 0o755);
  // The mapped root cannot create mount points in host-root-owned directories of the image.
  for (const d of mountPoints) fs.mkdirSync(path.join(b.rootfs, d), { recursive: true });
  return b;
}

async function withBundle<R>(opts: BundleOptions, fn: (b: Bundle) => Promise<R>, mountPoints: string[] = []): Promise<R> {
  const b = openBundle(opts, mountPoints);
  try {
    return await fn(b);
  } finally {
    b.cleanup();
  }
}

/** Foreground `run`; asserts exit 0 and returns the container's stdout. */
async function runOk(rt: Runtime, b: Bundle, prefix: string): Promise<RunResult> {
  const r = await rt.runToCompletion(b.dir, uniqueId(prefix));
  assert.equal(r.code, 0, `${rt.label}: container should exit 0\n${describeResult(r.result)}`);
  return r;
}

/** `run --detach` with output in a file; the caller deletes `id`. */
async function runDetached(rt: Runtime, b: Bundle, id: string): Promise<{ pid: number; out: string }> {
  const out = rt.ioPath(`${id}.out`);
  const r = await rt.exec(['run', '--detach', '--bundle', b.dir, id], { stdoutPath: out, stderrPath: rt.ioPath(`${id}.err`) });
  assert.equal(r.code, 0, `${rt.label}: run --detach should succeed\n${describeResult(r)}`);
  const st = await rt.state(id);
  assert.equal(st.status, 'running', JSON.stringify(st));
  return { pid: st.pid, out };
}


/** Shell script inside the container with stderr folded into stdout. */
const sh = (script: string): string[] => ['sh', '-c', `exec 2>&1; ${script}`];

const nsLink = (pid: number | 'self', kind: string): string => fs.readlinkSync(`/proc/${pid}/ns/${kind}`);


const userMappings = {
  uidMappings: [{ containerID: 0, hostID: HOST_ID, size: MAP_SIZE }],
  gidMappings: [{ containerID: 0, hostID: HOST_ID, size: MAP_SIZE }],
};

const baseNamespaces = (): Namespace[] => [
  { type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' },
];

describe(`namespaces (${sut.label}${ref ? ', each case also against runc' : ''})`, () => {
  both('user namespace with uid/gid mappings: ids inside and on the host, tmpfs ownership, /dev binds', {}, async (_t, rt) => {
    await withBundle({
      args: sh([
        'echo "uid $(id -u)"', 'echo "gid $(id -g)"',
        'echo "uidmap $(cat /proc/self/uid_map)"', 'echo "gidmap $(cat /proc/self/gid_map)"',
        'touch /mnt/t/file', 'mkdir /mnt/t/dir',
        'echo x > /dev/null && echo "devnull ok"',
        'echo "zero $(head -c1 /dev/zero | wc -c)"',
        'echo "nullnode $(stat -c "%F %t:%T" /dev/null)"',
        // In a user namespace mknod is not allowed, so the nodes must be binds of the host's.
        'echo "nullmount $(grep -c " /dev/null " /proc/self/mountinfo)"',
        'echo ready', 'exec sleep 30',
      ].join('; ')),
      namespaces: [...baseNamespaces(), { type: 'user' }],
      mounts: [{ destination: '/mnt/t', type: 'tmpfs', source: 'tmpfs', options: ['mode=755'] }],
      mutate: (s) => {
        Object.assign(s.linux, userMappings);
        // Mounting a cgroup hierarchy in a user namespace depends on the cgroup setup, which
        // is not what this case is about.
        s.mounts = s.mounts.filter((m) => m.destination !== '/sys/fs/cgroup');
      },
    }, async (b) => {
      const id = uniqueId(`userns-${rt.kind}`);
      try {
        const { pid, out } = await runDetached(rt, b, id);
        const text = await waitForFileContent(out, /^ready$/m);
        const o = keyed(text);
        assert.equal(o.get('uid'), '0', text);
        assert.equal(o.get('gid'), '0', text);
        assert.deepEqual(o.get('uidmap')?.split(/\s+/), ['0', String(HOST_ID), String(MAP_SIZE)], text);
        assert.deepEqual(o.get('gidmap')?.split(/\s+/), ['0', String(HOST_ID), String(MAP_SIZE)], text);
        assert.equal(o.get('devnull'), 'ok', text);
        assert.equal(o.get('zero'), '1', text);
        assert.equal(o.get('nullnode'), 'character special file 1:3', text);
        assert.ok(Number(o.get('nullmount')) >= 1, `/dev/null should be a bind mount inside:\n${text}`);

        // What the host sees: the init runs as the mapped ids, and files it creates are owned by them.
        const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
        assert.match(status, new RegExp(`^Uid:\\s+${HOST_ID}\\s+${HOST_ID}\\s+${HOST_ID}\\s+${HOST_ID}$`, 'm'), status);
        assert.match(status, new RegExp(`^Gid:\\s+${HOST_ID}\\s+${HOST_ID}\\s+${HOST_ID}\\s+${HOST_ID}$`, 'm'), status);
        for (const f of ['file', 'dir']) {
          const st = fs.statSync(`/proc/${pid}/root/mnt/t/${f}`);
          assert.equal(st.uid, HOST_ID, `owner of /mnt/t/${f} seen from the host`);
          assert.equal(st.gid, HOST_ID, `group of /mnt/t/${f} seen from the host`);
        }
        assert.notEqual(nsLink(pid, 'user'), nsLink('self', 'user'), 'the init should be in a new user namespace');
      } finally {
        await rt.deleteForce(id);
      }
    }, ['mnt/t']);
  });

  both('joining network, uts and ipc namespaces of another container by path', {}, async (_t, rt) => {
    const a = openBundle({ args: ['sleep', '30'], hostname: 'ns-owner-a' });
    const b = openBundle({
      args: sh('echo "hostname $(hostname)"; for n in net uts ipc; do echo "$n $(readlink /proc/self/ns/$n)"; done'),
      mutate: (s) => { delete s.hostname; },
    });
    const idA = uniqueId(`join-a-${rt.kind}`);
    try {
      const { pid } = await runDetached(rt, a, idA);
      b.spec.linux.namespaces = [
        { type: 'pid' }, { type: 'mount' },
        { type: 'network', path: `/proc/${pid}/ns/net` },
        { type: 'uts', path: `/proc/${pid}/ns/uts` },
        { type: 'ipc', path: `/proc/${pid}/ns/ipc` },
      ];
      b.writeSpec();
      const r = await runOk(rt, b, `join-b-${rt.kind}`);
      const o = keyed(r.stdout);
      assert.equal(o.get('hostname'), 'ns-owner-a', r.stdout);
      for (const n of ['net', 'uts', 'ipc']) {
        assert.equal(o.get(n), nsLink(pid, n), `${n} namespace of B should be A's\n${r.stdout}`);
        assert.notEqual(o.get(n), nsLink('self', n), `${n} namespace should not be the host's`);
      }
      assert.ok(processAlive(pid), 'container A should be unaffected');
    } finally {
      await rt.deleteForce(idA);
      a.cleanup();
      b.cleanup();
    }
  });

  both('a namespace path of the wrong type fails clearly and leaves nothing behind', {}, async (_t, rt) => {
    const a = openBundle({ args: ['sleep', '30'] });
    const b = openBundle({ args: ['true'], mutate: (s) => { delete s.hostname; } });
    const idA = uniqueId(`wrong-a-${rt.kind}`);
    const idB = uniqueId(`wrong-b-${rt.kind}`);
    try {
      const { pid } = await runDetached(rt, a, idA);
      const startA = procStartTime(pid);
      const utsPath = `/proc/${pid}/ns/uts`;
      b.spec.linux.namespaces = [{ type: 'pid' }, { type: 'mount' }, { type: 'network', path: utsPath }];
      b.writeSpec();
      const idsBefore = rt.listedIds().sort();
      const r = await rt.exec(['create', '--bundle', b.dir, idB]);
      assert.notEqual(r.code, 0, `create should fail\n${describeResult(r)}`);
      const err = withoutRuntimeLog(r.stderr);
      assert.match(err, /net(work)? namespace/i, `the error should name the namespace kind\n${describeResult(r)}`);
      assert.match(err, /invalid argument|not a net(work)? namespace/i, `the error should say why\n${describeResult(r)}`);
      // runc 1.1 only reports the failed setns; tsrunc checks the type first and can say which file it was.
      if (!isRunc(rt)) assert.ok(err.includes(utsPath), `the error should name the path\n${describeResult(r)}`);

      assert.deepEqual(rt.listedIds().sort(), idsBefore, 'no state dir should be left for the failed container');
      assert.deepEqual(hostMountsMentioning([b.dir, rt.root]), [], 'no host mounts should be left');
      const procs = await waitNoRelatedProcesses({ ids: [idB], paths: [b.dir], excludePids: [pid] });
      assert.deepEqual(procs, [], 'no process of the failed container should be left');
      assert.ok(processAlive(pid) && procStartTime(pid) === startA, 'container A should be unaffected');
    } finally {
      await rt.deleteForce(idB);
      await rt.deleteForce(idA);
      a.cleanup();
      b.cleanup();
    }
  });

  both('time namespace with monotonic and boottime offsets', {
    hostSkip: fs.existsSync('/proc/self/ns/time') ? undefined : 'this kernel has no time namespaces (/proc/self/ns/time missing)',
    runcSkip: runcNamespaces.includes('time') ? undefined : 'the installed runc does not implement time namespaces',
  }, async (_t, rt) => {
    await withBundle({
      args: sh('echo "uptime $(cat /proc/uptime)"; echo "ns $(readlink /proc/self/ns/time)"; echo "offsets $(cat /proc/self/timens_offsets | tr "\\n" ";")"'),
      namespaces: [...baseNamespaces(), { type: 'time' }],
      mutate: (s) => {
        s.linux.timeOffsets = { monotonic: { secs: YEAR, nanosecs: 0 }, boottime: { secs: YEAR, nanosecs: 0 } };
      },
    }, async (b) => {
      const before = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
      const r = await runOk(rt, b, `timens-${rt.kind}`);
      const after = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
      const o = keyed(r.stdout);
      const inside = Number(o.get('uptime')?.split(' ')[0]);
      assert.ok(Number.isFinite(inside), r.stdout);
      // Generous bounds: this is about the offset being applied, not about clock precision.
      assert.ok(inside >= before + YEAR - 3600, `uptime inside (${inside}) should be about a year more than outside (${before})`);
      assert.ok(inside <= after + YEAR + 3600, `uptime inside (${inside}) should not exceed outside (${after}) + a year by much`);
      assert.notEqual(o.get('ns'), nsLink('self', 'time'), r.stdout);
      const offsets = o.get('offsets') ?? '';
      assert.match(offsets, new RegExp(`monotonic\\s+${YEAR}\\s+0`), r.stdout);
      assert.match(offsets, new RegExp(`boottime\\s+${YEAR}\\s+0`), r.stdout);
    });
  });

  both('cgroup namespace: own namespace, cgroup paths relative to it', {}, async (_t, rt) => {
    await withBundle({
      args: sh('echo "ns $(readlink /proc/self/ns/cgroup)"; cat /proc/self/cgroup'),
      namespaces: [...baseNamespaces(), { type: 'cgroup' }],
    }, async (b) => {
      const r = await runOk(rt, b, `cgroupns-${rt.kind}`);
      const lines = r.stdout.split('\n').filter(Boolean);
      const ns = lines.find((l) => l.startsWith('ns '))?.slice(3);
      assert.ok(ns?.startsWith('cgroup:['), r.stdout);
      assert.notEqual(ns, nsLink('self', 'cgroup'), 'the container should have its own cgroup namespace');
      const cg = lines.filter((l) => /^\d+:/.test(l));
      assert.ok(cg.length > 0, `no cgroup lines:\n${r.stdout}`);
      // The namespace is rooted at the container's own cgroup, so each hierarchy reads "/".
      for (const l of cg) assert.match(l, /^\d+:[^:]*:\/$/, `cgroup path should be the namespace root:\n${r.stdout}`);
      if (fs.readFileSync('/proc/self/cgroup', 'utf8').includes('0::')) {
        assert.ok(cg.includes('0::/'), `unified hierarchy line should be "0::/":\n${r.stdout}`);
      }
    });
  });

  both('without a cgroup namespace the host cgroup namespace is shared', {}, async (_t, rt) => {
    await withBundle({ args: ['readlink', '/proc/self/ns/cgroup'], namespaces: baseNamespaces() }, async (b) => {
      const r = await runOk(rt, b, `nocgroupns-${rt.kind}`);
      assert.equal(r.stdout.trim(), nsLink('self', 'cgroup'));
    });
  });

  both('hostname is set in the new uts namespace, the host\'s is unchanged', {}, async (_t, rt) => {
    const hostBefore = fs.readFileSync('/proc/sys/kernel/hostname', 'utf8');
    await withBundle({ args: ['hostname'], hostname: 'ns-host-name' }, async (b) => {
      const r = await runOk(rt, b, `hostname-${rt.kind}`);
      assert.equal(r.stdout, 'ns-host-name\n');
    });
    assert.equal(fs.readFileSync('/proc/sys/kernel/hostname', 'utf8'), hostBefore, 'host hostname changed');
  });

  both('domainname is set in the new uts namespace, the host\'s is unchanged', {
    runcSkip: runcAtLeast(1, 2) ? undefined : `runc ${runcVersion.join('.')} ignores the domainname field (added in runc 1.2)`,
  }, async (_t, rt) => {
    const domainBefore = fs.readFileSync('/proc/sys/kernel/domainname', 'utf8');
    await withBundle({
      args: sh('echo "hostname $(hostname)"; echo "domain $(cat /proc/sys/kernel/domainname)"'),
      hostname: 'ns-host-name',
      mutate: (s) => { s.domainname = 'ns.example.test'; },
    }, async (b) => {
      const r = await runOk(rt, b, `domain-${rt.kind}`);
      const o = keyed(r.stdout);
      assert.equal(o.get('hostname'), 'ns-host-name', r.stdout);
      assert.equal(o.get('domain'), 'ns.example.test', r.stdout);
    });
    assert.equal(fs.readFileSync('/proc/sys/kernel/domainname', 'utf8'), domainBefore, 'host domainname changed');
  });

  both('sysctls are written in the container\'s net and ipc namespaces, not the host\'s', {}, async (_t, rt) => {
    const fwdFile = '/proc/sys/net/ipv4/ip_forward';
    const msgmaxFile = '/proc/sys/kernel/msgmax';
    const hostFwd = fs.readFileSync(fwdFile, 'utf8').trim();
    const hostMsgmax = fs.readFileSync(msgmaxFile, 'utf8').trim();
    // The opposite of the host's value, so "unchanged on the host" means something either way.
    const wantFwd = hostFwd === '1' ? '0' : '1';
    const wantMsgmax = hostMsgmax === '12345' ? '12346' : '12345';
    await withBundle({
      args: sh(`echo "fwd $(cat ${fwdFile})"; echo "msgmax $(cat ${msgmaxFile})"`),
      mutate: (s) => { s.linux.sysctl = { 'net.ipv4.ip_forward': wantFwd, 'kernel.msgmax': wantMsgmax }; },
    }, async (b) => {
      const r = await runOk(rt, b, `sysctl-${rt.kind}`);
      const o = keyed(r.stdout);
      assert.equal(o.get('fwd'), wantFwd, r.stdout);
      assert.equal(o.get('msgmax'), wantMsgmax, r.stdout);
    });
    assert.equal(fs.readFileSync(fwdFile, 'utf8').trim(), hostFwd, 'host net.ipv4.ip_forward changed');
    assert.equal(fs.readFileSync(msgmaxFile, 'utf8').trim(), hostMsgmax, 'host kernel.msgmax changed');
  });

  // /proc/sys/user/* are the ucount limits of the writer's user namespace (a new one starts at
  // INT_MAX for each); runc ≥ 1.4 allows them with a user namespace of the container's own.
  const UCOUNT = '/proc/sys/user/max_user_namespaces';
  /** Fails if the host's value changed, after putting it back. */
  const assertUcountKept = (host: string): void => {
    const now = fs.readFileSync(UCOUNT, 'utf8').trim();
    if (now !== host) fs.writeFileSync(UCOUNT, host);
    assert.equal(now, host, 'the host\'s max_user_namespaces changed');
  };
  both('user.* sysctls set the container\'s own user namespace limits, not the host\'s', {
    runcSkip: runcAtLeast(1, 4) ? undefined : `runc ${runcVersion.join('.')} refuses every user.* sysctl (allowed with a user namespace since runc 1.4)`,
  }, async (_t, rt) => {
    const host = fs.readFileSync(UCOUNT, 'utf8').trim();
    const want = host === '77' ? '78' : '77';
    await withBundle({
      args: sh(`echo "userns $(cat ${UCOUNT})"; echo "ipcns $(cat /proc/sys/user/max_ipc_namespaces)"`),
      namespaces: [...baseNamespaces(), { type: 'user' }],
      mutate: (s) => {
        Object.assign(s.linux, userMappings);
        s.mounts = s.mounts.filter((m) => m.destination !== '/sys/fs/cgroup');
        s.linux.sysctl = { 'user.max_user_namespaces': want, 'user/max_ipc_namespaces': '12' };
      },
    }, async (b) => {
      const r = await runOk(rt, b, `ucount-${rt.kind}`);
      const o = keyed(r.stdout);
      assert.equal(o.get('userns'), want, r.stdout);
      assert.equal(o.get('ipcns'), '12', r.stdout);
    });
    assertUcountKept(host);
  });

  both('a user.* sysctl without a user namespace is refused, naming the key, and nothing is left', {}, async (_t, rt) => {
    const host = fs.readFileSync(UCOUNT, 'utf8').trim();
    await withBundle({
      args: ['true'],
      mutate: (s) => { s.linux.sysctl = { 'user.max_user_namespaces': host === '77' ? '78' : '77' }; },
    }, async (b) => {
      const id = uniqueId(`ucount-host-${rt.kind}`);
      const r = await rt.exec(['create', '--bundle', b.dir, id]);
      assert.notEqual(r.code, 0, describeResult(r));
      assert.match(r.stderr, /user\.max_user_namespaces/, describeResult(r));
      // runc 1.4+: "setting ucounts without a user namespace not allowed"; runc 1.1: "is not in a separate kernel namespace".
      if (!isRunc(rt)) assert.match(r.stderr, /\/linux\/sysctl\/user\.max_user_namespaces: needs a user namespace/, describeResult(r));
      assert.notEqual((await rt.exec(['state', id])).code, 0, 'no container is left');
      assert.ok(!fs.existsSync(path.join(rt.root, id)), 'no state directory is left');
    });
    assertUcountKept(host);
  });

  const KINDS = ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'user', 'uts'];
  const printLinks = sh(`for n in ${KINDS.join(' ')}; do echo "$n $(readlink /proc/self/ns/$n)"; done`);

  both('without a network namespace the host network namespace is shared', {}, async (_t, rt) => {
    await withBundle({
      args: printLinks,
      namespaces: baseNamespaces().filter((n) => n.type !== 'network'),
    }, async (b) => {
      const r = await runOk(rt, b, `sharenet-${rt.kind}`);
      const o = keyed(r.stdout);
      assert.equal(o.get('net'), nsLink('self', 'net'), r.stdout);
      for (const k of ['pid', 'ipc', 'uts', 'mnt']) assert.notEqual(o.get(k), nsLink('self', k), `${k} should be new\n${r.stdout}`);
      for (const k of ['user', 'cgroup']) assert.equal(o.get(k), nsLink('self', k), `${k} should be shared\n${r.stdout}`);
    });
  });

  both('with every namespace requested, none is shared with the host', {}, async (_t, rt) => {
    await withBundle({
      args: printLinks,
      namespaces: [...baseNamespaces(), { type: 'cgroup' }, { type: 'user' }],
      mutate: (s) => {
        Object.assign(s.linux, userMappings);
        s.mounts = s.mounts.filter((m) => m.destination !== '/sys/fs/cgroup');
      },
    }, async (b) => {
      const r = await runOk(rt, b, `allns-${rt.kind}`);
      const o = keyed(r.stdout);
      for (const k of KINDS) {
        assert.match(o.get(k) ?? '', /^[a-z]+:\[\d+\]$/, `${k} link missing\n${r.stdout}`);
        assert.notEqual(o.get(k), nsLink('self', k), `${k} should not be the host's\n${r.stdout}`);
      }
    });
  });
});

// Differential tests: the same bundle run under runc (the reference) and under the runtime
// under test, comparing what the process inside the container observes. Every comparison
// also checks the reference result against what is expected, so two runtimes failing the same
// way never count as agreement.

import { test, describe, after } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeBundle, defaultConfig, runcSpecDefault, TEST_UID, TEST_GID } from '../../helpers/rootfs';
import type { Bundle, BundleOptions } from '../../helpers/rootfs';
import {
  Runtime, hasRunc, uniqueId, describeResult, withoutRuntimeLog, isRuntimeLogLine, tsruncIsRunc,
} from '../../helpers/runtime';
import type { RunResult } from '../../helpers/runtime';

const T = { timeout: 60_000 };
const RUNC = hasRunc();
const ref = new Runtime('runc');
const sut = new Runtime('tsrunc');

after(async () => {
  await ref.cleanupAll();
  await sut.cleanupAll();
});

interface Observed {
  code: number | null;
  stdout: string;
  stderr: string;
  extra?: string;
}

interface Probe {
  /** Container command; run via the bundle's process.args. */
  args: string[];
  bundle?: BundleOptions;
  /** Adjusts the bundle once its directory is known (e.g. absolute bind sources). */
  prepare?: (b: Bundle) => void;
  /** Observes the host side after each run (then resets it for the other runtime). */
  inspect?: (b: Bundle) => string;
  /** Removes what differs legitimately between two runs (ids, inode numbers, ...). */
  normalise?: (s: string) => string;
  /** What the reference must produce for the comparison to mean anything. */
  expectRef: (o: Observed) => void;
}

/** Runtime warnings seen next to an observation; shown on failure, never compared. */
const runtimeLogs = new WeakMap<Observed, string>();

function show(o: Observed): string {
  const log = runtimeLogs.get(o);
  return [
    `  exit: ${o.code}`,
    `  stdout:\n${indent(o.stdout)}`,
    `  stderr:\n${indent(o.stderr)}`,
    ...(o.extra !== undefined ? [`  host side:\n${indent(o.extra)}`] : []),
    ...(log !== undefined ? [`  runtime log lines (not compared):\n${indent(log)}`] : []),
  ].join('\n');
}
const indent = (s: string): string => (s === '' ? '    (empty)' : s.replace(/\n$/, '').split('\n').map((l) => `    | ${l}`).join('\n'));

async function observe(rt: Runtime, b: Bundle, p: Probe): Promise<{ o: Observed; raw: RunResult }> {
  const raw = await rt.runToCompletion(b.dir, uniqueId(`diff-${rt.kind}`));
  const norm = p.normalise ?? ((s: string) => s);
  // The runtime shares the container's stderr. Its own non-error log lines are not part of
  // what the container sees, so they are set aside (and shown on failure) rather than compared.
  const o: Observed = { code: raw.code, stdout: norm(raw.stdout), stderr: norm(withoutRuntimeLog(raw.stderr)) };
  const log = raw.stderr.split(/(?<=\n)/).filter(isRuntimeLogLine).join('');
  if (log !== '') runtimeLogs.set(o, log);
  if (p.inspect) o.extra = p.inspect(b);
  return { o, raw };
}

async function compare(t: TestContext, p: Probe): Promise<void> {
  if (!RUNC) {
    t.skip('runc is not installed: there is no reference to compare with');
    return;
  }
  const b = makeBundle({ ...p.bundle, args: p.args });
  try {
    p.prepare?.(b);
    b.writeSpec();
    const r = await observe(ref, b, p);
    try {
      p.expectRef(r.o);
    } catch (e) {
      throw new Error(`the reference (runc) did not behave as this test expects — fix the test:\n${show(r.o)}\n${describeResult(r.raw.result)}\n${(e as Error).message}`);
    }
    // runc, for one, adapts to what an earlier run left in the rootfs (a tmpfs takes the mode
    // of a mount point it finds existing), so each runtime starts from a pristine copy.
    b.resetRootfs();
    const s = await observe(sut, b, p);
    assert.deepEqual(s.o, r.o, `runc and ${sut.label} differ\n--- runc:\n${show(r.o)}\n--- ${sut.label}:\n${show(s.o)}`);
  } finally {
    b.cleanup();
  }
}

/**
 * Runs `fn` with this process's umask set to `mask`, so every runtime it spawns starts with it.
 * The tests in a file run one at a time, so nothing else spawns in between.
 */
async function withCallerUmask(mask: number, fn: () => Promise<void>): Promise<void> {
  const old = process.umask(mask);
  try {
    // Without inheritance the case would compare nothing new: check it on a plain child first.
    const child = spawnSync('sh', ['-c', 'umask'], { encoding: 'utf8' });
    assert.equal(child.stdout, `${mask.toString(8).padStart(4, '0')}\n`, 'a spawned process should inherit the umask');
    await fn();
  } finally {
    process.umask(old);
  }
}

/** A shell one-liner inside the container, stderr folded into stdout so ordering is kept. */
const sh = (script: string): string[] => ['sh', '-c', `exec 2>&1; ${script}`];

// ---------------------------------------------------------------------------------------------
// normalisers

/**
 * Reduces /proc/self/mountinfo to what a container's filesystem view is made of: mount point,
 * fs type, per-mount flags, pseudo-fs source names, superblock options and propagation kinds.
 * Dropped: mount ids, device numbers, the root-within-fs (it names cgroups after the container
 * id) and host paths. Sorted by mount point (stably, so stacked mounts keep their order):
 * two correct runtimes may set up independent mounts in a different order.
 */
export function normaliseMountinfo(text: string): string {
  const rows = text.split('\n').filter((l) => l.trim() !== '').map((line) => {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    const mountPoint = f[4];
    const mountOpts = f[5];
    const propagation = f.slice(6, sep).map((x) => x.replace(/:\d+$/, '')).sort().join(',') || 'private';
    const fstype = f[sep + 1];
    const source = f[sep + 2].startsWith('/') ? '<host-path>' : f[sep + 2];
    const superOpts = (f[sep + 3] ?? '').split(',').filter((o) => !o.includes('/')).join(',');
    return { mountPoint, text: `${mountPoint} ${fstype} src=${source} ${mountOpts} super=${superOpts} prop=${propagation}` };
  });
  rows.sort((a, b) => (a.mountPoint < b.mountPoint ? -1 : a.mountPoint > b.mountPoint ? 1 : 0));
  return rows.map((r) => r.text).join('\n') + '\n';
}

/** "net net:[4026532181]" → "net private" (or "shared" when it is the test process's own). */
function normaliseNamespaces(text: string): string {
  const host = new Map<string, string>();
  for (const n of fs.readdirSync('/proc/self/ns')) host.set(n, fs.readlinkSync(`/proc/self/ns/${n}`));
  return text.split('\n').filter(Boolean).map((l) => {
    const [name, link] = l.split(' ');
    if (!link) return `${name} unreadable`;
    return `${name} ${host.get(name) === link ? 'shared' : 'private'}`;
  }).join('\n') + '\n';
}

const NS_SCRIPT = 'for n in $(ls /proc/self/ns); do echo "$n $(readlink /proc/self/ns/$n)"; done';
const hostNsNames = fs.readdirSync('/proc/self/ns').sort();

function nsMap(stdout: string): Map<string, string> {
  return new Map(stdout.trim().split('\n').map((l) => l.split(' ') as [string, string]));
}

// ---------------------------------------------------------------------------------------------

describe(`differential: runc vs ${sut.label}${tsruncIsRunc() ? ' (runc against itself: checks the harness)' : ''}`, () => {
  test('defaultConfig() is `runc spec` with terminal=false', T, (t) => {
    if (!RUNC) {
      t.skip('runc is not installed: cannot run `runc spec`');
      return;
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-spec-'));
    try {
      const r = spawnSync('runc', ['spec'], { cwd: dir, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const real = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as unknown;
      assert.deepEqual(runcSpecDefault(), real);
      assert.equal(defaultConfig().process.terminal, false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('hostname', T, (t) => compare(t, {
    args: ['hostname'],
    bundle: { hostname: 'difftest' },
    expectRef: (o) => assert.deepEqual(o, { code: 0, stdout: 'difftest\n', stderr: '' }),
  }));

  test('id of the default (root) user', T, (t) => compare(t, {
    args: ['id'],
    expectRef: (o) => {
      assert.equal(o.code, 0);
      assert.match(o.stdout, /^uid=0\(root\) gid=0\(root\)/);
    },
  }));

  test('the container process is PID 1', T, (t) => compare(t, {
    args: ['sh', '-c', 'echo $$'],
    expectRef: (o) => assert.deepEqual(o, { code: 0, stdout: '1\n', stderr: '' }),
  }));

  test('/dev entries', T, (t) => compare(t, {
    args: ['ls', '-1', '/dev'],
    expectRef: (o) => {
      assert.equal(o.code, 0);
      for (const d of ['null', 'zero', 'full', 'random', 'urandom', 'tty', 'pts', 'shm', 'ptmx']) {
        assert.ok(o.stdout.split('\n').includes(d), `/dev/${d} missing`);
      }
    },
  }));

  test('/dev nodes: type, mode, owner, device numbers, link targets', T, (t) => compare(t, {
    args: sh("for f in /dev/* /dev/pts/ptmx; do if [ -L $f ]; then echo \"$f -> $(readlink $f)\"; else stat -c '%n %F %a %u:%g %t:%T' $f; fi; done"),
    expectRef: (o) => {
      assert.equal(o.code, 0);
      assert.match(o.stdout, /^\/dev\/null character special file 666 0:0 1:3$/m);
      assert.match(o.stdout, /^\/dev\/fd -> \/proc\/self\/fd$/m);
    },
  }));

  test('mount table shape (/proc/self/mountinfo, normalised)', T, (t) => compare(t, {
    args: ['cat', '/proc/self/mountinfo'],
    normalise: normaliseMountinfo,
    expectRef: (o) => {
      assert.equal(o.code, 0);
      assert.match(o.stdout, /^\/ \S+ src=\S+ ro,/m, 'root should be read-only');
      assert.match(o.stdout, /^\/proc proc /m);
      assert.match(o.stdout, /^\/dev tmpfs src=tmpfs rw,nosuid /m);
    },
  }));

  test('namespaces shared with the host (default spec)', T, (t) => compare(t, {
    args: sh(NS_SCRIPT),
    normalise: normaliseNamespaces,
    expectRef: (o) => {
      assert.equal(o.code, 0);
      const m = nsMap(o.stdout);
      assert.deepEqual([...m.keys()].sort(), hostNsNames);
      for (const n of ['pid', 'net', 'ipc', 'uts', 'mnt']) assert.equal(m.get(n), 'private', n);
      assert.equal(m.get('user'), 'shared');
    },
  }));

  test('namespaces shared with the host (no network, ipc, uts namespaces)', T, (t) => compare(t, {
    args: sh(NS_SCRIPT),
    // Without a uts namespace a hostname is an error, so the default one goes too.
    bundle: { namespaces: [{ type: 'pid' }, { type: 'mount' }], mutate: (s) => { delete s.hostname; } },
    normalise: normaliseNamespaces,
    expectRef: (o) => {
      assert.equal(o.code, 0);
      const m = nsMap(o.stdout);
      for (const n of ['net', 'ipc', 'uts', 'user']) assert.equal(m.get(n), 'shared', n);
      for (const n of ['pid', 'mnt']) assert.equal(m.get(n), 'private', n);
    },
  }));

  for (const code of [0, 3, 255]) {
    test(`exit code ${code}`, T, (t) => compare(t, {
      args: ['sh', '-c', `exit ${code}`],
      expectRef: (o) => assert.deepEqual(o, { code, stdout: '', stderr: '' }),
    }));
  }

  test('cwd and environment', T, (t) => compare(t, {
    args: sh('pwd; env | sort'),
    bundle: { cwd: '/tmp', extraEnv: ['FOO=bar', 'WITH_SPACE=a b', 'EMPTY='] },
    // Engines like docker add HOSTNAME themselves; a runtime that did so would only add noise.
    normalise: (s) => s.split('\n').filter((l) => !l.startsWith('HOSTNAME=')).join('\n'),
    expectRef: (o) => {
      assert.equal(o.code, 0);
      assert.match(o.stdout, /^\/tmp\n/);
      for (const kv of ['FOO=bar', 'WITH_SPACE=a b', 'EMPTY=', 'HOME=/root', 'TERM=xterm']) {
        assert.ok(o.stdout.split('\n').includes(kv), `${kv} missing`);
      }
    },
  }));

  test('cwd that does not exist in the rootfs is created', T, (t) => compare(t, {
    args: ['pwd'],
    bundle: { cwd: '/does/not/exist' },
    expectRef: (o) => assert.deepEqual(o, { code: 0, stdout: '/does/not/exist\n', stderr: '' }),
  }));

  test('read-only rootfs: writes fail', T, (t) => compare(t, {
    args: sh('touch /x; echo rc=$?; touch /tmp/x; echo rc=$?'),
    expectRef: (o) => {
      assert.equal(o.code, 0);
      assert.match(o.stdout, /Read-only file system\nrc=1\n.*Read-only file system\nrc=1\n$/s);
    },
  }));

  test('writable rootfs (readonly: false): writes succeed', T, (t) => compare(t, {
    args: sh('touch /x && echo ok; rm /x'),
    bundle: { readonly: false },
    expectRef: (o) => assert.deepEqual(o, { code: 0, stdout: 'ok\n', stderr: '' }),
  }));

  test('maskedPaths: files read as an empty null device, directories as empty dirs', T, (t) => {
    const masked = defaultConfig().linux.maskedPaths ?? [];
    return compare(t, {
      args: sh(`for p in ${masked.join(' ')}; do
        if [ -d $p ]; then echo "$p dir entries=$(ls -A $p | wc -l) $(touch $p/x 2>&1 >/dev/null | sed 's/.*: //')";
        elif [ -e $p ]; then echo "$p $(stat -c '%F %t:%T' $p) bytes=$(cat $p | wc -c)";
        else echo "$p absent"; fi; done`),
      expectRef: (o) => {
        assert.equal(o.code, 0);
        const present = o.stdout.split('\n').filter((l) => l !== '' && !l.endsWith(' absent'));
        assert.ok(present.length > 0, 'no masked path exists on this kernel: nothing is compared');
        for (const l of present) assert.match(l, / dir entries=0 Read-only file system$| character special file 1:3 bytes=0$/, l);
      },
    });
  });

  test('readonlyPaths: /proc/sys and friends are read-only', T, (t) => {
    const ro = defaultConfig().linux.readonlyPaths ?? [];
    return compare(t, {
      // The mount flags are read rather than probed by writing: a runtime that got this wrong
      // must not let the test write to /proc/sysrq-trigger. The one real write puts the
      // container's own hostname back, harmless in its uts namespace.
      args: sh(`for p in ${ro.join(' ')}; do
          if [ -e $p ]; then o=$(awk -v p=$p '$5 == p { print $6 }' /proc/self/mountinfo | tail -n 1); echo "$p \${o:-not-a-mount-point}";
          else echo "$p absent"; fi; done;
        echo difftest > /proc/sys/kernel/hostname; echo rc=$?`),
      bundle: { hostname: 'difftest' },
      expectRef: (o) => {
        assert.equal(o.code, 0);
        assert.match(o.stdout, /^\/proc\/sys ro,/m);
        assert.match(o.stdout, /Read-only file system\nrc=1\n$/);
        for (const l of o.stdout.split('\n').filter((x) => x.startsWith('/proc/') && !x.endsWith(' absent'))) {
          assert.match(l, / ro,/, l);
        }
      },
    });
  });

  test('readonlyPaths under a nosuid,nodev,noexec proc (Docker\'s): the read-only binds keep those flags', T, (t) => {
    const ro = defaultConfig().linux.readonlyPaths ?? [];
    return compare(t, {
      args: sh(`for p in ${ro.join(' ')}; do
          [ -e $p ] && awk -v p=$p '$5 == p { print p, $6 }' /proc/self/mountinfo | tail -n 1; done; true`),
      prepare: (b) => {
        const proc = b.spec.mounts.find((m: { destination: string }) => m.destination === '/proc');
        if (proc) proc.options = ['nosuid', 'noexec', 'nodev'];
      },
      expectRef: (o) => {
        assert.equal(o.code, 0);
        assert.match(o.stdout, /^\/proc\/sys ro,nosuid,nodev,noexec,relatime$/m);
      },
    });
  });

  test('cgroup mount in a cgroup namespace: each v1 hierarchy mounted, with runc\'s sources and options', T, (t) => compare(t, {
    args: sh(`grep " /sys/fs/cgroup" /proc/self/mountinfo | sed -E 's/^([^ ]+ ){4}([^ ]+) ([^ ]+).* - /\\2 \\3 /' | sort`),
    bundle: { namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'ipc' }, { type: 'uts' }, { type: 'network' }, { type: 'cgroup' }] },
    expectRef: (o) => {
      assert.equal(o.code, 0);
      assert.match(o.stdout, /^\/sys\/fs\/cgroup\/memory ro,nosuid,nodev,noexec,relatime cgroup cgroup rw,memory$/m);
      assert.match(o.stdout, /^\/sys\/fs\/cgroup\/systemd ro,nosuid,nodev,noexec,relatime cgroup systemd rw,name=systemd$/m);
    },
  }));

  // What the runtime's caller ignores is passed on by both; glibc's reserved signals 32 and 33
  // must not be ignored (tsrunc's launcher, started by posix_spawn, got them ignored).
  test('signal dispositions: the reserved signals 32 and 33 not ignored, nothing blocked', T, (t) => compare(t, {
    args: sh('grep -E "^Sig(Ign|Blk)" /proc/self/status'),
    expectRef: (o) => {
      assert.match(o.stdout, /^SigBlk:\t0000000000000000$/m);
      const ign = BigInt(`0x${o.stdout.match(/^SigIgn:\t([0-9a-f]+)$/m)?.[1] ?? 'x'}`);
      assert.equal(ign & 0x180000000n, 0n, o.stdout);
    },
  }));

  test('bind mounts from the bundle: read-only (relative source) and read-write (absolute source)', T, (t) => compare(t, {
    args: sh('cat /data/hello.txt; touch /data/new; echo rc=$?; echo written > /rw/out.txt; echo rc=$?'),
    bundle: { bundleFiles: { 'data/hello.txt': 'hello from the bundle\n', 'rw/.keep': '' } },
    prepare: (b) => {
      b.spec.mounts.push({ destination: '/data', type: 'bind', source: 'data', options: ['rbind', 'ro'] });
      b.spec.mounts.push({ destination: '/rw', type: 'bind', source: path.join(b.dir, 'rw'), options: ['rbind', 'rw'] });
    },
    inspect: (b) => {
      const f = path.join(b.dir, 'rw', 'out.txt');
      const s = fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '(no file)';
      fs.rmSync(f, { force: true });
      return s;
    },
    expectRef: (o) => {
      assert.equal(o.code, 0);
      assert.match(o.stdout, /^hello from the bundle\n.*Read-only file system\nrc=1\nrc=0\n$/s);
      assert.equal(o.extra, 'written\n');
    },
  }));

  test('tmpfs mount with size= and mode= options', T, (t) => compare(t, {
    args: sh(`stat -c '%a %u:%g' /scratch; df -k /scratch | tail -n 1 | awk '{print $2}';
      awk '$5 == "/scratch" { i = 7; while ($i != "-") i++; print $5, $6, $(i+1), $(i+2), $(i+3) }' /proc/self/mountinfo`),
    bundle: { mounts: [{ destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', 'size=1m', 'mode=1770'] }] },
    expectRef: (o) => {
      assert.equal(o.code, 0);
      assert.match(o.stdout, /^1770 0:0\n1024\n\/scratch rw,nosuid,nodev,noexec\S* tmpfs tmpfs rw,size=1024k,mode=1770\n$/);
    },
  }));

  test('user 1000:1000 with additionalGids', T, (t) => compare(t, {
    args: sh('id; echo HOME=$HOME; grep -E "^(Uid|Gid|Groups|NoNewPrivs|Cap(Inh|Prm|Eff|Bnd|Amb)):" /proc/self/status'),
    bundle: { user: { uid: TEST_UID, gid: TEST_GID, additionalGids: [100, 2000] } },
    expectRef: (o) => {
      assert.equal(o.code, 0);
      assert.match(o.stdout, /^uid=1000\(user\) gid=1000\(user\) groups=.*100\(users\).*2000\(extra\)/);
      assert.match(o.stdout, /^HOME=\/home\/user$/m);
      assert.match(o.stdout, /^Groups:\s+100 2000\s*$/m);
    },
  }));

  test('capabilities, no_new_privs and rlimits of the default (root) process', T, (t) => compare(t, {
    args: sh('grep -E "^(Uid|Gid|Groups|NoNewPrivs|Cap(Inh|Prm|Eff|Bnd|Amb)):" /proc/self/status; ulimit -n; ulimit -Hn'),
    expectRef: (o) => {
      assert.equal(o.code, 0);
      // CAP_AUDIT_WRITE(29) | CAP_KILL(5) | CAP_NET_BIND_SERVICE(10)
      assert.match(o.stdout, /^CapBnd:\s+0000000020000420$/m);
      assert.match(o.stdout, /^NoNewPrivs:\s+1$/m);
      assert.match(o.stdout, /\n1024\n1024\n$/);
    },
  }));

  // The caller's umask is 077 here, not the usual 022: a runtime that left the umask alone would
  // hand the container its caller's and print 0077, where runc sets 0022.
  test('umask default (the caller\'s umask is 077)', T, (t) => withCallerUmask(0o077, () => compare(t, {
    args: sh('umask'),
    expectRef: (o) => assert.deepEqual(o, { code: 0, stdout: '0022\n', stderr: '' }),
  })));

  test('umask from process.user.umask (the caller\'s umask is 077)', T, (t) => withCallerUmask(0o077, () => compare(t, {
    args: sh('umask'),
    bundle: { user: { uid: 0, gid: 0, umask: 0o027 } },
    expectRef: (o) => assert.deepEqual(o, { code: 0, stdout: '0027\n', stderr: '' }),
  })));
});

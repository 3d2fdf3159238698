// linux.seccomp in real containers. Most cases run the same bundle under runc first and then under
// tsrunc, and both must show the same thing from inside (runc vouches for the expectation); cases
// where tsrunc deliberately does better than runc 1.1 say so.

import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { makeBundle, type BundleOptions, type Spec } from '../../helpers/rootfs';
import { describeResult, repoRoot, uniqueId, withoutRuntimeLog, type Runtime } from '../../helpers/runtime';
import { expectOk, forEachRuntime, runtimesForSuite, TEST_TIMEOUT, withContainer } from '../../helpers/suite';

const pair = runtimesForSuite();
const { sut } = pair;

type Seccomp = Record<string, unknown>;

function fixtureSeccomp(name: string): Seccomp {
  const spec = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'spec-fixtures', 'valid', name), 'utf8')) as { linux: { seccomp: Seccomp } };
  return spec.linux.seccomp;
}

function withSeccomp(seccomp: Seccomp, args: string[], extra: (s: Spec) => void = () => {}): BundleOptions {
  return {
    args,
    mutate: (s) => {
      (s.linux as Record<string, unknown>).seccomp = seccomp;
      extra(s);
    },
  };
}

/** run to completion; returns exit code and the container's output without runtime log lines. */
async function run(rt: Runtime, opts: BundleOptions): Promise<{ code: number | null; out: string; stderr: string }> {
  const b = makeBundle(opts);
  try {
    const r = await rt.runToCompletion(b.dir, uniqueId(`sc-${rt.kind}`));
    return { code: r.code, out: r.stdout + withoutRuntimeLog(r.stderr), stderr: r.stderr };
  } finally {
    b.cleanup();
  }
}

/** The same bundle under runc (when installed) and tsrunc: same exit code and output. */
async function same(t: TestContext, opts: BundleOptions, expect: (out: string, code: number | null) => void): Promise<void> {
  const got = await run(sut, opts);
  expect(got.out, got.code);
  if (!pair.ref) return t.diagnostic('runc is not installed: tsrunc checked alone');
  const want = await run(pair.ref, opts);
  expect(want.out, want.code);
  assert.equal(got.out, want.out, `runc and tsrunc differ\nrunc:\n${want.out}\ntsrunc:\n${got.out}\n${got.stderr}`);
  assert.equal(got.code, want.code);
}

const STATUS = ['sh', '-c', 'grep -E "^(Seccomp|Seccomp_filters|NoNewPrivs|Cap(Inh|Prm|Eff|Bnd|Amb)|Speculation_Store_Bypass):" /proc/self/status'];

describe('seccomp', () => {
  test('Docker\'s default profile: same /proc/self/status as runc, and unshare is refused', TEST_TIMEOUT, async (t) => {
    const docker = fixtureSeccomp('docker-24.json');
    await same(t, withSeccomp(docker, STATUS), (out) => {
      assert.match(out, /^Seccomp:\s+2$/m);
      assert.match(out, /^NoNewPrivs:\s+1$/m);
    });
    await same(t, withSeccomp(docker, ['sh', '-c', 'unshare -m true; echo "unshare=$?"']), (out) => {
      assert.match(out, /unshare=1/);
      assert.match(out, /Operation not permitted/);
    });
  });

  test('podman\'s default profile (default action ERRNO): the container runs under it', TEST_TIMEOUT, async (t) => {
    await same(t, withSeccomp(fixtureSeccomp('podman-4.3-rootful.json'), STATUS), (out, code) => {
      assert.equal(code, 0);
      assert.match(out, /^Seccomp:\s+2$/m);
    });
  });

  test('without no_new_privs the filter still loads (CAP_SYS_ADMIN kept for it, gone after exec)', TEST_TIMEOUT, async (t) => {
    const profile = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] };
    for (const user of [{ uid: 0, gid: 0 }, { uid: 1000, gid: 1000 }]) {
      await same(t, withSeccomp(profile, STATUS, (s) => {
        const p = s.process as Record<string, unknown>;
        p.noNewPrivileges = false;
        p.user = user;
      }), (out) => {
        assert.match(out, /^Seccomp:\s+2$/m);
        assert.match(out, /^NoNewPrivs:\s+0$/m);
        if (user.uid !== 0) assert.match(out, /^CapEff:\s+0+$/m, 'no capability may survive execve for a non-root user');
      });
    }
  });

  test('a blocked syscall fails with the configured errno; ENOSYS and the EPERM default', TEST_TIMEOUT, async (t) => {
    const profile = {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
        { names: ['rmdir'], action: 'SCMP_ACT_ERRNO' },
        { names: ['symlink', 'symlinkat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
      ],
    };
    const script = 'mkdir /tmp/a; rmdir /tmp; ln -s x /tmp/l; echo done';
    await same(t, withSeccomp(profile, ['sh', '-c', script]), (out) => {
      assert.match(out, /mkdir: can't create directory '\/tmp\/a': Function not implemented/);
      assert.match(out, /rmdir: '\/tmp': Operation not permitted/);
      assert.match(out, /Permission denied/);
      assert.match(out, /done/);
    });
  });

  test('argument filters: EQ on one argument, MASKED_EQ on flags', TEST_TIMEOUT, async (t) => {
    const O_CREAT = 0o100;
    const profile = {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        // kill(pid, SIGUSR1) is refused; any other signal goes through.
        { names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 10, op: 'SCMP_CMP_EQ' }] },
        // opening with O_CREAT is refused; plain reads are not.
        { names: ['open', 'openat'], action: 'SCMP_ACT_ERRNO', errnoRet: 30, args: [{ index: 2, value: O_CREAT, valueTwo: O_CREAT, op: 'SCMP_CMP_MASKED_EQ' }] },
      ],
    };
    // openat's flags are its third argument (index 2); open's are the second, so its rule never
    // matches and busybox (which uses openat) is what the MASKED_EQ check sees.
    const script = 'kill -USR1 $$; echo "usr1=$?"; kill -0 $$; echo "zero=$?"; touch /tmp/new; echo "touch=$?"; grep -q root /etc/passwd; echo "read=$?"';
    await same(t, withSeccomp(profile, ['sh', '-c', script]), (out) => {
      assert.match(out, /usr1=1/);
      assert.match(out, /zero=0/);
      assert.match(out, /touch=1/);
      assert.match(out, /Read-only file system/);
      assert.match(out, /read=0/);
    });
  });

  test('filter flags reach seccomp(2); WAIT_KILLABLE_RECV only with a listener (runc 1.1.5 refuses every flag)', TEST_TIMEOUT, async () => {
    // Debian's runc 1.1.5 answers "seccomp flags are not yet supported by runc" to any flag, so
    // this is tsrunc alone; the flags the launcher hands to seccomp(2) are in its debug log.
    const base = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] };
    const cases: [string[], number][] = [
      [[], 0],
      [['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'], 1 | 2 | 4],
      [['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'], 2],
    ];
    for (const [flags, expected] of cases) {
      const b = makeBundle(withSeccomp({ ...base, flags }, ['sh', '-c', 'grep "^Seccomp:" /proc/self/status; mkdir /tmp/z; echo "mkdir=$?"']));
      try {
        const r = await sut.exec(['--debug', 'run', '--bundle', b.dir, uniqueId('sc-flags')]);
        assert.equal(r.code, 0, describeResult(r));
        assert.match(r.stdout, /Seccomp:\s+2/);
        assert.match(r.stdout, /mkdir=1/);
        assert.match(r.stderr, new RegExp(`seccomp filter: \\d+ instructions, flags ${expected}\\b`), `flags ${flags.join(',')}:\n${r.stderr}`);
      } finally {
        b.cleanup();
      }
    }
  });

  test('a syscall name libseccomp does not know is skipped with a debug line, not an error', TEST_TIMEOUT, async () => {
    const profile = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['no_such_syscall_xyz', 'mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] };
    const b = makeBundle(withSeccomp(profile, ['sh', '-c', 'mkdir /tmp/x; echo "mkdir=$?"']));
    try {
      for (const rt of pair.ref ? [pair.ref, sut] : [sut]) {
        const r = await rt.exec(['--debug', 'run', '--bundle', b.dir, uniqueId(`sc-${rt.kind}`)]);
        assert.equal(r.code, 0, describeResult(r));
        assert.match(r.stdout, /mkdir=1/);
        assert.match(r.stderr, /unknown seccomp syscall \\?"no_such_syscall_xyz\\?" ignored/, `${rt.kind} debug log:\n${r.stderr}`);
        b.resetRootfs();
      }
    } finally {
      b.cleanup();
    }
  });

  test('the filter is loaded last: a profile refusing getcwd, mkdir, openat2 and fchdir still starts', TEST_TIMEOUT, async () => {
    // runc 1.1 checks its cwd with getcwd after loading the filter and fails here ("failed to
    // verify if current working directory is safe"); tsrunc loads the filter just before execve.
    const profile = {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['getcwd', 'mkdir', 'mkdirat', 'openat2', 'fchdir', 'chdir'], action: 'SCMP_ACT_ERRNO' }],
    };
    const r = await run(sut, withSeccomp(profile, ['sh', '-c', 'echo started; mkdir /tmp/y || echo refused'], (s) => {
      (s.process as Record<string, unknown>).cwd = '/new/dir';
    }));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.out, /started/);
    assert.match(r.out, /refused/);
  });

  test('compiled filters are cached in --root/.cache/seccomp by content: reused, rebuilt when damaged, at most 32 kept, never listed', TEST_TIMEOUT, async () => {
    const cacheDir = path.join(sut.root, '.cache', 'seccomp');
    const cacheFiles = (): string[] => (fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir) : []).filter((n) => /^seccomp-[0-9a-f]{16}\.bpf$/.test(n));
    // An errno no other test uses makes this profile's cache entry its own.
    const profile = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 71 }] };
    const b = makeBundle(withSeccomp(profile, ['sh', '-c', 'mkdir /tmp/c; echo "mkdir=$?"']));
    const runDebug = async (): Promise<string> => {
      const r = await sut.exec(['--debug', 'run', '--bundle', b.dir, uniqueId('sc-cache')]);
      assert.equal(r.code, 0, describeResult(r));
      assert.match(r.stdout + r.stderr, /Protocol error/, 'the filter (errno 71, EPROTO) must apply either way');
      return r.stderr;
    };
    try {
      const before = new Set(cacheFiles());
      assert.doesNotMatch(await runDebug(), /read from the cache/, 'first use compiles');
      const added = cacheFiles().filter((n) => !before.has(n));
      assert.equal(added.length, 1, 'one cache entry for the new profile');
      const entry = path.join(cacheDir, added[0]);
      assert.deepEqual(fs.readdirSync(sut.root).filter((n) => /\.bpf$/.test(n)), [], 'nothing beside the container directories');
      const listed = await sut.exec(['list', '--quiet']);
      assert.doesNotMatch(listed.stdout, /^\.cache$/m, '`list` does not show the cache');
      assert.doesNotMatch(listed.stderr, /\.cache/, '`list` does not look into the cache');
      const reserved = await sut.exec(['run', '--bundle', b.dir, '.cache']);
      assert.notEqual(reserved.code, 0, 'the id .cache is refused');
      assert.match(reserved.stderr, /container ID \.cache is reserved/);
      assert.ok(fs.existsSync(entry), 'and the refusal leaves the cache alone');
      assert.match(fs.readFileSync(entry, 'latin1'), /^tsrunc-seccomp 1 /, 'the entry starts with its header');
      assert.match(await runDebug(), /read from the cache/, 'second use reads the cache');

      fs.writeFileSync(entry, 'tsrunc-seccomp 1 damaged');
      assert.doesNotMatch(await runDebug(), /read from the cache/, 'a damaged entry is compiled again');
      assert.match(await runDebug(), /read from the cache/, 'and rewritten');

      // Old entries beyond the 32 newest go when a new program is cached.
      const old = new Date(Date.now() - 3600_000);
      for (let i = 0; i < 40; i++) {
        const f = path.join(cacheDir, `seccomp-${i.toString(16).padStart(16, '0')}.bpf`);
        fs.writeFileSync(f, 'old');
        fs.utimesSync(f, old, old);
      }
      fs.rmSync(entry);
      await runDebug();
      const left = cacheFiles();
      assert.equal(left.length, 32, `entries kept: ${left.length}`);
      assert.ok(left.includes(added[0]), 'the newest entry is kept');
    } finally {
      b.cleanup();
    }
  });

  forEachRuntime(pair, 'SCMP_ACT_NOTIFY: the listener gets the fd and the state, and its answer reaches the process', async (_t, rt) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-listener-'));
    const sock = path.join(dir, 'agent.sock');
    const record = path.join(dir, 'record.json');
    const agent = spawn('python3', [path.join(repoRoot(), 'test', 'helpers', 'seccomp-listener.py'), sock, record], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        agent.on('error', reject);
        agent.on('exit', (c) => reject(new Error(`listener exited early (${c})`)));
        readline.createInterface({ input: agent.stdout }).once('line', () => resolve());
      });
      const profile = {
        defaultAction: 'SCMP_ACT_ALLOW',
        listenerPath: sock,
        listenerMetadata: 'test-metadata',
        syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_NOTIFY' }],
      };
      await withContainer(rt, 'sc-notify', withSeccomp(profile, ['sh', '-c', 'mkdir /tmp/n; echo "mkdir=$?"']), async (b, id) => {
        const out = rt.ioPath(`${id}.out`);
        expectOk(await rt.exec(['create', '--bundle', b.dir, id], { stdoutPath: out, stderrPath: `${out}.err` }), 'create');
        const { pid } = await rt.state(id);
        const sent = JSON.parse(fs.readFileSync(record, 'utf8')) as { message: Record<string, unknown>; fds: number };
        assert.equal(sent.fds, 1, 'one fd over SCM_RIGHTS');
        assert.deepEqual(sent.message.fds, ['seccompFd']);
        assert.equal(sent.message.pid, pid);
        assert.equal(sent.message.metadata, 'test-metadata');
        assert.equal(typeof sent.message.ociVersion, 'string');
        const state = sent.message.state as Record<string, unknown>;
        assert.equal(state.id, id);
        assert.equal(state.status, 'creating');
        assert.equal(state.pid, pid);
        assert.equal(state.bundle, b.dir);
        expectOk(await rt.exec(['start', id]), 'start');
        await rt.waitForStatus(id, 'stopped');
        const seen = fs.readFileSync(out, 'utf8') + fs.readFileSync(`${out}.err`, 'utf8');
        assert.match(seen, /Network is down/, `the listener's errno must reach mkdir:\n${seen}`);
        assert.match(seen, /mkdir=1/);
      });
    } finally {
      agent.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

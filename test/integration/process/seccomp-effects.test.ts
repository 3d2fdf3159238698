// What a seccomp profile does, seen from the process and the kernel rather than from the runtime's
// log: the errno of calls the profile does not list (defaultErrnoRet), argument values the way the
// kernel compares them (a mask that differs from the value, a value beyond 2^53), the compiled
// program cache never mixing up two profiles, and each filter flag's effect (LOG: audit records of
// type 1326 in the kernel log; SPEC_ALLOW: Speculation_Store_Bypass; TSYNC with a listener).
// Cases runc 1.1.5 can run go to runc first; it refuses every filter flag, so those are tsrunc's.
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { makeBundle, type BundleOptions, type Spec } from '../../helpers/rootfs';
import { repoRoot, uniqueId, withoutRuntimeLog, type Runtime } from '../../helpers/runtime';
import { expectOk, forEachRuntime, runtimesForSuite, TEST_TIMEOUT, withContainer } from '../../helpers/suite';

const pair = runtimesForSuite();
const { sut } = pair;

type Seccomp = Record<string, unknown>;

function podmanProfile(): Seccomp {
  const file = path.join(repoRoot(), 'spec-fixtures', 'valid', 'podman-4.3-rootful.json');
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { linux: { seccomp: Seccomp } }).linux.seccomp;
}

function withSeccomp(seccomp: Seccomp, args: string[], extra: (s: Spec) => void = () => {}): BundleOptions {
  return { args, mutate: (s) => { (s.linux as Record<string, unknown>).seccomp = seccomp; extra(s); } };
}

async function runIn(rt: Runtime, opts: BundleOptions): Promise<{ code: number | null; out: string }> {
  const b = makeBundle(opts);
  try {
    const r = await rt.runToCompletion(b.dir, uniqueId(`sce-${rt.kind}`));
    return { code: r.code, out: r.stdout + withoutRuntimeLog(r.stderr) };
  } finally {
    b.cleanup();
  }
}

const allow = (names: string[], extra: Record<string, unknown> = {}): Seccomp => ({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names, ...extra }] });

describe('seccomp effects', () => {
  forEachRuntime(pair, 'defaultErrnoRet: a call podman\'s profile does not list fails with ENOSYS, not EPERM', async (_t, rt) => {
    // unshare(2) is in neither of the profile's lists: the default action answers it.
    const r = await runIn(rt, withSeccomp(podmanProfile(), ['sh', '-c', 'unshare -m true; echo "unshare=$?"']));
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /unshare: unshare\(0x20000\): Function not implemented/, r.out);
    assert.match(r.out, /unshare=1/);
  });

  forEachRuntime(pair, 'defaultErrnoRet: another errno for the same rules is another filter (EACCES), also after ENOSYS was cached', async (_t, rt) => {
    // The runtime under test caches compiled programs under its root by content: a profile that
    // differs only in its default errno must not load the program compiled for the one above.
    for (const [errno, text] of [[38, 'Function not implemented'], [13, 'Permission denied'], [38, 'Function not implemented']] as const) {
      const r = await runIn(rt, withSeccomp({ ...podmanProfile(), defaultErrnoRet: errno }, ['sh', '-c', 'unshare -m true; echo "unshare=$?"']));
      assert.match(r.out, new RegExp(`unshare\\(0x20000\\): ${text}`), `defaultErrnoRet ${errno}:\n${r.out}`);
    }
  });

  forEachRuntime(pair, 'defaultErrnoRet with an ERRNO default and an allow list: the listed calls work, the rest get the errno asked for', async (_t, rt) => {
    // Every call busybox needs, from Docker's allow lists (their argument conditions left out), and nothing for mkdir: EMLINK (31), an
    // errno no default would produce.
    const docker = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'spec-fixtures', 'valid', 'docker-24.json'), 'utf8')) as { linux: { seccomp: { syscalls: { names: string[]; action: string; args?: unknown[] }[] } } };
    const names = docker.linux.seccomp.syscalls.filter((c) => c.action === 'SCMP_ACT_ALLOW').flatMap((c) => c.names)
      .filter((n) => n !== 'mkdir' && n !== 'mkdirat');
    const profile = { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 31, syscalls: [{ names, action: 'SCMP_ACT_ALLOW' }] };
    const r = await runIn(rt, withSeccomp(profile, ['sh', '-c', 'echo started; mkdir /tmp/d; echo "mkdir=$?"']));
    assert.match(r.out, /started/, r.out);
    assert.match(r.out, /Too many links/, r.out);
    assert.match(r.out, /mkdir=1/);
  });

  forEachRuntime(pair, 'SCMP_CMP_MASKED_EQ: value is the mask, valueTwo what the masked argument must equal', async (_t, rt) => {
    const O_CREAT = 0o100;
    const O_EXCL = 0o200;
    // openat with O_CREAT but without O_EXCL is refused (EROFS); with both, or neither, it is not.
    const profile = allow(['openat'], { action: 'SCMP_ACT_ERRNO', errnoRet: 30, args: [{ index: 2, value: O_CREAT | O_EXCL, valueTwo: O_CREAT, op: 'SCMP_CMP_MASKED_EQ' }] });
    const script = 'touch /tmp/a; echo "creat=$?"; grep -q root /etc/passwd; echo "read=$?"';
    const r = await runIn(rt, withSeccomp(profile, ['sh', '-c', script]));
    assert.match(r.out, /creat=1/, r.out);
    assert.match(r.out, /Read-only file system/, r.out);
    assert.match(r.out, /read=0/, r.out);
  });

  forEachRuntime(pair, 'an argument value beyond 2^53 is compared with every digit', async (_t, rt) => {
    // dd seek=N bs=1 lseeks its output (/dev/null, where any offset is fine) to exactly N; only
    // 2^53+1 is refused, 2^53 goes through.
    const big = '9007199254740993';
    const profile = allow(['lseek'], { action: 'SCMP_ACT_ERRNO', errnoRet: 71, args: [{ index: 1, value: 0, op: 'SCMP_CMP_EQ' }] });
    // The config text must carry the exact digits, which a JS number cannot hold.
    const text = JSON.stringify(profile).replace('"value":0', `"value":${big}`);
    const opts = withSeccomp({}, ['sh', '-c', `dd if=/dev/null of=/dev/null conv=notrunc bs=1 seek=${big} count=0; echo "big=$?"; dd if=/dev/null of=/dev/null conv=notrunc bs=1 seek=9007199254740992 count=0; echo "near=$?"`], (s) => {
      (s.linux as Record<string, unknown>).seccomp = '__SECCOMP__';
    });
    const b = makeBundle(opts);
    try {
      fs.writeFileSync(b.configPath, fs.readFileSync(b.configPath, 'utf8').replace('"__SECCOMP__"', text));
      const r = await rt.runToCompletion(b.dir, uniqueId(`sce-${rt.kind}`));
      const out = r.stdout + withoutRuntimeLog(r.stderr);
      assert.match(out, /Protocol error/, out);
      assert.match(out, /big=1/, out);
      assert.match(out, /near=0/, out);
    } finally {
      b.cleanup();
    }
  });

  forEachRuntime(pair, 'an architecture this build\'s libseccomp does not know fails create, naming it, with nothing left', async (_t, rt) => {
    const known = new Set((JSON.parse((await rt.ok(['features'])).stdout) as { linux?: { seccomp?: { archs?: string[] } } }).linux?.seccomp?.archs ?? []);
    const missing = ['SCMP_ARCH_SHEB', 'SCMP_ARCH_SH', 'SCMP_ARCH_M68K', 'SCMP_ARCH_LOONGARCH64'].find((a) => !known.has(a));
    if (!missing) return _t.skip('libseccomp here knows every architecture the spec names');
    const b = makeBundle(withSeccomp({ ...allow(['mkdir'], { action: 'SCMP_ACT_ERRNO' }), architectures: ['SCMP_ARCH_X86_64', missing] }, ['true']));
    const id = uniqueId(`sce-arch-${rt.kind}`);
    try {
      const r = await rt.exec(['create', '--bundle', b.dir, id]);
      assert.notEqual(r.code, 0, `${r.stdout}${r.stderr}`);
      assert.match(r.stderr, rt.kind === 'runc' ? new RegExp(`${missing} is not a valid arch`) : new RegExp(`architecture ${missing} is not known`), r.stderr);
      assert.ok(!rt.listedIds().includes(id), 'no state left');
    } finally {
      await rt.deleteForce(id);
      b.cleanup();
    }
  });
});

describe('seccomp program cache [tsrunc]', () => {
  test('a cached program cut in the middle of an instruction is compiled again, never loaded', TEST_TIMEOUT, async () => {
    const cacheDir = path.join(sut.root, '.cache', 'seccomp');
    const cacheFiles = (): string[] => (fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir) : []).filter((n) => /^seccomp-[0-9a-f]{16}\.bpf$/.test(n));
    // errnoRet 77 (EBADFD): a profile of this test's own, so its cache entry is its own.
    const profile = allow(['mkdir', 'mkdirat'], { action: 'SCMP_ACT_ERRNO', errnoRet: 77 });
    const b = makeBundle(withSeccomp(profile, ['sh', '-c', 'mkdir /tmp/c; echo "mkdir=$?"']));
    const once = async (): Promise<string> => {
      const r = await sut.exec(['--debug', 'run', '--bundle', b.dir, uniqueId('sce-cache')]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout + r.stderr, /File descriptor in bad state/, 'the filter applies');
      return r.stderr;
    };
    try {
      const before = new Set(cacheFiles());
      await once();
      const entry = cacheFiles().find((n) => !before.has(n));
      assert.ok(entry, 'the program was cached');
      const file = path.join(cacheDir, entry);
      const data = fs.readFileSync(file);
      fs.writeFileSync(file, data.subarray(0, data.length - 4));
      assert.doesNotMatch(await once(), /read from the cache/, 'the cut entry is compiled again');
      assert.equal(fs.statSync(file).size, data.length, 'and rewritten whole');
    } finally {
      b.cleanup();
    }
  });
});

// ---- filter flags (runc 1.1.5 refuses them all: tsrunc only) ----------------------------------

function kernelLog(): string | undefined {
  const r = spawnSync('dmesg', [], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout : undefined;
}

function auditDaemonRunning(): boolean {
  return fs.readdirSync('/proc').some((p) => /^\d+$/.test(p) && (() => { try { return fs.readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'auditd'; } catch { return false; } })());
}

/** Why the LOG flag's records cannot be seen here, or undefined when they can. */
function logFlagUnobservable(): string | undefined {
  if (kernelLog() === undefined) return 'the kernel log cannot be read (dmesg)';
  if (auditDaemonRunning()) return 'an audit daemon takes the records (they do not reach the kernel log)';
  const logged = fs.existsSync('/proc/sys/kernel/seccomp/actions_logged') ? fs.readFileSync('/proc/sys/kernel/seccomp/actions_logged', 'utf8') : '';
  if (!/\berrno\b/.test(logged)) return `kernel.seccomp.actions_logged (${logged.trim() || 'missing'}) leaves errno actions out`;
  return undefined;
}

/**
 * create, start, and the init itself (exec'd into mkdir) makes the one blocked call; returns the
 * kernel's audit records of that pid for syscall 83 (mkdir) that were not there before.
 */
async function auditRecordsOfInit(flags: string[]): Promise<{ records: string[]; out: string }> {
  const profile = { ...allow(['mkdir', 'mkdirat'], { action: 'SCMP_ACT_ERRNO', errnoRet: 1 }), flags };
  let result = { records: [] as string[], out: '' };
  await withContainer(sut, 'sce-log', withSeccomp(profile, ['sh', '-c', 'exec mkdir /tmp/logged']), async (b, id) => {
    const out = sut.ioPath(`${id}.out`);
    expectOk(await sut.exec(['create', '--bundle', b.dir, id], { stdoutPath: out, stderrPath: out }), 'create');
    const { pid } = await sut.state(id);
    const before = new Set((kernelLog() ?? '').split('\n'));
    expectOk(await sut.exec(['start', id]), 'start');
    await sut.waitForStatus(id, 'stopped');
    const records = (kernelLog() ?? '').split('\n').filter((l) => !before.has(l) && /type=1326/.test(l) && new RegExp(`\\bpid=${pid}\\b`).test(l) && /\bsyscall=83\b/.test(l));
    result = { records, out: fs.readFileSync(out, 'utf8') };
  });
  return result;
}

describe('seccomp filter flags, by their effect [tsrunc]', () => {
  test('SECCOMP_FILTER_FLAG_LOG: a refused call leaves an audit record (type 1326) in the kernel log; without it, none', TEST_TIMEOUT, async (t: TestContext) => {
    const why = logFlagUnobservable();
    if (why) return t.skip(why);
    const logged = await auditRecordsOfInit(['SECCOMP_FILTER_FLAG_LOG']);
    assert.match(logged.out, /Operation not permitted/, logged.out);
    assert.equal(logged.records.length, 1, `one record for the init's refused mkdir; new lines:\n${logged.records.join('\n')}`);
    assert.match(logged.records[0], /code=0x50000\b/, 'an ERRNO action');
    const quiet = await auditRecordsOfInit([]);
    assert.match(quiet.out, /Operation not permitted/, quiet.out);
    assert.deepEqual(quiet.records, [], 'an ERRNO action is not logged without the flag');
  });

  test('SECCOMP_FILTER_FLAG_SPEC_ALLOW: the filter leaves speculative store bypass alone', TEST_TIMEOUT, async (t: TestContext) => {
    const mode = fs.readFileSync('/sys/devices/system/cpu/vulnerabilities/spec_store_bypass', 'utf8').trim();
    // Only where the kernel mitigates SSB for seccomp'd tasks does a filter change the status.
    if (!/seccomp/i.test(mode)) return t.skip(`spec_store_bypass is "${mode}" here: no seccomp-driven mitigation for SPEC_ALLOW to turn off`);
    const status = ['sh', '-c', 'grep "^Speculation_Store_Bypass:" /proc/self/status'];
    const mitigated = await runIn(sut, withSeccomp(allow(['mkdir'], { action: 'SCMP_ACT_ERRNO' }), status));
    assert.match(mitigated.out, /force mitigated/, mitigated.out);
    const allowed = await runIn(sut, withSeccomp({ ...allow(['mkdir'], { action: 'SCMP_ACT_ERRNO' }), flags: ['SECCOMP_FILTER_FLAG_SPEC_ALLOW'] }, status));
    assert.doesNotMatch(allowed.out, /force mitigated/, allowed.out);
  });

  test('SECCOMP_FILTER_FLAG_TSYNC with a notify listener: the kernel takes the pair (TSYNC_ESRCH added) and the listener answers', TEST_TIMEOUT, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-tsync-'));
    const sock = path.join(dir, 'agent.sock');
    const agent = spawn('python3', [path.join(repoRoot(), 'test', 'helpers', 'seccomp-listener.py'), sock, path.join(dir, 'record.json')], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        agent.on('error', reject);
        agent.on('exit', (c) => reject(new Error(`listener exited early (${c})`)));
        readline.createInterface({ input: agent.stdout }).once('line', () => resolve());
      });
      const profile = { ...allow(['mkdir', 'mkdirat'], { action: 'SCMP_ACT_NOTIFY' }), listenerPath: sock, flags: ['SECCOMP_FILTER_FLAG_TSYNC'] };
      const r = await runIn(sut, withSeccomp(profile, ['sh', '-c', 'mkdir /tmp/n; echo "mkdir=$?"']));
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /Network is down/, r.out);
    } finally {
      agent.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

// The cgroup attach warm-up (src/cgroups/attach-warmup.ts, docs/performance.md): on a v1 or hybrid
// host, create/run/exec first write tsrunc's own pid into tsrunc's own cgroup of a v1 hierarchy
// other than memory, so that the kernel's grace period for the cgroup threadgroup lock passes
// before the launcher places the init. Seen here in an strace of a run: that write comes first and
// carries tsrunc's pid, and tsrunc itself stays in the cgroups it started in. (That a non-root
// caller writes nothing there is rootless-commands' write trace.) tsrunc's own: runc has none.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { detectCgroupHost } from '../../../src/cgroups/host';
import { expectOk, runtimesForSuite, TEST_TIMEOUT, withContainer } from '../../helpers/suite';
import { straceSkip } from '../../helpers/write-trace';

const { sut } = runtimesForSuite();
// Where this process (and so tsrunc, spawned from it) is in each v1 hierarchy but memory's.
const ownCgroupProcs = detectCgroupHost().v1.filter((h) => !h.controllers.includes('memory'))
  .map((h) => path.join(h.mountPoint, path.posix.relative(h.mountRoot, h.ownPath), 'cgroup.procs'));
const hostSkip = ownCgroupProcs.length > 0 ? undefined : 'this host has no v1 hierarchy besides memory: clone3 places the init and nothing is warmed';

interface ProcsWrite { tid: number; file: string; value: string; line: number }

/** `TID write(FD</path/cgroup.procs>, "VALUE", N) = N` lines of an `strace -f -y` log, in order. */
function procsWrites(log: string): ProcsWrite[] {
  const out: ProcsWrite[] = [];
  log.split('\n').forEach((l, line) => {
    const m = /^(\d+)\s+write\(\d+<([^>]*\/cgroup\.procs)>, "(\d+)"/.exec(l);
    if (m) out.push({ tid: Number(m[1]), file: m[2], value: m[3], line });
  });
  return out;
}

describe('cgroup attach warm-up [tsrunc]', () => {
  test('run: the first cgroup.procs write is tsrunc\'s own pid into its own cgroup, before the launcher\'s', { ...TEST_TIMEOUT, skip: hostSkip ?? straceSkip }, async () => {
    await withContainer(sut, 'warmup', { args: ['true'] }, async (b, id) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-warmup-'));
      try {
        const log = path.join(dir, 'strace.log');
        const r = spawnSync('strace', ['-f', '-qq', '-y', '-e', 'trace=execve,write', '-o', log, ...sut.argv, '--root', sut.root, 'run', '--bundle', b.dir, id], { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        const text = fs.readFileSync(log, 'utf8');
        // The first line is tsrunc's own execve: its pid (strace names threads by their own ids).
        const tsruncPid = Number(/^(\d+)\s+execve\(/.exec(text)?.[1]);
        const writes = procsWrites(text);
        assert.ok(writes.length >= 2, `cgroup.procs writes:\n${writes.map((w) => JSON.stringify(w)).join('\n')}`);
        assert.ok(ownCgroupProcs.includes(writes[0].file), `the first write is to tsrunc's own cgroup of a v1 hierarchy but memory's (${ownCgroupProcs.join(', ')}): ${writes[0].file}`);
        assert.equal(writes[0].value, String(tsruncPid), 'and moves tsrunc itself (into where it is)');
        const ownWrites = writes.filter((w) => w.file === writes[0].file);
        assert.ok(ownWrites.every((w) => w.value === String(tsruncPid)), 'nothing else is written to tsrunc\'s own cgroup');
        const container = writes.filter((w) => w.file !== writes[0].file);
        assert.ok(container.length > 0 && container.every((w) => w.value !== String(tsruncPid)), 'the launcher writes the init\'s pid, never tsrunc\'s');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  // exec warms before it loads its code or finds the container: a missing one shows it as well.
  const openedForWriting = (args: string[]): string[] => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-warmup-'));
    try {
      const log = path.join(dir, 'strace.log');
      const r = spawnSync('strace', ['-f', '-qq', '-e', 'trace=openat', '-o', log, ...args, ...sut.argv, '--root', path.join(dir, 'root'), 'exec', 'no-such-container', 'true'], { encoding: 'utf8' });
      assert.notEqual(r.status, 0, 'exec of a missing container fails');
      assert.match(r.stderr, /container does not exist/);
      return fs.readFileSync(log, 'utf8').split('\n').filter((l) => /cgroup\.procs", O_(WRONLY|RDWR)/.test(l));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };

  test('exec as the host\'s root: tsrunc\'s own cgroup.procs is opened for writing; as root of a user namespace (rootless podman\'s case), none', { ...TEST_TIMEOUT, skip: hostSkip ?? straceSkip }, () => {
    const asRoot = openedForWriting([]);
    assert.equal(asRoot.length, 1, asRoot.join('\n'));
    assert.ok(ownCgroupProcs.some((f) => asRoot[0].includes(`"${f}"`)), asRoot[0]);
    const inUserns = openedForWriting(['unshare', '--user', '--map-root-user', '--']);
    assert.deepEqual(inUserns, []);
  });

  test('run in the foreground: tsrunc stays in the cgroups it started in', { ...TEST_TIMEOUT, skip: hostSkip }, async () => {
    await withContainer(sut, 'warmup-fg', { args: ['sleep', '30'] }, async (b, id) => {
      const child = spawn(sut.argv[0], [...sut.argv.slice(1), '--root', sut.root, 'run', '--bundle', b.dir, id], { stdio: 'ignore' });
      try {
        const deadline = Date.now() + 20_000;
        let status = '';
        while (status !== 'running' && Date.now() < deadline) {
          const s = await sut.exec(['state', id]);
          status = s.code === 0 ? (JSON.parse(s.stdout) as { status: string }).status : '';
          if (status !== 'running') await new Promise((res) => setTimeout(res, 20));
        }
        assert.equal(status, 'running');
        // Spawned from this process, tsrunc began in this process's cgroups.
        assert.equal(fs.readFileSync(`/proc/${child.pid}/cgroup`, 'utf8'), fs.readFileSync('/proc/self/cgroup', 'utf8'));
      } finally {
        expectOk(await sut.exec(['kill', id, 'KILL']), 'kill');
        await new Promise((res) => child.once('exit', res));
      }
    });
  });
});

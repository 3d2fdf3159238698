// Runs inside the pure cgroup v2 guest (scripts/cgroup2-vm, started by test/integration/cgroups/cgroups-v2.test.ts):
// the v2 driver end to end. Kept small: every tsrunc call boots node in a user-mode kernel (~1 s).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { detectCgroupHost } from '../../src/cgroups/host';
import { guestOnly } from '../helpers/cgroup2-vm';
import type { Bundle } from '../helpers/rootfs';
import { describeResult, Runtime, sleep } from '../helpers/runtime';
import { expectOk, waitForFileContent, withContainer } from '../helpers/suite';

const T = { timeout: 120_000 };
const host = detectCgroupHost();
const MiB = 1024 * 1024;
const ROOT = host.unified?.mountPoint ?? '/sys/fs/cgroup';

const dirOf = (b: Bundle): string => path.join(ROOT, String(b.spec.linux.cgroupsPath));
const read = (dir: string, file: string): string => fs.readFileSync(path.join(dir, file), 'utf8').trim();

async function runDetached(rt: Runtime, b: Bundle, id: string): Promise<{ pid: number; out: string; err: string }> {
  const out = rt.ioPath(`${id}.out`);
  const err = rt.ioPath(`${id}.err`);
  expectOk(await rt.exec(['run', '--detach', '--bundle', b.dir, id], { stdoutPath: out, stderrPath: err }), 'run --detach');
  return { pid: (await rt.state(id)).pid, out, err };
}

guestOnly('cgroup v2 driver', () => describe('cgroup v2 driver (in the UML guest)', () => {
  const rt = new Runtime('tsrunc');
  // The runtime's root lives in the host's /tmp: nothing may stay there after the guest.
  after(async () => { assert.deepEqual(await rt.cleanupAll(), [], `${rt.label}: containers left`); });
  test('the host is pure cgroup v2', () => {
    assert.equal(host.kind, 'v2', JSON.stringify(host));
    for (const c of ['cpu', 'memory', 'pids', 'io']) assert.ok(host.unified?.controllers.includes(c), `controller ${c}`);
  });

  test('the init is born in its cgroup with every resource written; delete removes it', T, async () => {
    const resources = {
      memory: { limit: 64 * MiB, reservation: 16 * MiB, swap: 96 * MiB },
      cpu: { shares: 512, quota: 50000, period: 100000 },
      pids: { limit: 40 },
      unified: { 'memory.high': String(48 * MiB) },
    };
    await withContainer(rt, 'v2-place', { args: ['sleep', '60'], mutate: (s) => { s.linux.resources = { ...s.linux.resources, ...resources }; } }, async (b, id) => {
      expectOk(await rt.exec(['create', '--bundle', b.dir, id]), 'create');
      const { pid } = await rt.state(id);
      const dir = dirOf(b);
      assert.equal(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim(), `0::${b.spec.linux.cgroupsPath}`);
      assert.equal(read(dir, 'memory.max'), String(64 * MiB));
      assert.equal(read(dir, 'memory.low'), String(16 * MiB));
      assert.equal(read(dir, 'memory.swap.max'), String(32 * MiB), 'swap.max excludes memory');
      assert.equal(read(dir, 'memory.high'), String(48 * MiB), 'unified keys are written as given');
      assert.equal(read(dir, 'cpu.max'), '50000 100000');
      assert.equal(read(dir, 'cpu.weight'), '59', 'runc ≥ 1.3.2\'s shares → weight conversion of 512');
      assert.equal(read(dir, 'pids.max'), '40');
      expectOk(await rt.exec(['delete', '--force', id]), 'delete --force');
      assert.ok(!fs.existsSync(dir), `${dir} is removed`);
    });
  });

  test('pids.max stops a fork loop', T, async () => {
    await withContainer(rt, 'v2-pids', {
      args: ['sh', '-c', 'for i in $(seq 12); do sleep 2 & done; wait'],
      mutate: (s) => { s.linux.resources = { ...s.linux.resources, pids: { limit: 6 } }; },
    }, async (b, id) => {
      const r = await rt.runToCompletion(b.dir, id);
      assert.match(r.stderr, /can't fork|Resource temporarily unavailable/, describeResult(r.result));
    });
  });

  // runc ≥ 1.4: 0 is a real limit, written as 1 so the init's own clone3(CLONE_INTO_CGROUP) is
  // still allowed; update --pids-limit -1 lifts it, 0 sets it again.
  test('pids.limit 0: the init is born, pids.max is 1 and nothing forks; update -1 lifts it, 0 sets it', T, async () => {
    await withContainer(rt, 'v2-pids0', {
      args: ['sh', '-c', 'echo before; sleep 0; echo after'],
      mutate: (s) => { s.linux.resources = { ...s.linux.resources, pids: { limit: 0 } }; },
    }, async (b, id) => {
      const r = await rt.runToCompletion(b.dir, id);
      assert.match(r.stdout, /before/, describeResult(r.result));
      assert.match(r.stderr, /can't fork|Resource temporarily unavailable/, describeResult(r.result));
      assert.doesNotMatch(r.stdout, /after/, describeResult(r.result));
    });
    await withContainer(rt, 'v2-pids0u', {
      args: ['sleep', '60'],
      mutate: (s) => { s.linux.resources = { ...s.linux.resources, pids: { limit: 0 } }; },
    }, async (b, id) => {
      expectOk(await rt.exec(['create', '--bundle', b.dir, id]), 'create');
      assert.equal(read(dirOf(b), 'pids.max'), '1');
      expectOk(await rt.exec(['update', '--pids-limit', '-1', id]), 'update --pids-limit -1');
      assert.equal(read(dirOf(b), 'pids.max'), 'max');
      expectOk(await rt.exec(['update', '--pids-limit', '0', id]), 'update --pids-limit 0');
      assert.equal(read(dirOf(b), 'pids.max'), '1');
    });
  });

  test('memory.max OOM-kills a hog and events reports it', T, async () => {
    const goDir = fs.mkdtempSync(path.join(process.cwd(), '.guest-oom-'));
    try {
      await withContainer(rt, 'v2-oom', {
        // The hog waits for the go-ahead, given once `events` is seen running.
        args: ['sh', '-c', 'while [ ! -e /go/now ]; do sleep 0.1; done; dd if=/dev/zero of=/dev/null bs=32M count=1; sleep 30'],
        mounts: [{ destination: '/go', type: 'bind', source: goDir, options: ['rbind'] }],
        mutate: (s) => { s.linux.resources = { ...s.linux.resources, memory: { limit: 8 * MiB, swap: 8 * MiB } }; },
      }, async (b, id) => {
        await runDetached(rt, b, id);
        const argv = [...rt.argv, '--root', rt.root, 'events', '--interval', '1s', id];
        const ev = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        ev.stdout.on('data', (d: Buffer) => { out += d.toString(); });
        try {
          const deadline = Date.now() + 60_000;
          while (!/"type":"stats"/.test(out) && Date.now() < deadline) await sleep(100);
          assert.match(out, /"type":"stats"/, 'events is running');
          fs.writeFileSync(path.join(goDir, 'now'), '');
          while (!/"type":"oom"/.test(out) && Date.now() < deadline) await sleep(100);
          assert.match(out, /\{"type":"oom","id":"/, `events printed: ${out}`);
          assert.match(read(dirOf(b), 'memory.events'), /oom_kill [1-9]/);
        } finally {
          ev.kill('SIGKILL');
        }
      });
    } finally {
      fs.rmSync(goDir, { recursive: true, force: true });
    }
  });

  test('pause freezes through cgroup.freeze, resume thaws; update changes limits live', T, async () => {
    const outDir = fs.mkdtempSync(path.join(process.cwd(), '.guest-pause-'));
    try {
      await withContainer(rt, 'v2-pause', {
        args: ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo $i > /out/count; sleep 0.05; done'],
        mounts: [{ destination: '/out', type: 'bind', source: outDir, options: ['rbind'] }],
      }, async (b, id) => {
        await runDetached(rt, b, id);
        const count = path.join(outDir, 'count');
        await waitForFileContent(count, /\d+/, 30_000);
        expectOk(await rt.exec(['pause', id]), 'pause');
        assert.match(read(dirOf(b), 'cgroup.events'), /frozen 1/);
        assert.equal((await rt.state(id)).status, 'paused');
        const at = fs.readFileSync(count, 'utf8');
        await sleep(500);
        assert.equal(fs.readFileSync(count, 'utf8'), at, 'no progress while frozen');
        expectOk(await rt.exec(['resume', id]), 'resume');
        const deadline = Date.now() + 10_000;
        while (fs.readFileSync(count, 'utf8') === at && Date.now() < deadline) await sleep(50);
        assert.notEqual(fs.readFileSync(count, 'utf8'), at, 'progress after resume');
        expectOk(await rt.exec(['update', '--memory', '32m', '--pids-limit', '9', '--cpu-quota', '30000', '--cpu-share', '2048', id]), 'update');
        assert.equal(read(dirOf(b), 'memory.max'), String(32 * MiB));
        assert.equal(read(dirOf(b), 'pids.max'), '9');
        assert.match(read(dirOf(b), 'cpu.max'), /^30000 /);
        assert.equal(read(dirOf(b), 'cpu.weight'), '174', '2048 shares');
      });
    } finally {
      fs.rmSync(outDir, { recursive: true, force: true });
    }
  });

  test('device rules become an eBPF program: /dev/null readable, not writable', T, async () => {
    await withContainer(rt, 'v2-dev', {
      args: ['sh', '-c', 'cat /dev/null && echo read-ok; echo x > /dev/null && echo write-ok; true'],
      mutate: (s) => { s.linux.resources = { devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'r' }] }; },
    }, async (b, id) => {
      const r = await rt.runToCompletion(b.dir, id);
      assert.match(r.stdout, /read-ok/, describeResult(r.result));
      assert.doesNotMatch(r.stdout, /write-ok/, describeResult(r.result));
      assert.match(r.stderr, /Operation not permitted/, describeResult(r.result));
    });
  });

  test('kill --all goes through cgroup.kill; delete leaves no cgroup', T, async () => {
    await withContainer(rt, 'v2-killall', {
      args: ['sh', '-c', 'sleep 71 & sleep 72 & exec sleep 73'],
      mutate: (s) => { s.linux.namespaces = s.linux.namespaces.filter((n) => n.type !== 'pid'); },
    }, async (b, id) => {
      await runDetached(rt, b, id);
      const dir = dirOf(b);
      const deadline = Date.now() + 10_000;
      while (read(dir, 'cgroup.procs').split('\n').length < 3 && Date.now() < deadline) await sleep(50);
      expectOk(await rt.exec(['kill', '--all', id, 'KILL']), 'kill --all');
      const gone = Date.now() + 10_000;
      while (read(dir, 'cgroup.procs') !== '' && Date.now() < gone) await sleep(50);
      assert.equal(read(dir, 'cgroup.procs'), '');
      expectOk(await rt.exec(['delete', id]), 'delete');
      assert.ok(!fs.existsSync(dir));
    });
  });

  test('a create that fails after making its cgroup leaves none behind', T, async () => {
    await withContainer(rt, 'v2-fail', {
      args: ['true'],
      mounts: [{ destination: '/nowhere', type: 'bind', source: '/nonexistent-source-for-tsrunc', options: ['bind'] }],
    }, async (b, id) => {
      const r = await rt.exec(['create', '--bundle', b.dir, id]);
      assert.notEqual(r.code, 0, describeResult(r));
      assert.ok(!fs.existsSync(dirOf(b)), `${dirOf(b)} is removed`);
    });
  });
}));

// cgroups on this (hybrid) host, end to end: where the init lands, the limits in the files and
// their effect (a fork loop, an OOM kill, a denied device), pause/resume, update, ps, events,
// kill --all and cleanup. Each case runs against runc first when it is installed, so runc vouches
// for the expectations; cases about what runc does not do (the unified hierarchy, devices.list
// order, --systemd-cgroup wording) run against tsrunc only. Pure cgroup v2 is tested in the
// user-mode-linux lane (test/guest/).
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { detectCgroupHost } from '../../../src/cgroups/host';
import type { Bundle, BundleOptions } from '../../helpers/rootfs';
import { describeResult, sleep, type Runtime } from '../../helpers/runtime';
import { expectOk, forEachRuntime, runtimesForSuite, TEST_TIMEOUT, waitForFileContent, withContainer } from '../../helpers/suite';

const pair = runtimesForSuite();
const { sut } = pair;
const host = detectCgroupHost();
const V1_ROOT = '/sys/fs/cgroup';
const MiB = 1024 * 1024;

const hostSkip = (): string | undefined =>
  host.kind === 'v1' || host.kind === 'hybrid' ? undefined : `this file tests cgroup v1/hybrid hosts; this one is ${host.kind} (v2 runs in the UML lane)`;

function both(name: string, fn: (t: TestContext, rt: Runtime) => Promise<void>): void {
  forEachRuntime(pair, name, fn, hostSkip);
}

function tsruncOnly(name: string, fn: (t: TestContext, rt: Runtime) => Promise<void>): void {
  test(`${name} [tsrunc]`, TEST_TIMEOUT, async (t) => {
    const reason = hostSkip();
    if (reason) return t.skip(reason);
    await fn(t, sut);
  });
}

/** The bundle's cgroup path (absolute, from test/helpers/rootfs.ts). */
const cgroupPathOf = (b: Bundle): string => String(b.spec.linux.cgroupsPath);

/** A v1 controller's directory for a cgroup path. */
const v1Dir = (controller: string, cgroupPath: string): string => path.join(V1_ROOT, controller, cgroupPath);

const readFile = (f: string): string => fs.readFileSync(f, 'utf8').trim();

/** /proc/PID/cgroup as controller list → path ("" for the unified hierarchy). */
function procCgroups(pid: number): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n')) {
    const [, ctrls, p] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (p !== undefined) m.set(ctrls, p);
  }
  return m;
}

/** Every directory the container's cgroup may have, in all hierarchies. */
function cgroupDirsFor(cgroupPath: string): string[] {
  return [...host.v1.map((h) => path.join(h.mountPoint, cgroupPath)), ...(host.unified ? [path.join(host.unified.mountPoint, cgroupPath)] : [])];
}

function assertNoCgroupLeft(cgroupPath: string, what: string): void {
  const left = cgroupDirsFor(cgroupPath).filter((d) => fs.existsSync(d));
  assert.deepEqual(left, [], `${what}: cgroup directories left behind`);
}

/** create + start with the container's output in files; returns the init's pid. */
async function startDetached(rt: Runtime, b: Bundle, id: string): Promise<{ pid: number; out: string; err: string }> {
  const out = rt.ioPath(`${id}.out`);
  const err = rt.ioPath(`${id}.err`);
  expectOk(await rt.exec(['run', '--detach', '--bundle', b.dir, id], { stdoutPath: out, stderrPath: err }), 'run --detach');
  const st = await rt.state(id);
  return { pid: st.pid, out, err };
}

const withResources = (resources: Record<string, unknown>, extra: BundleOptions = {}): BundleOptions => ({
  ...extra,
  mutate: (s) => {
    s.linux.resources = { ...s.linux.resources, ...resources };
    extra.mutate?.(s);
  },
});

describe(`cgroups on a ${host.kind} host (${sut.label}${pair.ref ? ', each case also against runc' : ''})`, () => {
  both('the init is in cgroupsPath in every v1 hierarchy before it runs, with the limits written', async (_t, rt) => {
    const resources = {
      memory: { limit: 64 * MiB, reservation: 32 * MiB, swap: 96 * MiB },
      cpu: { shares: 512, quota: 50000, period: 100000, cpus: '0', mems: '0' },
      pids: { limit: 40 },
    };
    await withContainer(rt, 'cg-place', withResources(resources, { args: ['sleep', '60'] }), async (b, id) => {
      expectOk(await rt.exec(['create', '--bundle', b.dir, id]), 'create');
      const { pid } = await rt.state(id);
      const cg = cgroupPathOf(b);
      const own = procCgroups(pid);
      for (const h of host.v1) {
        const key = [...h.controllers, ...(h.name ? [`name=${h.name}`] : [])].join(',');
        assert.equal(own.get(key), cg, `the created init's ${key} cgroup`);
      }
      if (rt.kind === 'tsrunc' && host.kind === 'hybrid') assert.equal(own.get(''), cg, 'tsrunc also joins the unified hierarchy');
      assert.equal(readFile(path.join(v1Dir('memory', cg), 'memory.limit_in_bytes')), String(64 * MiB));
      assert.equal(readFile(path.join(v1Dir('memory', cg), 'memory.soft_limit_in_bytes')), String(32 * MiB));
      assert.equal(readFile(path.join(v1Dir('memory', cg), 'memory.memsw.limit_in_bytes')), String(96 * MiB));
      assert.equal(readFile(path.join(v1Dir('cpu', cg), 'cpu.shares')), '512');
      assert.equal(readFile(path.join(v1Dir('cpu', cg), 'cpu.cfs_quota_us')), '50000');
      assert.equal(readFile(path.join(v1Dir('cpu', cg), 'cpu.cfs_period_us')), '100000');
      assert.equal(readFile(path.join(v1Dir('cpuset', cg), 'cpuset.cpus')), '0');
      assert.equal(readFile(path.join(v1Dir('pids', cg), 'pids.max')), '40');
      expectOk(await rt.exec(['delete', '--force', id]), 'delete --force');
      assertNoCgroupLeft(cg, 'delete --force');
    });
  });

  both('with a cgroup namespace the container sees its own cgroup as the root', async (_t, rt) => {
    await withContainer(rt, 'cg-ns', {
      args: ['cat', '/proc/self/cgroup'],
      mutate: (s) => { s.linux.namespaces.push({ type: 'cgroup' }); },
    }, async (b, id) => {
      const r = await rt.runToCompletion(b.dir, id);
      assert.equal(r.code, 0, describeResult(r.result));
      const paths = r.stdout.trim().split('\n').map((l) => l.split(':')[2]);
      assert.ok(paths.length >= host.v1.length, r.stdout);
      for (const p of paths) assert.equal(p, '/', `every line shows the namespace root:\n${r.stdout}`);
    });
  });

  both('pids.limit stops a fork loop', async (_t, rt) => {
    await withContainer(rt, 'cg-pids', withResources({ pids: { limit: 6 } }, {
      args: ['sh', '-c', 'for i in $(seq 12); do sleep 2 & done; wait; echo finished'],
    }), async (b, id) => {
      const r = await rt.runToCompletion(b.dir, id);
      assert.match(r.stderr, /can't fork|Resource temporarily unavailable/, describeResult(r.result));
      assert.doesNotMatch(r.stdout, /finished/, 'busybox sh gives up at the first refused fork');
    });
  });

  // runc ≥ 1.4 reads pids.limit 0 as a limit (written as 1, the init being the only task); the
  // installed runc 1.1 reads it as "unset" and writes nothing, so this runs against tsrunc only.
  tsruncOnly('pids.limit 0 is a limit: pids.max 1 and no fork; update sets 0, -1 lifts it, an absent limit keeps it', async (_t, rt) => {
    await withContainer(rt, 'cg-pids0', withResources({ pids: { limit: 0 } }, {
      args: ['sh', '-c', 'echo before; sleep 0; echo after'],
    }), async (b, id) => {
      const r = await rt.runToCompletion(b.dir, id);
      assert.match(r.stdout, /before/, describeResult(r.result));
      assert.match(r.stderr, /can't fork|Resource temporarily unavailable/, describeResult(r.result));
      assert.doesNotMatch(r.stdout, /after/, describeResult(r.result));
    });
    await withContainer(rt, 'cg-pids0u', withResources({ pids: { limit: 0 } }, { args: ['sleep', '60'] }), async (b, id) => {
      expectOk(await rt.exec(['create', '--bundle', b.dir, id]), 'create');
      const max = path.join(v1Dir('pids', cgroupPathOf(b)), 'pids.max');
      assert.equal(readFile(max), '1');
      expectOk(await rt.exec(['update', '--pids-limit', '-1', id]), 'update --pids-limit -1');
      assert.equal(readFile(max), 'max');
      expectOk(await rt.exec(['update', '--pids-limit', '0', id]), 'update --pids-limit 0');
      assert.equal(readFile(max), '1');
      const file = path.join(b.dir, 'resources.json');
      for (const [resources, want] of [[{ pids: { limit: 12 } }, '12'], [{ pids: {} }, '12'], [{ memory: { limit: 64 * MiB } }, '12'], [{ pids: { limit: 0 } }, '1']] as const) {
        fs.writeFileSync(file, JSON.stringify(resources));
        expectOk(await rt.exec(['update', '--resources', file, id]), `update --resources ${JSON.stringify(resources)}`);
        assert.equal(readFile(max), want, JSON.stringify(resources));
      }
    });
  });

  // runc appends its default device rules (/dev/null rwm among them) after the config's, so a
  // config cannot restrict /dev/null there; tsrunc adds a default only for a device the config
  // has no rule of its own for (README, differences from runc).
  // Without device rules a container would inherit its parent's allow-all devices cgroup: a node it
  // makes (CAP_MKNOD is among the defaults) could reach the host's disks.
  both('a config without device rules still gets the default ones: a loop device node made inside cannot be opened', async (t, rt) => {
    if (!fs.existsSync('/dev/loop0')) return t.skip('no /dev/loop0 (block 7:0) on this host');
    await withContainer(rt, 'cg-nodev', {
      args: ['sh', '-c', 'mknod /dev/l0 b 7 0 && echo made; head -c 1 /dev/l0 >/dev/null && echo opened; cat /dev/null && echo null-ok; true'],
      mutate: (s) => {
        s.linux.resources = {};
        for (const set of ['bounding', 'effective', 'permitted']) s.process.capabilities?.[set]?.push('CAP_MKNOD');
      },
    }, async (b, id) => {
      const r = await rt.runToCompletion(b.dir, id);
      assert.match(r.stdout, /made/, describeResult(r.result));
      assert.doesNotMatch(r.stdout, /opened/, describeResult(r.result));
      assert.match(r.stderr, /Operation not permitted/, describeResult(r.result));
      assert.match(r.stdout, /null-ok/, 'the default rules allow /dev/null');
    });
  });

  tsruncOnly('a device rule denies writes to /dev/null while reads stay allowed', async (_t, rt) => {
    await withContainer(rt, 'cg-dev', {
      args: ['sh', '-c', 'cat /dev/null && echo read-ok; echo x > /dev/null && echo write-ok; true'],
      mutate: (s) => { s.linux.resources = { devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'r' }] }; },
    }, async (b, id) => {
      const r = await rt.runToCompletion(b.dir, id);
      assert.match(r.stdout, /read-ok/, describeResult(r.result));
      assert.doesNotMatch(r.stdout, /write-ok/, describeResult(r.result));
      assert.match(r.stderr, /Operation not permitted/, describeResult(r.result));
    });
  });

  tsruncOnly('devices.list holds the config\'s allow rules in the order given, the defaults after them', async () => {
    const rules = [
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' },
      { allow: true, type: 'b', major: 8, minor: 0, access: 'r' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' },
    ];
    await withContainer(sut, 'cg-devorder', { args: ['sleep', '60'], mutate: (s) => { s.linux.resources = { devices: rules }; } }, async (b, id) => {
      expectOk(await sut.exec(['create', '--bundle', b.dir, id]), 'create');
      const list = readFile(path.join(v1Dir('devices', cgroupPathOf(b)), 'devices.list')).split('\n');
      assert.deepEqual(list.slice(0, 3), ['c 10:229 rwm', 'b 8:0 r', 'c 1:3 rw'], list.join('\n'));
    });
  });

  both('pause freezes a counting process and resume lets it go on', async (_t, rt) => {
    const outDir = fs.mkdtempSync('/tmp/tsrunc-pause-');
    try {
      await withContainer(rt, 'cg-pause', {
        args: ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo $i > /out/count; sleep 0.02; done'],
        mounts: [{ destination: '/out', type: 'bind', source: outDir, options: ['rbind'] }],
      }, async (b, id) => {
        await startDetached(rt, b, id);
        const count = path.join(outDir, 'count');
        await waitForFileContent(count, /\d+/);
        expectOk(await rt.exec(['pause', id]), 'pause');
        assert.equal((await rt.state(id)).status, 'paused');
        assert.equal(readFile(path.join(v1Dir('freezer', cgroupPathOf(b)), 'freezer.state')), 'FROZEN');
        const frozenAt = readFile(count);
        await sleep(300);
        assert.equal(readFile(count), frozenAt, 'no progress while paused');
        expectOk(await rt.exec(['resume', id]), 'resume');
        assert.equal((await rt.state(id)).status, 'running');
        const deadline = Date.now() + 5000;
        while (readFile(count) === frozenAt && Date.now() < deadline) await sleep(20);
        assert.notEqual(readFile(count), frozenAt, 'progress after resume');
        const r = await rt.exec(['resume', id]);
        assert.notEqual(r.code, 0, describeResult(r));
        assert.match(r.stderr, /container not paused/, describeResult(r));
      });
    } finally {
      fs.rmSync(outDir, { recursive: true, force: true });
    }
  });

  both('delete --force of a paused container kills it and removes its cgroups', async (_t, rt) => {
    await withContainer(rt, 'cg-pausedel', { args: ['sleep', '60'] }, async (b, id) => {
      await startDetached(rt, b, id);
      expectOk(await rt.exec(['pause', id]), 'pause');
      expectOk(await rt.exec(['delete', '--force', id]), 'delete --force');
      assertNoCgroupLeft(cgroupPathOf(b), 'delete --force of a paused container');
    });
  });

  both('update changes limits of a running container, from flags and from a resources file', async (_t, rt) => {
    const devices = [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' }];
    await withContainer(rt, 'cg-update', withResources({ memory: { limit: 64 * MiB }, pids: { limit: 30 }, devices }, { args: ['sleep', '60'] }), async (b, id) => {
      await startDetached(rt, b, id);
      const cg = cgroupPathOf(b);
      const devicesBefore = readFile(path.join(v1Dir('devices', cg), 'devices.list'));
      expectOk(await rt.exec(['update', '--memory', '100m', '--pids-limit', '7', '--cpu-quota', '20000', '--cpu-period', '100000', '--cpu-share', '256', id]), 'update with flags');
      assert.equal(readFile(path.join(v1Dir('memory', cg), 'memory.limit_in_bytes')), String(100 * MiB));
      assert.equal(readFile(path.join(v1Dir('pids', cg), 'pids.max')), '7');
      assert.equal(readFile(path.join(v1Dir('cpu', cg), 'cpu.cfs_quota_us')), '20000');
      assert.equal(readFile(path.join(v1Dir('cpu', cg), 'cpu.shares')), '256');
      const file = path.join(b.dir, 'resources.json');
      fs.writeFileSync(file, JSON.stringify({ memory: { limit: 48 * MiB }, pids: { limit: 9 } }));
      expectOk(await rt.exec(['update', '--resources', file, id]), 'update --resources');
      assert.equal(readFile(path.join(v1Dir('memory', cg), 'memory.limit_in_bytes')), String(48 * MiB));
      assert.equal(readFile(path.join(v1Dir('pids', cg), 'pids.max')), '9');
      assert.equal(readFile(path.join(v1Dir('devices', cg), 'devices.list')), devicesBefore, 'an update without device rules keeps them');
      assert.match(devicesBefore, /c 10:229 rwm/);
      const bad = await rt.exec(['update', '--pids-limit', 'lots', id]);
      assert.notEqual(bad.code, 0, describeResult(bad));
      assert.match(bad.stderr, /pids-limit/, describeResult(bad));
    });
  });

  both('ps lists the container\'s processes: json the host pids, table the ps(1) lines', async (_t, rt) => {
    await withContainer(rt, 'cg-ps', { args: ['sh', '-c', 'sleep 61 & exec sleep 62'] }, async (b, id) => {
      const { pid } = await startDetached(rt, b, id);
      let pids: number[] = [];
      const deadline = Date.now() + 5000;
      while (pids.length < 2 && Date.now() < deadline) {
        const j = await rt.ok(['ps', '--format', 'json', id]);
        pids = JSON.parse(j.stdout) as number[];
        if (pids.length < 2) await sleep(20);
      }
      assert.equal(pids.length, 2, JSON.stringify(pids));
      assert.ok(pids.includes(pid), `the init ${pid} is listed: ${JSON.stringify(pids)}`);
      const table = await rt.ok(['ps', id]);
      const lines = table.stdout.trim().split('\n');
      assert.match(lines[0], /\bPID\b/, table.stdout);
      assert.equal(lines.length, 3, table.stdout);
      assert.ok(lines.some((l) => /sleep 61/.test(l)) && lines.some((l) => /sleep 62/.test(l)), table.stdout);
      const custom = await rt.ok(['ps', id, '-o', 'pid,comm']);
      assert.match(custom.stdout.split('\n')[0], /PID\s+COMMAND/, custom.stdout);
    });
  });

  both('events --stats prints one statistics line in runc\'s shape', async (_t, rt) => {
    await withContainer(rt, 'cg-stats', withResources({ memory: { limit: 64 * MiB }, pids: { limit: 30 } }, { args: ['sleep', '60'] }), async (b, id) => {
      await startDetached(rt, b, id);
      // runc 1.1's run --detach can return while a helper process of its init is still being
      // reaped in the cgroup: wait for the kernel's count to settle before reading statistics.
      const current = path.join(v1Dir('pids', cgroupPathOf(b)), 'pids.current');
      const settled = Date.now() + 5000;
      while (readFile(current) !== '1' && Date.now() < settled) await sleep(20);
      const r = await rt.ok(['events', '--stats', id]);
      const lines = r.stdout.trim().split('\n');
      assert.equal(lines.length, 1, r.stdout);
      const e = JSON.parse(lines[0]) as { type: string; id: string; data: { pids: { current: number; limit: number }; memory: { usage: { usage: number; limit: number } }; cpu: { usage: { total: number } } } };
      assert.equal(e.type, 'stats');
      assert.equal(e.id, id);
      assert.equal(e.data.pids.current, 1);
      assert.equal(e.data.pids.limit, 30);
      assert.equal(e.data.memory.usage.limit, 64 * MiB);
      assert.ok(e.data.memory.usage.usage > 0, r.stdout);
      assert.ok(e.data.cpu.usage.total > 0, r.stdout);
    });
  });

  both('events reports an OOM kill in the container\'s memory cgroup', async (_t, rt) => {
    const goDir = fs.mkdtempSync('/tmp/tsrunc-oom-');
    try {
      await withContainer(rt, 'cg-oom', withResources({ memory: { limit: 16 * MiB, swap: 16 * MiB } }, {
        // The hog waits for the go-ahead, given once `events` is seen running.
        args: ['sh', '-c', 'while [ ! -e /go/now ]; do sleep 0.05; done; dd if=/dev/zero of=/dev/null bs=64M count=1; sleep 30'],
        mounts: [{ destination: '/go', type: 'bind', source: goDir, options: ['rbind'] }],
      }), async (b, id) => {
        await startDetached(rt, b, id);
        const argv = [...rt.argv, '--root', rt.root, 'events', '--interval', '200ms', id];
        const ev = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        ev.stdout.on('data', (d: Buffer) => { out += d.toString(); });
        try {
          const deadline = Date.now() + 15_000;
          while (!/"type":"stats"/.test(out) && Date.now() < deadline) await sleep(20);
          assert.match(out, /"type":"stats"/, 'events is running');
          fs.writeFileSync(path.join(goDir, 'now'), '');
          while (!/"type":"oom"/.test(out) && Date.now() < deadline) await sleep(50);
          const oom = out.split('\n').find((l) => l.includes('"oom"'));
          assert.ok(oom, `events output: ${out}`);
          assert.deepEqual(JSON.parse(oom), { type: 'oom', id });
          if (rt.kind === 'tsrunc') {
            // One line per OOM kill the kernel counted, none before it: two more statistics lines
            // after the kill show events has looked again. (runc 1.1.5 reports the kernel's OOM
            // notifications, which can be more than its kills: its count is not compared.)
            const statsAfter = (): number => out.slice(out.indexOf(oom)).split('\n').filter((l) => l.includes('"stats"')).length;
            while (statsAfter() < 2 && Date.now() < deadline) await sleep(50);
            const memory = procCgroups(Number((await rt.state(id)).pid)).get('memory');
            const kills = /oom_kill (\d+)/.exec(readFile(path.join(V1_ROOT, 'memory', memory ?? '', 'memory.oom_control')))?.[1];
            assert.equal(out.split('\n').filter((l) => l.includes('"oom"')).length, Number(kills), `oom_kill ${kills}; events output:\n${out}`);
            assert.ok(out.indexOf('"oom"') > out.indexOf('"stats"'), `no oom line before the kill:\n${out}`);
          }
        } finally {
          ev.kill('SIGKILL');
        }
      });
    } finally {
      fs.rmSync(goDir, { recursive: true, force: true });
    }
  });

  both('events --interval: the first statistics after one interval, then one per interval, no oom line without an OOM kill', async (_t, rt) => {
    await withContainer(rt, 'cg-interval', { args: ['sleep', '60'] }, async (b, id) => {
      await startDetached(rt, b, id);
      const argv = [...rt.argv, '--root', rt.root, 'events', '--interval', '1500ms', id];
      const started = Date.now();
      const ev = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
      const lines: { at: number; text: string }[] = [];
      let partial = '';
      ev.stdout.on('data', (d: Buffer) => {
        partial += d.toString();
        for (let i = partial.indexOf('\n'); i >= 0; i = partial.indexOf('\n')) {
          lines.push({ at: Date.now() - started, text: partial.slice(0, i) });
          partial = partial.slice(i + 1);
        }
      });
      try {
        const deadline = Date.now() + 20_000;
        while (lines.length < 2 && Date.now() < deadline) await sleep(20);
        const seen = lines.map((l) => `${l.at} ms: ${l.text.slice(0, 60)}`).join('\n');
        assert.ok(lines.length >= 2, seen);
        // Lower bounds only: a loaded machine makes lines late, never early.
        assert.ok(lines[0].at >= 1400, `the first line came before one interval:\n${seen}`);
        assert.ok(lines[1].at - lines[0].at >= 1400, `the second came less than an interval after the first:\n${seen}`);
        for (const l of lines) assert.equal((JSON.parse(l.text) as { type: string }).type, 'stats', seen);
      } finally {
        ev.kill('SIGKILL');
      }
    });
  });

  both('events --interval 0 is refused in runc\'s words', async (_t, rt) => {
    await withContainer(rt, 'cg-interval0', { args: ['sleep', '60'] }, async (b, id) => {
      await startDetached(rt, b, id);
      const r = await rt.exec(['events', '--interval', '0s', id]);
      assert.notEqual(r.code, 0, describeResult(r));
      assert.match(r.stderr, /duration interval must be greater than 0/, describeResult(r));
    });
  });

  both('kill --all reaches every process of a container that shares the host\'s pid namespace', async (_t, rt) => {
    await withContainer(rt, 'cg-killall', {
      args: ['sh', '-c', 'sleep 71 & sleep 72 & exec sleep 73'],
      mutate: (s) => { s.linux.namespaces = s.linux.namespaces.filter((n) => n.type !== 'pid'); },
    }, async (b, id) => {
      await startDetached(rt, b, id);
      const dir = v1Dir('pids', cgroupPathOf(b));
      const deadline = Date.now() + 5000;
      while (readFile(path.join(dir, 'cgroup.procs')).split('\n').length < 3 && Date.now() < deadline) await sleep(20);
      expectOk(await rt.exec(['kill', '--all', id, 'KILL']), 'kill --all');
      const gone = Date.now() + 5000;
      while (readFile(path.join(dir, 'cgroup.procs')) !== '' && Date.now() < gone) await sleep(20);
      assert.equal(readFile(path.join(dir, 'cgroup.procs')), '', 'every process is gone');
      expectOk(await rt.exec(['delete', id]), 'delete');
      assertNoCgroupLeft(cgroupPathOf(b), 'delete');
    });
  });

  both('delete of a container without its own pid namespace kills what the init left behind', async (_t, rt) => {
    await withContainer(rt, 'cg-orphans', {
      args: ['sh', '-c', 'sleep 81 & sleep 82 & echo started'],
      mutate: (s) => { s.linux.namespaces = s.linux.namespaces.filter((n) => n.type !== 'pid'); },
    }, async (b, id) => {
      const { out } = await startDetached(rt, b, id);
      await waitForFileContent(out, /started/);
      await rt.waitForStatus(id, 'stopped');
      const procs = path.join(v1Dir('pids', cgroupPathOf(b)), 'cgroup.procs');
      assert.equal(readFile(procs).split('\n').filter(Boolean).length, 2, 'the two sleeps outlive the init');
      expectOk(await rt.exec(['delete', id]), 'delete');
      assertNoCgroupLeft(cgroupPathOf(b), 'delete');
    });
  });

  both('a create that fails after making the cgroups leaves none behind', async (_t, rt) => {
    await withContainer(rt, 'cg-fail', {
      args: ['true'],
      mounts: [{ destination: '/nowhere', type: 'bind', source: '/nonexistent-source-for-tsrunc', options: ['bind'] }],
    }, async (b, id) => {
      const r = await rt.exec(['create', '--bundle', b.dir, id]);
      assert.notEqual(r.code, 0, describeResult(r));
      assertNoCgroupLeft(cgroupPathOf(b), 'failed create');
    });
  });

  both('a relative cgroupsPath (and none at all) hangs below the runtime\'s own cgroup', async (_t, rt) => {
    const parent = `/tsrunc-test/own-${rt.kind}-${process.pid}`;
    const dirs = cgroupDirsFor(parent);
    for (const d of dirs) fs.mkdirSync(d, { recursive: true });
    const cpuset = dirs.find((d) => d.includes('/cpuset/'));
    if (cpuset) for (const f of ['cpuset.cpus', 'cpuset.mems']) fs.writeFileSync(path.join(cpuset, f), readFile(path.join(path.dirname(cpuset), f)));
    try {
      for (const [label, cgroupsPath] of [['relative', 'sub/inner'], ['empty', undefined]] as const) {
        await withContainer(rt, `cg-rel-${label}`, { args: ['sleep', '60'], mutate: (s) => { if (cgroupsPath) s.linux.cgroupsPath = cgroupsPath; else delete s.linux.cgroupsPath; } }, async (b, id) => {
          // The runtime runs in `parent` in every hierarchy: a shell moves itself there and execs it.
          const join = dirs.map((d) => `echo $$ > ${d}/cgroup.procs`).join(' && ');
          const argv = [...rt.argv, '--root', rt.root, 'create', '--bundle', b.dir, id];
          const r = spawn('sh', ['-c', `${join} && exec "$@" >/dev/null 2>${rt.ioPath('err')}`, 'sh', ...argv], { stdio: 'ignore' });
          const code = await new Promise<number | null>((resolve) => r.on('exit', resolve));
          assert.equal(code, 0, `create from inside ${parent}`);
          const { pid } = await rt.state(id);
          const expected = path.posix.join(parent, cgroupsPath ?? id);
          assert.equal(procCgroups(pid).get('pids'), expected, `${label}: the pids cgroup`);
          assert.equal(procCgroups(pid).get('memory'), expected, `${label}: the memory cgroup`);
          expectOk(await rt.exec(['delete', '--force', id]), 'delete');
          assertNoCgroupLeft(expected, `${label}: delete`);
        });
      }
    } finally {
      for (const d of dirs.reverse()) {
        for (const sub of ['sub', '']) try { fs.rmdirSync(path.join(d, sub)); } catch { /* absent or already gone */ }
      }
      // runc 1.1 on a hybrid host resolves a relative path in the unified hierarchy from its root,
      // not from its own cgroup there, and delete leaves the parent: /sub (empty) is runc's.
      if (rt.kind === 'runc' && host.unified) try { fs.rmdirSync(path.join(host.unified.mountPoint, 'sub')); } catch { /* not made */ }
    }
  });

  tsruncOnly('delete --force after a create that died before state.json removes the cgroups it recorded', async () => {
    // What a create killed between making its cgroups and writing state.json leaves: the state
    // directory with cgroup.json (written before any cgroup exists) and the cgroups themselves.
    const id = `cg-crash-${process.pid}`;
    const cg = `/tsrunc-test/${id}`;
    const dirs: Record<string, string> = {};
    for (const h of host.v1) {
      const dir = path.join(h.mountPoint, cg);
      fs.mkdirSync(dir, { recursive: true });
      for (const c of h.controllers) dirs[c] = dir;
      if (h.name) dirs[`name=${h.name}`] = dir;
    }
    const stateDir = path.join(sut.root, id);
    fs.mkdirSync(stateDir, { mode: 0o711 });
    fs.writeFileSync(path.join(stateDir, 'cgroup.json'), JSON.stringify({ driver: host.kind, dirs }));
    try {
      const plain = await sut.exec(['delete', id]);
      assert.notEqual(plain.code, 0, describeResult(plain));
      expectOk(await sut.exec(['delete', '--force', id]), 'delete --force');
      assertNoCgroupLeft(cg, 'delete --force of a half-created container');
      assert.ok(!fs.existsSync(stateDir), 'the state directory is gone');
    } finally {
      // What the test made by hand goes even when tsrunc failed to remove it.
      for (const d of new Set(Object.values(dirs))) try { fs.rmdirSync(d); } catch { /* removed */ }
      fs.rmSync(stateDir, { recursive: true, force: true });
    }
  });

  tsruncOnly('on a hybrid host the init is cloned straight into its unified cgroup, or placed by cgroup.procs in a user namespace', async (t) => {
    if (host.kind !== 'hybrid') return t.skip('needs a hybrid host');
    for (const userns of [false, true]) {
      await withContainer(sut, userns ? 'cg-clone3-userns' : 'cg-clone3', {
        args: ['sleep', '60'],
        mutate: (s) => {
          if (!userns) return;
          s.linux.namespaces.push({ type: 'user' });
          // Identity maps: the rootfs stays usable without a chown.
          s.linux.uidMappings = [{ containerID: 0, hostID: 0, size: 65536 }];
          s.linux.gidMappings = [{ containerID: 0, hostID: 0, size: 65536 }];
        },
      }, async (b, id) => {
        const r = await sut.exec(['--debug', 'create', '--bundle', b.dir, id]);
        expectOk(r, 'create --debug');
        const cloned = /init \d+ cloned into cgroup ([^"\s]+)/.exec(r.stderr);
        if (userns) {
          assert.equal(cloned, null, 'a user namespace\'s root does not own the cgroup: the launcher writes cgroup.procs');
        } else {
          assert.equal(cloned?.[1], path.join(host.unified!.mountPoint, cgroupPathOf(b)), r.stderr);
        }
        const { pid } = await sut.state(id);
        assert.equal(procCgroups(pid).get(''), cgroupPathOf(b), 'in the unified cgroup either way');
        assert.equal(procCgroups(pid).get('memory'), cgroupPathOf(b));
      });
    }
  });

  both('two containers given one cgroupsPath: deleting the first leaves the cgroup to the second', async (_t, rt) => {
    await withContainer(rt, 'cg-shared', { args: ['sleep', '60'] }, async (b, id) => {
      const second = `${id}-2`;
      try {
        await startDetached(rt, b, id);
        await startDetached(rt, b, second);
        expectOk(await rt.exec(['delete', '--force', id]), 'delete --force of the first');
        assert.equal((await rt.state(second)).status, 'running', 'the second runs on');
        assert.ok(fs.existsSync(v1Dir('pids', cgroupPathOf(b))), 'the shared cgroup stays');
        expectOk(await rt.exec(['delete', '--force', second]), 'delete --force of the second');
        assertNoCgroupLeft(cgroupPathOf(b), 'both deleted');
      } finally {
        await rt.deleteForce(second);
      }
    });
  });

  both('a limit for a controller this host has not mounted (net_cls): create fails naming it, nothing left', async (t, rt) => {
    if (host.v1.some((h) => h.controllers.includes('net_cls'))) return t.skip('net_cls is mounted on this host');
    await withContainer(rt, 'cg-netcls', withResources({ network: { classID: 0x100001 } }, { args: ['true'] }), async (b, id) => {
      const r = await rt.exec(['create', '--bundle', b.dir, id]);
      assert.notEqual(r.code, 0, describeResult(r));
      assert.match(r.stderr, rt.kind === 'runc'
        ? /cannot set net_cls limit: container could not join or create cgroup/
        : /cannot set net_cls limit \(net_cls\.classid\): the net_cls controller is not mounted on this host/, describeResult(r));
      assert.deepEqual(rt.listedIds().filter((x) => x === id), [], 'no state left');
      assertNoCgroupLeft(cgroupPathOf(b), 'a failed create');
    });
  });

  tsruncOnly('--systemd-cgroup is refused with the reason on a host without systemd', async () => {
    await withContainer(sut, 'cg-systemd', { args: ['true'], mutate: (s) => { s.linux.cgroupsPath = 'system.slice:tsrunc:x'; } }, async (b, id) => {
      const r = await sut.exec(['--systemd-cgroup', 'create', '--bundle', b.dir, id]);
      assert.notEqual(r.code, 0, describeResult(r));
      assert.match(r.stderr, /systemd is not running on this host/, describeResult(r));
      assert.deepEqual(sut.listedIds().filter((x) => x === id), [], 'no state left');
    });
  });

  tsruncOnly('hugepage limits go to the unified hierarchy when v1 has no hugetlb controller', async (t) => {
    if (host.kind !== 'hybrid' || !host.unified?.controllers.includes('hugetlb') || host.v1.some((h) => h.controllers.includes('hugetlb'))) {
      return t.skip('needs a hybrid host with hugetlb only in the unified hierarchy');
    }
    const sizes = fs.readdirSync('/sys/kernel/mm/hugepages').map((d) => /hugepages-(\d+)kB/.exec(d)?.[1]).filter(Boolean);
    if (!sizes.includes('2048')) return t.skip('no 2 MB huge pages on this host');
    await withContainer(sut, 'cg-huge', withResources({ hugepageLimits: [{ pageSize: '2MB', limit: 4 * MiB }], pids: { limit: 33 } }, { args: ['sleep', '60'] }), async (b, id) => {
      expectOk(await sut.exec(['create', '--bundle', b.dir, id]), 'create');
      const dir = path.join(host.unified!.mountPoint, cgroupPathOf(b));
      assert.equal(readFile(path.join(dir, 'hugetlb.2MB.max')), String(4 * MiB));
      // The v1 hierarchies still get the rest of the limits.
      assert.equal(readFile(path.join(v1Dir('pids', cgroupPathOf(b)), 'pids.max')), '33');
      const { pid } = await sut.state(id);
      assert.equal(procCgroups(pid).get(''), cgroupPathOf(b));
    });
  });

  test('commands on a stopped container say so in runc\'s words', TEST_TIMEOUT, async (t) => {
    const reason = hostSkip();
    if (reason) return t.skip(reason);
    await withContainer(sut, 'cg-stopped', { args: ['true'] }, async (b, id) => {
      await startDetached(sut, b, id);
      await sut.waitForStatus(id, 'stopped');
      const expect: [string[], RegExp][] = [
        [['pause', id], /container not running/],
        [['resume', id], /container not paused/],
        [['update', '--pids-limit', '5', id], /container not running/],
        [['events', '--stats', id], /is not running/],
        [['ps', id], /container not running/],
      ];
      for (const [args, re] of expect) {
        const r = await sut.exec(args);
        assert.notEqual(r.code, 0, describeResult(r));
        assert.match(r.stderr, re, describeResult(r));
      }
    });
  });
});

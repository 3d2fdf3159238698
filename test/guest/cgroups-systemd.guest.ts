// Runs in the systemd lane's guest (test/cgroups-systemd.test.ts boots it): tsrunc's systemd
// cgroup driver end to end, with runc --systemd-cgroup as the reference where both apply. Every
// runtime call boots a process in a user-mode kernel (~0.5-1 s), so the checks share containers.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { guestOnly } from '../helpers/cgroup2-vm';
import { makeBundle, type Bundle } from '../helpers/rootfs';
import { describeResult, hasRunc, Runtime, uniqueId } from '../helpers/runtime';
import { expectOk } from '../helpers/suite';

const T = { timeout: 180_000 };
const MiB = 1024 * 1024;
const SD = ['--systemd-cgroup'];
// (No cpuset here: the guest has one CPU and no cpuset controller.)
const PROPS = ['ActiveState', 'Slice', 'Delegate', 'MemoryMax', 'MemoryLow', 'MemoryHigh', 'TasksMax', 'CPUQuotaPerSecUSec', 'CPUQuotaPeriodUSec', 'CPUWeight'];
const FILES = ['memory.max', 'memory.low', 'memory.high', 'pids.max', 'cpu.max', 'cpu.weight'];

function show(unit: string, props: string[]): Record<string, string> {
  const r = spawnSync('systemctl', ['show', ...props.map((p) => `-p${p}`), unit], { encoding: 'utf8' });
  const out: Record<string, string> = {};
  for (const line of r.stdout.split('\n')) { const i = line.indexOf('='); if (i > 0) out[line.slice(0, i)] = line.slice(i + 1); }
  return out;
}

/** LoadState "not-found" and no ActiveState but inactive: systemd has forgotten the unit. */
function unitGone(unit: string): boolean {
  const s = show(unit, ['LoadState', 'ActiveState']);
  return s.LoadState === 'not-found' && s.ActiveState === 'inactive';
}

const read = (dir: string, file: string): string => { try { return fs.readFileSync(path.join(dir, file), 'utf8').trim(); } catch { return '(none)'; } };

function resourcesBundle(cgroupsPath: string, extra: Partial<Bundle['spec']> = {}): Bundle {
  return makeBundle({
    args: ['sleep', '120'],
    mutate: (s) => {
      s.linux.cgroupsPath = cgroupsPath;
      s.linux.resources = {
        ...s.linux.resources,
        memory: { limit: 64 * MiB, reservation: 16 * MiB },
        cpu: { shares: 512, quota: 33333, period: 100000 },
        pids: { limit: 20 },
        unified: { 'memory.high': String(48 * MiB) },
      };
      Object.assign(s, extra);
    },
  });
}

guestOnly('systemd cgroup driver', () => describe('systemd cgroup driver (systemd 252 in the UML guest)', () => {
  const ts = new Runtime('tsrunc');
  const runc = hasRunc() ? new Runtime('runc') : undefined;
  // The runtimes' roots live in the host's /tmp: nothing may stay there after the guest.
  after(async () => { for (const r of [ts, runc]) assert.deepEqual(await r?.cleanupAll() ?? [], [], `${r?.label}: containers left`); });

  test('create: the scope in its nested slice with the properties and files runc gives it', T, async () => {
    const seen: Record<string, { props: Record<string, string>; files: Record<string, string> }> = {};
    for (const rt of [ts, runc]) {
      if (!rt) continue;
      const id = uniqueId(`sd-${rt.kind}`);
      const unit = `sdt${rt.kind}-${id}.scope`;
      const b = resourcesBundle(`tsruncA-b.slice:sdt${rt.kind}:${id}`);
      const dir = `/sys/fs/cgroup/tsruncA.slice/tsruncA-b.slice/${unit}`;
      try {
        expectOk(await rt.exec([...SD, 'create', '--bundle', b.dir, id]), `${rt.kind} create`);
        const { pid } = await rt.state(id);
        assert.equal(read(dir, 'cgroup.procs').split('\n').includes(String(pid)), true, `${rt.kind}: the init ${pid} is in ${dir}: ${read(dir, 'cgroup.procs')}`);
        const props = show(unit, PROPS);
        const files = Object.fromEntries(FILES.map((f) => [f, read(dir, f)]));
        seen[rt.kind] = { props, files };
        assert.equal(props.ActiveState, 'active');
        assert.equal(props.Slice, 'tsruncA-b.slice');
        assert.equal(props.Delegate, 'yes');
        assert.equal(props.MemoryMax, String(64 * MiB));
        assert.equal(props.TasksMax, '20');
        // runc ≥ 1.2 (and tsrunc) write the quota rounded up to systemd's 1% steps into the file
        // too, so file and unit agree; runc 1.1.5 wrote the config's 33333.
        if (rt === ts) assert.equal(files['cpu.max'], '34000 100000');
        assert.equal(files['memory.high'], String(48 * MiB));
        if (rt === ts) {
          assert.match(show(unit, ['Description']).Description, /tsrunc container/);
          // exec lands in the scope
          expectOk(await ts.exec(['exec', '--detach', id, 'sleep', '77']), 'exec --detach');
          const procs = read(dir, 'cgroup.procs').split('\n');
          assert.ok(procs.some((p) => fs.readFileSync(`/proc/${p}/cmdline`, 'utf8') === 'sleep\u000077\u0000'), `the exec'd process is in the scope: ${procs}`);
          // pause / resume: the scope's cgroup.freeze
          expectOk(await ts.exec(['pause', id]), 'pause');
          assert.equal(read(dir, 'cgroup.freeze'), '1');
          assert.equal((await ts.state(id)).status, 'paused');
          expectOk(await ts.exec(['resume', id]), 'resume');
          assert.equal(read(dir, 'cgroup.freeze'), '0');
          // update: the unit property and the file
          expectOk(await ts.exec(['update', '--memory', String(96 * MiB), '--pids-limit', '33', id]), 'update');
          const after = show(unit, ['MemoryMax', 'TasksMax']);
          assert.deepEqual(after, { MemoryMax: String(96 * MiB), TasksMax: '33' });
          assert.equal(read(dir, 'memory.max'), String(96 * MiB));
          assert.equal(read(dir, 'pids.max'), '33');
          // events --stats reads the scope's files
          const ev = await ts.exec(['events', '--stats', id]);
          expectOk(ev, 'events --stats');
          const stats = JSON.parse(ev.stdout) as { type: string; data: { pids: { current: number; limit: number } } };
          assert.equal(stats.type, 'stats');
          assert.ok(stats.data.pids.current >= 2 && stats.data.pids.limit === 33, ev.stdout);
          // ps and kill --all act through the scope's files
          const ps = await ts.exec(['ps', '--format', 'json', id]);
          expectOk(ps, 'ps');
          assert.ok((JSON.parse(ps.stdout) as number[]).includes(pid), ps.stdout);
          expectOk(await ts.exec(['kill', '--all', id, 'KILL']), 'kill --all');
        } else {
          expectOk(await rt.exec(['kill', id, 'KILL']), 'runc kill');
        }
        for (let i = 0; i < 100 && (await rt.state(id)).status !== 'stopped'; i++) await new Promise((r) => setTimeout(r, 50));
        expectOk(await rt.exec([...SD, 'delete', id]), `${rt.kind} delete`);
        assert.ok(!fs.existsSync(dir), `${rt.kind}: ${dir} is gone`);
        assert.ok(unitGone(unit), `${rt.kind}: ${unit} is gone: ${JSON.stringify(show(unit, ['LoadState', 'ActiveState']))}`);
      } finally {
        await rt.exec([...SD, 'delete', '--force', id]);
        b.cleanup();
      }
    }
    if (seen.runc) {
      // Same unit properties and files as the reference, apart from the weight: runc 1.1.5 maps
      // shares 512 to CPUWeight 20 with its old linear formula; tsrunc uses runc ≥ 1.3.2's (59).
      const strip = (x: Record<string, string>) => { const { CPUWeight: _w, 'cpu.weight': _f, 'cpu.max': _q, ...rest } = x; return rest; };
      assert.deepEqual(strip(seen.tsrunc.props), strip(seen.runc.props));
      assert.deepEqual(strip(seen.tsrunc.files), strip(seen.runc.files));
    }
  });

  test('delete --force of a running container stops its unit; nothing is left', T, async () => {
    const id = uniqueId('sd-force');
    const b = makeBundle({ args: ['sleep', '120'], mutate: (s) => { s.linux.cgroupsPath = `:sdt:${id}`; } });
    try {
      expectOk(await ts.exec([...SD, 'create', '--bundle', b.dir, id]), 'create');
      assert.equal(show(`sdt-${id}.scope`, ['Slice']).Slice, 'system.slice', 'an empty slice is system.slice');
      expectOk(await ts.exec(['start', id]), 'start');
      expectOk(await ts.exec(['delete', '--force', id]), 'delete --force');
      assert.ok(unitGone(`sdt-${id}.scope`));
      assert.ok(!fs.existsSync(`/sys/fs/cgroup/system.slice/sdt-${id}.scope`));
    } finally {
      b.cleanup();
    }
  });

  test('annotations org.systemd.property.* become unit properties (Sec -> USec)', T, async () => {
    const id = uniqueId('sd-ann');
    const b = makeBundle({
      args: ['sleep', '120'],
      mutate: (s) => {
        s.linux.cgroupsPath = `:sdt:${id}`;
        s.annotations = { 'org.systemd.property.TimeoutStopSec': '7', 'org.systemd.property.CollectMode': "'inactive-or-failed'", 'org.systemd.property.MemoryAccounting': 'true' };
      },
    });
    try {
      expectOk(await ts.exec([...SD, 'create', '--bundle', b.dir, id]), 'create');
      const p = show(`sdt-${id}.scope`, ['TimeoutStopUSec', 'CollectMode']);
      assert.deepEqual(p, { TimeoutStopUSec: '7s', CollectMode: 'inactive-or-failed' });
    } finally {
      await ts.exec(['delete', '--force', id]);
      b.cleanup();
    }
  });

  test('refused up front, nothing made: a bad slice name, a bad annotation', T, async () => {
    for (const [cgroupsPath, annotations, why] of [
      ['a--b.slice:sdt:x', {}, /invalid slice name ..a--b\.slice/],
      ['notaslice:sdt:x', {}, /slice part must end in/],
      [':sdt:x', { 'org.systemd.property.TimeoutStopSec': 'soon' }, /org\.systemd\.property\.TimeoutStopSec.*soon/],
    ] as const) {
      const id = uniqueId('sd-bad');
      const b = makeBundle({ args: ['true'], mutate: (s) => { s.linux.cgroupsPath = cgroupsPath.replace(/x$/, id); s.annotations = annotations; } });
      try {
        const r = await ts.exec([...SD, 'create', '--bundle', b.dir, id]);
        assert.notEqual(r.code, 0, describeResult(r));
        assert.match(r.stderr, why, describeResult(r));
        assert.ok(unitGone(`sdt-${id}.scope`));
        assert.deepEqual(fs.readdirSync(ts.root), [], 'no state dir');
      } finally {
        b.cleanup();
      }
    }
  });

  test('a create that fails after systemd made the scope leaves no unit and no cgroup', T, async () => {
    const id = uniqueId('sd-fail');
    const b = makeBundle({
      args: ['true'],
      mutate: (s) => { s.linux.cgroupsPath = `:sdt:${id}`; s.linux.resources = { ...s.linux.resources, unified: { 'memory.nosuchfile': '1' } }; },
    });
    try {
      const r = await ts.exec([...SD, 'create', '--bundle', b.dir, id]);
      assert.notEqual(r.code, 0, describeResult(r));
      assert.match(r.stderr, /memory\.nosuchfile/, describeResult(r));
      assert.ok(unitGone(`sdt-${id}.scope`), JSON.stringify(show(`sdt-${id}.scope`, ['LoadState', 'ActiveState'])));
      assert.ok(!fs.existsSync(`/sys/fs/cgroup/system.slice/sdt-${id}.scope`));
      assert.deepEqual(fs.readdirSync(ts.root), [], 'no state dir');
    } finally {
      b.cleanup();
    }
  });

  test('create time: systemd vs cgroupfs driver, tsrunc and runc (diagnostics)', T, async (t) => {
    const timeOf = async (rt: Runtime, systemd: boolean): Promise<number> => {
      const id = uniqueId(`sd-time-${rt.kind}`);
      const b = makeBundle({ args: ['sleep', '60'], mutate: (s) => { s.linux.cgroupsPath = systemd ? `:sdt:${id}` : `/tsrunc-test-time/${id}`; s.linux.resources = { ...s.linux.resources, memory: { limit: 64 * MiB }, pids: { limit: 30 } }; } });
      try {
        const t0 = process.hrtime.bigint();
        expectOk(await rt.exec([...(systemd ? SD : []), 'create', '--bundle', b.dir, id]), `${rt.kind} create`);
        return Number(process.hrtime.bigint() - t0) / 1e6;
      } finally {
        await rt.exec([...(systemd ? SD : []), 'delete', '--force', id]);
        b.cleanup();
      }
    };
    const rows: string[] = [];
    for (const rt of [ts, runc]) {
      if (!rt) continue;
      for (const systemd of [false, true]) {
        const ms: number[] = [];
        for (let i = 0; i < 3; i++) ms.push(await timeOf(rt, systemd));
        ms.sort((a, b) => a - b);
        rows.push(`${rt.kind} ${systemd ? 'systemd ' : 'cgroupfs'} create: median ${ms[1].toFixed(0)} ms (${ms.map((m) => m.toFixed(0)).join(', ')})`);
      }
    }
    try { fs.rmdirSync('/sys/fs/cgroup/tsrunc-test-time'); } catch { /* not made */ }
    for (const r of rows) t.diagnostic(r);
    for (const r of rows) console.log(`guest-note: ${r}`);
  });
}), 'systemd');

// Runs inside the systemd lane's guest (test/systemd-lane.test.ts boots it): systemd is PID 1 and
// running, the command is in its delegated service cgroup, and systemd answers on its private
// socket, where the systemd cgroup driver talks to it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { guestOnly } from '../helpers/cgroup2-vm';

function sh(cmd: string): { status: number | null; out: string } {
  const r = spawnSync('/bin/sh', ['-c', cmd], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

guestOnly('systemd lane', () => {
  test('systemd is PID 1 and the boot finished', () => {
    assert.equal(fs.readFileSync('/proc/1/comm', 'utf8').trim(), 'systemd');
    assert.equal(process.env.SDLANE_STATE, 'running', 'systemctl is-system-running --wait');
    assert.ok(fs.statSync('/run/systemd/system').isDirectory());
  });

  test('the command runs in the delegated sdlane-cmd.service on a pure cgroup2 hierarchy', () => {
    assert.equal(fs.readFileSync('/proc/self/cgroup', 'utf8').trim(), '0::/system.slice/sdlane-cmd.service');
    assert.ok(!fs.existsSync('/sys/fs/cgroup/cgroup.procs') || fs.readFileSync('/proc/self/mounts', 'utf8').includes('/sys/fs/cgroup cgroup2'));
    const r = sh('systemctl show -p Delegate -p ControlGroup sdlane-cmd.service');
    assert.match(r.out, /^Delegate=yes$/m, r.out);
    // The caller's own service manager variables are not passed in (they would name the host's).
    assert.notEqual(process.env.INVOCATION_ID ?? '', '', 'systemd gives the service its own INVOCATION_ID');
  });

  test('systemd listens on its private socket and makes transient scopes', () => {
    assert.ok(fs.statSync('/run/systemd/private').isSocket());
    const r = sh('systemd-run --scope --unit=lane-check --slice=lanecheck.slice -p TasksMax=7 /bin/cat /sys/fs/cgroup/lanecheck.slice/lane-check.scope/pids.max');
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /^7$/m, r.out);
  });
});

// tsrunc's own D-Bus client (src/dbus/) against the real systemd, on both of its endpoints.
guestOnly('D-Bus client against systemd', () => {
  for (const via of ['private', 'bus'] as const) {
    test(`${via === 'private' ? 'private socket (no Hello)' : 'system bus (Hello, match rule)'}: transient scope start, properties, stop, errors`, async () => {
      const { SystemdManager } = await import('../../src/cgroups/systemd/systemd-api');
      const { Variant } = await import('../../src/dbus/marshal');
      const sd = SystemdManager.connect(via);
      const sleeper = spawn('/bin/sleep', ['60'], { stdio: 'ignore' });
      const unit = `dbus-check-${via}.scope`;
      const dir = `/sys/fs/cgroup/dbuscheck.slice/${unit}`;
      try {
        assert.match(sd.version(), /^25\d/);
        const result = sd.startTransientUnit(unit, 'replace', [
          ['Slice', new Variant('s', 'dbuscheck.slice')],
          ['PIDs', new Variant('au', [sleeper.pid!])],
          ['TasksMax', new Variant('t', 13n)],
          ['Description', new Variant('s', 'a check')],
        ], 20_000);
        assert.equal(result, 'done');
        assert.equal(sd.unitProperty(unit, 'org.freedesktop.systemd1.Unit', 'ActiveState'), 'active');
        assert.equal(sd.unitProperty(unit, 'org.freedesktop.systemd1.Scope', 'TasksMax'), 13n);
        assert.equal(fs.readFileSync(`${dir}/pids.max`, 'utf8').trim(), '13');
        assert.equal(fs.readFileSync(`${dir}/cgroup.procs`, 'utf8').trim(), String(sleeper.pid));
        sd.setUnitProperties(unit, true, [['TasksMax', new Variant('t', 21n)]]);
        assert.equal(fs.readFileSync(`${dir}/pids.max`, 'utf8').trim(), '21');
        assert.equal(sd.stopUnit(unit, 'replace', 20_000), 'done');
        assert.ok(!fs.existsSync(dir), `${dir} is gone`);
        assert.throws(() => sd.unitProperty(unit, 'org.freedesktop.systemd1.Unit', 'ActiveState'), (e: Error) => e.name === 'org.freedesktop.systemd1.NoSuchUnit');
        assert.throws(() => sd.startTransientUnit('bad/name.scope', 'replace', [], 5000), /Invalid|invalid/);
      } finally {
        sleeper.kill('SIGKILL');
        sd.close();
      }
    });
  }
});

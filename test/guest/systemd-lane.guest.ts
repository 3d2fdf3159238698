// Runs inside the systemd lane's guest (test/systemd-lane.test.ts boots it): systemd is PID 1 and
// running, the command is in its delegated service cgroup, and systemd answers on its private
// socket, where the systemd cgroup driver talks to it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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

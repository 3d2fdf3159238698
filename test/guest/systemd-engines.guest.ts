// Runs in the systemd lane's guest (test/integration/cgroups/systemd-engines.test.ts boots it):
// an engine that uses the systemd cgroup driver, on tsrunc. podman 4.3 with cgroup_manager =
// "systemd" (private storage, no network, the runtime under test by path) asks tsrunc for
// --systemd-cgroup and a machine.slice:libpod:<id> cgroupsPath; its own conmon goes in a scope of
// its own. containerd 1.6 (a daemon of the test's own, test/helpers/e2e/containerd.ts) with the
// runc shim's SystemdCgroup option (ctr's --runc-systemd-cgroup; CRI's `SystemdCgroup = true`
// sets the same option) does the same with the cgroupsPath it is given. Each engine command costs
// seconds in the guest, so the checks share one container per engine.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { guestOnly } from '../helpers/cgroup2-vm';
import { SERVICE_PATH } from '../helpers/e2e/command';
import { buildBusyboxImage } from '../helpers/e2e/image';
import { Containerd, containerdMissing } from '../helpers/e2e/containerd';
import { podmanMissing } from '../helpers/e2e/podman';
import { loggedCalls, writeRuntimeWrapper, type RuntimeWrapper } from '../helpers/e2e/wrapper';
import { listed, show } from '../helpers/systemctl';

const T = { timeout: 180_000 };

guestOnly('engines on tsrunc under systemd', () => describe('podman (cgroup_manager = "systemd") on tsrunc, systemd 252 in the UML guest', { skip: podmanMissing() ?? false }, () => {
  let base = '';
  let sut: RuntimeWrapper;
  let image = '';
  let env: NodeJS.ProcessEnv = {};
  const podman = (args: string[]) => {
    const r = spawnSync('podman', args, { env, encoding: 'utf8', timeout: 120_000 });
    return { ...r, what: `$ podman ${args.join(' ')}\n  exit=${r.status}\n  stdout=${r.stdout}\n  stderr=${r.stderr}` };
  };

  before(() => {
    base = fs.mkdtempSync('/tmp/tsrunc-sd-podman-');
    sut = writeRuntimeWrapper(base, 'tsrunc');
    fs.mkdirSync(path.join(base, 'image'));
    const img = buildBusyboxImage(path.join(base, 'image'));
    image = img.ref;
    const q = JSON.stringify;
    fs.writeFileSync(path.join(base, 'containers.conf'), [
      '[containers]', 'netns = "none"', 'log_driver = "k8s-file"',
      '[engine]', 'cgroup_manager = "systemd"', 'events_logger = "file"',
      `events_logfile_path = ${q(path.join(base, 'events.log'))}`, `tmp_dir = ${q(path.join(base, 'tmp'))}`, `volume_path = ${q(path.join(base, 'volumes'))}`,
      'runtime = "tsrunc"', 'runtime_supports_json = ["tsrunc"]',
      '[engine.runtimes]', `tsrunc = [${q(sut.path)}]`,
      '[network]', `network_config_dir = ${q(path.join(base, 'networks'))}`, '',
    ].join('\n'));
    fs.writeFileSync(path.join(base, 'storage.conf'), ['[storage]', 'driver = "vfs"', `graphroot = ${q(path.join(base, 'storage'))}`, `runroot = ${q(path.join(base, 'runroot'))}`, ''].join('\n'));
    env = { PATH: SERVICE_PATH, CONTAINERS_CONF: path.join(base, 'containers.conf'), CONTAINERS_STORAGE_CONF: path.join(base, 'storage.conf') };
    const r = podman(['load', '--quiet', '--input', img.tar]);
    assert.equal(r.status, 0, r.what);
  });

  after(() => {
    const left = podman(['ps', '--all', '--quiet']).stdout.trim();
    if (left) podman(['rm', '--force', '--time', '0', ...left.split('\n')]);
    // The guest's /tmp is the host's: nothing of podman's may stay there.
    podman(['system', 'reset', '--force']);
    fs.rmSync(base, { recursive: true, force: true });
    assert.equal(left, '', 'containers left');
  });

  test('podman run: the container in libpod-<id>.scope in machine.slice with its limits; rm leaves no unit', T, () => {
    const run = podman(['run', '--detach', '--memory', '64m', '--pids-limit', '50', image, 'sleep', '100']);
    assert.equal(run.status, 0, run.what);
    const id = run.stdout.trim();
    const unit = `libpod-${id}.scope`;
    assert.ok(loggedCalls(sut).some((c) => c.startsWith('--systemd-cgroup ') && c.includes(' create ')), `podman called tsrunc with --systemd-cgroup: ${loggedCalls(sut).join('\n')}`);
    assert.deepEqual(show(unit, ['ActiveState', 'Slice', 'Delegate', 'MemoryMax', 'TasksMax']), { ActiveState: 'active', Slice: 'machine.slice', Delegate: 'yes', MemoryMax: String(64 * 1024 * 1024), TasksMax: '50' });
    const pid = podman(['inspect', '--format', '{{.State.Pid}}', id]).stdout.trim();
    assert.equal(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim(), `0::/machine.slice/${unit}`);
    const exec = podman(['exec', id, 'cat', '/sys/fs/cgroup/memory.max']);
    assert.equal(exec.stdout.trim(), String(64 * 1024 * 1024), exec.what);
    const rm = podman(['rm', '--force', '--time', '0', id]);
    assert.equal(rm.status, 0, rm.what);
    assert.equal(listed(unit), '', `tsrunc's delete stopped ${unit}`);
    assert.ok(!fs.existsSync(`/sys/fs/cgroup/machine.slice/${unit}`));
    // conmon's own scope is podman's: it goes once conmon has exited, after rm returns.
    const conmon = `libpod-conmon-${id}.scope`;
    for (let i = 0; i < 100 && listed(conmon) !== ''; i++) spawnSync('sleep', ['0.1']);
    assert.equal(listed(conmon), '', `${conmon} is gone`);
  });
}), 'systemd');

guestOnly('containerd on tsrunc under systemd', () => describe('containerd (the shim\'s SystemdCgroup) on tsrunc, systemd 252 in the UML guest', { skip: containerdMissing() ?? false }, () => {
  let base = '';
  let sut: RuntimeWrapper;
  let image = '';
  let cd: Containerd;

  before(async () => {
    base = fs.mkdtempSync('/tmp/tsrunc-sd-ctrd-');
    sut = writeRuntimeWrapper(base, 'tsrunc');
    fs.mkdirSync(path.join(base, 'image'));
    const img = buildBusyboxImage(path.join(base, 'image'));
    image = img.ref;
    cd = new Containerd(path.join(base, 'cd'));
    await cd.start();
    // The guest's root cannot take overlay mounts: the native snapshotter copies instead.
    const imp = await cd.ctr(['images', 'import', '--snapshotter', 'native', img.tar]);
    assert.equal(imp.code, 0, imp.stderr);
  });

  after(async () => {
    const problems = cd ? await cd.stop() : [];
    fs.rmSync(base, { recursive: true, force: true });
    assert.deepEqual(problems, [], 'containerd cleanup had to force things');
  });

  test('ctr run --runc-systemd-cgroup: the container in its scope with its limit; task and container delete leave no unit', T, async () => {
    const id = `sdctr${process.pid}`;
    const unit = `ctr-${id}.scope`;
    const run = await cd.ctr(['run', '--detach', '--snapshotter', 'native', ...cd.runtimeFlags(sut.path), '--runc-systemd-cgroup', '--cgroup', `machine.slice:ctr:${id}`, '--memory-limit', String(48 * 1024 * 1024), image, id, 'sleep', '100']);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(loggedCalls(sut).some((c) => c.includes('--systemd-cgroup') && c.includes(' create ')), `the shim called tsrunc with --systemd-cgroup: ${loggedCalls(sut).join('\n')}`);
    assert.deepEqual(show(unit, ['ActiveState', 'Slice', 'Delegate', 'MemoryMax']), { ActiveState: 'active', Slice: 'machine.slice', Delegate: 'yes', MemoryMax: String(48 * 1024 * 1024) });
    const tasks = (await cd.ctr(['task', 'list'])).stdout;
    const pid = new RegExp(`^${id}\\s+(\\d+)\\s`, 'm').exec(tasks)?.[1];
    assert.ok(pid, tasks);
    assert.equal(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim(), `0::/machine.slice/${unit}`);
    assert.equal((await cd.ctr(['task', 'kill', '--signal', 'SIGKILL', id])).code, 0);
    for (let i = 0; i < 100 && !/STOPPED/.test((await cd.ctr(['task', 'list'])).stdout); i++) spawnSync('sleep', ['0.1']);
    const del = await cd.ctr(['task', 'delete', id]);
    assert.equal(del.code, 0, del.stderr);
    assert.equal((await cd.ctr(['containers', 'delete', id])).code, 0);
    assert.equal(listed(unit), '', `${unit} is gone`);
    assert.ok(!fs.existsSync(`/sys/fs/cgroup/machine.slice/${unit}`));
  });
}), 'systemd');

// Runtime-spec 1.3 requirements that docs/spec-compliance.md found without a test of their own.
// Each case names the requirement it holds tsrunc to (the row id in that table). Cases that runc
// 1.1 also meets run against runc first, so the expectation is runc's as well; the rest are
// tsrunc's alone (features, the plan builder).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { planMount } from '../../../src/plan/mounts';
import type { BundleOptions } from '../../helpers/rootfs';
import { describeResult, runtimeCommand, tsruncIsRunc, type Runtime } from '../../helpers/runtime';
import { expectOk, forEachRuntime, keyed, runtimesForSuite, scratchDirsForFile, withContainer } from '../../helpers/suite';

const pair = runtimesForSuite();
const tempDir = scratchDirsForFile('tsrunc-gaps-');

/** run in the foreground; asserts exit 0 and returns the container's stdout. */
async function runOk(rt: Runtime, dir: string, id: string): Promise<string> {
  const r = await rt.runToCompletion(dir, id);
  assert.equal(r.code, 0, describeResult(r.result));
  return r.stdout;
}

// what start and delete do comes from the config as it was at create.
forEachRuntime(pair, 'config.json edited after create changes nothing: start runs the process it was created with', async (_t, rt) => {
  await withContainer(rt, 'gap-edit', { args: ['sh', '-c', 'echo original'] }, async (b, id) => {
    const out = rt.ioPath(`${id}.out`);
    expectOk(await rt.exec(['create', '--bundle', b.dir, id], { stdoutPath: out }), 'create');
    const marker = path.join(b.dir, 'poststart-ran');
    b.spec.process.args = ['sh', '-c', 'echo edited'];
    b.spec.hooks = { poststart: [{ path: '/bin/sh', args: ['sh', '-c', `echo ran > ${marker}`] }] };
    b.writeSpec();
    expectOk(await rt.exec(['start', id]), 'start');
    await rt.waitForStatus(id, 'stopped');
    assert.equal(fs.readFileSync(out, 'utf8'), 'original\n');
    assert.ok(!fs.existsSync(marker), 'a hook added to config.json after create must not run');
  });
});

// once deleted, the id is free again.
forEachRuntime(pair, 'an id can be used again once its container is deleted', async (_t, rt) => {
  await withContainer(rt, 'gap-reuse', { args: ['echo', 'again'] }, async (b, id) => {
    assert.equal(await runOk(rt, b.dir, id), 'again\n');
    assert.equal(await runOk(rt, b.dir, id), 'again\n');
  });
});

// C-85: without oomScoreAdj the runtime leaves oom_score_adj alone: the container has its caller's.
forEachRuntime(pair, 'without process.oomScoreAdj the process keeps the oom_score_adj of the runtime\'s caller', async (_t, rt) => {
  const callerValue = 7;
  assert.notEqual(Number(fs.readFileSync('/proc/self/oom_score_adj', 'utf8')), callerValue, 'the test process must not have the value already');
  await withContainer(rt, 'gap-oom', { args: ['cat', '/proc/self/oom_score_adj'] }, async (b, id) => {
    // The shell raises its own value (no privilege needed) and becomes the runtime.
    const argv = [...rt.argv, '--root', rt.root, 'run', '--bundle', b.dir, id];
    const r = spawnSync('sh', ['-c', `echo ${callerValue} > /proc/self/oom_score_adj && exec "$@"`, 'sh', ...argv], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${callerValue}\n`);
  });
});

// C-3: a relative destination (deprecated) is taken from "/".
forEachRuntime(pair, 'a relative mount destination is mounted below "/"', async (_t, rt) => {
  await withContainer(rt, 'gap-reldest', {
    args: ['sh', '-c', 'echo "mode $(stat -c %a /mnt/rel)"; echo "fstype $(awk \'$5 == "/mnt/rel" { for (i = 7; $i != "-"; i++); print $(i+1) }\' /proc/self/mountinfo)"'],
    mounts: [{ destination: 'mnt/rel', type: 'tmpfs', source: 'tmpfs', options: ['mode=700'] }],
  }, async (b, id) => {
    const o = keyed(await runOk(rt, b.dir, id));
    assert.equal(o.get('mode'), '700');
    assert.equal(o.get('fstype'), 'tmpfs');
  });
});

// L-8: the id mappings are realised by the user namespace, not by chowning the image.
forEachRuntime(pair, 'a user namespace does not change the owners of the rootfs', async (_t, rt) => {
  const opts: BundleOptions = {
    args: ['sh', '-c', 'id -u; touch /tmp/x'],
    readonly: false,
    namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network' }, { type: 'user' }],
    mutate: (s) => {
      s.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      // Mounting a cgroup hierarchy from a user namespace is not what this case is about.
      s.mounts = s.mounts.filter((m) => m.destination !== '/sys/fs/cgroup');
    },
  };
  await withContainer(rt, 'gap-userns', opts, async (b, id) => {
    // The mapped root must be able to reach the rootfs (mkdtemp makes the bundle 0700).
    fs.chmodSync(b.dir, 0o755);
    fs.chmodSync(b.rootfs, 0o755);
    const owners = (): string => ['', 'bin', 'etc/passwd', 'tmp'].map((p) => {
      const st = fs.lstatSync(path.join(b.rootfs, p));
      return `/${p} ${st.uid}:${st.gid}`;
    }).join(', ');
    const before = owners();
    assert.match(before, /^\/ 0:0/, 'the image is owned by root on the host');
    assert.equal(await runOk(rt, b.dir, id), '0\n');
    assert.equal(owners(), before);
  });
});

// C-75: consoleSize means nothing without a terminal, and must not stop the container.
forEachRuntime(pair, 'consoleSize without terminal is ignored: the process runs without a tty', async (_t, rt) => {
  await withContainer(rt, 'gap-consolesize', {
    args: ['sh', '-c', 'tty; echo "rc=$?"'],
    terminal: false,
    mutate: (s) => { s.process.consoleSize = { height: 10, width: 20 }; },
  }, async (b, id) => {
    assert.equal(await runOk(rt, b.dir, id), 'not a tty\nrc=1\n');
  });
});

// C-101, C-107: createContainer hooks come after createRuntime hooks (each writes its name to a file of
// the bundle, which the container's mount namespace still shows before pivot_root).
forEachRuntime(pair, 'createContainer hooks run after the createRuntime hooks', async (_t, rt) => {
  await withContainer(rt, 'gap-hookorder', { args: ['true'] }, async (b, id) => {
    const log = path.join(b.dir, 'order.log');
    const hook = (name: string) => ({ path: '/bin/sh', args: ['sh', '-c', `echo ${name} >> ${log}`] });
    // createContainer first in the object: the order comes from the lifecycle, not from the JSON.
    b.spec.hooks = { createContainer: [hook('createContainer')], createRuntime: [hook('createRuntime0'), hook('createRuntime1')] };
    b.writeSpec();
    await runOk(rt, b.dir, id);
    assert.equal(fs.readFileSync(log, 'utf8'), 'createRuntime0\ncreateRuntime1\ncreateContainer\n');
  });
});

// R-23, C-95, C-108: startContainer hooks run in the container before its process, which sees
// their work.
forEachRuntime(pair, 'startContainer hooks run before the process: it sees what they wrote', async (_t, rt) => {
  await withContainer(rt, 'gap-startcontainer', {
    args: ['cat', '/hook-marker'],
    readonly: false,
    mutate: (s) => { s.hooks = { startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'echo from-the-hook > /hook-marker'] }] }; },
  }, async (b, id) => {
    assert.equal(await runOk(rt, b.dir, id), 'from-the-hook\n');
  });
});

// F-5, F-6, F-7: the version range `features` states is one validate accepts.
const tsruncSkip = tsruncIsRunc() ? 'TSRUNC_BIN is runc, which has no validate command' : undefined;
const [BIN, ...BIN_ARGS] = runtimeCommand('tsrunc').argv;
const tsrunc = (args: string[]) => spawnSync(BIN, [...BIN_ARGS, ...args], { encoding: 'utf8' });
const features = (): Record<string, unknown> => {
  const r = tsrunc(['features']);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, unknown>;
};

const semver = (v: string): number[] => {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(v);
  assert.ok(m, `not a version: ${v}`);
  return m.slice(1).map(Number);
};

test('features: ociVersionMin and ociVersionMax are accepted as a config\'s ociVersion, and max is not below min', { skip: tsruncSkip }, () => {
  const f = features();
  const min = String(f.ociVersionMin);
  const max = String(f.ociVersionMax);
  const [a, b] = [semver(min), semver(max)];
  const order = a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
  assert.ok(order <= 0, `ociVersionMax ${max} is below ociVersionMin ${min}`);
  for (const version of [min, max]) {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'rootfs'));
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({
      ociVersion: version, root: { path: 'rootfs' },
      process: { cwd: '/', args: ['true'], user: { uid: 0, gid: 0 } },
      linux: { namespaces: [{ type: 'mount' }] },
    }));
    const r = tsrunc(['validate', '--bundle', dir]);
    assert.equal(r.status, 0, `ociVersion ${version}: ${r.stderr}`);
  }
});

/** Every property features.md and features-linux.md (v1.3.0) define, by where it may appear. */
// F-4, F-8: no null, and nothing beyond the properties of the spec version tsrunc implements.
const FEATURES_PROPERTIES: Record<string, string[]> = {
  '': ['ociVersionMin', 'ociVersionMax', 'hooks', 'mountOptions', 'linux', 'annotations', 'potentiallyUnsafeConfigAnnotations'],
  linux: ['namespaces', 'capabilities', 'cgroup', 'seccomp', 'apparmor', 'selinux', 'intelRdt', 'mountExtensions', 'netDevices', 'memoryPolicy'],
  'linux.cgroup': ['v1', 'v2', 'systemd', 'systemdUser', 'rdma'],
  'linux.seccomp': ['enabled', 'actions', 'operators', 'archs', 'knownFlags', 'supportedFlags'],
  'linux.apparmor': ['enabled'],
  'linux.selinux': ['enabled'],
  'linux.intelRdt': ['enabled', 'schemata', 'monitoring'],
  'linux.mountExtensions': ['idmap'],
  'linux.mountExtensions.idmap': ['enabled'],
  'linux.netDevices': ['enabled'],
  'linux.memoryPolicy': ['modes', 'flags'],
};

test('features: no null values and no property runtime-spec 1.3.0 does not define', { skip: tsruncSkip }, () => {
  const wrong: string[] = [];
  const walk = (v: unknown, where: string): void => {
    if (v === null) wrong.push(`${where || '(top)'} is null`);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return;
    const allowed = FEATURES_PROPERTIES[where];
    for (const [k, child] of Object.entries(v)) {
      const at = where ? `${where}.${k}` : k;
      // annotations are free-form string maps; their values are checked for null all the same.
      if (allowed && !allowed.includes(k)) wrong.push(`${at} is not a features property`);
      walk(child, allowed ? at : `${where}.*`);
    }
  };
  walk(features(), '');
  assert.deepEqual(wrong, []);
});

// C-8, C-13, C-15, C-16, C-21, C-23, C-34, C-39, C-56 (options whose effect /proc/self/mountinfo
// cannot show, config-cli.test.ts lists them as such), C-66 (idmap is no mount data), C-72 (acl):
// checked where the option becomes a mount(2) flag or a mount_setattr attribute. The numbers are
// linux/mount.h's, written out here.
test('mount options mountinfo cannot show map to their mount(2) flags', () => {
  const MS_REMOUNT = 32; const MS_MANDLOCK = 64; const MS_SILENT = 32768; const MS_I_VERSION = 1 << 23;
  const MS_POSIXACL = 1 << 16;
  const MOUNT_ATTR_ATIME_MASK = 0x70;
  const flags = (...options: string[]): number => planMount({ destination: '/x', type: 'tmpfs', source: 'tmpfs', options }, '/b').flags;
  assert.equal(flags('defaults'), 0);
  assert.equal(flags('iversion') & MS_I_VERSION, MS_I_VERSION);
  assert.equal(flags('iversion', 'noiversion') & MS_I_VERSION, 0);
  assert.equal(flags('mand') & MS_MANDLOCK, MS_MANDLOCK);
  assert.equal(flags('mand', 'nomand') & MS_MANDLOCK, 0);
  assert.equal(flags('silent') & MS_SILENT, MS_SILENT);
  assert.equal(flags('silent', 'loud') & MS_SILENT, 0);
  assert.equal(flags('remount') & MS_REMOUNT, MS_REMOUNT);
  assert.equal(flags('acl') & MS_POSIXACL, MS_POSIXACL);
  assert.equal(flags('acl', 'noacl') & MS_POSIXACL, 0);
  for (const o of ['idmap', 'ridmap']) {
    const m = planMount({ destination: '/x', type: 'bind', source: '/s', options: ['rbind', o, 'mode=755'] }, '/b');
    assert.equal(m.data, 'mode=755', `${o} is not handed to mount(2)`);
  }
  const rec = planMount({ destination: '/x', type: 'bind', source: '/s', options: ['rbind', 'rnorelatime'] }, '/b');
  assert.equal(rec.recAttrClr & MOUNT_ATTR_ATIME_MASK, MOUNT_ATTR_ATIME_MASK, 'the atime mode is cleared');
  assert.equal(rec.recAttrSet & MOUNT_ATTR_ATIME_MASK, 0, 'and no mode is set (MOUNT_ATTR_RELATIME is 0)');
});

// L-12: a device node may live anywhere in the container, not only under /dev.
forEachRuntime(pair, 'a device node may be placed outside /dev', async (_t, rt) => {
  await withContainer(rt, 'gap-devpath', {
    args: ['sh', '-c', 'stat -c "%F %t:%T %a" /mnt/null-here; echo x > /mnt/null-here && echo written'],
    readonly: false,
    mutate: (s) => { s.linux.devices = [{ path: '/mnt/null-here', type: 'c', major: 1, minor: 3, fileMode: 0o640 }]; },
  }, async (b, id) => {
    assert.equal(await runOk(rt, b.dir, id), 'character special file 1:3 640\nwritten\n');
  });
});

/** The Linux mount options of runtime-spec 1.3.0 (config.md), idmap and ridmap aside (listed only on a kernel with mount_setattr). */
const SPEC_MOUNT_OPTIONS = [
  'async', 'atime', 'bind', 'defaults', 'dev', 'diratime', 'dirsync', 'exec', 'iversion', 'lazytime', 'loud', 'mand',
  'noatime', 'nodev', 'nodiratime', 'noexec', 'noiversion', 'nolazytime', 'nomand', 'norelatime', 'nostrictatime',
  'nosuid', 'nosymfollow', 'private', 'ratime', 'rbind', 'rdev', 'rdiratime', 'relatime', 'remount', 'rexec', 'rnoatime',
  'rnodiratime', 'rnoexec', 'rnorelatime', 'rnostrictatime', 'rnosuid', 'rnosymfollow', 'ro', 'rprivate', 'rrelatime',
  'rro', 'rrw', 'rshared', 'rslave', 'rstrictatime', 'rsuid', 'rsymfollow', 'runbindable', 'rw', 'shared', 'silent',
  'slave', 'strictatime', 'suid', 'symfollow', 'sync', 'tmpcopyup', 'unbindable',
];

// C-5 to C-63: config-cli.test.ts tries every option `features` lists; this makes sure none of the
// spec's is missing from that list, or taken for filesystem data by the plan builder.
test('every Linux mount option of runtime-spec 1.3.0\'s table is one tsrunc lists and plans', { skip: tsruncSkip }, () => {
  const listed = new Set((features() as { mountOptions: string[] }).mountOptions);
  assert.deepEqual(SPEC_MOUNT_OPTIONS.filter((o) => !listed.has(o)), [], 'missing from features.mountOptions');
  const asData = SPEC_MOUNT_OPTIONS.filter((o) => planMount({ destination: '/x', type: 'tmpfs', source: 'tmpfs', options: [o] }, '/b').data.includes(o));
  assert.deepEqual(asData, [], 'passed to mount(2) as filesystem data');
});

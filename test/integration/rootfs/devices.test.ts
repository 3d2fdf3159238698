// config-linux.md § Devices (path): "If a file already exists at path that does not match the
// requested device, the runtime MUST generate an error." A node that matches (type, major, minor)
// is kept as it is, as runc keeps it: those cases run against runc first. A file that does not
// match fails create with tsrunc before anything is made (runc 1.1 keeps whatever is there without
// looking at it, so those cases are tsrunc's alone). Devices sit outside /dev, in the rootfs, where
// something can already be (the container's /dev is a fresh tmpfs).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Bundle, BundleOptions } from '../../helpers/rootfs';
import { describeResult, hostMountsMentioning, waitNoRelatedProcesses, type Runtime } from '../../helpers/runtime';
import { forEachRuntime, runtimesForSuite, TEST_TIMEOUT, withContainer } from '../../helpers/suite';

const pair = runtimesForSuite();
const { sut } = pair;
const HOST_ID = 100000;

interface Dev { path: string; type: string; major?: number; minor?: number; fileMode?: number; uid?: number; gid?: number }

const withDevices = (devices: Dev[], args: string[], extra: BundleOptions = {}): BundleOptions => ({
  args, readonly: false, ...extra,
  mutate: (s) => { s.linux.devices = devices; extra.mutate?.(s); },
});

const cgroupGone = (b: Bundle): boolean => !fs.existsSync(path.join('/sys/fs/cgroup/pids', String(b.spec.linux.cgroupsPath)));

/** run in the foreground: the container's stdout, after asserting it exited 0. */
async function runOk(rt: Runtime, b: Bundle, id: string): Promise<string> {
  const r = await rt.runToCompletion(b.dir, id);
  assert.equal(r.code, 0, describeResult(r.result));
  return r.stdout;
}

describe(`devices already at their path (${sut.label})`, () => {
  forEachRuntime(pair, 'a node already at a device\'s path that matches (type, major, minor) is kept as it is', async (_t, rt) => {
    await withContainer(rt, 'dev-keep', withDevices(
      [{ path: '/mydev/null-here', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 }],
      ['sh', '-c', 'stat -c "%F %t:%T %a %u:%g %i" /mydev/null-here; echo x > /mydev/null-here && echo written'],
    ), async (b, id) => {
      const node = path.join(b.rootfs, 'mydev/null-here');
      fs.mkdirSync(path.dirname(node));
      // Mode and owner differ from the config's: the node found is kept, not made again.
      execFileSync('mknod', ['-m', '646', node, 'c', '1', '3']);
      fs.chownSync(node, 1000, 1000);
      const inode = fs.statSync(node).ino;
      assert.equal(await runOk(rt, b, id), `character special file 1:3 646 1000:1000 ${inode}\nwritten\n`);
    });
  });

  const mismatches: { name: string; make: (p: string) => void; found: string }[] = [
    { name: 'a regular file', make: (p) => fs.writeFileSync(p, 'keep me\n'), found: 'a regular file' },
    { name: 'another device', make: (p) => execFileSync('mknod', ['-m', '600', p, 'c', '1', '7']), found: 'c 1:7' },
    { name: 'a directory', make: (p) => fs.mkdirSync(p), found: 'a directory' },
    { name: 'a symlink to the requested device', make: (p) => fs.symlinkSync('/dev/zero', p), found: 'a symlink' },
  ];
  for (const m of mismatches) {
    test(`${m.name} at a device's path fails create, naming it; nothing is made or left`, TEST_TIMEOUT, async () => {
      await withContainer(sut, 'dev-clash', withDevices([
        // Listed first and absent: it must not be made either.
        { path: '/mydev/first', type: 'c', major: 1, minor: 3 },
        { path: '/mydev/taken', type: 'c', major: 1, minor: 5 },
      ], ['sh', '-c', 'echo the process ran > /ran']), async (b, id) => {
        const dir = path.join(b.rootfs, 'mydev');
        fs.mkdirSync(dir);
        m.make(path.join(dir, 'taken'));
        const before = fs.lstatSync(path.join(dir, 'taken'));
        const r = await sut.exec(['create', '--bundle', b.dir, id]);
        assert.notEqual(r.code, 0, describeResult(r));
        assert.match(r.stderr, new RegExp(`create device /mydev/taken: a file that is not the requested device is already there \\(found ${m.found}, requested c 1:5\\)`), describeResult(r));
        const after = fs.lstatSync(path.join(dir, 'taken'));
        assert.deepEqual([after.ino, after.mode, after.rdev, after.size], [before.ino, before.mode, before.rdev, before.size], 'what was there is untouched');
        assert.deepEqual(fs.readdirSync(dir), ['taken'], 'no device was made before the refusal');
        assert.ok(!fs.existsSync(path.join(b.rootfs, 'ran')), 'the process never ran');
        assert.ok(!sut.listedIds().includes(id), 'no state left');
        assert.ok(cgroupGone(b), 'no cgroup left');
        assert.deepEqual(hostMountsMentioning([b.dir]), [], 'no mount left');
        assert.deepEqual(await waitNoRelatedProcesses({ ids: [id], paths: [b.dir] }), [], 'no process left');
      });
    });
  }

  // In a user namespace (no mknod there) the host's node is bound onto an empty file made at the
  // same path, and that file stays in the image when /dev is the image's own (no tmpfs on it): the
  // next container binds onto it again.
  const inUserNamespace = (args: string[]): BundleOptions => ({
    args,
    readonly: false,
    namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'user' }],
    mutate: (s) => {
      s.linux.uidMappings = [{ containerID: 0, hostID: HOST_ID, size: 65536 }];
      s.linux.gidMappings = [{ containerID: 0, hostID: HOST_ID, size: 65536 }];
      s.mounts = s.mounts.filter((mnt) => mnt.destination !== '/sys/fs/cgroup' && mnt.destination !== '/dev');
    },
  });
  /** The mapped root must reach the rootfs (mkdtemp makes the bundle 0700) and write the image's /dev. */
  const openToMappedRoot = (b: Bundle): void => {
    fs.chmodSync(b.dir, 0o755);
    fs.chmodSync(b.rootfs, 0o755);
    fs.chownSync(path.join(b.rootfs, 'dev'), HOST_ID, HOST_ID);
  };

  forEachRuntime(pair, 'in a user namespace the devices are binds of the host\'s nodes, again on the files an earlier container left in the image\'s /dev', async (_t, rt) => {
    await withContainer(rt, 'dev-userns', inUserNamespace(['sh', '-c', 'stat -c "%F %t:%T" /dev/zero; head -c 3 /dev/zero | wc -c; grep -c " /dev/zero " /proc/self/mountinfo']), async (b, id) => {
      openToMappedRoot(b);
      const want = 'character special file 1:5\n3\n1\n';
      assert.equal(await runOk(rt, b, id), want, 'first container');
      const left = fs.lstatSync(path.join(b.rootfs, 'dev/zero'));
      assert.ok(left.isFile() && left.size === 0, 'an empty file stays in the image as the mount point');
      // tsrunc makes it with mode 0 and takes only such a file for its own (runc 1.1: 0644).
      if (rt.kind === 'tsrunc') assert.equal(left.mode & 0o7777, 0);
      assert.equal(await runOk(rt, b, `${id}-2`), want, 'second container on the same rootfs');
    });
  });

  test('in a user namespace, a file with content at a device\'s path is refused', TEST_TIMEOUT, async () => {
    await withContainer(sut, 'dev-userns-clash', inUserNamespace(['true']), async (b, id) => {
      openToMappedRoot(b);
      fs.writeFileSync(path.join(b.rootfs, 'dev/zero'), 'data\n', { mode: 0o600 });
      const r = await sut.exec(['create', '--bundle', b.dir, id]);
      assert.notEqual(r.code, 0, describeResult(r));
      assert.match(r.stderr, /create device \/dev\/zero: a file that is not the requested device is already there \(found a regular file, requested c 1:5\)/, describeResult(r));
      assert.equal(fs.readFileSync(path.join(b.rootfs, 'dev/zero'), 'utf8'), 'data\n');
      assert.ok(!sut.listedIds().includes(id), 'no state left');
    });
  });
});

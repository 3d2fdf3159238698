// Behaviours the OCI runtime-tools validation suite checks that tsrunc had to change for (see
// docs/conformance.md), written as tsrunc's own tests: the suite itself is not run in CI.
//
// A config without a mount namespace (runtime-tools' linux_ns_itype): the container inherits the
// runtime's mount namespace, as every namespace not listed (config-linux.md). Its mounts are made
// in the runtime's mount table below the rootfs, the root is entered by chroot, and `delete` (or a
// failed `create`) detaches those mounts; runc 1.1 leaves them behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { mountPointsBelow } from '../../../src/container/host-mounts';
import { makeBundle, mountsUnder, type Bundle, type BundleOptions } from '../../helpers/rootfs';
import { describeResult, uniqueId, type Runtime } from '../../helpers/runtime';
import { forEachRuntime, runtimesForSuite, TEST_TIMEOUT } from '../../helpers/suite';

const pair = runtimesForSuite();

const NAMESPACES = ['mnt', 'pid', 'net', 'ipc', 'uts', 'cgroup', 'user', 'time'];

/** No namespace at all, no hostname (setting one needs a uts namespace), no masked or read-only
 * paths (tsrunc refuses those without a mount namespace). */
function hostNamespacesBundle(extra: BundleOptions = {}): Bundle {
  return makeBundle({
    namespaces: [],
    readonly: false,
    rootfsFiles: { 'conformance-marker': 'inside\n' },
    ...extra,
    mutate: (spec) => {
      delete spec.hostname;
      delete spec.linux.maskedPaths;
      delete spec.linux.readonlyPaths;
      extra.mutate?.(spec);
    },
  });
}

/** runc leaves its mounts in the runtime's table (the reference is only vouching for the
 * namespaces): detached here, by the bundle's cleanup, and reported. */
function cleanupBundle(rt: Runtime, b: Bundle): void {
  if (rt.kind === 'tsrunc') return b.cleanup();
  try { b.cleanup(); } catch { /* runc's leftover mounts, detached by the cleanup */ }
}

forEachRuntime(pair, 'without a mount namespace (or any other) the init shares every namespace of the runtime and is chrooted into the rootfs', async (_t, rt) => {
  const b = hostNamespacesBundle();
  const id = uniqueId('ns-inherit');
  try {
    const r = await rt.exec(['create', '--bundle', b.dir, id]);
    assert.equal(r.code, 0, describeResult(r));
    const { pid } = await rt.state(id);
    for (const ns of NAMESPACES) {
      const own = `/proc/self/ns/${ns}`;
      if (!fs.existsSync(own)) continue;
      assert.equal(fs.readlinkSync(`/proc/${pid}/ns/${ns}`), fs.readlinkSync(own), `${ns} namespace inherited`);
    }
    assert.equal(fs.readlinkSync(`/proc/${pid}/root`), fs.realpathSync(b.rootfs), 'the init\'s root is the rootfs');
  } finally {
    await rt.deleteForce(id);
    cleanupBundle(rt, b);
  }
});

test('without a mount namespace the config\'s mounts are in the runtime\'s table below the rootfs, exec enters the rootfs, and delete detaches them', TEST_TIMEOUT, async () => {
  const rt = pair.sut;
  const b = hostNamespacesBundle();
  const rootfs = fs.realpathSync(b.rootfs);
  const id = uniqueId('ns-mounts');
  try {
    const r = await rt.exec(['create', '--bundle', b.dir, id]);
    assert.equal(r.code, 0, describeResult(r));
    const mounted = mountsUnder(rootfs);
    for (const dest of ['/proc', '/dev', '/dev/pts', '/sys']) assert.ok(mounted.includes(rootfs + dest), `${dest} mounted in the runtime's table: ${mounted.join(', ')}`);
    assert.ok(!mounted.includes(rootfs), 'the rootfs itself is not made a mount');

    // exec joins no mount namespace: it must still land in the container's root, not the host's.
    const e = await rt.exec(['exec', id, '/bin/cat', '/conformance-marker']);
    assert.equal(e.code, 0, describeResult(e));
    assert.equal(e.stdout, 'inside\n');

    const d = await rt.exec(['delete', '--force', id]);
    assert.equal(d.code, 0, describeResult(d));
    assert.deepEqual(mountsUnder(rootfs), [], 'delete detaches the container\'s mounts');
  } finally {
    await rt.deleteForce(id);
    b.cleanup();
  }
});

test('a create without a mount namespace that fails after its first mounts leaves none behind', TEST_TIMEOUT, async () => {
  const rt = pair.sut;
  const missing = path.join('/nonexistent-tsrunc-conformance', uniqueId('src'));
  const b = hostNamespacesBundle({ mounts: [{ destination: '/mnt/late', type: 'bind', source: missing, options: ['bind'] }] });
  const id = uniqueId('ns-fail');
  try {
    const r = await rt.exec(['create', '--bundle', b.dir, id]);
    assert.notEqual(r.code, 0, describeResult(r));
    assert.match(r.stderr, /\/mnt\/late/);
    assert.deepEqual(mountsUnder(fs.realpathSync(b.rootfs)), [], 'the mounts made before the failure are detached');
  } finally {
    await rt.deleteForce(id);
    b.cleanup();
  }
});

test('mount points below a rootfs: escapes decoded, the rootfs itself and its look-alike siblings left out, last mounted first', () => {
  const info = [
    '22 27 0:21 / /proc rw - proc proc rw',
    '46 27 254:0 /b /tmp/b/rootfs rw - ext4 /dev/vda rw',
    '56 46 0:40 / /tmp/b/rootfs/proc rw - proc proc rw',
    '57 46 0:41 / /tmp/b/rootfs/dev rw - tmpfs tmpfs rw',
    '58 57 0:42 / /tmp/b/rootfs/dev/pts rw - devpts devpts rw',
    '59 27 0:43 / /tmp/b/rootfs2/dev rw - tmpfs tmpfs rw',
    '60 46 0:44 / /tmp/b/rootfs/with\\040space rw - tmpfs tmpfs rw',
    '',
  ].join('\n');
  assert.deepEqual(mountPointsBelow('/tmp/b/rootfs', info), [
    '/tmp/b/rootfs/with space', '/tmp/b/rootfs/dev/pts', '/tmp/b/rootfs/dev', '/tmp/b/rootfs/proc',
  ]);
});

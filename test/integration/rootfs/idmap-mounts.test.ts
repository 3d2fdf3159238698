// Id-mapped bind mounts (runtime-spec 1.2+: options idmap/ridmap, a mount's own uidMappings and
// gidMappings), checked against the kernel's view from both sides: owners as the container sees
// them (stat inside, "idmapped" in its mountinfo) and as they land on the host's disk (stat from
// outside). runc 1.1.5, the installed reference, has no id-mapped mounts, so only tsrunc runs.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeBundle } from '../../helpers/rootfs';
import { makeScratch, removeScratch, volume as hostVolume } from '../../helpers/idmap';
import type { Bundle, BundleOptions, Mount } from '../../helpers/rootfs';
import { Runtime, describeResult, hostMountsMentioning, uniqueId, waitNoRelatedProcesses } from '../../helpers/runtime';
import { keyed, TEST_TIMEOUT } from '../../helpers/suite';

const sut = new Runtime('tsrunc');
after(async () => { await sut.cleanupAll(); });

// The container's user namespace, as containerd 2 makes it for a `hostUsers: false` pod.
const HOST_ID = 100000;
const RANGE = 65536;
const POD_MAPS = {
  uidMappings: [{ containerID: 0, hostID: HOST_ID, size: RANGE }],
  gidMappings: [{ containerID: 0, hostID: HOST_ID, size: RANGE }],
};
// An owner on the host that a mount's own mapping turns into the container's root: disk 5000 shows
// as host id 100000, which the container's namespace calls 0 (with the pod's mapping it would be
// the container's 5000, and without any, unmapped: the overflow id).
const VOLUME_OWNER = 5000;
const OWN_MAPS = {
  uidMappings: [{ containerID: VOLUME_OWNER, hostID: HOST_ID, size: 1 }],
  gidMappings: [{ containerID: VOLUME_OWNER, hostID: HOST_ID, size: 1 }],
};
const OVERFLOW = Number(fs.readFileSync('/proc/sys/kernel/overflowuid', 'utf8').trim());

let scratch = '';
before(() => { scratch = makeScratch('tsrunc-idmap-'); });
after(() => removeScratch(scratch));

const volume = (name: string, uid: number, gid: number): string => hostVolume(scratch, name, uid, gid);

/** A bundle in the shape containerd 2 writes for a pod without host users. */
function podBundle(script: string, mounts: (Mount & Record<string, unknown>)[], extra: Partial<BundleOptions> = {}): Bundle {
  const b = makeBundle({
    args: ['sh', '-c', `exec 2>&1; ${script}`],
    namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network' }, { type: 'user' }],
    mutate: (s) => {
      Object.assign(s.linux, POD_MAPS);
      // containerd: sysfs read-only, recursively; no cgroup mount (not what this is about).
      s.mounts = s.mounts.filter((m) => m.destination !== '/sys/fs/cgroup' && m.destination !== '/sys');
      s.mounts.push({ destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'rro'] });
      s.mounts.push(...mounts);
    },
    ...extra,
  });
  // The mapped root cannot search a 0700 bundle nor make mount points in a host-root image.
  fs.chmodSync(b.dir, 0o755);
  for (const m of mounts) fs.mkdirSync(path.join(b.rootfs, m.destination), { recursive: true });
  return b;
}

async function runPod(b: Bundle, prefix: string): Promise<Map<string, string>> {
  const r = await sut.runToCompletion(b.dir, uniqueId(prefix));
  assert.equal(r.code, 0, describeResult(r.result));
  return keyed(r.stdout);
}

const owner = (p: string): string => { const st = fs.statSync(p); return `${st.uid}:${st.gid}`; };

describe('id-mapped mounts (tsrunc; runc 1.1.5 has none)', () => {
  test('features: linux.mountExtensions.idmap follows the kernel\'s mount_setattr', TEST_TIMEOUT, async () => {
    const r = await sut.ok(['features']);
    const f = JSON.parse(r.stdout);
    // mount_setattr(2) and MOUNT_ATTR_IDMAP came together in Linux 5.12.
    const [major, minor] = os.release().split('.').map(Number);
    const kernelHas = major > 5 || (major === 5 && minor >= 12);
    assert.deepEqual(f.linux.mountExtensions, { idmap: { enabled: kernelHas } });
    assert.equal(f.mountOptions.includes('idmap') && f.mountOptions.includes('ridmap'), kernelHas);
  });

  test('a pod without host users: the container\'s root owns and writes its volumes, the host sees the mapped owners', TEST_TIMEOUT, async () => {
    const shared = volume('shared', 0, 0);               // mapped like the pod: disk 0 is the container's 0
    const own = volume('own', VOLUME_OWNER, VOLUME_OWNER); // its own mapping: disk 5000 is the container's 0
    const plain = volume('plain', 0, 0);                 // idmap without mappings: the container's namespace
    const b = podBundle([
      'echo "uid $(id -u)"',
      'for v in shared own plain; do echo "$v $(stat -c %u:%g /$v) $(stat -c %u:%g /$v/hostfile)"; done',
      'for v in shared own plain; do touch /$v/made && mkdir /$v/dir && echo "$v-write ok"; done',
      'for v in shared own plain; do echo "$v-made $(stat -c %u:%g /$v/made)"; done',
      'for v in shared own plain; do echo "$v-opts $(grep " /$v " /proc/self/mountinfo | cut -d" " -f6)"; done',
      'echo "sys $(grep " /sys " /proc/self/mountinfo | cut -d" " -f6)"',
      'echo "uidmap $(cat /proc/self/uid_map)"',
    ].join('; '), [
      { destination: '/shared', type: 'bind', source: shared, options: ['rbind', 'rprivate', 'idmap'], ...POD_MAPS },
      // Mappings without idmap/ridmap map the mount too, as runc does (validate warns).
      { destination: '/own', type: 'bind', source: own, options: ['rbind'], ...OWN_MAPS },
      { destination: '/plain', type: 'bind', source: plain, options: ['bind', 'idmap'] },
    ]);
    try {
      const o = await runPod(b, 'idmap-pod');
      const text = [...o].map(([k, v]) => `${k} ${v}`).join('\n');
      assert.equal(o.get('uid'), '0', text);
      assert.deepEqual(o.get('uidmap')?.split(/\s+/), ['0', String(HOST_ID), String(RANGE)], text);
      // Inside: each volume's root is the container's root; the other owner is mapped alike, or
      // unmapped (the overflow id) where the mount maps a single id.
      assert.equal(o.get('shared'), '0:0 1000:1000', text);
      assert.equal(o.get('own'), `0:0 ${OVERFLOW}:${OVERFLOW}`, text);
      assert.equal(o.get('plain'), '0:0 1000:1000', text);
      for (const v of ['shared', 'own', 'plain']) {
        assert.equal(o.get(`${v}-write`), 'ok', text);
        assert.equal(o.get(`${v}-made`), '0:0', text);
        assert.match(o.get(`${v}-opts`) ?? '', /(^|,)idmapped(,|$)/, `${v} should be an id-mapped mount\n${text}`);
      }
      assert.match(o.get('sys') ?? '', /^ro,/, text);
      // Outside: what the container's root wrote belongs to the ids the mount maps it to.
      for (const v of ['shared', 'plain']) {
        assert.equal(owner(path.join(scratch, v, 'made')), '0:0', `${v}/made on the host`);
        assert.equal(owner(path.join(scratch, v, 'dir')), '0:0', `${v}/dir on the host`);
      }
      assert.equal(owner(path.join(scratch, 'own', 'made')), `${VOLUME_OWNER}:${VOLUME_OWNER}`, 'own/made on the host');
      assert.equal(owner(path.join(scratch, 'own', 'dir')), `${VOLUME_OWNER}:${VOLUME_OWNER}`, 'own/dir on the host');
    } finally {
      b.cleanup();
    }
  });

  test('ridmap maps the submounts of an rbind, idmap only its top', TEST_TIMEOUT, async () => {
    const tree = volume('tree', 0, 0);
    fs.mkdirSync(path.join(tree, 'sub'));
    // A submount of the source (tmpfs can be id-mapped since Linux 6.3), root-owned on the host.
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'mode=755,size=1m', 'tsrunc-idmap-sub', path.join(tree, 'sub')], { encoding: 'utf8' });
    assert.equal(m.status, 0, m.stderr);
    try {
      const b = podBundle([
        'for v in deep top; do echo "$v $(stat -c %u:%g /$v) $(stat -c %u:%g /$v/sub)"; done',
        'touch /deep/sub/made && echo "deep-write ok"',
        'touch /top/sub/made2 || echo "top-write refused"',
        'for v in deep top; do echo "$v-sub-opts $(grep " /$v/sub " /proc/self/mountinfo | cut -d" " -f6)"; done',
      ].join('; '), [
        { destination: '/deep', type: 'bind', source: tree, options: ['rbind', 'ridmap'], ...POD_MAPS },
        { destination: '/top', type: 'bind', source: tree, options: ['rbind', 'idmap'], ...POD_MAPS },
      ]);
      try {
        const o = await runPod(b, 'idmap-rec');
        const text = [...o].map(([k, v]) => `${k} ${v}`).join('\n');
        assert.equal(o.get('deep'), '0:0 0:0', text);
        // Not mapped: the submount's host root is no id of the container's namespace.
        assert.equal(o.get('top'), `0:0 ${OVERFLOW}:${OVERFLOW}`, text);
        assert.equal(o.get('deep-write'), 'ok', text);
        assert.equal(o.get('top-write'), 'refused', text);
        assert.match(o.get('deep-sub-opts') ?? '', /(^|,)idmapped(,|$)/, text);
        assert.doesNotMatch(o.get('top-sub-opts') ?? '', /idmapped/, text);
        assert.equal(owner(path.join(tree, 'sub', 'made')), '0:0');
      } finally {
        b.cleanup();
      }
    } finally {
      spawnSync('umount', [path.join(tree, 'sub')]);
    }
  });

  test('idmap on a filesystem that cannot be id-mapped fails create with the reason, leaving nothing', TEST_TIMEOUT, async () => {
    const b = podBundle('true', [{ destination: '/ksys', type: 'bind', source: '/sys/kernel', options: ['bind', 'idmap'] }]);
    const id = uniqueId('idmap-sysfs');
    try {
      const r = await sut.exec(['create', '--bundle', b.dir, id]);
      assert.notEqual(r.code, 0, describeResult(r));
      assert.match(r.stderr, /id-mapped mount \/ksys: mount_setattr MOUNT_ATTR_IDMAP \/sys\/kernel: invalid argument \(its filesystem cannot be id-mapped by this kernel\)/, r.stderr);
      assert.deepEqual(sut.listedIds(), [], 'no state directory is left');
      assert.deepEqual(await waitNoRelatedProcesses({ ids: [id], paths: [b.dir] }), []);
      assert.deepEqual(hostMountsMentioning([b.dir]), []);
    } finally {
      await sut.deleteForce(id);
      b.cleanup();
    }
  });

  test('bad id-mapped mounts are refused before anything exists, naming the JSON path', TEST_TIMEOUT, async () => {
    const dir = volume('bad', 0, 0);
    const cases: { mounts: (Mount & Record<string, unknown>)[]; userns: boolean; want: RegExp }[] = [
      { mounts: [{ destination: '/t', type: 'tmpfs', source: 'tmpfs', options: ['idmap'] }], userns: true, want: /\/mounts\/\d+\/options\/0: an id-mapped mount must be a bind mount/ },
      { mounts: [{ destination: '/t', type: 'bind', source: dir, options: ['bind', 'idmap'], uidMappings: [], gidMappings: [] }], userns: true, want: /\/mounts\/\d+\/uidMappings: must not be empty/ },
      { mounts: [{ destination: '/t', type: 'bind', source: dir, options: ['bind', 'ridmap'] }], userns: false, want: /\/mounts\/\d+\/options\/1: \\?"ridmap\\?" needs uidMappings and gidMappings on the mount or a user namespace/ },
      { mounts: [{ destination: '/t', type: 'bind', source: dir, options: ['bind', 'idmap'], uidMappings: POD_MAPS.uidMappings }], userns: true, want: /\/mounts\/\d+\/gidMappings: is required when uidMappings is set/ },
    ];
    for (const c of cases) {
      const b = podBundle('true', c.mounts);
      if (!c.userns) {
        b.spec.linux.namespaces = b.spec.linux.namespaces.filter((n) => n.type !== 'user');
        delete b.spec.linux.uidMappings;
        delete b.spec.linux.gidMappings;
        b.writeSpec();
      }
      const id = uniqueId('idmap-bad');
      try {
        const r = await sut.exec(['create', '--bundle', b.dir, id]);
        assert.notEqual(r.code, 0, describeResult(r));
        assert.match(r.stderr, c.want, r.stderr);
        assert.deepEqual(sut.listedIds(), []);
        const v = await sut.exec(['validate', '--bundle', b.dir]);
        assert.notEqual(v.code, 0, describeResult(v));
        assert.match(v.stdout + v.stderr, c.want);
      } finally {
        await sut.deleteForce(id);
        b.cleanup();
      }
    }
  });
});

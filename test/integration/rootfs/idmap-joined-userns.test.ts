// Id-mapped bind mounts in a container that joins an existing user namespace by path (and so has
// no linux.uidMappings of its own): runtime-spec 1.3.0 lets an idmap/ridmap mount without mappings
// take "the container's user namespace mapping", which here is the joined namespace's (runc 1.2+
// passes that namespace itself to mount_setattr); a mount with its own uidMappings/gidMappings
// keeps those. Checked from both sides: owners inside (stat, mountinfo's "idmapped") and on the
// host's disk. runc 1.1.5 has no id-mapped mounts, so only tsrunc runs.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeBundle } from '../../helpers/rootfs';
import { makeScratch, removeScratch, volume as hostVolume } from '../../helpers/idmap';
import type { Bundle, Mount } from '../../helpers/rootfs';
import { Runtime, describeResult, hostMountsMentioning, uniqueId, waitNoRelatedProcesses } from '../../helpers/runtime';
import { keyed, TEST_TIMEOUT } from '../../helpers/suite';

const sut = new Runtime('tsrunc');
after(async () => { await sut.cleanupAll(); });

// The joined namespace maps 0-65535 to host 300000-365535 (a range no other test file uses).
const HOST_ID = 300000;
const RANGE = 65536;
const OVERFLOW = Number(fs.readFileSync('/proc/sys/kernel/overflowuid', 'utf8').trim());

let holder: ChildProcess | undefined;
let scratch = '';

/** A process sleeping in a fresh user namespace whose maps root writes from outside. */
async function userNamespaceHolder(): Promise<number> {
  const child = spawn('unshare', ['--user', 'sleep', '600'], { stdio: 'ignore' });
  holder = child;
  const pid = child.pid!;
  const own = fs.readlinkSync('/proc/self/ns/user');
  const deadline = Date.now() + 20_000;
  // unshare execs sleep once the namespace exists: wait for the namespace, not a fixed time.
  while (fs.readlinkSync(`/proc/${pid}/ns/user`) === own || !fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sleep')) {
    if (Date.now() > deadline) throw new Error('unshare --user did not make its namespace');
    await new Promise((r) => setTimeout(r, 20));
  }
  fs.writeFileSync(`/proc/${pid}/uid_map`, `0 ${HOST_ID} ${RANGE}\n`);
  fs.writeFileSync(`/proc/${pid}/gid_map`, `0 ${HOST_ID} ${RANGE}\n`);
  return pid;
}

let holderPid = 0;
before(async () => {
  scratch = makeScratch('tsrunc-idmap-join-');
  holderPid = await userNamespaceHolder();
});
after(() => {
  holder?.kill('SIGKILL');
  removeScratch(scratch);
});

const volume = (name: string, uid: number, gid: number): string => hostVolume(scratch, name, uid, gid, 1001);

/** A container joining the holder's user namespace by path, with no id mappings of its own. */
function joinedBundle(script: string, mounts: (Mount & Record<string, unknown>)[]): Bundle {
  const b = makeBundle({
    args: ['sh', '-c', `exec 2>&1; ${script}`],
    namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network' }, { type: 'user', path: `/proc/${holderPid}/ns/user` }],
    mutate: (s) => {
      delete s.linux.uidMappings;
      delete s.linux.gidMappings;
      // A sysfs belongs to the network namespace's owner; no cgroup mount (not what this is about).
      s.mounts = s.mounts.filter((m) => m.destination !== '/sys/fs/cgroup');
      s.mounts.push(...mounts);
    },
  });
  // The joined namespace's root cannot search a 0700 bundle nor make mount points in a host-root image.
  fs.chmodSync(b.dir, 0o755);
  for (const m of mounts) fs.mkdirSync(path.join(b.rootfs, m.destination), { recursive: true });
  return b;
}

const owner = (p: string): string => { const st = fs.statSync(p); return `${st.uid}:${st.gid}`; };

describe('id-mapped mounts with a joined user namespace (tsrunc; runc 1.1.5 has none)', () => {
  test('idmap without mappings takes the joined namespace\'s; a mount\'s own mappings are kept', TEST_TIMEOUT, async () => {
    const joined = volume('joined', 0, 0);                 // disk 0 is the joined namespace's 0 (host 300000)
    const own = volume('own', 5000, 5000);                 // its own mapping: disk 5000 is host 300000, the container's 0
    const plain = volume('plain', HOST_ID, HOST_ID);       // no idmap: the host's ids as the namespace maps them
    const b = joinedBundle([
      'echo "uid $(id -u)"',
      'echo "uidmap $(cat /proc/self/uid_map)"',
      'for v in joined own plain; do echo "$v $(stat -c %u:%g /$v) $(stat -c %u:%g /$v/hostfile)"; done',
      'for v in joined own; do touch /$v/made && mkdir /$v/dir && echo "$v-write ok"; done',
      'for v in joined own; do echo "$v-opts $(grep " /$v " /proc/self/mountinfo | cut -d" " -f6)"; done',
    ].join('; '), [
      { destination: '/joined', type: 'bind', source: joined, options: ['rbind', 'idmap'] },
      {
        destination: '/own', type: 'bind', source: own, options: ['bind', 'idmap'],
        uidMappings: [{ containerID: 5000, hostID: HOST_ID, size: 1 }], gidMappings: [{ containerID: 5000, hostID: HOST_ID, size: 1 }],
      },
      { destination: '/plain', type: 'bind', source: plain, options: ['rbind'] },
    ]);
    try {
      const r = await sut.runToCompletion(b.dir, uniqueId('idmap-join'));
      assert.equal(r.code, 0, describeResult(r.result));
      const o = keyed(r.stdout);
      const text = r.stdout;
      // The container is the joined namespace's root.
      assert.equal(o.get('uid'), '0', text);
      assert.deepEqual(o.get('uidmap')?.split(/\s+/), ['0', String(HOST_ID), String(RANGE)], text);
      // Inside: disk ids read through the joined namespace's mapping (0 → 0, 1000 → 1000); without
      // that mapping host 0 would be unmapped there and show as the overflow id.
      assert.equal(o.get('joined'), '0:0 1000:1001', text);
      assert.equal(o.get('own'), `0:0 ${OVERFLOW}:${OVERFLOW}`, text);
      assert.equal(o.get('plain'), `0:0 1000:1001`, text);
      for (const v of ['joined', 'own']) {
        assert.equal(o.get(`${v}-write`), 'ok', text);
        assert.match(o.get(`${v}-opts`) ?? '', /(^|,)idmapped(,|$)/, `${v} should be id-mapped\n${text}`);
      }
      // Outside: what the container's root wrote lands as the ids each mount maps it to.
      assert.equal(owner(path.join(joined, 'made')), '0:0');
      assert.equal(owner(path.join(joined, 'dir')), '0:0');
      assert.equal(owner(path.join(own, 'made')), '5000:5000');
      assert.equal(owner(path.join(own, 'dir')), '5000:5000');
    } finally {
      b.cleanup();
    }
  });

  test('mappings beside the path must be the joined namespace\'s own (containerd sends both): others are refused, leaving nothing', TEST_TIMEOUT, async () => {
    const maps = (hostID: number): Record<string, unknown> => ({
      uidMappings: [{ containerID: 0, hostID, size: RANGE }], gidMappings: [{ containerID: 0, hostID, size: RANGE }],
    });
    const same = joinedBundle('echo "uidmap $(cat /proc/self/uid_map)"', []);
    Object.assign(same.spec.linux, maps(HOST_ID));
    same.writeSpec();
    const other = joinedBundle('true', []);
    Object.assign(other.spec.linux, maps(HOST_ID + RANGE));
    other.writeSpec();
    const id = uniqueId('idmap-join-other');
    try {
      const ok = await sut.runToCompletion(same.dir, uniqueId('idmap-join-same'));
      assert.equal(ok.code, 0, describeResult(ok.result));
      assert.deepEqual(keyed(ok.stdout).get('uidmap')?.split(/\s+/), ['0', String(HOST_ID), String(RANGE)]);
      const r = await sut.exec(['run', '--bundle', other.dir, id]);
      assert.notEqual(r.code, 0, describeResult(r));
      assert.match(r.stderr, new RegExp(`config.json: /linux/uidMappings: 0 ${HOST_ID + RANGE} ${RANGE} is not the mapping of the user namespace joined at /proc/${holderPid}/ns/user \\(0 ${HOST_ID} ${RANGE}\\)`), r.stderr);
      assert.deepEqual(sut.listedIds(), [], 'no state directory is left');
      assert.deepEqual(await waitNoRelatedProcesses({ ids: [id], paths: [other.dir] }), []);
      assert.deepEqual(hostMountsMentioning([other.dir]), []);
    } finally {
      await sut.deleteForce(id);
      same.cleanup();
      other.cleanup();
    }
  });

  test('the joined namespace is entered as its root: the tmpfs /dev and its nodes are made, the devices bound', TEST_TIMEOUT, async () => {
    const b = joinedBundle('echo "dev $(stat -c %u:%g /dev) pts $(stat -c %F /dev/pts) null $(stat -c %t:%T /dev/null)"', []);
    try {
      const r = await sut.runToCompletion(b.dir, uniqueId('idmap-join-dev'));
      assert.equal(r.code, 0, describeResult(r.result));
      assert.equal(keyed(r.stdout).get('dev'), '0:0 pts directory null 1:3', r.stdout);
    } finally {
      b.cleanup();
    }
  });
});

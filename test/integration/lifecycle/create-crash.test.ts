// A create killed with SIGKILL at any step leaves only what `delete --force` removes: the state
// directory, the cgroups it recorded in cgroup.json, the mounts a container without its own mount
// namespace put in the runtime's table (recorded in host-mounts), and no process (the launcher
// kills the init when tsrunc goes away). TSRUNC_TEST_CRASH_AT makes tsrunc kill itself right
// after the named step of its undo stack (src/container/undo.ts).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { mountsUnder, type Bundle } from '../../helpers/rootfs';
import { describeResult } from '../../helpers/runtime';
import { expectOk, runtimesForSuite, TEST_TIMEOUT, withContainer } from '../../helpers/suite';

const { sut } = runtimesForSuite();

/** Every directory of the container's cgroupsPath in the host's hierarchies (v1, unified, pure v2). */
function cgroupDirs(b: Bundle): string[] {
  const rel = String(b.spec.linux.cgroupsPath);
  const roots = ['/sys/fs/cgroup', ...fs.readdirSync('/sys/fs/cgroup').map((h) => path.join('/sys/fs/cgroup', h))];
  return roots.map((r) => path.join(r, rel)).filter((d) => fs.existsSync(d));
}

interface Point { step: string; ownMountNamespace: boolean; leaves: { cgroups: boolean; mounts: boolean; state: boolean } }

const POINTS: Point[] = [
  { step: 'the state directory', ownMountNamespace: true, leaves: { cgroups: false, mounts: false, state: false } },
  { step: 'the cgroups', ownMountNamespace: true, leaves: { cgroups: true, mounts: false, state: false } },
  { step: 'the launcher', ownMountNamespace: true, leaves: { cgroups: true, mounts: false, state: false } },
  { step: 'state.json', ownMountNamespace: true, leaves: { cgroups: true, mounts: false, state: true } },
  { step: 'the launcher', ownMountNamespace: false, leaves: { cgroups: true, mounts: true, state: false } },
  { step: 'state.json', ownMountNamespace: false, leaves: { cgroups: true, mounts: true, state: true } },
];

describe('create killed at a step, then delete --force', () => {
  for (const p of POINTS) {
    const name = `after ${p.step}${p.ownMountNamespace ? '' : ' (no mount namespace: mounts in the runtime\'s table)'}`;
    test(name, TEST_TIMEOUT, async () => {
      await withContainer(sut, 'crash', {
        args: ['sleep', '60'],
        readonly: p.ownMountNamespace,
        mutate: (s) => {
          s.linux.resources = { ...(s.linux.resources ?? {}), pids: { limit: 77 } };
          if (p.ownMountNamespace) return;
          s.linux.namespaces = s.linux.namespaces.filter((n) => n.type !== 'mount');
          delete s.linux.maskedPaths;
          delete s.linux.readonlyPaths;
        },
      }, async (b, id) => {
        process.env.TSRUNC_TEST_CRASH_AT = p.step;
        let r;
        try {
          r = await sut.exec(['create', '--bundle', b.dir, id]);
        } finally {
          delete process.env.TSRUNC_TEST_CRASH_AT;
        }
        assert.equal(r.signal, 'SIGKILL', `create should have been killed at "${p.step}"\n${describeResult(r)}`);
        const stateDir = path.join(sut.root, id);
        assert.ok(fs.existsSync(stateDir), 'the crash leaves the state directory');
        assert.equal(fs.existsSync(path.join(stateDir, 'state.json')), p.leaves.state, 'state.json');
        if (p.leaves.cgroups) assert.notDeepEqual(cgroupDirs(b), [], 'the crash leaves the cgroups');
        if (p.leaves.mounts) assert.notDeepEqual(mountsUnder(b.rootfs), [], 'the crash leaves mounts below the rootfs');

        expectOk(await sut.exec(['delete', '--force', id]), 'delete --force');
        assert.ok(!fs.existsSync(stateDir), 'the state directory is gone');
        assert.deepEqual(cgroupDirs(b), [], 'no cgroup is left');
        assert.deepEqual(mountsUnder(b.rootfs), [], 'no mount is left below the rootfs');
        const list = await sut.exec(['list', '-q']);
        assert.ok(!list.stdout.split('\n').includes(id), 'list no longer shows it');
      });
    });
  }
});

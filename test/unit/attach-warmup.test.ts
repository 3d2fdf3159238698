// The choices behind the cgroup attach warm-up (src/cgroups/attach-warmup.ts): when the launcher
// will write a cgroup.procs at all, and which file of the runtime's own cgroup the write that
// moves nothing goes to. What the write does on a real host is in
// test/integration/cgroups/attach-warmup.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launcherWritesProcs, ownProcsFile } from '../../src/cgroups/attach-warmup';
import type { CgroupHost, V1Hierarchy } from '../../src/cgroups/host';

const v1 = (controllers: string[], ownPath: string, mountRoot = '/'): V1Hierarchy =>
  ({ controllers, mountPoint: `/sys/fs/cgroup/${controllers.join(',') || 'systemd'}`, mountRoot, ownPath });

test('the launcher writes cgroup.procs for every v1 hierarchy, not for the cgroup clone3 places the init in', () => {
  const unified = '/sys/fs/cgroup/unified/c';
  assert.equal(launcherWritesProcs(undefined, false), false, 'no cgroup');
  assert.equal(launcherWritesProcs({ intoCgroup: unified, procsFiles: [`${unified}/cgroup.procs`] }, false), false, 'pure v2: placed at birth');
  assert.equal(launcherWritesProcs({ procsFiles: ['/sys/fs/cgroup/pids/c/cgroup.procs'] }, false), true, 'v1');
  assert.equal(launcherWritesProcs({ intoCgroup: unified, procsFiles: ['/sys/fs/cgroup/pids/c/cgroup.procs', `${unified}/cgroup.procs`] }, false), true, 'hybrid');
  // In a user namespace the launcher writes even the file clone3 would have used.
  assert.equal(launcherWritesProcs({ intoCgroup: unified, procsFiles: [`${unified}/cgroup.procs`] }, true), true, 'v2, user namespace');
  assert.equal(launcherWritesProcs({ procsFiles: [] }, true), false, 'nothing to write');
});

test('the write goes to the runtime\'s own cgroup in a v1 hierarchy other than memory', () => {
  const host: CgroupHost = { kind: 'hybrid', v1: [v1(['memory'], '/super/visor'), v1(['cpu', 'cpuacct'], '/a/b'), v1(['pids'], '/c')] };
  assert.equal(ownProcsFile(host), '/sys/fs/cgroup/cpu,cpuacct/a/b/cgroup.procs');
  assert.equal(ownProcsFile({ kind: 'v1', v1: [v1(['memory'], '/x'), v1(['pids'], '/')] }), '/sys/fs/cgroup/pids/cgroup.procs');
});

test('a hierarchy mounted from a sub-cgroup: the own cgroup is found below the mount, or not at all', () => {
  assert.equal(ownProcsFile({ kind: 'v1', v1: [v1(['pids'], '/kube/pod1/ctr', '/kube/pod1')] }), '/sys/fs/cgroup/pids/ctr/cgroup.procs');
  assert.equal(ownProcsFile({ kind: 'v1', v1: [v1(['pids'], '/elsewhere', '/kube/pod1')] }), undefined);
});

test('no v1 hierarchy but memory, or none at all: nothing is written', () => {
  assert.equal(ownProcsFile({ kind: 'v1', v1: [v1(['memory'], '/')] }), undefined);
  assert.equal(ownProcsFile({ kind: 'v2', v1: [], unified: { mountPoint: '/sys/fs/cgroup', mountRoot: '/', ownPath: '/', controllers: [] } }), undefined);
});

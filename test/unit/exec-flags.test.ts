// exec's --cgroup argument parsing, without a container: runc's forms and refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSubCgroups } from '../../src/container/exec';

test('--cgroup: PATH alone is the v2 path; CONTROLLER[,CONTROLLER]:PATH for v1, one path per controller', () => {
  assert.deepEqual(parseSubCgroups([]), {});
  assert.deepEqual(parseSubCgroups(['sub']), { '': 'sub' });
  assert.deepEqual(parseSubCgroups(['pids:a', 'cpu,cpuacct:b/c']), { pids: 'a', cpu: 'b/c', cpuacct: 'b/c' });
  assert.deepEqual(parseSubCgroups(['memory:x:y']), { memory: 'x:y' }, 'only the first colon separates');
});

test('--cgroup: refused with runc\'s words when a path lacks its controller, a controller is empty or repeated', () => {
  assert.throws(() => parseSubCgroups(['a', 'pids:b']), (e: Error) => e.message === 'invalid --cgroup argument: a (missing <controller>: prefix)');
  assert.throws(() => parseSubCgroups([':sub']), (e: Error) => e.message === 'invalid --cgroup argument: :sub (empty <controller> prefix)');
  assert.throws(() => parseSubCgroups([',pids:x']), (e: Error) => e.message === 'invalid --cgroup argument: ,pids:x (empty <controller> prefix)');
  assert.throws(() => parseSubCgroups(['pids:a', 'cpu,pids:b']), (e: Error) => e.message === 'invalid --cgroup argument(s): controller pids specified multiple times');
});

// A rootless user with a delegated cgroup v2 subtree: test/guest/rootless-cgroup2.guest.ts, run in
// a pure cgroup v2 user-mode-linux guest (scripts/cgroup2-vm), since this host is hybrid and only
// cgroup v2 can be delegated to a user safely. One boot for every case (~40 s).
import { test } from 'node:test';
import { guestSuite } from '../../helpers/cgroup2-vm';
import { testUserSkip } from '../../helpers/test-user';

// The guest runs the host's own root: what the test user needs there is what it needs here.
if (testUserSkip) test('rootless-cgroup2 (in a pure cgroup2 guest)', (t) => { t.skip(`the guest's test user cannot be made: ${testUserSkip}`); });
else guestSuite('rootless-cgroup2', { timeoutSec: 400 });

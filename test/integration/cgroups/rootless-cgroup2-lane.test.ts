// A rootless user with a delegated cgroup v2 subtree: test/guest/rootless-cgroup2.guest.ts, run in
// a pure cgroup v2 user-mode-linux guest (scripts/cgroup2-vm), since this host is hybrid and only
// cgroup v2 can be delegated to a user safely. One boot for every case.
import { guestSuite } from '../../helpers/cgroup2-vm';

guestSuite('rootless-cgroup2', { timeoutSec: 400 });

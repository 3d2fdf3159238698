// The cgroup v2 driver on a pure cgroup v2 host: test/guest/cgroups-v2.guest.ts, run in a
// user-mode-linux guest (scripts/cgroup2-vm), since this CI host is hybrid.
import { guestSuite } from '../../helpers/cgroup2-vm';

guestSuite('cgroups-v2', { timeoutSec: 400 });

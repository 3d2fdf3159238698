// pause/resume and update of a live container on a pure cgroup v2 host: test/guest/cgroups-v2-live.guest.ts,
// run in a user-mode-linux guest (scripts/cgroup2-vm), since this CI host is hybrid.
import { guestSuite } from '../../helpers/cgroup2-vm';

guestSuite('cgroups-v2-live', { timeoutSec: 400 });

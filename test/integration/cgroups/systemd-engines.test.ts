// An engine using the systemd cgroup driver on tsrunc: podman with cgroup_manager = "systemd", in
// the systemd lane (test/guest/systemd-engines.guest.ts, one guest boot).
import { guestSuite } from '../../helpers/cgroup2-vm';

guestSuite('systemd-engines', { lane: 'systemd', timeoutSec: 300 });

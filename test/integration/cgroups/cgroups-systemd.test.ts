// The systemd cgroup driver (--systemd-cgroup) against a real systemd 252 and runc 1.1.5's driver
// as the reference: test/guest/cgroups-systemd.guest.ts in the systemd lane (scripts/systemd-vm),
// one guest boot. On this hybrid host without systemd, --systemd-cgroup is refused up front
// (test/cgroups.test.ts).
import { guestSuite } from '../../helpers/cgroup2-vm';

guestSuite('cgroups-systemd', { lane: 'systemd', timeoutSec: 400 });

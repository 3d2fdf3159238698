// The systemd lane (scripts/systemd-vm/: the cgroup2 lane's guest with systemd 252 as PID 1):
// test/guest/systemd-lane.guest.ts checks what the lane promises, in one guest boot.
import { guestSuite } from '../../helpers/cgroup2-vm';

guestSuite('systemd-lane', { lane: 'systemd', timeoutSec: 180, env: { SDLANE_DBUS: '1' } });

#!/bin/bash
# ExecStart of sdlane-cmd.service in the guest (systemd is PID 1): waits until systemd's boot
# transaction is over, then runs the job as the cgroup2 lane does (job-run.sh: relays, cmd.sh,
# status). The unit's SuccessAction/FailureAction then powers the guest off.
J=/run/cg2vm/job
read -r up0 _ < /proc/uptime
# "ready": the boot transaction is over (this unit is Type=exec, so it does not hold it up).
ready=$(systemctl is-system-running --wait 2>&1)
read -r up1 _ < /proc/uptime
echo "sdlane: exec-systemd=$(cat /run/cg2vm/t-exec-systemd)s unit-start=${up0}s system=$ready at ${up1}s (guest uptime)" > "$J/timing"
export SDLANE_GUEST=1 SDLANE_READY_AT=$up1 SDLANE_STATE=$ready
/bin/sh "$(dirname "$0")/../cgroup2-vm/job-run.sh"
exit 0

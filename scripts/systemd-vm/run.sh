#!/bin/bash
# scripts/systemd-vm/run.sh — the systemd test lane: runs a command under a real systemd (Debian's
# systemd 252 as PID 1) in the pure cgroup v2 guest of scripts/cgroup2-vm. Adapted from the shared
# tool tools/systemd-vm (its README has the feasibility checks and the traps).
#
# usage: as scripts/cgroup2-vm/run.sh (same arguments, same CG2VM_* knobs, same exit status).
# The guest is that lane's (same kernel cache, root, xstate shim, supervisor, cleanup); only what
# PID 1 does once the root is built differs: init-systemd.sh execs systemd, which starts
# sdlane-cmd.service; that runs the command and powers the guest off.
#
# The command runs as root in /system.slice/sdlane-cmd.service (Delegate=yes), after
# `systemctl is-system-running --wait`, with SDLANE_GUEST=1 in its environment. systemd listens on
# /run/systemd/private (a peer socket: EXTERNAL auth, no Hello). No journald: systemd logs to the
# console (CG2VM_DEBUG=1 shows it). ~1-1.5 s more per run than the cgroup2 lane.
#
# Knobs (besides CG2VM_*):
#   SDLANE_DBUS=1           also dbus-daemon (dbus.service): org.freedesktop.systemd1 on the system
#                           bus /run/dbus/system_bus_socket (~0.8 s more)
#   SDLANE_GENERATORS=1     keep systemd's generators (hidden by default: ~3 s under UML)
#   SDLANE_LOGLEVEL=notice  systemd's --log-level (debug with CG2VM_DEBUG=1 to see it all)
#   SDLANE_SHOW_STATUS=0    systemd's --show-status
#   SDLANE_SHUTDOWN=poweroff-immediate   the command unit's SuccessAction=/FailureAction=
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
[ -x /lib/systemd/systemd ] || { echo "sdlane: /lib/systemd/systemd is missing (apt-get install systemd; scripts/setup.sh)" >&2; exit 125; }
export SDLANE_HERE=$HERE
export CG2VM_INIT_TAIL=$HERE/init-systemd.sh
export CG2VM_INIT_VARS="SDLANE_HERE SDLANE_DBUS SDLANE_GENERATORS SDLANE_LOGLEVEL SDLANE_SHOW_STATUS SDLANE_SHUTDOWN"
exec "$HERE/../cgroup2-vm/run.sh" "$@"

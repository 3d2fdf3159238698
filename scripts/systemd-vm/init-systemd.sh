# Sourced by scripts/cgroup2-vm/uml-init.sh (busybox ash, PID 1) once the guest's root is built and
# pivoted into: hands PID 1 to systemd. Variables from the job config: SDLANE_* (see run.sh).

# The generators cost ~3 s under UML (every exec 20-70 ms) and none is needed here.
if [ "${SDLANE_GENERATORS:-0}" != 1 ]; then
	mount -t tmpfs -o mode=0755 sdlane-nogen /usr/lib/systemd/system-generators
fi
# The host's /.dockerenv (seen through the overlay) makes systemd run in container mode
# ("Detected virtualization docker"); a whiteout in the tmpfs upper layer hides it.
rm -f /.dockerenv /run/.containerenv

# Runtime units (/run is a fresh tmpfs): sdlane.target pulls only sdlane-cmd.service, which runs
# the command (sdlane-cmd.sh) and powers the guest off when it ends.
U=/run/systemd/system
mkdir -p $U
printf '[Unit]\nDescription=sdlane: run the test command\nWants=sdlane-cmd.service\n' > $U/sdlane.target
{
	echo "[Unit]"
	echo "Description=sdlane test command"
	echo "DefaultDependencies=no"
	echo "SuccessAction=${SDLANE_SHUTDOWN:-poweroff-immediate}"
	echo "FailureAction=${SDLANE_SHUTDOWN:-poweroff-immediate}"
	[ "${SDLANE_DBUS:-0}" = 1 ] && echo "Wants=dbus.service" && echo "After=dbus.service"
	echo "[Service]"
	echo "Type=exec"
	echo "ExecStart=$SDLANE_HERE/sdlane-cmd.sh"
	echo "StandardInput=null"
	echo "StandardOutput=tty"
	echo "StandardError=tty"
	echo "TTYPath=/dev/console"
	echo "Delegate=yes"
	echo "TasksMax=infinity"
} > $U/sdlane-cmd.service
if [ "${SDLANE_DBUS:-0}" = 1 ]; then
	# Without these, dbus.socket/dbus.service pull sysinit.target and basic.target (udev, journald...).
	for u in dbus.socket dbus.service; do
		mkdir -p $U/$u.d
		printf '[Unit]\nDefaultDependencies=no\n' > $U/$u.d/sdlane.conf
	done
fi
cut -d' ' -f1 /proc/uptime > /run/cg2vm/t-exec-systemd
exec /lib/systemd/systemd --system --unit=sdlane.target --log-target=console \
	--log-level="${SDLANE_LOGLEVEL:-notice}" --show-status="${SDLANE_SHOW_STATUS:-0}"
die "exec systemd failed"

#!/bin/busybox sh
# PID 1 of the cgroup2 lane's guest (user-mode-linux, booted by run.sh via supervise.sh; taken
# unchanged from the shared tool tools/cgroup2-vm). Runs with the host's
# busybox-static ash (cheap forks: every exec costs ~20-70 ms under UML) on the
# boot root = the host's "/" over hostfs, read-only.
#   1. builds the final root: overlay(lower = host "/" via hostfs ro,
#      upper = tmpfs), writable hostfs binds of the job dir, the cwd and
#      CG2VM_RW paths, fresh /run, proc/sys/dev/devpts/shm/mqueue,
#      cgroup2 at /sys/fs/cgroup with every available controller enabled;
#   2. pivot_root's into it and runs $J/cmd.sh (written by run.sh) through
#      job-run.sh, which relays its stdout/stderr to host fds (UML consoles
#      tty1/tty2) and writes its exit status to $J/status; or, when the job
#      config names an INIT_TAIL (another lane's script), sources that instead;
#   3. powers off.
# Env from the kernel command line: CG2VM_JOB (host path of the job dir).
BB=/bin/busybox
# busybox runs applets through /proc/self/exe: mount the guest's /proc first
# (before that, /proc is the HOST's /proc seen through hostfs).
$BB mount -t proc -o nosuid,nodev,noexec proc /proc || { echo "cg2vm-init: mount /proc failed" > /dev/console; $BB poweroff -f; }
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

say() { echo "cg2vm-init: $*" > /dev/console; }
die() {
	say "FATAL: $*"
	[ -d /run/cg2vm/job ] && echo 125 > /run/cg2vm/job/status
	sync
	$BB poweroff -f
}

mount -t sysfs -o nosuid,nodev,noexec sysfs /sys || die "mount /sys"
[ -n "$CG2VM_JOB" ] || die "no CG2VM_JOB on the kernel command line"

# Scratch space (the boot root is read-only hostfs; /run exists on the host).
mount -t tmpfs -o mode=0755 cg2vm-scratch /run || die "tmpfs /run"
S=/run
mkdir -p $S/job $S/lower $S/upper $S/root
mount -t hostfs -o "$CG2VM_JOB" hostfs $S/job || die "hostfs job dir $CG2VM_JOB"
. $S/job/config || die "read config"

$BB insmod "$KMODDIR/kernel/fs/overlayfs/overlay.ko" 2> /dev/null
mount -r -t hostfs -o / hostfs $S/lower || die "hostfs /"
mount -t tmpfs -o mode=0755 cg2vm-upper $S/upper || die "tmpfs upper"
mkdir -p $S/upper/u $S/upper/w
R=$S/root
if ! mount -t overlay -o lowerdir=$S/lower,upperdir=$S/upper/u,workdir=$S/upper/w cg2vm-root $R; then
	say "overlay root failed; using read-only root + tmpfs /tmp /var /root"
	mount --bind $S/lower $R || die "bind root"
	for d in tmp var root; do mount -t tmpfs tmpfs "$R/$d"; done
fi

mount -t tmpfs -o nosuid,nodev,mode=0755 tmpfs $R/run || die "tmpfs /run in root"
mkdir -p $R/run/cg2vm/job $R/run/cg2vm/bin
mount --move $S/job $R/run/cg2vm/job || die "move job"

i=0
while [ "$i" -lt "${NRW:-0}" ]; do
	eval "p=\$RW$i"
	mkdir -p "$R$p"
	mount -t hostfs -o "$p" hostfs "$R$p" || die "writable hostfs $p"
	i=$((i + 1))
done

KVER=$(uname -r)
if [ -n "$KMODDIR" ] && [ -d "$R$KMODDIR" ]; then
	mkdir -p "$R/lib/modules/$KVER"
	mount --bind "$R$KMODDIR" "$R/lib/modules/$KVER"
fi

mount -t devtmpfs -o nosuid,mode=0755 devtmpfs $R/dev || die "devtmpfs"
mkdir -p $R/dev/pts $R/dev/shm $R/dev/mqueue
mount -t devpts -o nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5 devpts $R/dev/pts
mount -t tmpfs -o nosuid,nodev,mode=1777 shm $R/dev/shm
mount -t mqueue -o nosuid,nodev,noexec mqueue $R/dev/mqueue
ln -sf /proc/self/fd $R/dev/fd
ln -sf /proc/self/fd/0 $R/dev/stdin
ln -sf /proc/self/fd/1 $R/dev/stdout
ln -sf /proc/self/fd/2 $R/dev/stderr
# Fresh proc/sys instances (not --move: the applets need /proc/self/exe).
mount -t proc -o nosuid,nodev,noexec proc $R/proc || die "mount proc in root"
mount -t sysfs -o nosuid,nodev,noexec sysfs $R/sys || die "mount sysfs in root"

# Pure cgroup v2, mounted like systemd does; every controller on at the root.
C=$R/sys/fs/cgroup
mount -t cgroup2 -o nosuid,nodev,noexec,nsdelegate,memory_recursiveprot cgroup2 $C || die "mount cgroup2"
for c in $(cat $C/cgroup.controllers); do
	echo "+$c" > $C/cgroup.subtree_control || say "cannot enable controller $c"
done
mount -t bpf -o nosuid,nodev,noexec,mode=0700 bpf $R/sys/fs/bpf 2> /dev/null

$BB hostname cg2vm
$BB ip link set lo up 2> /dev/null
for a in modprobe insmod rmmod lsmod poweroff; do ln -s /bin/busybox "$R/run/cg2vm/bin/$a"; done
echo /run/cg2vm/bin/modprobe > $R/proc/sys/kernel/modprobe

cd $R || die "cd root"
pivot_root . . || die "pivot_root"
umount -l . 2> /dev/null
cd /

# Another lane takes PID 1 over from here (scripts/systemd-vm: systemd, which runs the job).
[ -z "${INIT_TAIL:-}" ] || . "$INIT_TAIL"

/bin/sh "${0%/*}/job-run.sh"
$BB poweroff -f

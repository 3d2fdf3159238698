#!/bin/bash
# scripts/cgroup2-vm/run.sh — the project's pure cgroup v2 test lane: runs a command as root on a
# pure cgroup v2 host, a throw-away user-mode-linux guest that sees the host's own filesystem.
# Adapted from the shared tool tools/cgroup2-vm (its README has the measurements and why KVM is
# not usable on this machine). This host is hybrid, so cgroup v2 behaviour is tested here.
#
# usage: run.sh -- PROGRAM [ARG...]      argv exec'd in the guest (what the tests use)
#        run.sh PROGRAM [ARG...]         the same, when PROGRAM does not start with "-"
#        run.sh 'SHELL COMMAND'          one argument: run with bash -c
#
# Needs: root, and the kernel unpacked by prepare.sh (scripts/setup.sh runs it; the Debian mirror
# is needed once). Debian's user-mode-linux is a Linux 6.1 kernel that runs as ordinary host
# processes (ptrace, no KVM). UML is started with a small ptrace shim preloaded (xstate-shim.c,
# built into the cache with cc), without which it cannot boot on a CPU with AMX: see README.md.
#
# Inside the guest (built by uml-init.sh, the guest's PID 1):
#   /              overlay: host "/" over hostfs READ-ONLY + tmpfs upper (writes are discarded)
#   $PWD           the host's current directory, writable hostfs (writes reach the host)
#   $CG2VM_RW      extra ':'-separated host dirs, writable
#   /run           fresh tmpfs;  /proc /sys /dev /dev/pts /dev/shm /dev/mqueue
#   /sys/fs/cgroup cgroup2 (nsdelegate,memory_recursiveprot); the root's subtree_control has
#                  every controller the kernel has: cpu io memory pids (no SMP -> no cpuset;
#                  no hugetlb/rdma/misc). 1 CPU, no network but lo.
#   CG2VM_GUEST=1  set in the command's environment (never passed in from the caller).
# The command runs as root in $PWD with the caller's environment (CG2VM_* names left out), stdin
# from /dev/null, stdout/stderr relayed to ours. Exit status: the command's; 125 when the guest
# failed or the lane is not prepared; 124 on CG2VM_TIMEOUT.
#
# Nothing outlives a run, even a killed one: the guest is booted by supervise.sh in a session of
# its own, which removes the guest (and its job dir /tmp/cg2vm.*) when this script ends in any
# way (SIGKILL included, through PR_SET_PDEATHSIG) and outlives a kill of our process group.
#
# Environment knobs:
#   CG2VM_MEM=1G                 guest RAM (a sparse, already unlinked file in /dev/shm)
#   CG2VM_RW=/a:/b               more writable dirs (the cwd is shared unless it is "/" or
#                                CG2VM_NO_CWD=1)
#   CG2VM_TIMEOUT=SECONDS        stop the guest after that long (exit 124)
#   CG2VM_DEBUG=1                guest console (kernel + init) live on stderr
#   CG2VM_DISK=64M               a sparse scratch disk as /dev/ubda (98:0), for io.max tests
#   CG2VM_KEEP_ENV=0             do not pass the caller's environment
#   CG2VM_CACHE=/var/tmp/cgroup2-vm   where prepare.sh unpacked the kernel
#   CG2VM_INIT_TAIL=SCRIPT       (for another lane, scripts/systemd-vm) a guest script PID 1
#                                sources once the root is built, instead of running the job itself
#   CG2VM_INIT_VARS='A B'        names of variables passed to that script (not to the command)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
CACHE=${CG2VM_CACHE:-/var/tmp/cgroup2-vm}

log() { echo "cg2vm: $*" >&2; }
die() { log "$*"; exit 125; }

[ "$(id -u)" = 0 ] || die "must run as root"
# init= on the kernel command line cannot quote.
case $HERE in *[!A-Za-z0-9/._+-]*) die "the lane's path $HERE has characters the guest's kernel command line cannot carry" ;; esac
[ -z "${CG2VM_GUEST:-}" ] || die "already inside a cgroup2-vm guest"
[ $# -ge 1 ] || { awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "${BASH_SOURCE[0]}" >&2; exit 125; }
if [ "$1" = -- ]; then
	shift
	[ $# -ge 1 ] || die "no program after --"
	AS_ARGV=1
else
	[ $# -gt 1 ] && AS_ARGV=1 || AS_ARGV=0
fi

D=
[ -s "$CACHE/uml-current" ] && D=$(cat "$CACHE/uml-current")
[ -n "$D" ] && [ -e "$D/.complete" ] ||
	die "user-mode-linux is not prepared in $CACHE (run: bash scripts/setup.sh, or scripts/cgroup2-vm/prepare.sh)"
UML=$D/usr/bin/linux.uml
KMODDIR=$D/usr/lib/uml/modules/$(ls "$D/usr/lib/uml/modules")
[ -x "$UML" ] || die "$UML is missing (remove $CACHE/uml-current and prepare again)"
# The ptrace shim UML needs on CPUs with a larger XSAVE area than it knows (README); it does
# nothing elsewhere. Built here too for a cache prepared before it existed.
SHIM=$("$HERE/build-shim.sh") || die "cannot build the lane's xstate shim (see above)"

# ---- the job -----------------------------------------------------------
shq() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

CWD=$(pwd -P)
W=$(mktemp -d "${TMPDIR:-/tmp}/cg2vm.XXXXXX")
# supervise.sh removes $W; this is the fallback for when it was killed before it could.
trap 'rm -rf "$W"' EXIT
mkdir "$W/job" "$W/host"
case $W in *[!A-Za-z0-9/._-]*) die "job dir path $W has odd characters (TMPDIR?)" ;; esac

RW=()
if [ "${CG2VM_NO_CWD:-0}" != 1 ] && [ "$CWD" != / ]; then RW+=("$CWD"); fi
IFS=: read -r -a extra <<< "${CG2VM_RW:-}"
for p in "${extra[@]}"; do
	[ -n "$p" ] || continue
	[ -d "$p" ] || die "CG2VM_RW: $p is not a directory"
	p=$(cd "$p" && pwd -P)
	[ "$p" != / ] || die "CG2VM_RW: refusing to share / writable"
	RW+=("$p")
done

{
	echo "KMODDIR=$(shq "$KMODDIR")"
	echo "NRW=${#RW[@]}"
	for i in "${!RW[@]}"; do echo "RW$i=$(shq "${RW[$i]}")"; done
	if [ -n "${CG2VM_INIT_TAIL:-}" ]; then
		echo "INIT_TAIL=$(shq "$CG2VM_INIT_TAIL")"
		for v in ${CG2VM_INIT_VARS:-}; do [ -z "${!v:-}" ] || echo "$v=$(shq "${!v}")"; done
	fi
} > "$W/job/config"

{
	echo "# generated by scripts/cgroup2-vm/run.sh"
	if [ "${CG2VM_KEEP_ENV:-1}" != 0 ]; then
		while IFS= read -r -d '' kv; do
			n=${kv%%=*}
			[[ $n =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
			case $n in SHLVL | OLDPWD | PWD | _ | BASHOPTS | SHELLOPTS | BASH_* | CG2VM_*) continue ;; esac
			# the caller's service manager's, meaningless in the guest (and wrong under its systemd)
			case $n in INVOCATION_ID | NOTIFY_SOCKET | JOURNAL_STREAM) continue ;; esac
			case " ${CG2VM_INIT_VARS:-} " in *" $n "*) continue ;; esac
			printf 'export %s=%q\n' "$n" "${kv#*=}"
		done < <(env -0)
	else
		echo 'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root'
	fi
	echo 'export PATH="${PATH:-/usr/sbin:/usr/bin:/sbin:/bin}:/run/cg2vm/bin"' # busybox modprobe & co
	# Guest-side test files run only where this is set (the host's test runner also loads them).
	echo 'export CG2VM_GUEST=1'
	printf 'cd -- %q || exit 125\n' "$CWD"
	if [ "$AS_ARGV" = 1 ]; then
		printf 'exec'
		printf ' %q' "$@"
		echo
	else
		printf 'exec /bin/bash -c %q\n' "$1"
	fi
} > "$W/job/cmd.sh"

ARGS=(mem="${CG2VM_MEM:-1G}" root=/dev/root rootfstype=hostfs rootflags=/ ro
	init="$HERE/uml-init.sh" CG2VM_JOB="$W/job"
	umid="cg2vm-${W##*.}" uml_dir="$W/host"
	con=null con0=null,fd:3 con1=null,fd:4 con2=null,fd:5 ssl=null
	cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1 panic=-1)
if [ -n "${CG2VM_DISK:-}" ]; then
	truncate -s "$CG2VM_DISK" "$W/host/disk.img"
	ARGS+=(ubd0="$W/host/disk.img")
fi
if [ -n "${CG2VM_DEBUG:-}" ]; then ARGS+=(printk.time=1); else ARGS+=(quiet loglevel=3); fi

# ---- boot, through the supervisor ---------------------------------------
# setsid: a kill of our process group (a test runner giving up) does not reach the supervisor,
# which then sees us gone (pdeathsig) and shuts the guest down in order.
SPID=
forward() { [ -z "$SPID" ] || kill -TERM "$SPID" 2> /dev/null || true; }
trap forward TERM INT HUP
setsid setpriv --pdeathsig TERM -- "$HERE/supervise.sh" "$W" "$SHIM" "$UML" "${ARGS[@]}" < /dev/null &
SPID=$!
while :; do
	rc=0
	wait "$SPID" || rc=$?
	# > 128 is also how a trapped signal interrupts wait: then the supervisor is still cleaning up.
	if [ "$rc" -gt 128 ] && kill -0 "$SPID" 2> /dev/null; then continue; fi
	break
done
exit "$rc"

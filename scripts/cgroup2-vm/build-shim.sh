#!/bin/bash
# Compiles xstate-shim.c (see there and README) into the lane's cache, once per version of its
# source, and prints the path of the library. Called by prepare.sh, and by run.sh when a cache
# prepared before the shim existed lacks it. Never writes into the repository.
#   CG2VM_CACHE=/var/tmp/cgroup2-vm   the cache (shared with prepare.sh)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
CACHE=${CG2VM_CACHE:-/var/tmp/cgroup2-vm}
SRC=$HERE/xstate-shim.c

sum=$(cat "$SRC" "${BASH_SOURCE[0]}" | sha256sum)
out=$CACHE/xstate-shim-${sum:0:16}.so
# LD_PRELOAD splits its value at spaces and colons.
case $out in *[!A-Za-z0-9/._+-]*) echo "cg2vm: the cache path $CACHE has characters LD_PRELOAD cannot carry" >&2; exit 1 ;; esac
if [ ! -e "$out" ]; then
	command -v cc > /dev/null || { echo "cg2vm: cc is needed to build the lane's xstate shim (apt-get install gcc libc6-dev)" >&2; exit 1; }
	mkdir -p "$CACHE"
	tmp=$(mktemp "$CACHE/.xstate-shim.XXXXXX")
	trap 'rm -f "$tmp"' EXIT
	cc -O2 -Wall -shared -fPIC -o "$tmp" "$SRC" -ldl
	chmod 0644 "$tmp"
	mv -f "$tmp" "$out" # atomic: concurrent builds of the same source agree
fi
echo "$out"

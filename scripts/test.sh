#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs and builds what is missing, then runs every
# test file with node's test runner (real containers, one file at a time: they share the machine's
# mount table and process list).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
status=0
# Test cgroups that were there before this run (another run's, or one killed mid-way) are not this
# run's leaks: only the ones it adds are reported.
# tsrunc's default root, if the run makes it (tests that leave --root to its default), goes
# afterwards with the seccomp cache the run made in it; containers left in it are reported.
default_root=/run/tsrunc
root_was_there=0; [ -e "$default_root" ] && root_was_there=1
cache_was_there=0; [ -e "$default_root/.cache" ] && cache_was_there=1
before=$(find /sys/fs/cgroup/tsrunc-test /sys/fs/cgroup/*/tsrunc-test -mindepth 1 -type d 2>/dev/null | sort || true)
# Only the test files: helpers and the guest suites (test/guest/, booted by their host files) are
# not. The unit tests first (test/unit/, seconds), then every integration file (test/integration/
# <feature>/; any file still directly in test/ too).
mapfile -t files < <(find dist/test -name '*.test.js' -not -path 'dist/test/helpers/*' -not -path 'dist/test/guest/*' \
  | awk '{ print (index($0, "dist/test/unit/") == 1 ? 0 : 1) "\t" $0 }' | sort | cut -f2)
node --test --test-concurrency=1 "${files[@]}" || status=$?

# Test containers live under /tsrunc-test in every hierarchy (test/helpers/rootfs.ts). Each delete
# removes its own cgroup, as runc does, not the shared parent: that goes here, and a parent that
# still has children means a test left a cgroup behind.
for parent in /sys/fs/cgroup/tsrunc-test /sys/fs/cgroup/*/tsrunc-test; do
  [ -d "$parent" ] || continue
  if ! rmdir "$parent" 2>/dev/null; then
    left=$(comm -13 <(echo "$before") <(find "$parent" -mindepth 1 -type d | sort))
    if [ -n "$left" ]; then
      echo "test.sh: cgroups left behind under $parent:" >&2
      echo "$left" >&2
      status=1
    else
      echo "test.sh: $parent still holds cgroups from before this run (not this run's)" >&2
    fi
  fi
done
if [ "$cache_was_there" = 0 ]; then rm -rf "$default_root/.cache"; fi
if [ "$root_was_there" = 0 ] && [ -d "$default_root" ] && ! rmdir "$default_root" 2>/dev/null; then
  echo "test.sh: containers left in $default_root: $(ls "$default_root")" >&2
  status=1
fi
exit "$status"

#!/usr/bin/env bash
# Installs everything tsrunc and its tests need on a fresh Debian bookworm machine (as root), then
# builds it. Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v runc >/dev/null 2>&1 || need_apt+=(runc)                 # the reference for differential tests
[ -x /bin/busybox ] && /bin/busybox --list >/dev/null 2>&1 || need_apt+=(busybox-static)  # the test and demo rootfs
command -v make >/dev/null 2>&1 || need_apt+=(make)
command -v g++ >/dev/null 2>&1 || need_apt+=(g++)
[ -e /usr/lib/x86_64-linux-gnu/libc.a ] || need_apt+=(libc6-dev)    # the launcher is linked statically
[ -x /usr/bin/time ] || need_apt+=(time)                             # peak RSS figures in the benchmark
[ -e /usr/lib/x86_64-linux-gnu/libseccomp.a ] || need_apt+=(libseccomp-dev)  # seccomp, linked into the static launcher
command -v python3 >/dev/null 2>&1 || need_apt+=(python3-minimal)   # the seccomp notify agent in the tests
command -v zsh >/dev/null 2>&1 || need_apt+=(zsh)                   # the zsh completion is driven for real by the CLI tests
command -v newuidmap >/dev/null 2>&1 || need_apt+=(uidmap)          # rootless: several id ranges through newuidmap/newgidmap
command -v strace >/dev/null 2>&1 || need_apt+=(strace)              # rootless: the "nothing written outside the user's directories" trace
command -v clang++ >/dev/null 2>&1 || need_apt+=(clang libclang-rt-14-dev)  # libFuzzer for the launcher contract (scripts/fuzz-contract.sh)
[ -x /lib/systemd/systemd ] || need_apt+=(systemd)                  # PID 1 of the systemd lane (scripts/systemd-vm), not run on the host
command -v dbus-daemon >/dev/null 2>&1 || need_apt+=(dbus)          # that lane's system bus (SDLANE_DBUS=1)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# The pure cgroup v2 test lane (scripts/cgroup2-vm/, test/integration/cgroups/cgroup2-lane.test.ts): Debian's
# user-mode-linux kernel unpacked (not installed) into /var/tmp/cgroup2-vm. Needs the Debian
# mirror once (~41 MB); returns at once when already unpacked. Not fatal: without it the lane's
# tests skip and say why.
bash scripts/cgroup2-vm/prepare.sh ||
  echo "setup: WARNING: the cgroup2 test lane could not be prepared (see above); its tests will skip" >&2

# The end-to-end tests' engines (test/integration/e2e/): Debian's containerd, podman, conmon and docker.io. Not
# fatal: without them those tests skip and say why.
bash scripts/e2e-deps.sh ||
  echo "setup: WARNING: containerd/podman/docker.io could not be installed; the end-to-end tests will skip" >&2

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "setup: building"
npm run --silent build

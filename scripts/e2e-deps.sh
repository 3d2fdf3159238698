#!/usr/bin/env bash
# The container engines the end-to-end tests drive tsrunc with (test/integration/e2e/e2e-containerd.test.ts,
# test/integration/e2e/e2e-podman.test.ts): Debian's containerd 1.6 (ctr and the runc v2 shim) and podman 4.3
# (with conmon). Installed only when missing; safe to run again. Not fatal for the rest of the
# suite: without them those tests skip and say why.
#
# No service is enabled or started here: the tests start their own containerd on private paths.
# On a machine with an init system, Debian would start containerd.service on install; the
# policy-rc.d below keeps apt from doing so for the duration of this install only.
set -euo pipefail

need=()
command -v containerd >/dev/null 2>&1 && command -v ctr >/dev/null 2>&1 &&
  command -v containerd-shim-runc-v2 >/dev/null 2>&1 || need+=(containerd)
command -v podman >/dev/null 2>&1 && { command -v conmon >/dev/null 2>&1 || [ -x /usr/libexec/podman/conmon ] || [ -x /usr/bin/conmon ]; } || need+=(podman conmon)
# test/integration/e2e/e2e-docker.test.ts: Debian's docker.io 20.10 (/usr/sbin/dockerd,
# /usr/bin/docker, docker-init); docker.service is not started either (the policy-rc.d below), the
# test starts its own dockerd. dockerd is what counts: a docker CLI alone (say a static one in
# /usr/local/bin) is not enough.
{ [ -x /usr/sbin/dockerd ] && [ -x /usr/bin/docker ]; } || need+=(docker.io)
# test/integration/e2e/e2e-podman-rootless.test.ts: rootless podman builds its user namespace with
# newuidmap/newgidmap (scripts/setup.sh installs them too); with vfs, --network none and cgroupfs
# it needs none of slirp4netns, fuse-overlayfs or catatonit.
command -v newuidmap >/dev/null 2>&1 && command -v newgidmap >/dev/null 2>&1 || need+=(uidmap)
[ ${#need[@]} -eq 0 ] && exit 0

echo "e2e-deps: installing Debian packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
  # 101: "action not allowed", so postinst scripts do not start daemons.
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod 755 "$policy"
  made_policy=1
fi
cleanup() { [ "$made_policy" = 1 ] && rm -f "$policy"; return 0; }
trap cleanup EXIT

apt-get update -qq
# No recommends: buildah, slirp4netns, fuse-overlayfs, dbus-user-session are not needed (the
# tests use the vfs driver and --network none, rootless ones too) and pull in much more.
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

#!/usr/bin/env bash
# Makes a small busybox bundle and runs a container that prints its hostname, that it is PID 1,
# and its namespaces next to the host's.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
# The installed tsrunc (scripts/install.sh) when there is one, else the build's own.
tsrunc=$(command -v tsrunc || echo "$top/dist/bin/tsrunc")
echo "demo: using $tsrunc ($("$tsrunc" --version | head -1))"
bundle=$(mktemp -d /tmp/tsrunc-demo.XXXXXX)
root=$(mktemp -d /tmp/tsrunc-demo-state.XXXXXX)
trap 'rm -rf "$bundle" "$root"' EXIT

mkdir -p "$bundle/rootfs/bin"
cp /bin/busybox "$bundle/rootfs/bin/busybox"
for applet in sh echo hostname readlink cat; do ln -s busybox "$bundle/rootfs/bin/$applet"; done
cd "$bundle"
$tsrunc spec
node -e '
  const fs = require("fs");
  const c = JSON.parse(fs.readFileSync("config.json", "utf8"));
  c.process.terminal = false;
  c.hostname = "tsrunc-demo";
  // Its own cgroup under the root of each hierarchy, with a memory and a pids limit it prints.
  c.linux.cgroupsPath = "/tsrunc-demo";
  c.linux.resources = { ...c.linux.resources, memory: { limit: 64 * 1024 * 1024 }, pids: { limit: 64 } };
  c.process.args = ["sh", "-c", [
    "echo \"hostname: $(hostname)\"",
    "echo \"my pid:   $$\"",
    "for ns in pid mnt uts ipc net cgroup; do echo \"ns $ns: $(readlink /proc/self/ns/$ns)\"; done",
    "echo \"memory limit: $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max)\"",
    "echo \"pids limit:   $(cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max)\"",
  ].join("; ")];
  fs.writeFileSync("config.json", JSON.stringify(c, null, 2));
'
echo "--- host"
for ns in pid mnt uts ipc net cgroup; do echo "ns $ns: $(readlink /proc/self/ns/$ns)"; done
echo "--- container (tsrunc run demo)"
$tsrunc --root "$root" run demo
echo "--- exit status $?"

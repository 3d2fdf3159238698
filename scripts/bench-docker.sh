#!/usr/bin/env bash
# docker run --rm --network none busybox true with tsrunc and with runc, alternated, medians of
# BENCH_N (10) each, in a private dockerd and containerd (nothing of a host Docker is used or
# touched). Needs root, `npm run build`, and Debian's docker.io (scripts/e2e-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/bench/bench-docker.js ] || { echo "bench-docker: run npm run build first" >&2; exit 1; }
exec node dist/bench/bench-docker.js

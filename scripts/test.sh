#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs and builds what is missing, then runs every
# test file with node's test runner (real containers, one file at a time: they share the machine's
# mount table and process list).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
node --test --test-concurrency=1 dist/test/

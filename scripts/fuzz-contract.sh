#!/usr/bin/env bash
# Fuzzes the launcher's JSON codec, the generated contract parsers and its plan reader (the
# channel's framing and parsePlan) with libFuzzer (Debian's
# clang; scripts/setup.sh installs it), seeded with fuzz/contract/corpus/ and a dictionary of the
# contract's field names and message types. Run by hand, not in CI:
#   scripts/fuzz-contract.sh [seconds=300] [extra libFuzzer flags...]
# New interesting inputs go to .tmp/fuzz-contract/corpus (merge the few worth keeping into
# fuzz/contract/corpus with -merge=1); a crash leaves its input in .tmp/fuzz-contract/ and fails.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
shift || true
work=.tmp/fuzz-contract
mkdir -p "$work/corpus"
command -v clang++ >/dev/null || { echo "fuzz-contract: clang++ is missing (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }

node scripts/build-contract.js
clang++ -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  fuzz/contract/fuzz_contract.cc cpp/common/generated/contract.cc cpp/common/json.cc \
  cpp/launcher/channel.cc cpp/launcher/plan.cc cpp/common/fdpass.cc -o "$work/fuzz_contract"
node -e '
  const c = require("./src/contract/launcher.contract.json");
  const words = new Set(["infinity", "create", "exec"]);
  const add = (fields) => Object.keys(fields ?? {}).forEach((f) => words.add(f));
  for (const t of Object.values(c.types)) { add(t.fields); Object.keys(t.enum ?? {}).forEach((w) => words.add(w)); }
  for (const [name, m] of Object.entries(c.messages)) { words.add(name); add(m.fields); }
  words.add("type");
  console.log([...words].map((w) => JSON.stringify(JSON.stringify(w))).join("\n"));
' > "$work/contract.dict"
exec "$work/fuzz_contract" -max_total_time="$seconds" -dict="$work/contract.dict" -artifact_prefix="$work/" \
  -timeout=10 -rss_limit_mb=1024 "$@" "$work/corpus" fuzz/contract/corpus

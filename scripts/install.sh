#!/usr/bin/env bash
# Installs the built runtime under PREFIX (default /usr/local), as a distribution package would:
#   PREFIX/bin/tsrunc                  the executable (no Node or node_modules needed to run it)
#   PREFIX/libexec/tsrunc/             its native addon and launcher, found from the executable's path
#   PREFIX/share/man/man8/             tsrunc(8), tsrunc-COMMAND(8)
#   PREFIX/share/bash-completion/completions/tsrunc, PREFIX/share/zsh/vendor-completions/_tsrunc
# Run `npm run build` first (scripts/setup.sh does). DESTDIR is honoured for staging.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix="${1:-/usr/local}"
dest="${DESTDIR:-}${prefix}"

for f in dist/bin/tsrunc dist/libexec/tsrunc/tsrunc-launcher dist/libexec/tsrunc/tsrunc_addon.node \
         dist/man/man8/tsrunc.8 dist/completion/tsrunc.bash dist/completion/_tsrunc; do
  [ -f "$f" ] || { echo "install: $f is missing: run \`npm run build\` first" >&2; exit 1; }
done

# New files are written beside the old ones and renamed over them: a container that is running
# keeps the launcher it was started with, and a command started meanwhile sees old or new, never half.
put() { # put SRC DIR MODE [NAME]
  local name="${4:-$(basename "$1")}" tmp
  install -d "$2"
  tmp="$(mktemp "$2/.$name.XXXXXX")"
  cp "$1" "$tmp" && chmod "$3" "$tmp" && mv -f "$tmp" "$2/$name"
}
put dist/libexec/tsrunc/tsrunc_addon.node "$dest/libexec/tsrunc" 0755
put dist/libexec/tsrunc/tsrunc-launcher "$dest/libexec/tsrunc" 0755
put dist/bin/tsrunc "$dest/bin" 0755
for page in dist/man/man8/*.8; do put "$page" "$dest/share/man/man8" 0644; done
put dist/completion/tsrunc.bash "$dest/share/bash-completion/completions" 0644 tsrunc
put dist/completion/_tsrunc "$dest/share/zsh/vendor-completions" 0644
echo "install: tsrunc installed in $dest/bin ($("$dest/bin/tsrunc" --version | head -1))"

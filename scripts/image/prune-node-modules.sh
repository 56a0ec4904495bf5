#!/bin/sh
# Removes from a production node_modules what Node never loads at run time, keeping every license:
# source maps, type declarations and TypeScript sources (Node strips no types under node_modules),
# Markdown docs, native add-ons built for the Bare runtime (the bare-* packages; Node uses its own
# fs and url), and the test, example, doc and CI folders at a package's root. Code, JSON, .wasm
# and web assets stay. Run by the Dockerfile's deps stage; prints the size before and after.
# Usage: prune-node-modules.sh [DIR]   (default: node_modules)
set -eu
dir="${1:-node_modules}"
[ -d "$dir" ] || { echo "prune-node-modules.sh: no folder $dir" >&2; exit 1; }
before=$(du -sk "$dir" | cut -f1)
find "$dir" -type f \( -name '*.map' -o -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.md' -o -name '*.markdown' -o -name '*.bare' \) \
  ! -iname 'licen[cs]e*' ! -iname 'notice*' ! -iname 'copying*' -delete
find "$dir" -regextype posix-extended -type d \
  -regex "$dir/(@[^/]+/)?[^/]+/(test|tests|__tests__|example|examples|docs?|\.github|benchmarks?|coverage)" -prune -exec rm -rf {} +
after=$(du -sk "$dir" | cut -f1)
echo "prune-node-modules.sh: $dir $((before / 1024)) MB -> $((after / 1024)) MB"

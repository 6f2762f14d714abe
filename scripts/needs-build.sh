#!/usr/bin/env bash
# Exits 0 when the checkout at ROOT (default: this one) needs `npm run build`: no build stamp
# (dist/.build-stamp, written after a build by scripts/install-deps.sh), no bundled entry, or a
# source the build reads newer than the stamp (TypeScript in src/ core/ components/ templates/,
# the bundler script, package.json, package-lock.json, tsconfig.json, or node_modules after npm ci).
# Exits 1 when dist/ is up to date: scripts/console.sh then opens the console without a build.
set -euo pipefail
root="${1:-$(dirname "$0")/..}"
cd "$root"
stamp=dist/.build-stamp
[ -f "$stamp" ] && [ -f dist/src/cli.cjs ] && [ -f dist/src/cli.js ] || exit 0
sources=()
for s in src core components templates scripts/bundle.mjs package.json package-lock.json tsconfig.json node_modules/.package-lock.json; do
  [ -e "$s" ] && sources+=("$s")
done
[ "${#sources[@]}" -gt 0 ] || exit 1
newer="$(find "${sources[@]}" -newer "$stamp" \( -type f -o -type l \) -print -quit 2>/dev/null)"
[ -n "$newer" ]

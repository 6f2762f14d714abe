#!/usr/bin/env bash
# Quick start 2: install what the tests need and run the whole suite (as root: the
# integration tests start real LXC containers). Ends with the line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --test || exit 1
log=$(mktemp)
npx vitest run "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
line=$(grep -aE '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
rm -f "$log"
[ -n "$line" ] || line="0 passed, 1 failed"
echo "$line"
exit "$rc"

#!/usr/bin/env bash
# Quick start 1: install what the console needs, build when a source is newer than the last build
# (scripts/needs-build.sh), and open the console (as root).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
exec node dist/src/cli.js "$@"

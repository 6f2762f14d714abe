#!/usr/bin/env bash
# Puts `lxdeck` on the PATH: LINK (default /usr/local/bin/lxdeck) -> ENTRY (this checkout's bin,
# dist/src/cli.cjs). Made when the name is free or a link whose target is gone; a link into this
# checkout's dist/ that names another entry (an older build's bin, dist/src/cli.js) is updated and
# said; a link to another checkout, or a file that is not a link, is left as it is and named.
# Usage: link-bin.sh ENTRY [LINK]
set -euo pipefail
mine="$1"
link="${2:-/usr/local/bin/lxdeck}"
dist="$(cd "$(dirname "$mine")/.." && pwd -P)/" # the checkout's dist/
if [ ! -e "$link" ] && [ ! -L "$link" ]; then
  ln -s "$mine" "$link"
  echo "lxdeck: linked $link -> $mine"
elif [ -L "$link" ] && [ ! -e "$(readlink -f "$link")" ]; then
  old="$(readlink "$link")"
  ln -sfn "$mine" "$link"
  echo "lxdeck: $link pointed to $old, which is gone; now -> $mine"
elif [ "$(readlink -f "$link")" = "$(readlink -f "$mine")" ]; then
  : # already this checkout's bin
elif [ -L "$link" ] && case "$(readlink -f "$link")" in "$dist"*) true ;; *) false ;; esac; then
  old="$(readlink "$link")"
  ln -sfn "$mine" "$link"
  echo "lxdeck: $link pointed to $old, an older entry of this checkout; now -> $mine"
else
  echo "lxdeck: $link already points to $(readlink -f "$link"); left as it is (run this checkout with: node $mine)" >&2
fi

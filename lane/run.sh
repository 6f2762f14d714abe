#!/usr/bin/env bash
# lane/run.sh [vitest args] | lane/run.sh --sh 'CMD': boots the image lane/build.sh made under qemu (software
# emulation, always inside `timeout`), where cgroup2 is the only cgroup hierarchy, and runs
# `vitest run [vitest args]` in the guest's copy of the project with CI=true and
# LXDECK_IN_V2_LANE=1. Without args it runs the test files that drive cgroups for real
# (DEFAULT_TESTS below, those that exist). With --sh it runs one shell command in /lxdeck
# instead (to look around or measure; its exit status is the guest's).
#
# Prints the guest's console with each line prefixed `guest| `, except the guest's closing
# `N passed, N failed` line, printed as `v2-lane: N passed, N failed` so it is never taken
# for the closing line of the run that called this. Exits 0 only when the guest ran at
# least one test and none failed.
#
# Env: LXDECK_LANE_CACHE (as build.sh), LXDECK_LANE_TIMEOUT (seconds, default 900),
# LXDECK_LANE_SMP (default 2), LXDECK_LANE_MEM (MiB, default 2048), LXDECK_LANE_CPU (qemu
# -cpu, default max), LXDECK_LANE_TEST_TIMEOUT (vitest test and hook timeout in the guest,
# ms, default 300000), LXDECK_LANE_TESTS (space-separated test files replacing DEFAULT_TESTS
# when no args are given), LXDECK_LANE_LOG (the raw console, default $CACHE/run-<tree>/console.log).
set -uo pipefail

LANE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${LXDECK_LANE_CACHE:-/var/cache/lxdeck-lane}
TIMEOUT=${LXDECK_LANE_TIMEOUT:-900}
PROJECT=$(cd "$LANE_DIR/.." && pwd)
RUN=$CACHE/run-$(printf '%s' "$PROJECT" | sha256sum | cut -c1-10)
LOG=${LXDECK_LANE_LOG:-$RUN/console.log}
# Test files that drive real containers and their cgroups (those present are run).
DEFAULT_TESTS=(
  test/integration/v2-guest-smoke.test.ts
  test/core/cgroup/integration.test.ts
  test/integration/lifecycle.test.ts
  test/integration/limits.test.ts
  test/integration/stats.test.ts
  test/integration/run-app.test.ts
  test/integration/device.test.ts
  test/integration/create-lvm.test.ts
)

die() { echo "v2-lane: error: $*" >&2; exit 2; }
[ -r "$RUN/lane.env" ] || die "no $RUN/lane.env: run $LANE_DIR/build.sh first"
# shellcheck source=/dev/null
. "$RUN/lane.env"
for f in "$LANE_KERNEL" "$LANE_INITRD" "$LANE_IMAGE"; do [ -r "$f" ] || die "$f is missing: run lane/build.sh"; done
[ "$LANE_PROJECT" = "$PROJECT" ] || die "the image holds $LANE_PROJECT, not $PROJECT: run $LANE_DIR/build.sh first"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is missing (apt-get install qemu-system-x86)"

mode=vitest
if [ "${1:-}" = --sh ]; then
  [ $# -eq 2 ] || die "usage: lane/run.sh --sh 'shell command'"
  mode=sh
  args=("$2")
else
  # Emulation is several times slower than the hosts these timeouts were set for.
  # (unless the caller sets them: vitest refuses an option given twice)
  args=()
  [[ " $* " == *" --testTimeout"* ]] || args+=(--testTimeout="${LXDECK_LANE_TEST_TIMEOUT:-300000}")
  [[ " $* " == *" --hookTimeout"* ]] || args+=(--hookTimeout="${LXDECK_LANE_TEST_TIMEOUT:-300000}")
  if [ $# -gt 0 ]; then
    args+=("$@")
  else
    # One worker for all files (files already run one at a time): each file would otherwise
    # import vitest and the project again, which costs tens of seconds under emulation.
    args+=(--no-isolate)
    if [ -n "${LXDECK_LANE_TESTS:-}" ]; then
      read -r -a DEFAULT_TESTS <<<"$LXDECK_LANE_TESTS"
    fi
    for t in "${DEFAULT_TESTS[@]}"; do [ -e "$PROJECT/$t" ] && args+=("$t"); done
  fi
fi
b64=$(printf '%s\n' "${args[@]}" | base64 -w0)
echo "v2-lane: kernel $LANE_KVER, image $LANE_IMAGE, $mode: ${args[*]}"

mkdir -p "$(dirname "$LOG")"
t0=$(date +%s.%N)
# -snapshot: the guest's writes go to a temporary overlay, so the image stays as built.
# No -enable-kvm: software emulation (with KVM the guest hangs on these hosts).
timeout --kill-after=15 "$TIMEOUT" qemu-system-x86_64 \
  -machine pc,accel=tcg -cpu "${LXDECK_LANE_CPU:-max}" -smp "${LXDECK_LANE_SMP:-2}" -m "${LXDECK_LANE_MEM:-2048}" \
  -nodefaults -no-user-config -display none -no-reboot \
  -serial stdio \
  -kernel "$LANE_KERNEL" -initrd "$LANE_INITRD" \
  -append "console=ttyS0 cgroup_no_v1=all panic=-1 quiet apparmor=0 lxdeck.mode=$mode lxdeck.args=$b64" \
  -drive "file=$LANE_IMAGE,format=raw,if=virtio,snapshot=on" \
  -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
  </dev/null 2>&1 | tr -d '\r' | sed -u -E 's/\x1b\[[0-9;?]*[a-zA-Z]//g' | tee "$LOG" | sed -u -E \
  -e 's/^([0-9]+ passed, [0-9]+ failed.*)$/v2-lane: \1/' -e t -e 's/^/guest| /'
qrc=${PIPESTATUS[0]}
took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')

echo "v2-lane: boot to power-off ${took}s"
tests_line=$(grep -m1 '^V2LANE-TESTS-END' "$LOG" || true)
[ -n "$tests_line" ] && echo "v2-lane: guest tests ${tests_line#V2LANE-TESTS-END }"
count=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$LOG" | tail -1)

case $qrc in
  1) verdict="guest reported: tests passed" ;;
  3) verdict="guest reported: tests failed" ;;
  5) verdict="guest initramfs failed (no root)" ;;
  7) verdict="guest init failed before the tests" ;;
  124 | 137) verdict="timed out after ${TIMEOUT}s" ;;
  0) verdict="guest powered off without reporting a status" ;;
  *) verdict="qemu exited with $qrc" ;;
esac
echo "v2-lane: $verdict"

if [ "$mode" = sh ]; then [ "$qrc" -eq 1 ] && exit 0; exit 1; fi
if [ "$qrc" -eq 1 ] && [[ $count =~ ^([0-9]+)\ passed,\ 0\ failed ]] && [ "${BASH_REMATCH[1]}" -ge 1 ]; then
  exit 0
fi
[ -z "$count" ] && echo "v2-lane: the guest printed no 'N passed, N failed' line"
exit 1

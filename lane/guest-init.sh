#!/bin/bash
# /sbin/lxdeck-lane-init: PID 1 of the cgroup v2 lane guest (no systemd).
# Mounts the usual file systems and cgroup2 alone at /sys/fs/cgroup (the kernel runs with
# cgroup_no_v1=all), delegates the controllers, loads bridge and veth, prints V2LANE-*
# markers that the host checks, runs vitest in /lxdeck with the arguments named by the
# kernel argument lxdeck.args (base64 of one argument a line; with lxdeck.mode=sh, the first
# is a shell command run instead of vitest) and powers off.
# The result leaves through qemu's isa-debug-exit port 0xf4 (qemu exits (code << 1) | 1):
#   0 all tests passed, 1 vitest failed, 3 this init failed before the tests.
# Every path ends in a power-off; nothing here waits for input.
set -u
exec </dev/null >/dev/console 2>&1
export PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb LANG=C.UTF-8

uptime_s() { cut -d' ' -f1 /proc/uptime; }

finish() {
  local code=$1
  echo "V2LANE-EXIT $code uptime=$(uptime_s)"
  sync
  printf "\\$(printf '%03o' "$code")" | dd of=/dev/port bs=1 seek=244 count=1 conv=notrunc 2>/dev/null
  poweroff -f
  sleep 10
  exit "$code"
}
trap 'finish 3' ERR
fail() { echo "V2LANE-INIT-FAIL $*"; finish 3; }

mount -t proc proc /proc || fail "mount /proc"
mount -t sysfs sysfs /sys || fail "mount /sys"
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev || fail "mount /dev"
mkdir -p /dev/pts /dev/shm
# devtmpfs has no /dev/fd (bash's process substitution needs it) nor /dev/std*
ln -sfn /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin; ln -sf /proc/self/fd/1 /dev/stdout; ln -sf /proc/self/fd/2 /dev/stderr
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts || fail "mount /dev/pts"
mount -t tmpfs -o mode=1777 tmpfs /dev/shm || fail "mount /dev/shm"
mount -t tmpfs -o mode=755 tmpfs /run || fail "mount /run"
mount -t tmpfs -o mode=1777 tmpfs /tmp || fail "mount /tmp"
mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup || fail "mount cgroup2 at /sys/fs/cgroup"
echo "+cpuset +cpu +io +memory +pids" >/sys/fs/cgroup/cgroup.subtree_control || fail "enable controllers in cgroup.subtree_control"
hostname lane
ip link set lo up || fail "lo up"
modprobe -a bridge veth || fail "modprobe bridge veth"
# device-mapper with thin provisioning and loop devices, for the LVM backing store's tests
# (test/integration/create-lvm.test.ts makes a file-backed PV, a VG and a thin pool); not fatal:
# only those tests need them, and they say what is missing
modprobe -a loop dm_mod dm_thin_pool 2>/dev/null || echo "V2LANE-NOTE no device-mapper thin modules"
# no udev runs here: LVM and libdevmapper make /dev/mapper and /dev/VG/LV nodes themselves
# (else lvcreate waits for udev and fails "device not cleared"); a real host's udevd does this
export DM_DISABLE_UDEV=1

echo "V2LANE-BOOTED uptime=$(uptime_s)"
echo "V2LANE-KERNEL $(uname -r)"
echo "V2LANE-MOUNTINFO $(grep ' - cgroup2 ' /proc/self/mountinfo | tr '\n' ' ')"
echo "V2LANE-V1-MOUNTS $(grep -c ' - cgroup ' /proc/self/mountinfo || true)"
echo "V2LANE-CONTROLLERS $(cat /sys/fs/cgroup/cgroup.controllers)"
echo "V2LANE-SUBTREE-CONTROL $(cat /sys/fs/cgroup/cgroup.subtree_control)"
echo "V2LANE-CPUS $(nproc) MEM-KB $(awk '/MemTotal/ { print $2 }' /proc/meminfo)"
# The tests' temporary lxcpaths (os.tmpdir()) live on the ext4 root, not on the /tmp tmpfs:
# a file a container writes on tmpfs is shmem (anon LRU), never page cache, so memory stats
# (used = memory.current - inactive_file) would read it as use.
TMPDIR=/var/tmp
echo "V2LANE-TMPDIR $TMPDIR $(stat -f -c %T "$TMPDIR") free-MB $(df -Pm "$TMPDIR" | awk 'NR == 2 { print $4 }')"

args=()
b64=$(tr ' ' '\n' </proc/cmdline | sed -n 's/^lxdeck\.args=//p')
if [ -n "$b64" ]; then
  mapfile -t args < <(printf '%s' "$b64" | base64 -d)
fi
mode=$(tr ' ' '\n' </proc/cmdline | sed -n 's/^lxdeck\.mode=//p')
echo "V2LANE-ARGS ${mode:-vitest} ${args[*]:-}"

trap - ERR
cd /lxdeck || fail "no /lxdeck"
export CI=true LXDECK_IN_V2_LANE=1 NO_COLOR=1 TMPDIR
t0=$(uptime_s)
echo "V2LANE-TESTS-START uptime=$t0"
if [ "${mode:-vitest}" = sh ]; then
  # lane/run.sh --sh 'CMD': one shell command instead of vitest (to look around, to measure)
  bash -c "${args[0]:-true}"
else
  node node_modules/vitest/vitest.mjs run --reporter=verbose --reporter=./test/helpers/count-reporter.ts "${args[@]}"
fi
rc=$?
t1=$(uptime_s)
echo "V2LANE-TESTS-END rc=$rc seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')"
[ "$rc" -eq 0 ] && finish 0
finish 1

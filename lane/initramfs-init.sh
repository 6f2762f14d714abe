#!/bin/sh
# The lane's initramfs /init (busybox sh): loads the virtio and ext4 modules listed in
# /modules/load (dependencies first, as lane/build.sh ordered them from modules.dep), mounts
# /dev/vda and switches to the root's /sbin/lxdeck-lane-init. Every failure powers the
# machine off with status 2 through qemu's isa-debug-exit port (0xf4): a shell that waits
# for input would hang the lane until its timeout.
PATH=/bin

fail() {
  echo "V2LANE-INITRAMFS-FAIL $*"
  # isa-debug-exit: qemu exits with (2 << 1) | 1 = 5
  printf '\002' | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
  poweroff -f
  sleep 5
  exit 1 # init exiting panics the kernel; with panic=-1 and -no-reboot qemu ends
}

mount -t proc proc /proc || fail "mount /proc"
mount -t sysfs sysfs /sys || fail "mount /sys"
mount -t devtmpfs devtmpfs /dev || fail "mount /dev"

for m in $(cat /modules/load); do
  insmod "/modules/$m" || fail "insmod $m"
done

i=0
while [ ! -b /dev/vda ]; do
  i=$((i + 1))
  [ "$i" -gt 100 ] && fail "no /dev/vda after 10 s"
  sleep 0.1
done

mount -t ext4 -o rw /dev/vda /newroot || fail "mount /dev/vda"
[ -x /newroot/sbin/lxdeck-lane-init ] || fail "no /sbin/lxdeck-lane-init in the root image"
umount /proc /sys
mount --move /dev /newroot/dev || fail "move /dev"
exec switch_root /newroot /sbin/lxdeck-lane-init
fail "switch_root"

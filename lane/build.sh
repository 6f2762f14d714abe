#!/usr/bin/env bash
# lane/build.sh: builds what the cgroup v2 lane boots under qemu, caching the slow parts.
#
#   kernel     Debian's linux-image-<KVER> (apt-get download, dpkg-deb -x), modules trimmed
#              to what a container host needs                     $CACHE/kernel-<KVER>/
#   base root  debootstrap --variant=minbase bookworm with lxc, busybox-static, iproute2,
#              kmod, procps, rsync (+ the kernel's modules, depmod) $CACHE/base-<key>/
#   initramfs  the host's busybox-static + virtio/ext4 modules in modules.dep order
#                                                                  $CACHE/initramfs-<key>.cpio.gz
#   per run    base root + the host's node + this project tree (with node_modules and dist/)
#              + lane/guest-init.sh, as one ext4 image (mke2fs -d, no loop mount)
#                                                                  $CACHE/run-<tree>/root.ext4
# and $CACHE/run-<tree>/lane.env, which lane/run.sh reads. The project is the tree this
# script sits in (../), not the current directory, so a fresh clone anywhere works; each
# tree has its own run-<tree> (a hash of its path), so clones do not swap images under
# each other. Run dirs of trees that no longer exist are removed.
#
# Env: LXDECK_LANE_CACHE (default /var/cache/lxdeck-lane), LXDECK_LANE_MIRROR (default
# http://deb.debian.org/debian), LXDECK_LANE_KERNEL (e.g. linux-image-6.1.0-57-amd64; default:
# the one already cached, else what linux-image-amd64 depends on).
# Needs root, debootstrap, dpkg-deb, apt-get, mke2fs (e2fsprogs), cpio, gzip, rsync, flock.
set -euo pipefail

LANE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROJECT=$(cd "$LANE_DIR/.." && pwd)
CACHE=${LXDECK_LANE_CACHE:-/var/cache/lxdeck-lane}
MIRROR=${LXDECK_LANE_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
PACKAGES=lxc,busybox-static,iproute2,kmod,procps,rsync,libstdc++6,lvm2,thin-provisioning-tools,e2fsprogs
# Bump when the way the base root is made changes, so old caches are not reused.
BASE_RECIPE=1
# Kernel module trees the guest keeps (networking, file systems, virtio, block, char devices).
KEEP_MODULES=(kernel/net kernel/fs kernel/lib kernel/crypto kernel/arch kernel/block kernel/mm kernel/virt
  kernel/drivers/virtio kernel/drivers/block kernel/drivers/char kernel/drivers/net kernel/drivers/md)
# Loaded by the initramfs, with their dependencies, to mount the ext4 root on virtio-blk.
INITRAMFS_MODULES=(virtio_pci virtio_blk crc32c_generic ext4)

T0=$(date +%s.%N)
say() { echo "lane: $*"; }
die() { echo "lane: error: $*" >&2; exit 1; }
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
step_start() { STEP_T=$(date +%s.%N); }
step_done() { say "$1 $(since "$STEP_T")s"; }

[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot, device nodes in the image)"
for p in debootstrap dpkg-deb apt-get mke2fs cpio gzip rsync flock qemu-system-x86_64; do
  command -v "$p" >/dev/null 2>&1 || die "$p is missing; run: bash scripts/install-deps.sh --test (qemu-system-x86 debootstrap e2fsprogs cpio rsync)"
done
[ -d "$PROJECT/node_modules" ] || die "$PROJECT/node_modules is missing; run npm ci in $PROJECT first"
BUSYBOX=/bin/busybox
# the initramfs has no libraries: busybox must be static (no PT_INTERP: no ".interp" section name)
{ [ -x "$BUSYBOX" ] && "$BUSYBOX" --list | grep -qx switch_root && ! LC_ALL=C grep -qa '\.interp' "$BUSYBOX"; } \
  || die "$BUSYBOX is not a static busybox with switch_root (apt-get install busybox-static)"
NODE=$(command -v node) || die "node is missing"
NODE=$(readlink -f "$NODE")

mkdir -p "$CACHE"
# One build at a time per cache (two vitest runs must not rebuild the same files at once).
exec 9>"$CACHE/.lock"
flock -w 1800 9 || die "another lane/build.sh holds $CACHE/.lock"

# ---- kernel -------------------------------------------------------------------------------
step_start
KPKG=${LXDECK_LANE_KERNEL:-}
if [ -z "$KPKG" ] && [ -e "$CACHE/kernel.current" ]; then KPKG=$(cat "$CACHE/kernel.current"); fi
kernel_of_meta() { apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }'; }
if [ -z "$KPKG" ]; then
  KPKG=$(kernel_of_meta)
  if [ -z "$KPKG" ]; then apt-get update -qq && KPKG=$(kernel_of_meta); fi
  [ -n "$KPKG" ] || die "cannot tell which kernel linux-image-amd64 means (apt-get update?); set LXDECK_LANE_KERNEL=linux-image-6.1.0-NN-amd64"
fi
KVER=${KPKG#linux-image-}
KDIR=$CACHE/kernel-$KVER
if [ ! -e "$KDIR/.done" ]; then
  rm -rf "$KDIR.tmp" && mkdir -p "$KDIR.tmp/dl" "$KDIR.tmp/x"
  # (apt's sandbox user cannot write here; it downloads as root instead, which is fine)
  fetch() { (cd "$KDIR.tmp/dl" && apt-get download -q "$KPKG" 2>&1 | grep -v 'couldn.t be accessed by user ._apt' || true); }
  fetch
  # stale package lists name a .deb the mirror no longer has: refresh them once
  ls "$KDIR.tmp"/dl/*.deb >/dev/null 2>&1 || { apt-get update -qq && fetch; }
  deb=$(ls "$KDIR.tmp"/dl/*.deb 2>/dev/null | head -1)
  [ -n "$deb" ] || die "apt-get download $KPKG fetched nothing"
  dpkg-deb -x "$deb" "$KDIR.tmp/x"
  mkdir -p "$KDIR.tmp/modules/$KVER"
  cp "$KDIR.tmp/x/boot/vmlinuz-$KVER" "$KDIR.tmp/vmlinuz"
  cp "$KDIR.tmp/x/boot/config-$KVER" "$KDIR.tmp/config"
  src=$KDIR.tmp/x/lib/modules/$KVER
  cp "$src"/modules.order "$src"/modules.builtin* "$KDIR.tmp/modules/$KVER/"
  for d in "${KEEP_MODULES[@]}"; do
    [ -d "$src/$d" ] || continue
    mkdir -p "$KDIR.tmp/modules/$KVER/$(dirname "$d")"
    cp -a "$src/$d" "$KDIR.tmp/modules/$KVER/$d"
  done
  rm -rf "$KDIR.tmp/modules/$KVER/kernel/drivers/net/wireless" "$KDIR.tmp/x" "$KDIR.tmp/dl"
  touch "$KDIR.tmp/.done"
  rm -rf "$KDIR" && mv "$KDIR.tmp" "$KDIR"
  step_done "kernel $KVER (downloaded)"
else
  step_done "kernel $KVER (cached)"
fi
echo "$KPKG" >"$CACHE/kernel.current"

# ---- base root ----------------------------------------------------------------------------
step_start
BASE_KEY=$(printf '%s\n' "$BASE_RECIPE" "$SUITE" "$MIRROR" "$PACKAGES" "$KVER" "${KEEP_MODULES[*]}" | sha256sum | cut -c1-12)
BASE=$CACHE/base-$BASE_KEY
if [ ! -e "$BASE/.done" ]; then
  rm -rf "$BASE.tmp"
  debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$BASE.tmp" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 \
    || { tail -20 "$CACHE/debootstrap.log" >&2; die "debootstrap failed (full log: $CACHE/debootstrap.log)"; }
  mkdir -p "$BASE.tmp/lib/modules"
  cp -a "$KDIR/modules/$KVER" "$BASE.tmp/lib/modules/$KVER"
  chroot "$BASE.tmp" /sbin/depmod -a "$KVER"
  rm -rf "$BASE.tmp"/var/cache/apt/archives/*.deb "$BASE.tmp"/var/lib/apt/lists/* "$BASE.tmp"/usr/share/doc/* \
    "$BASE.tmp"/usr/share/man/* "$BASE.tmp"/usr/share/locale/*
  echo lane >"$BASE.tmp/etc/hostname"
  printf '127.0.0.1 localhost\n127.0.1.1 lane\n' >"$BASE.tmp/etc/hosts"
  touch "$BASE.tmp/.done"
  mv "$BASE.tmp" "$BASE"
  # older bases (another kernel or recipe) are of no further use
  for old in "$CACHE"/base-*; do [ "$old" = "$BASE" ] || rm -rf "$old"; done
  step_done "base root $BASE_KEY (debootstrap)"
else
  step_done "base root $BASE_KEY (cached)"
fi

# ---- initramfs ----------------------------------------------------------------------------
step_start
# modules.dep lines are "kernel/a.ko: kernel/b.ko kernel/c.ko"; the deps of a module are
# listed so that loading them from last to first satisfies each one before its users.
modpath() { awk -v m="$1" -F: '{ n = $1; sub(/.*\//, "", n); sub(/\.ko.*$/, "", n); gsub(/-/, "_", n); if (n == m) { print $1; exit } }' "$BASE/lib/modules/$KVER/modules.dep"; }
moddeps() { awk -v p="$1" -F': *' '$1 == p { print $2; exit }' "$BASE/lib/modules/$KVER/modules.dep"; }
declare -a LOAD=()
declare -A SEEN=()
add_module() { # depth-first: dependencies before the module
  local p=$1 d
  [ -n "${SEEN[$p]:-}" ] && return 0
  SEEN[$p]=1
  local deps; deps=$(moddeps "$p")
  local rev=()
  for d in $deps; do rev=("$d" "${rev[@]}"); done
  for d in "${rev[@]}"; do add_module "$d"; done
  LOAD+=("$p")
}
for m in "${INITRAMFS_MODULES[@]}"; do
  p=$(modpath "$m")
  [ -n "$p" ] || die "module $m is not in $KVER's modules.dep"
  add_module "$p"
done
INITRD_KEY=$(printf '%s\n' "$KVER" "${LOAD[@]}" | cat - "$LANE_DIR/initramfs-init.sh" "$BUSYBOX" | sha256sum | cut -c1-12)
INITRD=$CACHE/initramfs-$INITRD_KEY.cpio.gz
if [ ! -e "$INITRD" ]; then
  ird=$CACHE/initramfs.tmp
  rm -rf "$ird" && mkdir -p "$ird"/{bin,dev,proc,sys,newroot,modules}
  cp "$BUSYBOX" "$ird/bin/busybox"
  for a in sh mount umount insmod switch_root sleep cat echo poweroff mkdir dd printf; do ln -s busybox "$ird/bin/$a"; done
  : >"$ird/modules/load"
  for p in "${LOAD[@]}"; do
    cp "$BASE/lib/modules/$KVER/$p" "$ird/modules/"
    basename "$p" >>"$ird/modules/load"
  done
  install -m 0755 "$LANE_DIR/initramfs-init.sh" "$ird/init"
  (cd "$ird" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1 >"$INITRD.tmp")
  mv "$INITRD.tmp" "$INITRD"
  rm -rf "$ird"
  for old in "$CACHE"/initramfs-*.cpio.gz; do [ "$old" = "$INITRD" ] || rm -f "$old"; done
  step_done "initramfs ${#LOAD[@]} modules (built)"
else
  step_done "initramfs (cached)"
fi

# ---- per-run image ------------------------------------------------------------------------
step_start
RUN=$CACHE/run-$(printf '%s' "$PROJECT" | sha256sum | cut -c1-10)
for old in "$CACHE"/run "$CACHE"/run-*; do
  [ -d "$old" ] && [ "$old" != "$RUN" ] || continue
  p=$(sed -n 's/^LANE_PROJECT=//p' "$old/lane.env" 2>/dev/null || true)
  [ -n "$p" ] && [ -d "$p" ] || rm -rf "$old"
done
STAGE=$RUN/stage
mkdir -p "$RUN"
rm -rf "$STAGE"
# Hard links: the stage shares the base's files, so nothing in it may be written in place;
# everything added below is a new file.
cp -al "$BASE" "$STAGE"
rm -f "$STAGE/.done"
install -m 0755 "$NODE" "$STAGE/usr/local/bin/node"
install -m 0755 "$LANE_DIR/guest-init.sh" "$STAGE/sbin/lxdeck-lane-init"
rsync -a --exclude=/.git --exclude=/tmp --exclude=/node_modules/.vite --exclude=/node_modules/.cache \
  "$PROJECT/" "$STAGE/lxdeck/"
[ -d "$STAGE/lxdeck/dist" ] || say "warning: $PROJECT/dist is missing (npm run build); tests that run the binary will fail"
step_done "stage (base + node + project)"

step_start
used_kb=$(du -sk "$STAGE" | cut -f1)
# Room for the tests: their lxcpaths are on this root (the guest's TMPDIR is /var/tmp), and
# the stats test writes a 500 MB file inside a container. The image file is sparse (mke2fs
# with lazy_itable_init writes little of the free space), so the room costs little host disk.
size_mb=$(( used_kb / 1024 * 13 / 10 + 2048 ))
rm -f "$RUN/root.ext4.tmp"
mke2fs -q -F -t ext4 -O ^has_journal -L lxdeck-lane -E lazy_itable_init=1 -d "$STAGE" "$RUN/root.ext4.tmp" "${size_mb}M" 2>&1 | { grep -v "^Creating regular file" || true; }
mv "$RUN/root.ext4.tmp" "$RUN/root.ext4"
rm -rf "$STAGE"
step_done "image ${size_mb}M from $((used_kb / 1024))M (mke2fs -d)"

cat >"$RUN/lane.env.tmp" <<EOF
LANE_KVER=$KVER
LANE_KERNEL=$KDIR/vmlinuz
LANE_INITRD=$INITRD
LANE_IMAGE=$RUN/root.ext4
LANE_PROJECT=$PROJECT
EOF
mv "$RUN/lane.env.tmp" "$RUN/lane.env"
say "build done in $(since "$T0")s ($RUN/lane.env)"

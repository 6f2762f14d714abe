#!/usr/bin/env bash
# Installs what lxdeck needs on this host (as root): LXC, a static busybox, iproute2,
# and, with --test, what the tests need too (tmux). Then the npm dependencies and a build.
# Works with apt (Debian, Ubuntu) and zypper (openSUSE, SLES); skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

if [ "$(id -u)" -ne 0 ]; then
  echo "lxdeck: installing packages needs root; run: sudo bash $0 $*" >&2
  exit 1
fi

if ! command -v node >/dev/null 2>&1 || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "lxdeck: Node.js 20 or newer is needed (node --version: $(node --version 2>/dev/null || echo none))" >&2
  echo "hint: install Node.js 20+ from your distribution or nodejs.org, then run this again" >&2
  exit 1
fi

missing=()
have() { command -v "$1" >/dev/null 2>&1; }
have lxc-start || missing+=(lxc)
# busybox-static: the busybox template needs a statically linked busybox, i.e. an ELF with
# no PT_INTERP program header (a static binary may still hold the string "ld-linux")
static_elf() {
  node -e 'const b=require("fs").readFileSync(process.argv[1]);const o=Number(b.readBigUInt64LE(0x20)),e=b.readUInt16LE(0x36),n=b.readUInt16LE(0x38);for(let i=0;i<n;i++)if(b.readUInt32LE(o+i*e)===3)process.exit(1)' "$1" 2>/dev/null
}
if ! { [ -x /bin/busybox ] && static_elf /bin/busybox; }; then missing+=(busybox-static); fi
have ip || missing+=(iproute2)
# node-pty (the console's shell pane) is a native addon that npm builds from source with node-gyp
have make || missing+=(make)
have python3 || missing+=(python3)
if ! have g++; then
  if have apt-get; then missing+=(g++); else missing+=(gcc-c++); fi
fi
if [ "$want_test" = 1 ]; then
  have tmux || missing+=(tmux)
  have runuser || missing+=(util-linux)
  have ps || missing+=(procps)
  # templates: .tar.xz/.tar.zst archives, root password hashes
  have xz || missing+=(xz-utils)
  have zstd || missing+=(zstd)
  have openssl || missing+=(openssl)
  # setup: NAT and DHCP on the bridge
  have nft || missing+=(nftables)
  have dnsmasq || missing+=(dnsmasq-base)
  have systemd-analyze || missing+=(systemd)
  # LXD backend (test/integration/lxd.test.ts): the daemon and its client (`lxc` talks to $LXD_DIR)
  have lxd || missing+=(lxd)
  have lxc || missing+=(lxd-client)
  # --- v2 lane (lane/build.sh, lane/run.sh): a cgroup v2 guest under qemu ---
  have qemu-system-x86_64 || missing+=(qemu-system-x86)
  have debootstrap || missing+=(debootstrap)
  have mke2fs || missing+=(e2fsprogs)
  have cpio || missing+=(cpio)
  have rsync || missing+=(rsync)
  have flock || missing+=(util-linux)
  # --- end v2 lane ---
  # backing stores (test/integration/create-btrfs.test.ts): a file-backed btrfs of the test's own
  have mkfs.btrfs || missing+=(btrfs-progs)
  have losetup || missing+=(mount)
  # the LVM thin backing store (test/integration/create-lvm.test.ts; its volumes run where the kernel
  # has device-mapper, e.g. in the v2 lane's guest, which installs the same two packages)
  have lvcreate || missing+=(lvm2)
  have thin_check || missing+=(thin-provisioning-tools)
  # remote hosts over SSH (test/integration/remote-ssh.test.ts): a second sshd in a network namespace
  [ -x /usr/sbin/sshd ] || missing+=(openssh-server)
  have nsenter || missing+=(util-linux)
fi

if [ "${#missing[@]}" -gt 0 ]; then
  echo "lxdeck: installing ${missing[*]}"
  if have apt-get; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
  elif have zypper; then
    zypper --non-interactive install "${missing[@]}" >/dev/null
  elif have dnf; then
    dnf install -y "${missing[@]}" >/dev/null
  else
    echo "lxdeck: no apt-get, zypper or dnf here; install by hand: ${missing[*]}" >&2
    exit 1
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # node-gyp builds node-pty against the headers of the Node.js that runs it; a distribution's
  # nodejs package has them in /usr/include/node (node-gyp would otherwise download them)
  if [ -z "${npm_config_nodedir:-}" ] && [ "$(npm config get nodedir 2>/dev/null)" = "undefined" ] && [ -f /usr/include/node/node_api.h ]; then
    export npm_config_nodedir=/usr
  fi
  npm ci --no-audit --no-fund --loglevel=error
fi
# build only when a source is newer than the last build (or there is none): a build is about 19 s of CPU
# (the stamp takes the time the build began: a source saved during the build is newer, built next time)
if [ "${LXDECK_BUILD:-}" = always ] || bash scripts/needs-build.sh .; then
  began="$(date +%s)"
  npm run --silent build
  touch -d "@$began" dist/.build-stamp
fi

# put `lxdeck` on the PATH (LXDECK_BIN_LINK, default /usr/local/bin/lxdeck): a link to this checkout's
# bin, made when the name is free, a link whose target is gone, or one to an older entry of this
# checkout (updated, and said); a link to another checkout is left alone and named
bash scripts/link-bin.sh "$(pwd)/dist/src/cli.cjs" "${LXDECK_BIN_LINK:-/usr/local/bin/lxdeck}"

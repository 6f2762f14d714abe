/**
 * Which rootfs backing stores (lxc-create(1) -B) this host can use, read once from the host:
 * the programs on the search path and the lxcpath's file system type. Both checkconfig's Storage
 * section and the create wizard's storage step read it, so the wizard offers only what a create
 * here can do.
 */
import { HostFs } from '../host/host-fs.js';
import { findProgram } from '../checkconfig/programs.js';
import { onBtrfs, type Backing } from './create.js';

/** One backing store and whether lxdeck can build a rootfs on it on this host. */
export interface BackingAvailability {
  backing: 'dir' | 'loop' | 'btrfs' | 'lvm' | 'zfs';
  /** lxdeck create --backing this works here now */
  available: boolean;
  /** one line: why (not) */
  reason: string;
  /** Debian package names that would make it available, when a package is what is missing */
  apt?: string;
}

/**
 * The backing stores and whether each is usable here: dir always; loop with mke2fs (e2fsprogs);
 * btrfs with the `btrfs` program (btrfs-progs) and the lxcpath (or its nearest existing parent)
 * on btrfs (statfs(2) f_type); lvm and zfs never (lxdeck does not build them yet; ZFS's tools are
 * in Debian's contrib, not main).
 * @param fs the host root (tests point it at a fixture tree); the lxcpath is resolved inside it
 */
export function hostBackings(lxcpath: string, fs: HostFs = new HostFs('/')): BackingAvailability[] {
  const mke2fs = findProgram(fs, 'mke2fs') !== null;
  const btrfs = findProgram(fs, 'btrfs') !== null;
  const lxcOnBtrfs = lxcpath.startsWith('/') && onBtrfs(fs.resolve(lxcpath));
  const lvm = findProgram(fs, 'lvcreate') !== null;
  return [
    { backing: 'dir', available: true, reason: 'a directory in the lxcpath' },
    mke2fs
      ? { backing: 'loop', available: true, reason: 'an ext4 image file (mke2fs from e2fsprogs)' }
      : { backing: 'loop', available: false, reason: 'mke2fs is missing', apt: 'e2fsprogs' },
    !btrfs
      ? { backing: 'btrfs', available: false, reason: 'the btrfs program is missing', apt: 'btrfs-progs' }
      : lxcOnBtrfs
        ? { backing: 'btrfs', available: true, reason: `a subvolume: ${lxcpath} is on btrfs` }
        : { backing: 'btrfs', available: false, reason: `btrfs-progs is installed, but ${lxcpath} is not on btrfs` },
    { backing: 'lvm', available: false, reason: lvm ? 'lvm2 is installed; lxdeck does not build LVM rootfs yet (lxc-create -B lvm does)' : 'lvm2 is missing, and lxdeck does not build LVM rootfs yet', ...(lvm ? {} : { apt: 'lvm2' }) },
    { backing: 'zfs', available: false, reason: "zfsutils-linux is in Debian's contrib, not main; lxdeck does not build ZFS rootfs (lxc-create -B zfs on a pool made by hand does)" },
  ];
}

/** The backing stores `lxdeck create --backing` can use here, in hostBackings' order (dir first). */
export function availableBackings(lxcpath: string, fs?: HostFs): Backing[] {
  return hostBackings(lxcpath, fs)
    .filter((b) => b.available)
    .map((b) => b.backing as Backing);
}

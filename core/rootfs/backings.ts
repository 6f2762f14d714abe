/**
 * Which rootfs backing stores (lxc-create(1) -B) this host can use, read once from the host:
 * the programs on the search path and the lxcpath's file system type. Both checkconfig's Storage
 * section and the create wizard's storage step read it, so the wizard offers only what a create
 * here can do.
 */
import { readdirSync, readFileSync } from 'node:fs';
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
 * Decodes a device-mapper name LVM gave a volume (`VG-LV[-layer]`, each `-` inside VG or LV
 * doubled, lvm(8)) into its parts; null when it does not split so.
 */
export function splitDmName(name: string): string[] | null {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < name.length; i++) {
    if (name[i] !== '-') cur += name[i];
    else if (name[i + 1] === '-') {
      cur += '-';
      i++;
    } else {
      parts.push(cur);
      cur = '';
    }
  }
  parts.push(cur);
  return parts.length >= 2 && parts.every((p) => p !== '') ? parts : null;
}

/**
 * The active LVM thin pools of this host as `VG/POOL`, read from sysfs without running anything:
 * each device-mapper device `/sys/block/dm-N/dm/` whose `uuid` is LVM's (`LVM-...`) and ends in
 * `-tpool` (the pool's data/metadata layer, Documentation/admin-guide/device-mapper/thin-provisioning.rst)
 * has the name `VG-POOL-tpool`. Sorted, LXC's default `lxc/lxc` first when present.
 * @param fs the host root (tests point it at a fixture tree)
 */
export function activeThinPools(fs: HostFs = new HostFs('/')): string[] {
  const out = new Set<string>();
  let entries: string[] = [];
  try {
    entries = readdirSync(fs.resolve('/sys/block')).filter((e) => e.startsWith('dm-'));
  } catch {
    return [];
  }
  for (const e of entries) {
    try {
      const uuid = readFileSync(fs.resolve(`/sys/block/${e}/dm/uuid`), 'utf8').trim();
      if (!uuid.startsWith('LVM-') || !uuid.endsWith('-tpool')) continue;
      const parts = splitDmName(readFileSync(fs.resolve(`/sys/block/${e}/dm/name`), 'utf8').trim());
      if (parts && parts.length === 3 && parts[2] === 'tpool') out.add(`${parts[0]}/${parts[1]}`);
    } catch {
      /* not readable: not counted */
    }
  }
  return [...out].sort((a, b) => (a === 'lxc/lxc' ? -1 : b === 'lxc/lxc' ? 1 : a.localeCompare(b)));
}

/**
 * The backing stores and whether each is usable here: dir always; loop with mke2fs (e2fsprogs);
 * btrfs with the `btrfs` program (btrfs-progs) and the lxcpath (or its nearest existing parent)
 * on btrfs (statfs(2) f_type); lvm with lvcreate (lvm2), thin_check (thin-provisioning-tools:
 * LVM runs it to activate a thin pool), mke2fs, and an active thin pool ({@link activeThinPools});
 * zfs when the `zfs` program is on the search path (zfsutils-linux is in Debian's contrib, not main).
 * @param fs the host root (tests point it at a fixture tree); the lxcpath is resolved inside it
 */
export function hostBackings(lxcpath: string, fs: HostFs = new HostFs('/')): BackingAvailability[] {
  const mke2fs = findProgram(fs, 'mke2fs') !== null;
  const btrfs = findProgram(fs, 'btrfs') !== null;
  const lxcOnBtrfs = lxcpath.startsWith('/') && onBtrfs(fs.resolve(lxcpath));
  const lvm = findProgram(fs, 'lvcreate') !== null;
  const thinTools = findProgram(fs, 'thin_check') !== null;
  const pools = lvm && thinTools ? activeThinPools(fs) : [];
  const zfs = findProgram(fs, 'zfs') !== null;
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
    !lvm || !thinTools
      ? { backing: 'lvm', available: false, reason: `${[!lvm ? 'lvm2' : '', !thinTools ? 'thin-provisioning-tools' : ''].filter(Boolean).join(' and ')} ${!lvm && !thinTools ? 'are' : 'is'} missing`, apt: [!lvm ? 'lvm2' : '', !thinTools ? 'thin-provisioning-tools' : ''].filter(Boolean).join(' ') }
      : !mke2fs
        ? { backing: 'lvm', available: false, reason: 'mke2fs is missing (the thin volume gets ext4)', apt: 'e2fsprogs' }
        : pools.length
          ? { backing: 'lvm', available: true, reason: `a thin volume in a thin pool: ${pools.join(', ')}` }
          : { backing: 'lvm', available: false, reason: 'lvm2 and thin-provisioning-tools are installed, but no volume group has an active thin pool' },
    zfs
      ? { backing: 'zfs', available: true, reason: 'the zfs program is installed: a dataset under --zfsroot (default lxc), as lxc-create -B zfs makes it (a path lxdeck\'s tests have not run: no ZFS on its CI host)' }
      : { backing: 'zfs', available: false, reason: "the zfs program is missing: zfsutils-linux is in Debian's contrib, not main (with it, lxdeck makes a dataset as lxc-create -B zfs does)" },
  ];
}

/** The backing stores `lxdeck create --backing` can use here, in hostBackings' order (dir first). */
export function availableBackings(lxcpath: string, fs?: HostFs): Backing[] {
  return hostBackings(lxcpath, fs)
    .filter((b) => b.available)
    .map((b) => b.backing as Backing);
}

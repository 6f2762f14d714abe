/**
 * /proc/PID/mountinfo parser, following proc(5) ("/proc/pid/mountinfo") and
 * the kernel's Documentation/filesystems/proc.rst section 3.5:
 *
 *   36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
 *   (1)(2)(3)   (4)   (5)      (6)      (7)   (8) (9)   (10)         (11)
 *
 * Field (7) is zero or more optional fields (`shared:N`, `master:N`,
 * `propagate_from:N`, `unbindable`), ended by the single `-` separator (8).
 * Paths escape space, tab, newline and backslash as octal (`\040`, `\011`,
 * `\012`, `\134`).
 */
import type { HostFs } from './host-fs.js';

export interface MountInfoEntry {
  mountId: number;
  parentId: number;
  /** "MAJOR:MINOR" of the st_dev of files on this file system */
  majorMinor: string;
  /** the directory of the file system that forms this mount's root (unescaped) */
  root: string;
  /** the mount point, relative to the reader's root (unescaped) */
  mountPoint: string;
  /** per-mount options (`rw`, `nosuid`, `relatime`...) */
  mountOptions: string[];
  /** zero or more `tag[:value]` fields before the separator */
  optionalFields: string[];
  /** file system type, e.g. `cgroup`, `cgroup2`, `ext4` (a `type.subtype` stays whole) */
  fsType: string;
  /** mount source (unescaped), e.g. `/dev/sda1`, `cgroup`, `none` */
  source: string;
  /** per-superblock options: for a v1 cgroup mount, its controllers (`rw,cpu,cpuacct`) */
  superOptions: string[];
}

/** Turns the kernel's octal escapes (`\040` and the like) back into characters. */
export function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/**
 * Parses the text of a mountinfo file. Lines that do not have the shape above
 * (no ` - ` separator, too few fields, non-numeric ids) are skipped, never
 * guessed at.
 * @returns one entry per well-formed line, in file order
 */
export function parseMountInfo(text: string): MountInfoEntry[] {
  const out: MountInfoEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const fields = line.trim().split(/\s+/);
    const sep = fields.indexOf('-', 6);
    if (sep < 6 || fields.length < sep + 3) continue;
    const mountId = Number(fields[0]);
    const parentId = Number(fields[1]);
    if (!Number.isInteger(mountId) || !Number.isInteger(parentId)) continue;
    out.push({
      mountId,
      parentId,
      majorMinor: fields[2],
      root: unescapeMountField(fields[3]),
      mountPoint: unescapeMountField(fields[4]),
      mountOptions: fields[5].split(','),
      optionalFields: fields.slice(6, sep),
      fsType: fields[sep + 1],
      source: unescapeMountField(fields[sep + 2]),
      superOptions: fields[sep + 3] !== undefined ? fields[sep + 3].split(',') : [],
    });
  }
  return out;
}

/**
 * Reads and parses `/proc/<pid>/mountinfo` through `fs`.
 * @param pid a process id, or `'self'` (default)
 * @throws the Node errno error when the file cannot be read (ENOENT for a vanished PID)
 */
export function readMountInfo(fs: HostFs, pid: number | 'self' = 'self'): MountInfoEntry[] {
  return parseMountInfo(fs.readText(`/proc/${pid}/mountinfo`));
}

/**
 * The LVM thin backing store (issue 11), as `lxc-create -B lvm --vgname VG --thinpool POOL
 * --fssize SIZE` makes it: a thin logical volume named after the container in the volume group's
 * thin pool (`lvcreate --thinpool VG/POOL -V SIZE -n NAME VG`), an ext4 file system on it, and
 * `lxc.rootfs.path = lvm:/dev/VG/NAME` (lxc.container.conf(5)). LXC's defaults are its global
 * config keys lxc.bdev.lvm.vg = `lxc` and lxc.bdev.lvm.thin_pool = `lxc` (lxc.system.conf(5)).
 *
 * Only LVM's command line tools are run (lvm2: lvs, lvcreate, lvremove, lvchange), with an argv,
 * never a shell; every command names the volume group and logical volume it acts on, so nothing
 * touches a volume group or volume this code did not name. The pure parts (argv builders, the
 * `lvs` reading, the option checks) are exported for unit tests.
 */
import type { Runner } from '../exec/runner.js';
import { LxdeckError } from '../errors.js';

/** LXC's default volume group for -B lvm (lxc.bdev.lvm.vg, lxc.system.conf(5)). */
export const LVM_DEFAULT_VG = 'lxc';
/** LXC's default thin pool for -B lvm (lxc.bdev.lvm.thin_pool, lxc.system.conf(5)). */
export const LVM_DEFAULT_THINPOOL = 'lxc';

/** Where a container's thin volume lives. */
export interface LvmTarget {
  /** volume group */
  vg: string;
  /** thin pool logical volume in `vg` */
  thinpool: string;
}

/** LVM's own name rule (lvm(8) VALID NAMES): A-Z a-z 0-9 + _ . -, not starting with '-', not '.' or '..'. */
const LVM_NAME_RE = /^[A-Za-z0-9+_.][A-Za-z0-9+_.-]*$/;
/** Names lvm(8) reserves: logical volumes may not start with these nor hold the internal suffixes. */
const LV_RESERVED_PREFIX = ['snapshot', 'pvmove'];
const LV_RESERVED_PART = ['_cdata', '_cmeta', '_corig', '_cpool', '_cvol', '_wcorig', '_mlog', '_mimage', '_pmspare', '_rimage', '_rmeta', '_tdata', '_tmeta', '_vdata', '_vorigin'];

/**
 * Checks a volume group or logical volume name by lvm(8)'s VALID NAMES rule (at most 127
 * characters); logical volume names also may not start with `snapshot` or `pvmove` nor hold
 * an internal suffix such as `_tdata`.
 * @throws LxdeckError E_INVALID_VALUE naming the rule
 */
export function checkLvmName(what: 'volume group' | 'thin pool' | 'logical volume', name: string): string {
  const n = name.trim();
  const lv = what !== 'volume group';
  const bad =
    n === '' || n === '.' || n === '..' || n.length > 127 || !LVM_NAME_RE.test(n) || (lv && (LV_RESERVED_PREFIX.some((p) => n.startsWith(p)) || LV_RESERVED_PART.some((p) => n.includes(p))));
  if (bad)
    throw new LxdeckError('E_INVALID_VALUE', `${JSON.stringify(name)} is not a valid LVM ${what} name`, {
      hint: `lvm(8): letters, digits and + _ . - (not starting with -)${lv ? '; a logical volume may not start with snapshot or pvmove' : ''}`,
    });
  return n;
}

/**
 * The volume group and thin pool of `--backing lvm`: `--vgname` / `--thinpool` (lxc-create's
 * spelling) or `--option vg=NAME,thinpool=NAME`, LXC's defaults (`lxc`, `lxc`) for what is not given.
 * @throws LxdeckError E_INVALID_VALUE for a name outside lvm(8)'s rule
 */
export function checkLvmTarget(vg: string | undefined, thinpool: string | undefined): LvmTarget {
  return { vg: checkLvmName('volume group', vg ?? LVM_DEFAULT_VG), thinpool: checkLvmName('thin pool', thinpool ?? LVM_DEFAULT_THINPOOL) };
}

/** `/dev/VG/LV`, the path LVM gives an active logical volume (and lxc.rootfs.path's `lvm:` value). */
export function lvDevice(vg: string, lv: string): string {
  return `/dev/${vg}/${lv}`;
}

/** The volume group and logical volume of an `lxc.rootfs.path` value `lvm:/dev/VG/LV` (or `/dev/VG/LV`); null for anything else. */
export function parseLvmRootfs(val: string | undefined): { vg: string; lv: string } | null {
  const m = /^(?:lvm:)?\/dev\/([^/\s]+)\/([^/\s]+)$/.exec((val ?? '').trim());
  if (!m || m[1] === 'mapper') return null;
  if (!(val ?? '').trim().startsWith('lvm:') && !LVM_NAME_RE.test(m[1])) return null;
  return { vg: m[1], lv: m[2] };
}

/** Environment for LVM's tools: no "File descriptor N leaked" warnings (LVM_SUPPRESS_FD_WARNINGS, lvm(8) ENVIRONMENT), as LXC sets it. */
export const LVM_ENV = { LVM_SUPPRESS_FD_WARNINGS: '1' };

/**
 * lvcreate(8) argv of a thin volume of `sizeBytes` (a multiple of 512) in VG/POOL, as LXC's
 * do_lvm_create: `--thinpool VG/POOL -V SIZEb -n NAME VG`, with `-Wy --yes` as LXC passes when it
 * wipes signatures (a new volume: an old file system signature on reused blocks is wiped, not
 * prompted for; `-qq` would answer such a prompt "no" and fail).
 */
export function lvcreateThinArgv(t: LvmTarget, lv: string, sizeBytes: number): string[] {
  return ['-q', '-Wy', '--yes', '--thinpool', `${t.vg}/${t.thinpool}`, '-V', `${sizeBytes}b`, '-n', lv, t.vg];
}

/**
 * lvcreate(8) argv of a thin snapshot DST of VG/SRC, as LXC's lvm_snapshot makes it for a thin
 * origin (`-s -n DST VG/SRC`, no size: it shares the origin's pool), plus `-kn`
 * (--setactivationskip n): LVM flags thin snapshots to skip activation by default
 * (lvm.conf activation/auto_set_activation_skip), which would leave /dev/VG/DST missing at start.
 */
export function lvsnapshotArgv(vg: string, src: string, dst: string): string[] {
  return ['-q', '--yes', '-s', '-kn', '-n', dst, `${vg}/${src}`];
}

/** lvremove(8) argv of one logical volume, forced (no prompt), as LXC's lvm_destroy: `-f VG/LV`. */
export function lvremoveArgv(vg: string, lv: string): string[] {
  return ['-f', `${vg}/${lv}`];
}

/** What `lvs --noheadings --separator | -o lv_name,lv_attr,pool_lv VG` says of one logical volume. */
export interface LvRow {
  name: string;
  /** lv_attr, 10 characters: [0] volume type (`t` thin pool, `V` thin volume), [4] state (`a` active) */
  attr: string;
  pool: string;
}

/** Reads `lvs --noheadings --separator '|' -o lv_name,lv_attr,pool_lv` output (lvs(8)); blank and malformed lines are skipped. */
export function parseLvs(text: string): LvRow[] {
  const rows: LvRow[] = [];
  for (const line of text.split('\n')) {
    const parts = line.trim().split('|');
    if (parts.length < 2 || parts[0] === '') continue;
    rows.push({ name: parts[0].trim(), attr: parts[1].trim(), pool: (parts[2] ?? '').trim() });
  }
  return rows;
}

/** Reads `vgs --noheadings --separator '|' -o vg_name` output: the volume group names. */
export function parseVgs(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim().split('|')[0].trim())
    .filter(Boolean);
}

/** True when an lvs row is a thin pool (lv_attr's volume type `t`, lvs(8)). */
export function isThinPool(r: LvRow): boolean {
  return r.attr.startsWith('t');
}

/**
 * The logical volumes of volume group `vg` (`lvs ... VG`, read only); null when the volume group
 * does not exist or lvs cannot run.
 */
export async function listLvs(runner: Runner, vg: string): Promise<LvRow[] | null> {
  let r;
  try {
    r = await runner.run('lvs', ['--noheadings', '--separator', '|', '-o', 'lv_name,lv_attr,pool_lv', vg], { timeoutMs: 30_000, env: LVM_ENV });
  } catch {
    return null;
  }
  return r.exitCode === 0 ? parseLvs(r.stdout) : null;
}

/**
 * The thin pools of every volume group as `VG/POOL` (`lvs -o vg_name,lv_name,lv_attr`, read only);
 * [] when there are none or lvs cannot run. Checkconfig and the wizard offer lvm only when one exists.
 */
export async function thinPools(runner: Runner): Promise<string[]> {
  let r;
  try {
    r = await runner.run('lvs', ['--noheadings', '--separator', '|', '-o', 'vg_name,lv_name,lv_attr'], { timeoutMs: 30_000, env: LVM_ENV });
  } catch {
    return [];
  }
  if (r.exitCode !== 0) return [];
  const out: string[] = [];
  for (const line of r.stdout.split('\n')) {
    const [vg, lv, attr] = line.trim().split('|').map((s) => s.trim());
    if (vg && lv && attr?.startsWith('t')) out.push(`${vg}/${lv}`);
  }
  return out;
}

/**
 * What `--backing lvm` needs, checked before anything is written: lvcreate (lvm2) on the PATH,
 * the volume group with `thinpool` as a thin pool in it (thin-provisioning-tools checks its
 * metadata on activation), and no logical volume `lv` in it yet.
 * @throws LxdeckError E_CONFIG (no lvm2, no such volume group or thin pool), E_EXISTS (the volume exists)
 */
export async function checkLvmHost(runner: Runner, t: LvmTarget, lv: string): Promise<void> {
  const make = `vgcreate ${t.vg} DEVICE && lvcreate --type thin-pool -L 10G -n ${t.thinpool} ${t.vg}`;
  let ok = false;
  try {
    ok = (await runner.run('lvcreate', ['--version'], { timeoutMs: 10_000, env: LVM_ENV })).exitCode === 0;
  } catch {
    ok = false;
  }
  if (!ok) throw new LxdeckError('E_CONFIG', '--backing lvm needs lvm2 (lvcreate), which is not installed', { hint: 'apt-get install lvm2 thin-provisioning-tools (zypper/dnf install lvm2 device-mapper-persistent-data)' });
  const lvs = await listLvs(runner, t.vg);
  if (lvs === null)
    throw new LxdeckError('E_CONFIG', `--backing lvm: there is no volume group ${t.vg}`, { hint: `name one with --vgname (vgs lists them), or make it with a thin pool: ${make}` });
  const pool = lvs.find((r) => r.name === t.thinpool);
  if (!pool || !isThinPool(pool))
    throw new LxdeckError('E_CONFIG', `--backing lvm: ${t.vg}/${t.thinpool} is ${pool ? 'not a thin pool' : 'missing'}`, {
      hint: `name the thin pool with --thinpool (lvs ${t.vg} lists them: attr starting with t), or make one: lvcreate --type thin-pool -L 10G -n ${t.thinpool} ${t.vg}`,
    });
  if (lvs.some((r) => r.name === lv))
    throw new LxdeckError('E_EXISTS', `a logical volume ${t.vg}/${lv} already exists`, { hint: `another container (perhaps of another lxcpath) uses it: choose another name, or remove it (lvremove ${t.vg}/${lv}) if it is not in use` });
}

/**
 * Whether logical volume VG/LV exists (`lvs VG/LV`, read only).
 */
export async function lvExists(runner: Runner, vg: string, lv: string): Promise<boolean> {
  try {
    return (await runner.run('lvs', ['--noheadings', '-o', 'lv_name', `${vg}/${lv}`], { timeoutMs: 30_000, env: LVM_ENV })).exitCode === 0;
  } catch {
    return false;
  }
}

/**
 * Removes logical volume VG/LV (`lvremove -f VG/LV`, as LXC's lvm_destroy); nothing when it is gone already.
 * @throws LxdeckError E_COMMAND when lvremove fails and the volume is still there
 */
export async function removeLv(runner: Runner, vg: string, lv: string): Promise<void> {
  if (!(await lvExists(runner, vg, lv))) return;
  const r = await runner.run('lvremove', lvremoveArgv(vg, lv), { timeoutMs: 120_000, env: LVM_ENV });
  if (r.exitCode !== 0 && (await lvExists(runner, vg, lv)))
    throw new LxdeckError('E_COMMAND', `lvremove ${vg}/${lv} failed: ${lastLine(r.stderr) ?? `exit ${r.exitCode}`}`, { hint: `is it mounted or open? (lsblk, dmsetup info ${vg}-${lv}); then lvremove -f ${vg}/${lv}` });
}

/** The last non-empty line of a command's stderr. */
export function lastLine(text: string): string | undefined {
  return text.trim().split('\n').filter(Boolean).pop();
}

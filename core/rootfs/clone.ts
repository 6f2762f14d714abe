/**
 * Copying a container with a new identity (issue 9): `lxc-copy -P LP -n SRC -N DST -K`
 * (lxc-copy(1); -K because lxc-copy writes the new name into the rootfs's
 * /etc/hostname with a plain open that follows a symlink out of the rootfs, case T1:
 * lxdeck writes the hostname itself, symlink-safely), then DST gets its own
 * lxc.net.N.hwaddr, a static address from the bridge's host record when SRC had one,
 * lxc.net.N.veth.pair (core/names vethName), lxc.uts.name and /etc/hostname, and for an
 * unprivileged SRC a new idmap range with the rootfs ownership shifted from SRC's range.
 * SRC must be STOPPED (lxc-copy's own default; a live copy of a running rootfs is not
 * consistent). `--snapshot` makes `lxc-copy -s -B overlay` of a dir-backed privileged SRC (the
 * hostname goes in the overlay's upper layer; no ownership shift), or `lxc-copy -s` of a
 * btrfs-backed SRC (a btrfs snapshot of SRC's subvolume: instant, unprivileged too, see
 * checkSnapshotClone). Rename (`lxc-copy -R`) and
 * restore-as (`lxc-snapshot -r -N`) live here too. On any failure after
 * lxc-copy started, DST is destroyed and its reservations released.
 */
import { existsSync, lstatSync, readdirSync, statSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, rename as renameFs, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Runner } from '../exec/runner.js';
import { LxdeckError } from '../errors.js';
import { noContainerError } from '../lxcpath.js';
import type { HostState } from '../hoststate/index.js';
import { idmapValues, IDMAP_SIZE, parseIdmap, shiftRootfsOwnership, ensureRootSubids } from '../idmap.js';
import { netInterfaces, readConfig, writeConfig } from '../lxc/config.js';
import { validateContainerName, validateExistingName, vethName } from '../names.js';
import { randomHwaddr } from '../network/hwaddr.js';
import { formatCidr, parseCidr } from '../network/ipv4.js';
import { mkdirInRootfs, writeFileInRootfs } from './safe-write.js';
import { checkLvmName, lastLine, lvDevice, lvExists, LVM_ENV, lvsnapshotArgv, parseLvmRootfs, removeLv } from './lvm.js';

export interface CloneHost {
  lxcpath: string;
  runner: Runner;
  hostState: HostState;
  state(name: string): Promise<string>;
  ensureBridge(bridge: string): Promise<{ gateway: string }>;
  atomicWrite(path: string, content: string, mode?: number): Promise<void>;
}

/**
 * Copy of stopped SRC to DST with a new identity (see the module comment): full (`lxc-copy -K`),
 * or with `opts.snapshot` an overlay clone (`lxc-copy -s -B overlay -K`) of a dir-backed privileged SRC,
 * or a btrfs snapshot (`lxc-copy -s -K`) of a btrfs-backed SRC, unprivileged included (checkSnapshotClone).
 * @throws LxdeckError E_NAME_INVALID, E_NOT_FOUND, E_EXISTS, E_STATE (SRC not STOPPED), E_USAGE (--snapshot of an unprivileged dir SRC, or of a loop, lvm or zfs SRC), E_UNSUPPORTED (a full copy of a loop, lvm or zfs rootfs), E_COMMAND (lxc-copy failed), E_NETWORK, E_CONFIG, E_UNSAFE_PATH
 */
export async function copyContainer(host: CloneHost, src: string, dst: string, opts: { snapshot?: boolean } = {}): Promise<void> {
  validateExistingName(src);
  validateContainerName(dst);
  if (!existsSync(join(host.lxcpath, src, 'config'))) throw noContainerError(src, host.lxcpath);
  if (existsSync(join(host.lxcpath, dst))) throw new LxdeckError('E_EXISTS', `a container named ${dst} already exists in ${host.lxcpath}`, { hint: 'choose another name' });
  const srcCfg = await readConfig(join(host.lxcpath, src, 'config'));
  if (opts.snapshot) checkSnapshotClone(srcCfg, src, dst);
  else requireDirRootfs(srcCfg, src, 'copies', `lxc-copy -P ${host.lxcpath} -n ${src} -N ${dst} copies it as it is, without a new identity`, true);
  const btrfs = (srcCfg.get('lxc.rootfs.path') ?? '').startsWith('btrfs:');
  const st = await host.state(src);
  if (st !== 'STOPPED') throw new LxdeckError('E_STATE', `${src} is ${st}: lxdeck copies a stopped container only`, { hint: `stop it first: lxdeck stop ${src}` });
  const lv = parseLvmRootfs(srcCfg.get('lxc.rootfs.path'));
  if (opts.snapshot && lv) return lvmSnapshotClone(host, src, dst, lv);
  const r = await host.runner.run('lxc-copy', ['-P', host.lxcpath, '-n', src, '-N', dst, ...(opts.snapshot ? (btrfs ? ['-s'] : ['-s', '-B', 'overlay']) : []), '-K'], { timeoutMs: 30 * 60_000 });
  if (r.exitCode !== 0) {
    await removeDst(host, dst);
    throw new LxdeckError('E_COMMAND', `lxc-copy ${src} to ${dst} failed: ${r.stderr.trim().split('\n').pop() ?? `exit ${r.exitCode}`}`, { hint: `the command was: lxc-copy -P ${host.lxcpath} -n ${src} -N ${dst}` });
  }
  try {
    await newIdentity(host, src, dst);
  } catch (e) {
    await removeDst(host, dst);
    await host.hostState.releasePending(host.lxcpath, dst).catch(() => undefined);
    throw e;
  }
}

/**
 * What `copy --snapshot` (lxc-copy(1) -s) takes:
 * - a btrfs-backed source (`lxc.rootfs.path = btrfs:DIR`, lxc-create -B btrfs), privileged or
 *   unprivileged: `lxc-copy -s` makes a btrfs snapshot of SRC's subvolume. A snapshot shares the
 *   data extents, not the inodes: it is a tree of its own, so the ownership shift to DST's new
 *   idmap range (newIdentity) rewrites the snapshot's inode metadata only, copy-on-write, and
 *   leaves SRC's files as they were. So an unprivileged clone gets its own range like a full copy
 *   (never SRC's: two containers in one range could reach each other's files and processes), at
 *   the cost of one metadata write per file; the data stays shared.
 * - a dir-backed PRIVILEGED source: `lxc-copy -s -B overlay`. The overlay's lower layer is SRC's
 *   rootfs itself, so its files keep SRC's ownership: an unprivileged clone would need SRC's
 *   idmap range, which must stay SRC's alone, so that is refused.
 * @throws LxdeckError E_USAGE with a hint to make a full copy
 */
function checkSnapshotClone(cfg: Awaited<ReturnType<typeof readConfig>>, src: string, dst: string): void {
  const full = `make a full copy instead: lxdeck copy ${src} ${dst}`;
  const val = cfg.get('lxc.rootfs.path') ?? '';
  if (val.startsWith('btrfs:') || val.startsWith('lvm:')) return;
  if (!dirRootfs(val))
    throw new LxdeckError('E_USAGE', `copy --snapshot takes a dir-backed rootfs; ${src}'s is ${val || 'unset'}`, {
      hint: /^(loop|zfs):/.test(val) ? `lxc-copy -n ${src} -N ${dst} (with -P LXCPATH) copies it as it is; lxdeck copies dir-backed containers only` : full,
    });
  if (cfg.getAll('lxc.idmap').length)
    throw new LxdeckError('E_USAGE', `${src} is unprivileged: an overlay clone would share its rootfs files and so its idmap range`, { hint: full });
}

async function removeDst(host: CloneHost, dst: string): Promise<void> {
  if (existsSync(join(host.lxcpath, dst))) await host.runner.run('lxc-destroy', ['-P', host.lxcpath, '-n', dst], { timeoutMs: 120_000 });
}

/**
 * `copy --snapshot` of an LVM-backed SRC (`lxc.rootfs.path = lvm:/dev/VG/SRC`): a thin snapshot
 * `lvcreate -s -kn -n DST VG/LV` as lxc-copy -s makes it of a thin origin (lxc's lvm_snapshot; -kn
 * so that /dev/VG/DST is active now and after a reboot, see lvsnapshotArgv), then DST's directory
 * and config (SRC's, with lxc.rootfs.path = lvm:/dev/VG/DST and SRC's directory in other values
 * replaced by DST's, as lxc-copy rewrites them) and the identity step with the snapshot mounted on
 * DST's rootfs directory (new MAC, address, veth, hostname, and for an unprivileged SRC its own idmap
 * range with the snapshot's ownership shifted: metadata written in the snapshot only, the data
 * blocks stay shared in the pool). lxdeck does this itself rather than through lxc-copy -s: LXC
 * makes the snapshot with `lvcreate -s` alone, so LVM flags it to skip activation
 * (lvm.conf activation/auto_set_activation_skip) and /dev/VG/DST is not there when lxc-copy
 * mounts it for its clone step, nor at start (bench/README section 5 records what lxc-copy -s did
 * here). A failure removes DST's directory and the snapshot volume.
 * @throws LxdeckError E_INVALID_VALUE (DST not a valid LV name), E_EXISTS (VG/DST exists), E_COMMAND (lvcreate, mount), E_NETWORK, E_CONFIG, E_UNSAFE_PATH
 */
async function lvmSnapshotClone(host: CloneHost, src: string, dst: string, lv: { vg: string; lv: string }): Promise<void> {
  checkLvmName('logical volume', dst);
  if (await lvExists(host.runner, lv.vg, dst))
    throw new LxdeckError('E_EXISTS', `a logical volume ${lv.vg}/${dst} already exists`, { hint: 'choose another name (the snapshot volume is named after the new container, as lxc-copy -s names it)' });
  const argv = lvsnapshotArgv(lv.vg, lv.lv, dst);
  const r = await host.runner.run('lvcreate', argv, { timeoutMs: 120_000, env: LVM_ENV });
  if (r.exitCode !== 0) {
    await removeLv(host.runner, lv.vg, dst).catch(() => undefined);
    throw new LxdeckError('E_COMMAND', `the thin snapshot ${lv.vg}/${dst} of ${lv.vg}/${lv.lv} failed: ${lastLine(r.stderr) ?? `exit ${r.exitCode}`}`, { hint: `the command was: lvcreate ${argv.join(' ')}` });
  }
  const srcDir = join(host.lxcpath, src);
  const dstDir = join(host.lxcpath, dst);
  const mnt = join(dstDir, 'rootfs');
  let mounted = false;
  try {
    await mkdir(dstDir, { mode: 0o750 });
    await mkdir(mnt, { mode: 0o755 });
    const text = await readFile(join(srcDir, 'config'), 'utf8');
    const lines = text.split('\n').map((l) => {
      const m = /^(\s*lxc\.rootfs\.path\s*=\s*)(.*)$/.exec(l);
      if (m) return `${m[1]}lvm:${lvDevice(lv.vg, dst)}`;
      // other values naming SRC's directory (lxc.mount.fstab, lxc.log.file, hooks) follow to DST's, as lxc-copy does
      return l.split(`${srcDir}/`).join(`${dstDir}/`);
    });
    await writeFile(join(dstDir, 'config'), lines.join('\n'), { mode: 0o640 });
    const mo = await host.runner.run('mount', ['-t', 'ext4', lvDevice(lv.vg, dst), mnt], { timeoutMs: 60_000 });
    if (mo.exitCode !== 0) throw new LxdeckError('E_COMMAND', `mounting the snapshot ${lvDevice(lv.vg, dst)} failed: ${lastLine(mo.stderr) ?? `exit ${mo.exitCode}`}`, { hint: `lvs ${lv.vg} shows whether it is active (attr a); lvchange -ay -K ${lv.vg}/${dst}` });
    mounted = true;
    // a volume made before lxdeck gave lost+found to root inside (create's lostFoundOwnedBy) has it
    // owned by host root, outside SRC's map: the snapshot's copy follows SRC's root before the shift
    const base = parseIdmap((await readConfig(join(dstDir, 'config'))).getAll('lxc.idmap')[0] ?? '')?.hostid;
    const lf = join(mnt, 'lost+found');
    if (base !== undefined && existsSync(lf) && lstatSync(lf).isDirectory() && statSync(lf).uid === 0) await chown(lf, base, base);
    await newIdentity(host, src, dst, { copiedFrom: src, snapshotOf: `${lv.vg}/${lv.lv}` }, mnt);
    const um = await host.runner.run('umount', [mnt], { timeoutMs: 60_000 });
    if (um.exitCode !== 0) throw new LxdeckError('E_COMMAND', `unmounting ${mnt} failed: ${lastLine(um.stderr) ?? `exit ${um.exitCode}`}`);
    mounted = false;
  } catch (e) {
    if (mounted) await host.runner.run('umount', ['--lazy', mnt], { timeoutMs: 60_000 }).catch(() => undefined);
    await rm(dstDir, { recursive: true, force: true }).catch(() => undefined);
    await removeLv(host.runner, lv.vg, dst).catch(() => undefined);
    await host.hostState.releasePending(host.lxcpath, dst).catch(() => undefined);
    throw e;
  }
}

/**
 * The identity step after lxc-copy / lxc-snapshot -N: hwaddr, address, veth.pair, uts.name and /etc/hostname, idmap range and ownership, sidecar.
 * `note` goes into DST's sidecar (default `{ copiedFrom: SRC }`). `rootfsDir` is where DST's root file
 * system is mounted when lxc.rootfs.path does not name a directory (an LVM volume); by default the
 * directory lxc.rootfs.path names.
 */
export async function newIdentity(host: CloneHost, src: string, dst: string, note: Record<string, unknown> = { copiedFrom: src }, rootfsDir?: string): Promise<void> {
  const cfgPath = join(host.lxcpath, dst, 'config');
  const cfg = await readConfig(cfgPath);
  for (const n of netInterfaces(cfg)) {
    if (n.type !== 'veth' && n.type !== 'macvlan') continue;
    cfg.set(`lxc.net.${n.index}.hwaddr`, randomHwaddr());
    if (n.type === 'veth') cfg.set(`lxc.net.${n.index}.veth.pair`, vethName(dst, n.index, host.lxcpath));
    if (n.link && n.ipv4.length) {
      const gw = parseCidr((await host.ensureBridge(n.link)).gateway);
      const addr = await host.hostState.withLock(() => host.hostState.reserveAddressLocked({ bridge: n.link!, lxcpath: host.lxcpath, name: dst, gateway: gw }));
      cfg.set(`lxc.net.${n.index}.ipv4.address`, formatCidr(addr));
    }
  }
  cfg.set('lxc.uts.name', dst);
  const rootfsVal = cfg.get('lxc.rootfs.path') ?? '';
  // an overlay clone (`overlay:LOWER:UPPER`): DST's own files, the hostname among them, go in UPPER
  const overlay = /^(overlay|overlayfs):/.test(rootfsVal);
  const rootfs = rootfsDir ?? (overlay ? rootfsVal.slice(rootfsVal.lastIndexOf(':') + 1) : rootfsVal.replace(/^(dir|btrfs):/, ''));
  const maps = cfg.getAll('lxc.idmap').map(parseIdmap).filter((m) => m !== null);
  let newBase: number | undefined;
  if (maps.length) {
    const oldBase = maps[0].hostid;
    if (maps.some((m) => m.nsid !== 0 || m.hostid !== oldBase || m.count !== IDMAP_SIZE))
      throw new LxdeckError('E_CONFIG', `${src} has an lxc.idmap lxdeck did not make (${cfg.getAll('lxc.idmap').join('; ')})`, { hint: 'copy it with lxc-copy and set its idmap by hand' });
    const sub = await ensureRootSubids((p, t, m) => host.atomicWrite(p, t, m));
    newBase = await host.hostState.withLock(() => host.hostState.reserveIdmapLocked({ lxcpath: host.lxcpath, name: dst, available: sub.ranges }));
    await shiftRootfsOwnership(rootfs, newBase, { fromBase: oldBase });
    cfg.unset('lxc.idmap');
    for (const v of idmapValues(newBase)) cfg.append('lxc.idmap', v);
  }
  // lxc-copy makes DST's directory 0770: the container's root (host uid BASE) must reach its rootfs, as SRC's does
  await chmod(join(host.lxcpath, dst), statSync(join(host.lxcpath, src)).mode & 0o7777);
  // and owned by SRC's root (lxc-copy chowns it by SRC's map): DST's own root owns it (the trial
  // found a copy's directory owned by the source container's base)
  await ownContainerDir(join(host.lxcpath, dst), cfg);
  // the hostname: never through a symlink out of the rootfs (T1)
  if (overlay) mkdirInRootfs(rootfs, 'etc');
  if (existsSync(join(rootfs, 'etc'))) writeFileInRootfs(rootfs, 'etc/hostname', `${dst}\n`);
  await writeConfig(cfgPath, cfg);
  let side: Record<string, unknown> = {};
  try {
    side = JSON.parse(await readFile(join(host.lxcpath, src, 'lxdeck.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    /* made by lxc-create: no sidecar */
  }
  side = { ...side, created: new Date().toISOString(), ...note, ...(newBase !== undefined ? { idmapBase: newBase } : {}) };
  await writeFile(join(host.lxcpath, dst, 'lxdeck.json'), `${JSON.stringify(side, null, 2)}\n`, { mode: 0o644 });
}

/**
 * The owner a container's directory has by its own `lxc.idmap`: the host uid and gid that root
 * inside maps to (the `u 0 HOSTID N` and `g 0 HOSTID N` entries), or host root (0) for a
 * privileged container. LXC's rule: lxc-create makes `<lxcpath>/NAME` 0770 and chowns it to the
 * container's mapped root (lxccontainer.c do_create_container_dir, chown_mapped_root), so the
 * container's root reaches its rootfs. lxc-copy and lxc-snapshot -r -N chown the new directory
 * by the SOURCE's map, before lxdeck gives the new container its own range.
 */
export function containerDirOwner(cfg: Awaited<ReturnType<typeof readConfig>>): { uid: number; gid: number } {
  const maps = cfg.getAll('lxc.idmap').map(parseIdmap).filter((m) => m !== null);
  const root = (t: 'u' | 'g') => maps.find((m) => m.type === t && m.nsid === 0)?.hostid ?? 0;
  return { uid: root('u'), gid: root('g') };
}

/** Chowns `<lxcpath>/NAME` (the directory only) to {@link containerDirOwner} of its config. */
export async function ownContainerDir(dir: string, cfg: Awaited<ReturnType<typeof readConfig>>): Promise<void> {
  const o = containerDirOwner(cfg);
  await chown(dir, o.uid, o.gid);
}

/**
 * Refuses (E_UNSAFE_PATH) when `rootfs`'s etc or etc/hostname is a symlink: lxc-copy -R and
 * lxc-snapshot -N write the new name into /etc/hostname with a plain open that follows it,
 * out of the rootfs onto a host file (case T1). Checked with lstat before LXC runs.
 */
export function refuseHostnameSymlink(rootfs: string, name: string): void {
  for (const rel of ['etc', 'etc/hostname']) {
    let st;
    try {
      st = lstatSync(join(rootfs, rel));
    } catch {
      continue;
    }
    if (st.isSymbolicLink())
      throw new LxdeckError('E_UNSAFE_PATH', `/${rel} in the rootfs of ${name} is a symlink: LXC would write the new hostname through it`, {
        hint: `replace it with a plain file (e.g. lxc-execute or by hand in ${rootfs}) and try again`,
      });
  }
}

/** The rootfs directory of a dir-backed config value ("dir:/p" or "/p"); null for other backing stores. */
/**
 * Copy and rename write the new hostname into the rootfs and shift its ownership, which lxdeck
 * does on a directory (or an overlay's upper directory) only; with `btrfsToo`, a btrfs
 * subvolume too (a directory on the host). Rename moves btrfs and loop rootfs itself (renameByMove).
 * @throws LxdeckError E_UNSUPPORTED for another backing store (loop, btrfs, lvm, zfs), with `alt` as the hint
 */
function requireDirRootfs(cfg: Awaited<ReturnType<typeof readConfig>>, name: string, verb: string, alt: string, btrfsToo = false): void {
  const val = cfg.get('lxc.rootfs.path') ?? '';
  if (btrfsToo && val.startsWith('btrfs:')) return;
  if (dirRootfs(val) === null && !/^(overlay|overlayfs):/.test(val))
    throw new LxdeckError('E_UNSUPPORTED', `${name}'s rootfs is ${val.split(':')[0] || 'unset'}-backed: lxdeck ${verb} a dir-backed (or overlay) rootfs only`, { hint: alt });
}

/**
 * The config keys a rename carries over to NEW's config `cfg`: lxc.net.N.veth.pair when it was
 * lxdeck's default vethName(OLD) (else kept), and lxc.uts.name: NEW when it was OLD or unset,
 * else OLD's own (lxc.container.conf(5)).
 * @returns the lxc.uts.name now set
 */
function renameIdentityKeys(cfg: Awaited<ReturnType<typeof readConfig>>, oldCfg: Awaited<ReturnType<typeof readConfig>>, oldName: string, newName: string, lxcpath: string): string {
  for (const n of netInterfaces(cfg)) {
    if (n.type !== 'veth') continue;
    const k = `lxc.net.${n.index}.veth.pair`;
    if (cfg.get(k) === vethName(oldName, n.index, lxcpath)) cfg.set(k, vethName(newName, n.index, lxcpath));
  }
  const hadUts = oldCfg.get('lxc.uts.name');
  const uts = hadUts === undefined || hadUts === oldName ? newName : hadUts;
  cfg.set('lxc.uts.name', uts);
  return uts;
}

function dirRootfs(val: string | undefined): string | null {
  if (!val) return null;
  if (val.startsWith('dir:')) return val.slice(4);
  return val.startsWith('/') ? val : null;
}

/**
 * Renames stopped container OLD to NEW with `lxc-copy -P LP -n OLD -N NEW -R` (lxc-copy(1): a
 * clone plus a destroy of OLD, so it keeps the hwaddr and the rootfs), then puts back what LXC
 * drops or leaves stale: the sidecar lxdeck.json (protection, template, idmap base follow), the
 * container directory's mode and owner, lxc.net.N.veth.pair when it was lxdeck's default
 * vethName(OLD), lxc.uts.name and /etc/hostname when they were OLD (the hostname written
 * symlink-safely, T1); the host records follow (same address, same idmap range, new name).
 * LXC refuses to rename a container with snapshots, so that is refused first with a hint.
 * If a step after lxc-copy fails, NEW is renamed back to OLD and OLD's sidecar restored.
 * A btrfs- or loop-backed container (its subvolume or image inside its directory) is not copied:
 * its directory is moved, with the rootfs in it, and the config's paths rewritten (renameByMove).
 * @throws LxdeckError E_NAME_INVALID (N1), E_NOT_FOUND, E_EXISTS, E_STATE (not STOPPED, or has snapshots), E_UNSAFE_PATH (T1), E_COMMAND
 */
export async function renameContainer(host: CloneHost, oldName: string, newName: string): Promise<void> {
  validateExistingName(oldName);
  validateContainerName(newName);
  const oldDir = join(host.lxcpath, oldName);
  const newDir = join(host.lxcpath, newName);
  if (!existsSync(join(oldDir, 'config'))) throw noContainerError(oldName, host.lxcpath);
  if (oldName === newName) throw new LxdeckError('E_EXISTS', `${oldName} already has that name`, { hint: 'choose another name' });
  if (existsSync(newDir)) throw new LxdeckError('E_EXISTS', `a container named ${newName} already exists in ${host.lxcpath}`, { hint: 'choose another name' });
  const movable = movableRootfs((await readConfig(join(oldDir, 'config'))).get('lxc.rootfs.path'), oldDir);
  if (!movable) requireDirRootfs(await readConfig(join(oldDir, 'config')), oldName, 'renames', `lxc-copy -P ${host.lxcpath} -n ${oldName} -N ${newName} -R renames it (lxdeck's records do not follow)`);
  const st = await host.state(oldName);
  if (st !== 'STOPPED') throw new LxdeckError('E_STATE', `${oldName} is ${st}: lxdeck renames a stopped container only (as lxc-copy -R does)`, { hint: `stop it first: lxdeck stop ${oldName}` });
  let snaps: string[] = [];
  try {
    snaps = readdirSync(join(oldDir, 'snaps'));
  } catch {
    /* no snaps/ */
  }
  if (snaps.length)
    throw new LxdeckError('E_STATE', `${oldName} has ${snaps.length} snapshot(s) (${snaps.join(', ')}): LXC cannot rename a container with snapshots`, {
      // a loop or btrfs rootfs is not copied by lxdeck: only the snapshots' removal is offered then
      hint: movable
        ? `delete its snapshots first (lxdeck snapshot-delete ${oldName} SNAP), or restore the one you need in place first`
        : `copy it instead (lxdeck copy ${oldName} ${newName}), or delete its snapshots first (lxdeck snapshot-delete ${oldName} SNAP)`,
    });
  if (movable) return renameByMove(host, oldName, newName, movable);
  const oldCfg = await readConfig(join(oldDir, 'config'));
  const oldRootfs = dirRootfs(oldCfg.get('lxc.rootfs.path'));
  if (oldRootfs) refuseHostnameSymlink(oldRootfs, oldName);
  let sidecar: string | null = null;
  try {
    sidecar = await readFile(join(oldDir, 'lxdeck.json'), 'utf8');
  } catch {
    /* made by lxc-create: no sidecar */
  }
  const dirSt = statSync(oldDir);
  const r = await host.runner.run('lxc-copy', ['-P', host.lxcpath, '-n', oldName, '-N', newName, '-R'], { timeoutMs: 30 * 60_000 });
  if (r.exitCode !== 0) {
    // lxc-copy -R is clone + destroy: a failed clone may leave NEW; a failed destroy leaves both
    if (existsSync(join(oldDir, 'config'))) await removeDst(host, newName);
    throw new LxdeckError('E_COMMAND', `lxc-copy -R ${oldName} to ${newName} failed: ${r.stderr.trim().split('\n').pop() ?? `exit ${r.exitCode}`}`, {
      hint: `the command was: lxc-copy -P ${host.lxcpath} -n ${oldName} -N ${newName} -R`,
    });
  }
  try {
    await chmod(newDir, dirSt.mode & 0o7777);
    const cfgPath = join(newDir, 'config');
    const cfg = await readConfig(cfgPath);
    // owned by the container's own root, by its idmap (which a rename keeps), whatever OLD's was
    await ownContainerDir(newDir, cfg);
    const uts = renameIdentityKeys(cfg, oldCfg, oldName, newName, host.lxcpath);
    await writeConfig(cfgPath, cfg);
    const rootfs = dirRootfs(cfg.get('lxc.rootfs.path'));
    if (rootfs && existsSync(join(rootfs, 'etc'))) writeFileInRootfs(rootfs, 'etc/hostname', `${uts}\n`);
    if (sidecar !== null) await writeFile(join(newDir, 'lxdeck.json'), sidecar, { mode: 0o644 });
    await host.hostState.renameOwner(host.lxcpath, oldName, newName);
  } catch (e) {
    // back to OLD: LXC's own rename the other way, then OLD's sidecar and records
    const back = await host.runner.run('lxc-copy', ['-P', host.lxcpath, '-n', newName, '-N', oldName, '-R'], { timeoutMs: 30 * 60_000 });
    if (back.exitCode === 0) {
      if (sidecar !== null) await writeFile(join(oldDir, 'lxdeck.json'), sidecar, { mode: 0o644 }).catch(() => undefined);
      await chown(oldDir, dirSt.uid, dirSt.gid).catch(() => undefined);
      await chmod(oldDir, dirSt.mode & 0o7777).catch(() => undefined);
      await host.hostState.renameOwner(host.lxcpath, newName, oldName).catch(() => undefined);
    }
    throw e;
  }
}

/**
 * A rootfs that moves with its container directory: a btrfs subvolume (`btrfs:DIR/rootfs`) or a
 * loop image (`loop:DIR/FILE`) inside `dir`; null for anything else (dir, overlay, lvm, zfs, or a
 * rootfs outside the container directory).
 */
export function movableRootfs(val: string | undefined, dir: string): { kind: 'btrfs' | 'loop'; path: string } | null {
  const m = /^(btrfs|loop):(\/.*)$/.exec((val ?? '').trim());
  if (!m || !m[2].startsWith(`${dir}/`) || m[2].slice(dir.length + 1).includes('..')) return null;
  return { kind: m[1] as 'btrfs' | 'loop', path: m[2] };
}

/** Replaces `from/` with `to/` in every value of a config's text (lxc.rootfs.path, lxc.mount.fstab, lxc.log.file, hooks), as lxc-copy rewrites paths. */
export function rewriteConfigPaths(text: string, from: string, to: string): string {
  return text
    .split('\n')
    .map((l) => (/^\s*[#]/.test(l) ? l : l.split(`${from}/`).join(`${to}/`)))
    .join('\n');
}

/**
 * Rename of a STOPPED btrfs- or loop-backed container (see renameContainer for the checks before):
 * its directory is renamed to NEW's (rename(2): the subvolume or image file inside moves with it,
 * within one file system, nothing copied), the config's paths rewritten from OLD's directory to
 * NEW's (lxc.rootfs.path and any other value naming it), then what renameContainer puts back for a
 * dir rootfs: lxc.net.N.veth.pair when it was vethName(OLD), lxc.uts.name and /etc/hostname when
 * they were OLD (a loop image is mounted on NEW's rootfs directory for that, `mount -o loop`, and
 * unmounted), and the host records. The sidecar and the directory's mode and owner move with it.
 * If a step after the move fails, the directory is moved back and OLD's config restored.
 * @throws LxdeckError E_UNSAFE_PATH (T1: etc/hostname a symlink), E_COMMAND (mount)
 */
async function renameByMove(host: CloneHost, oldName: string, newName: string, rootfs: { kind: 'btrfs' | 'loop'; path: string }): Promise<void> {
  const oldDir = join(host.lxcpath, oldName);
  const newDir = join(host.lxcpath, newName);
  const cfgText = await readFile(join(oldDir, 'config'), 'utf8');
  const oldCfg = await readConfig(join(oldDir, 'config'));
  if (rootfs.kind === 'btrfs') refuseHostnameSymlink(rootfs.path, oldName);
  await renameFs(oldDir, newDir);
  const mnt = join(newDir, 'rootfs');
  let mounted = false;
  try {
    const cfgPath = join(newDir, 'config');
    await writeFile(cfgPath, rewriteConfigPaths(cfgText, oldDir, newDir), { mode: 0o640 });
    const cfg = await readConfig(cfgPath);
    const newUts = renameIdentityKeys(cfg, oldCfg, oldName, newName, host.lxcpath);
    await writeConfig(cfgPath, cfg);
    let root = join(newDir, rootfs.path.slice(oldDir.length + 1));
    if (rootfs.kind === 'loop') {
      // the image is mounted only for the hostname; LXC mounts it itself at start
      await mkdir(mnt, { recursive: true });
      const mo = await host.runner.run('mount', ['-o', 'loop', '-t', 'ext4', root, mnt], { timeoutMs: 60_000 });
      if (mo.exitCode !== 0) throw new LxdeckError('E_COMMAND', `mounting the loop image ${root} failed: ${lastLine(mo.stderr) ?? `exit ${mo.exitCode}`}`, { hint: 'is it a valid ext4 image (e2fsck -n IMAGE)? losetup -a shows loop devices in use' });
      mounted = true;
      root = mnt;
      refuseHostnameSymlink(root, oldName);
    }
    if (existsSync(join(root, 'etc'))) writeFileInRootfs(root, 'etc/hostname', `${newUts}\n`);
    if (mounted) {
      const um = await host.runner.run('umount', [mnt], { timeoutMs: 60_000 });
      if (um.exitCode !== 0) throw new LxdeckError('E_COMMAND', `unmounting ${mnt} failed: ${lastLine(um.stderr) ?? `exit ${um.exitCode}`}`);
      mounted = false;
    }
    await host.hostState.renameOwner(host.lxcpath, oldName, newName);
  } catch (e) {
    if (mounted) await host.runner.run('umount', ['--lazy', mnt], { timeoutMs: 60_000 }).catch(() => undefined);
    await renameFs(newDir, oldDir).catch(() => undefined);
    await writeFile(join(oldDir, 'config'), cfgText, { mode: 0o640 }).catch(() => undefined);
    throw e;
  }
}

/**
 * Restores snapshot SNAP of NAME as a new container NEW: `lxc-snapshot -P LP -n NAME -r SNAP -N NEW`
 * (lxc-snapshot(1)) after an lstat check that the snapshot rootfs's etc/hostname is no symlink
 * (lxc-snapshot writes NEW's name through it, T1), then the identity step copy uses
 * ({@link newIdentity}: hwaddr, address from the host record, veth.pair, hostname, idmap range
 * with the ownership shifted, sidecar with `restoredFrom: "NAME/SNAP"`). NAME itself is untouched.
 * A failure destroys NEW and releases its reservations.
 * @throws LxdeckError E_NAME_INVALID (N1), E_NOT_FOUND (container or snapshot), E_EXISTS, E_UNSAFE_PATH (T1), E_COMMAND, E_NETWORK, E_CONFIG
 */
export async function restoreSnapshotAs(host: CloneHost, name: string, snap: string, newName: string): Promise<void> {
  validateExistingName(name);
  validateContainerName(newName);
  const snapDir = join(host.lxcpath, name, 'snaps', snap);
  if (!existsSync(join(host.lxcpath, name, 'config'))) throw noContainerError(name, host.lxcpath);
  if (!existsSync(join(snapDir, 'config'))) throw new LxdeckError('E_NOT_FOUND', `${name} has no snapshot ${snap}`, { hint: `lxdeck snapshots ${name} lists them` });
  if (existsSync(join(host.lxcpath, newName))) throw new LxdeckError('E_EXISTS', `a container named ${newName} already exists in ${host.lxcpath}`, { hint: 'choose another name' });
  const snapCfg = await readConfig(join(snapDir, 'config'));
  // the new container gets its identity written into its rootfs: a directory (or overlay, btrfs)
  // only. LXC makes NEW on the container's own backing store (a loop container's snapshot is a
  // directory, but lxc-snapshot -r -N makes a loop image again), so both are checked
  const alt = `restore it in place (lxdeck restore ${name} ${snap}), or run lxc-snapshot -P ${host.lxcpath} -n ${name} -r ${snap} -N ${newName} and set its identity by hand`;
  requireDirRootfs(await readConfig(join(host.lxcpath, name, 'config')), name, 'makes a new container from', alt, true);
  requireDirRootfs(snapCfg, `${name}'s snapshot ${snap}`, 'makes a new container from', alt, true);
  const snapRootfs = dirRootfs(snapCfg.get('lxc.rootfs.path'));
  if (snapRootfs) refuseHostnameSymlink(snapRootfs, `${name}'s snapshot ${snap}`);
  const r = await host.runner.run('lxc-snapshot', ['-P', host.lxcpath, '-n', name, '-r', snap, '-N', newName], { timeoutMs: 30 * 60_000 });
  if (r.exitCode !== 0) {
    await removeDst(host, newName);
    throw new LxdeckError('E_COMMAND', `lxc-snapshot -r ${snap} -N ${newName} failed: ${r.stderr.trim().split('\n').pop() ?? `exit ${r.exitCode}`}`, {
      hint: `the command was: lxc-snapshot -P ${host.lxcpath} -n ${name} -r ${snap} -N ${newName}`,
    });
  }
  try {
    await newIdentity(host, name, newName, { restoredFrom: `${name}/${snap}` });
  } catch (e) {
    await removeDst(host, newName);
    await host.hostState.releasePending(host.lxcpath, newName).catch(() => undefined);
    throw e;
  }
}

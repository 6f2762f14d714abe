/**
 * The ZFS backing store, as `lxc-create -B zfs --zfsroot ROOT` makes it (lxc's storage/zfs.c
 * zfs_create): a dataset ROOT/NAME made with `zfs create -o mountpoint=<lxcpath>/NAME/rootfs
 * -o canmount=noauto -p ROOT/NAME`, `lxc.rootfs.path = zfs:ROOT/NAME` (lxc.container.conf(5)); LXC
 * mounts it at start. ROOT defaults to LXC's lxc.bdev.zfs.root, `lxc` (lxc.system.conf(5)).
 *
 * UNTESTED: ZFS's tools (zfsutils-linux) are in Debian's contrib, which this project's CI host
 * cannot reach, and its kernel has no ZFS; this path is offered only where the `zfs` program is
 * on the search path, and no test has run it against a real pool. The argv builders are unit-tested.
 */
import type { Runner } from '../exec/runner.js';
import { LxdeckError } from '../errors.js';
import { lastLine } from './lvm.js';

/** LXC's default parent dataset for -B zfs (lxc.bdev.zfs.root). */
export const ZFS_DEFAULT_ROOT = 'lxc';

/** ZFS dataset names (zfs(8) "ZFS File System Hierarchy"): components of A-Z a-z 0-9 _ - . : joined by `/`, starting with a letter or digit. */
const DATASET_RE = /^[A-Za-z0-9][A-Za-z0-9_.:-]*(\/[A-Za-z0-9][A-Za-z0-9_.:-]*)*$/;

/**
 * Checks `--zfsroot` (a parent dataset, e.g. `tank/lxc`).
 * @throws LxdeckError E_INVALID_VALUE
 */
export function checkZfsRoot(root: string | undefined): string {
  const r = (root ?? ZFS_DEFAULT_ROOT).trim();
  if (!DATASET_RE.test(r) || r.length > 200)
    throw new LxdeckError('E_INVALID_VALUE', `${JSON.stringify(root)} is not a ZFS dataset name`, { hint: 'e.g. --zfsroot tank/lxc (zfs list shows the datasets)' });
  return r;
}

/** `zfs create` argv of a container's dataset, as LXC's zfs_create: `-o mountpoint=DEST -o canmount=noauto -p ROOT/NAME`. */
export function zfsCreateArgv(dataset: string, mountpoint: string): string[] {
  return ['create', '-o', `mountpoint=${mountpoint}`, '-o', 'canmount=noauto', '-p', dataset];
}

/** `zfs destroy -r DATASET` argv (its snapshots with it). */
export function zfsDestroyArgv(dataset: string): string[] {
  return ['destroy', '-r', dataset];
}

/** The dataset of an `lxc.rootfs.path` value `zfs:ROOT/NAME`; null for anything else. */
export function parseZfsRootfs(val: string | undefined): string | null {
  const m = /^zfs:(.+)$/.exec((val ?? '').trim());
  return m && DATASET_RE.test(m[1]) ? m[1] : null;
}

/** Whether dataset `name` exists (`zfs list -H -o name NAME`, read only). */
export async function zfsExists(runner: Runner, name: string): Promise<boolean> {
  try {
    return (await runner.run('zfs', ['list', '-H', '-o', 'name', name], { timeoutMs: 30_000 })).exitCode === 0;
  } catch {
    return false;
  }
}

/**
 * What `--backing zfs` needs, checked before anything is written: the parent dataset ROOT exists
 * and ROOT/NAME does not.
 * @throws LxdeckError E_CONFIG (no parent dataset), E_EXISTS (the dataset exists)
 */
export async function checkZfsHost(runner: Runner, root: string, name: string): Promise<void> {
  if (!(await zfsExists(runner, root)))
    throw new LxdeckError('E_CONFIG', `--backing zfs: there is no dataset ${root}`, { hint: `name the parent dataset with --zfsroot (zfs list shows them), or make it: zfs create ${root}` });
  if (await zfsExists(runner, `${root}/${name}`))
    throw new LxdeckError('E_EXISTS', `a dataset ${root}/${name} already exists`, { hint: `choose another name, or destroy it (zfs destroy -r ${root}/${name}) if no container uses it` });
}

/**
 * Removes dataset NAME with its snapshots (`zfs destroy -r`); nothing when it is gone.
 * @throws LxdeckError E_COMMAND when it is still there after
 */
export async function removeDataset(runner: Runner, name: string): Promise<void> {
  if (!(await zfsExists(runner, name))) return;
  const r = await runner.run('zfs', zfsDestroyArgv(name), { timeoutMs: 120_000 });
  if (r.exitCode !== 0 && (await zfsExists(runner, name)))
    throw new LxdeckError('E_COMMAND', `zfs destroy ${name} failed: ${lastLine(r.stderr) ?? `exit ${r.exitCode}`}`, { hint: `is it mounted? (zfs get mounted ${name}); then zfs destroy -r ${name}` });
}

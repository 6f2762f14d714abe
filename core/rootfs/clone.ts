/**
 * Copying a container with a new identity (issue 9): `lxc-copy -P LP -n SRC -N DST -K`
 * (lxc-copy(1); -K because lxc-copy writes the new name into the rootfs's
 * /etc/hostname with a plain open that follows a symlink out of the rootfs, case T1:
 * lxdeck writes the hostname itself, symlink-safely), then DST gets its own
 * lxc.net.N.hwaddr, a static address from the bridge's host record when SRC had one,
 * lxc.net.N.veth.pair (core/names vethName), lxc.uts.name and /etc/hostname, and for an
 * unprivileged SRC a new idmap range with the rootfs ownership shifted from SRC's range.
 * SRC must be STOPPED (lxc-copy's own default; a live copy of a running rootfs is not
 * consistent). Only full copies of a dir rootfs are built so far. On any failure after
 * lxc-copy started, DST is destroyed and its reservations released.
 */
import { existsSync, statSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Runner } from '../exec/runner.js';
import { LxdeckError } from '../errors.js';
import type { HostState } from '../hoststate/index.js';
import { idmapValues, IDMAP_SIZE, parseIdmap, shiftRootfsOwnership, ensureRootSubids } from '../idmap.js';
import { netInterfaces, readConfig, writeConfig } from '../lxc/config.js';
import { validateContainerName, validateExistingName, vethName } from '../names.js';
import { randomHwaddr } from '../network/hwaddr.js';
import { formatCidr, parseCidr } from '../network/ipv4.js';
import { writeFileInRootfs } from './safe-write.js';

export interface CloneHost {
  lxcpath: string;
  runner: Runner;
  hostState: HostState;
  state(name: string): Promise<string>;
  ensureBridge(bridge: string): Promise<{ gateway: string }>;
  atomicWrite(path: string, content: string, mode?: number): Promise<void>;
}

/**
 * Full copy of stopped SRC to DST with a new identity (see the module comment).
 * @throws LxdeckError E_NAME_INVALID, E_NOT_FOUND, E_EXISTS, E_STATE (SRC not STOPPED), E_USAGE (--snapshot: not built yet), E_COMMAND (lxc-copy failed), E_NETWORK, E_CONFIG, E_UNSAFE_PATH
 */
export async function copyContainer(host: CloneHost, src: string, dst: string, opts: { snapshot?: boolean } = {}): Promise<void> {
  validateExistingName(src);
  validateContainerName(dst);
  if (!existsSync(join(host.lxcpath, src, 'config'))) throw new LxdeckError('E_NOT_FOUND', `no container named ${src} in ${host.lxcpath}`, { hint: 'lxdeck ls lists the containers' });
  if (existsSync(join(host.lxcpath, dst))) throw new LxdeckError('E_EXISTS', `a container named ${dst} already exists in ${host.lxcpath}`, { hint: 'choose another name' });
  if (opts.snapshot) throw new LxdeckError('E_USAGE', 'copy --snapshot is not built yet', { hint: `make a full copy: lxdeck copy ${src} ${dst}` });
  const st = await host.state(src);
  if (st !== 'STOPPED') throw new LxdeckError('E_STATE', `${src} is ${st}: lxdeck copies a stopped container only`, { hint: `stop it first: lxdeck stop ${src}` });
  const r = await host.runner.run('lxc-copy', ['-P', host.lxcpath, '-n', src, '-N', dst, '-K'], { timeoutMs: 30 * 60_000 });
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

async function removeDst(host: CloneHost, dst: string): Promise<void> {
  if (existsSync(join(host.lxcpath, dst))) await host.runner.run('lxc-destroy', ['-P', host.lxcpath, '-n', dst], { timeoutMs: 120_000 });
}

/** The identity step after lxc-copy / lxc-snapshot -N: hwaddr, address, veth.pair, uts.name and /etc/hostname, idmap range and ownership, sidecar. */
export async function newIdentity(host: CloneHost, src: string, dst: string): Promise<void> {
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
  const rootfs = rootfsVal.replace(/^dir:/, '');
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
  // the hostname: never through a symlink out of the rootfs (T1)
  if (existsSync(join(rootfs, 'etc'))) writeFileInRootfs(rootfs, 'etc/hostname', `${dst}\n`);
  await writeConfig(cfgPath, cfg);
  let side: Record<string, unknown> = {};
  try {
    side = JSON.parse(await readFile(join(host.lxcpath, src, 'lxdeck.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    /* made by lxc-create: no sidecar */
  }
  side = { ...side, created: new Date().toISOString(), copiedFrom: src, ...(newBase !== undefined ? { idmapBase: newBase } : {}) };
  await writeFile(join(host.lxcpath, dst, 'lxdeck.json'), `${JSON.stringify(side, null, 2)}\n`, { mode: 0o644 });
}

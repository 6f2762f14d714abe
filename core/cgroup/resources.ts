/**
 * The engine's resource operations on one container, kept out of
 * core/engine.ts so the facade stays small: read the limits in effect, set
 * limits live and in the config, read or write one cgroup file.
 *
 * The running container's cgroup directories come from its init PID
 * (`/proc/<pid>/cgroup`, core/cgroup/paths.ts); the layout from mountinfo.
 */
import type { ContainerLimits } from '../types.js';
export type { ContainerLimits };
import { join } from 'node:path';
import { LxdeckError } from '../errors.js';
import { HostFs } from '../host/host-fs.js';
import { controllerDriver, detectCgroupLayout, joinPath, type CgroupLayout, type CgroupLayoutKind } from './layout.js';
import { readCgroupPaths, type CgroupPaths } from './paths.js';
import {
  cgroupWriteError,
  checkCgroupFiles,
  ignoredConfigKeys,
  limitToConfigChanges,
  sampleCgroupDir,
  planLiveLimits,
  readLimits,
  type AppliedLimits,
  type Limits,
  type ConfigKeyValue,
  type IgnoredKey,
} from './limits.js';
import { readConfig, writeConfig, type LxcConfig } from '../lxc/config.js';
import { parseCpuList } from '../units.js';
import { cgroupFileFor, writeCgroupFile } from './cgroup-key.js';
import { cgroupKeysOf, checkSwapBase, currentFromConfig, saveLimitKeys, savedMemoryProblem } from './limit-config.js';
import { parseLimitsInput, type LimitsInput } from './limit-input.js';

/** What the operations need from the engine. */
export interface ResourceContext {
  lxcpath: string;
  fs?: HostFs;
  /** the container's init PID, null when it is not running (the engine asks lxc-info) */
  initPid(name: string): Promise<number | null>;
}


/** What {@link setContainerLimits} did. */
export interface SetLimitsResult {
  /** true when written to the running container's cgroups */
  live: boolean;
  /** cgroup files written, in order */
  written: { path: string; value: string }[];
  /** config keys saved */
  saved: ConfigKeyValue[];
  /** config keys removed because another key now carries the same limit (C3) */
  removed: string[];
  /** notes for the user (offline CPUs dropped, quota raised) */
  messages: string[];
}

const fsOf = (ctx: ResourceContext) => ctx.fs ?? new HostFs();

function configPath(ctx: ResourceContext, name: string): string {
  return join(ctx.lxcpath, name, 'config');
}

/**
 * A running container's cgroup directories from its init PID (core/cgroup/paths.ts), null when
 * it does not run (no PID, or the process is gone: it stopped meanwhile).
 * @throws LxdeckError other than E_NOT_FOUND from readCgroupPaths
 */
function runningPaths(fs: HostFs, name: string, layout: CgroupLayout, pid: number | null): CgroupPaths | null {
  if (pid === null) return null;
  try {
    return readCgroupPaths(fs, pid, layout, { name });
  } catch (e) {
    if (e instanceof LxdeckError && e.code === 'E_NOT_FOUND') return null; // stopped meanwhile
    throw e;
  }
}

/**
 * The limits of a container from its host's files and its config: in effect (when `pid`, its
 * init, runs: readLimits), saved in the config (cgroupKeysOf), and saved keys the host ignores
 * (C3). Only reads through `fs` (mountinfo, /proc/PID/cgroup, the cgroup files), so the local
 * engine gives the host's HostFs and a remote a copy of the remote host's files
 * (core/remote/snapshot-fs.ts).
 * @param pid the container's init PID (lxc-info), null when it is not running
 * @throws the Node errno error when /proc/self/mountinfo cannot be read
 */
export function containerLimitsFrom(fs: HostFs, name: string, cfg: LxcConfig, pid: number | null): ContainerLimits {
  const layout = detectCgroupLayout(fs);
  const paths = runningPaths(fs, name, layout, pid);
  const saved = cgroupKeysOf(cfg);
  return {
    name,
    running: paths !== null,
    layout: layout.kind,
    applied: paths ? readLimits(paths, fs) : null,
    saved,
    ignored: ignoredConfigKeys(
      saved.map((s) => s.key),
      layout,
    ),
  };
}

/**
 * The limits of a container: in effect (when running), saved in its config, and saved keys this host ignores (C3).
 * @throws LxdeckError E_NOT_FOUND (no config), E_CONFIG
 */
export async function readContainerLimits(ctx: ResourceContext, name: string): Promise<ContainerLimits> {
  const cfg = await readConfig(configPath(ctx, name));
  return containerLimitsFrom(fsOf(ctx), name, cfg, await ctx.initPid(name));
}

/** Which weight file the host's block I/O scheduler offers (this host, kernel 6.18 with BFQ, has only blkio.bfq.weight). */
function ioWeightFileOf(fs: HostFs, layout: CgroupLayout, paths: CgroupPaths | null): 'weight' | 'bfq.weight' {
  const v1 = layout.v1.blkio !== undefined;
  const plain = v1 ? 'blkio.weight' : 'io.weight';
  const bfq = v1 ? 'blkio.bfq.weight' : 'io.bfq.weight';
  const dirs: string[] = [];
  const own = paths ? (v1 ? paths.v1.blkio : paths.v2) : undefined;
  if (own) dirs.push(own);
  const mount = v1 ? layout.v1.blkio : layout.v2Mount;
  if (mount) {
    dirs.push(mount);
    try {
      for (const d of fs.readdir(mount)) if (!d.includes('.') || d.startsWith('lxc.')) dirs.push(joinPath(mount, d));
    } catch {
      /* unreadable */
    }
  }
  for (const d of dirs.slice(0, 8)) {
    if (fs.exists(joinPath(d, plain))) return 'weight';
    if (fs.exists(joinPath(d, bfq))) return 'bfq.weight';
  }
  return 'weight';
}

/**
 * Checks and converts what `lxdeck limits` was given (units U1, cpuset U4 against the host's
 * online CPUs, read through `fs`), before anything else is read.
 * @throws LxdeckError E_USAGE (nothing given), E_INVALID_VALUE (limit-input.ts)
 */
export function limitsOfInput(fs: HostFs, input: LimitsInput): { limits: Limits; messages: string[] } {
  const onlineText = fs.readTextOrNull('/sys/devices/system/cpu/online');
  const online = onlineText && onlineText.trim() ? parseCpuList(onlineText) : undefined;
  const { limits, messages } = parseLimitsInput(input, { online });
  if (Object.keys(limits).length === 0) {
    throw new LxdeckError('E_USAGE', 'no limit given', { hint: 'e.g. --memory 512M --cpus 1.5 (lxdeck limits --help)' });
  }
  return { limits, messages: [...messages] };
}

/** What setting limits will do ({@link planContainerLimits}): the result less the writes' doing, and the edited config. */
export interface LimitsPlan extends SetLimitsResult {
  /** the config with the keys saved and the stale ones removed, to be written whole */
  config: LxcConfig;
}

/**
 * Plans setting limits on a container, without writing anything: the live cgroup writes when
 * `pid` runs (planLiveLimits, in order), the config keys in this host's layout
 * (`lxc.cgroup2.*` for v2 controllers, `lxc.cgroup.*` for v1; limitToConfigKeys) saved into
 * `cfg` (edited in place, returned as `config`), and the other layout's keys for the same
 * limits removed (C3, saveLimitKeys). Only reads through `fs`, like {@link containerLimitsFrom}.
 * @param parsed from {@link limitsOfInput}
 * An unlimited value (max) or a weight's `default` removes the limit's keys instead of saving one.
 * What depends on other limits is worked out per side: the saved keys from the saved config
 * (currentFromConfig: v1 memsw = the saved memory + swap, the saved CPU period), the live
 * writes from what is in effect (readLimits), which differ after a live-only change (`lxdeck
 * cgroup`). On v1, swap alone needs a memory limit on both sides (limit-config.ts
 * checkSwapBase; a note says when they differ), and a plan whose saved memory keys LXC
 * would refuse at the next start is refused (savedMemoryProblem).
 * @throws LxdeckError E_INVALID_VALUE (a value this host cannot take, no such controller; v1 swap
 *   without a memory limit on a side; saved memory keys LXC would refuse), E_NOT_FOUND,
 *   E_UNSUPPORTED (a limit whose cgroup file this host lacks: limits.ts checkCgroupFiles)
 */
export function planContainerLimits(
  fs: HostFs,
  name: string,
  cfg: LxcConfig,
  pid: number | null,
  parsed: { limits: Limits; messages: string[] },
  opts: { raiseCpuQuota?: boolean } = {},
): LimitsPlan {
  const { limits } = parsed;
  const messages = [...parsed.messages];
  const layout = detectCgroupLayout(fs);
  const paths = runningPaths(fs, name, layout, pid);
  const ioWeightFile = limits.ioWeight !== undefined ? ioWeightFileOf(fs, layout, paths) : 'weight';
  let written: SetLimitsResult['written'] = [];
  // the saved keys are worked out from the saved config (v1 memsw = the saved memory + swap, the
  // saved CPU period), the live writes from what is in effect: the two differ after a live-only
  // change (lxdeck cgroup), and a saved memsw from the live memory made a config LXC refused
  const saved = currentFromConfig(cfg);
  const memV1 = controllerDriver('memory', layout) === 'v1';
  if (memV1) {
    const note = checkSwapBase(name, limits, paths ? readLimits(paths, fs) : null, saved);
    if (note) messages.push(note);
  }
  if (paths) {
    const r = planLiveLimits(paths, limits, fs, { raiseCpuQuota: opts.raiseCpuQuota });
    written = r.written.map((w) => ({ path: w.path, value: w.value }));
    for (const m of r.messages) if (!messages.includes(m)) messages.push(m);
  }
  const changes = limitToConfigChanges(limits, layout, { current: saved, ioWeightFile, raiseCpuQuota: opts.raiseCpuQuota });
  // a key for a file this host's cgroups lack would stop the next lxc-start ("Failed to set
  // blkio.weight"): refused here, as the live write is (the container's own cgroup when it runs,
  // else another cgroup of the same hierarchy)
  checkCgroupFiles(fs, changes.writes, (w) => (paths ? (w.driver === 'v1' ? paths.v1[w.controller] ?? null : paths.v2 ?? null) : sampleCgroupDir(fs, layout, w.driver, w.controller)), !paths);
  const { removed } = saveLimitKeys(cfg, changes.set, changes.unset);
  // a saved config is never one LXC refuses to start (v1: memsw below memory, or without it)
  const problem = memV1 && (limits.memory !== undefined || limits.swap !== undefined) ? savedMemoryProblem(cfg) : null;
  if (problem)
    throw new LxdeckError('E_INVALID_VALUE', `not saved: ${problem}`, {
      hint: limits.swap === undefined ? 'give the swap limit with it (--swap SIZE, or --swap max to remove the memsw key)' : 'give the memory limit with it (--memory SIZE)',
    });
  return { live: paths !== null, written, saved: changes.set, removed, messages, config: cfg };
}

/**
 * Sets limits: validated first (units U1, cpuset trimmed to online CPUs U4,
 * quota bounds U5), written live when the container runs (the writes of
 * {@link planContainerLimits}, in order, stopping at the first refusal), and
 * saved in its config in this host's keys (`lxc.cgroup2.*` for v2
 * controllers, `lxc.cgroup.*` for v1), removing the other layout's key for
 * the same limit (C3). A stopped container's config only is changed.
 * The live write comes first: a value the kernel refuses is not saved.
 * @throws LxdeckError E_INVALID_VALUE (bad value, or the kernel's EINVAL), E_STATE (EBUSY),
 *   E_NOT_FOUND (no container, no such device), E_NOT_ROOT, E_CONFIG
 */
export async function setContainerLimits(
  ctx: ResourceContext,
  name: string,
  input: LimitsInput,
  opts: { raiseCpuQuota?: boolean } = {},
): Promise<SetLimitsResult> {
  const fs = fsOf(ctx);
  const parsed = limitsOfInput(fs, input);
  const path = configPath(ctx, name);
  const cfg = await readConfig(path);
  const { config, ...plan } = planContainerLimits(fs, name, cfg, await ctx.initPid(name), parsed, opts);
  for (const w of plan.written) {
    try {
      fs.writeText(w.path, w.value);
    } catch (e) {
      throw cgroupWriteError(e, w.path, w.value);
    }
  }
  await writeConfig(path, config);
  return plan;
}

/**
 * The host path of cgroup file `key` (like `lxc-cgroup NAME KEY` names it) of a container whose
 * init is `pid`, checked against the host's layout (cgroup-key.ts cgroupFileFor). Only reads
 * through `fs`, like {@link containerLimitsFrom}.
 * @param purpose what the caller does with it, for the hint when the container is not running
 * @throws LxdeckError E_STATE when not running; as {@link cgroupFileFor}
 */
export function containerCgroupFile(fs: HostFs, name: string, key: string, pid: number | null, purpose: 'read' | 'write'): string {
  const layout = detectCgroupLayout(fs);
  const paths = runningPaths(fs, name, layout, pid);
  if (!paths)
    throw new LxdeckError('E_STATE', `${name} is not running`, {
      hint: purpose === 'read' ? `a stopped container has no cgroup; its saved keys: lxdeck limits ${name}` : `to set a limit for the next start: lxdeck limits ${name} --help`,
    });
  return cgroupFileFor(key, layout, paths, fs);
}

/**
 * One cgroup file's text (without the final newline) of a container whose init is `pid`.
 * Only reads through `fs`.
 * @throws LxdeckError E_STATE when not running (or it stopped meanwhile); as {@link cgroupFileFor}
 */
export function readContainerCgroupFile(fs: HostFs, name: string, key: string, pid: number | null): string {
  const p = containerCgroupFile(fs, name, key, pid, 'read');
  const t = fs.readTextOrNull(p);
  if (t === null) throw new LxdeckError('E_STATE', `${name} stopped while ${key} was read`);
  return t.replace(/\n$/, '');
}

/**
 * Reads one cgroup file of a running container (like `lxc-cgroup NAME KEY`).
 * @returns the file's text without the final newline
 * @throws LxdeckError E_STATE when not running; as {@link cgroupFileFor}
 */
export async function cgroupGet(ctx: ResourceContext, name: string, key: string): Promise<string> {
  return readContainerCgroupFile(fsOf(ctx), name, key, await ctx.initPid(name));
}

/**
 * Writes one cgroup file of a running container (like `lxc-cgroup NAME KEY VALUE`), live only: not saved in the config.
 * @throws LxdeckError E_STATE when not running; as {@link cgroupFileFor} and {@link writeCgroupFile}
 */
export async function cgroupSet(ctx: ResourceContext, name: string, key: string, value: string): Promise<void> {
  const fs = fsOf(ctx);
  writeCgroupFile(containerCgroupFile(fs, name, key, await ctx.initPid(name), 'write'), value, fs);
}

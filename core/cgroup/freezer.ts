/**
 * Freeze and thaw a container's cgroup, and read the freezer state.
 *
 *  - v1 (Documentation/admin-guide/cgroup-v1/freezer-subsystem.rst):
 *    `freezer.state` reads THAWED, FREEZING or FROZEN; writing FROZEN starts
 *    a freeze (FREEZING until every task is frozen), writing THAWED thaws,
 *    also from FREEZING.
 *  - v2 (Documentation/admin-guide/cgroup-v2.rst "Core Interface Files"):
 *    write 1 / 0 to `cgroup.freeze`; `cgroup.events` says `frozen 1` once the
 *    whole subtree is frozen. freeze=1 with frozen=0 is the transitional
 *    state, reported as FREEZING.
 *
 * On a hybrid host the v1 freezer drives (as LXC does); a freeze made through
 * the unified hierarchy is still seen and undone.
 *
 * The state is read from the cgroup itself: `lxc-info` keeps saying RUNNING
 * after a freeze made by writing the files directly (notes/host-facts.md).
 */
import { LxdeckError } from '../errors.js';
import { HostFs, errnoCode } from '../host/host-fs.js';
import type { ContainerState } from '../types.js';
import { joinPath } from './layout.js';
import { parseFlatKeyed } from './parse.js';
import type { CgroupPaths } from './paths.js';

export type FreezerState = 'THAWED' | 'FREEZING' | 'FROZEN';

/** Which freezer drives this container: v1 when a v1 freezer directory exists, else v2, else null. */
export function freezerDriver(paths: CgroupPaths): 'v1' | 'v2' | null {
  if (paths.v1.freezer !== undefined) return 'v1';
  if (paths.v2 !== undefined) return 'v2';
  return null;
}

/** The v2 freezer state from `cgroup.freeze` and `cgroup.events` texts (S3). */
export function v2FreezerState(freezeText: string | null, eventsText: string | null): FreezerState | null {
  if (eventsText === null) return null;
  const frozen = parseFlatKeyed(eventsText).frozen;
  if (frozen === 1) return 'FROZEN';
  if (freezeText !== null && freezeText.trim() === '1') return 'FREEZING';
  return 'THAWED';
}

/** The v1 freezer state from `freezer.state` text; null when unreadable or unknown. */
export function v1FreezerState(text: string | null): FreezerState | null {
  const s = text?.trim();
  return s === 'THAWED' || s === 'FREEZING' || s === 'FROZEN' ? s : null;
}

/**
 * Reads the freezer state of a container's cgroup (S3: FREEZING is reported as such), in as few
 * reads as the S3 states allow: v1 `freezer.state` (what liblxc's lxc_getstate reads on a v1 or
 * hybrid host), and on a hybrid host, when that says THAWED, also the unified `cgroup.freeze`, for
 * a freeze made by writing it directly (freezer.state does not show one); v2 `cgroup.freeze`, and
 * `cgroup.events` only when a freeze was asked for (freeze 1: FROZEN once `frozen 1`, else
 * FREEZING). A running, thawed container costs one read on v1 and v2, two on a hybrid host.
 * (The sampler reads the freezer through this function too: core/stats/sampler.ts.)
 * @returns the state, or null when the cgroup is gone (container stopped) or has no freezer
 */
export function readFreezerState(paths: CgroupPaths, fs: HostFs = new HostFs()): FreezerState | null {
  const v2 = (): FreezerState | null => {
    if (paths.v2 === undefined) return null;
    const freeze = fs.readTextOrNull(joinPath(paths.v2, 'cgroup.freeze'));
    if (freeze === null) return null;
    if (freeze.trim() === '0') return 'THAWED';
    return v2FreezerState(freeze, fs.readTextOrNull(joinPath(paths.v2, 'cgroup.events')));
  };
  if (paths.v1.freezer !== undefined) {
    const v1 = v1FreezerState(fs.readTextOrNull(joinPath(paths.v1.freezer, 'freezer.state')));
    if (v1 !== 'THAWED') return v1;
    // hybrid: a freeze made through the unified hierarchy does not show in freezer.state
    const u = v2();
    return u !== null && u !== 'THAWED' ? u : v1;
  }
  return v2();
}

/** The container state to show for a running container's freezer state: THAWED is RUNNING. */
export function containerStateOf(state: FreezerState): ContainerState {
  return state === 'THAWED' ? 'RUNNING' : state;
}

function write(fs: HostFs, path: string, value: string): void {
  try {
    fs.writeText(path, value);
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ENOENT' || code === 'ENODEV') {
      throw new LxdeckError('E_STATE', `cannot write ${path}: the cgroup is gone`, { hint: 'the container is not running', cause: e });
    }
    throw new LxdeckError('E_STATE', `writing "${value}" to ${path} failed: ${code ?? String(e)}`, { cause: e });
  }
}

export interface FreezeOptions {
  /** give up after this many milliseconds (default 10 000); the cgroup is left FREEZING */
  timeoutMs?: number;
  /** poll interval in milliseconds (default 10) */
  pollMs?: number;
  /** aborting stops waiting; the cgroup is left as it is (FREEZING, S3) */
  signal?: AbortSignal;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(
  paths: CgroupPaths,
  fs: HostFs,
  want: FreezerState,
  opts: FreezeOptions,
  nudge: () => void,
  what: string,
): Promise<FreezerState> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  for (;;) {
    const st = readFreezerState(paths, fs);
    if (st === null) throw new LxdeckError('E_STATE', `cannot ${what}: the container's cgroup is gone`, { hint: 'the container is not running' });
    if (st === want) return st;
    if (opts.signal?.aborted) throw new LxdeckError('E_CANCELLED', `${what} was cancelled; the freezer state is ${st}`);
    if (Date.now() >= deadline) {
      throw new LxdeckError('E_TIMEOUT', `${what} did not finish in ${opts.timeoutMs ?? 10_000} ms; the freezer state is ${st}`, {
        hint: want === 'FROZEN' ? 'a task may be stuck in the kernel (D state); thaw to go back to RUNNING' : undefined,
      });
    }
    await sleep(opts.pollMs ?? 10);
    nudge();
  }
}

/**
 * Freezes a container's cgroup and waits until it is FROZEN.
 * v1: writes FROZEN to freezer.state (again at each poll, as LXC does); v2: writes 1 to cgroup.freeze.
 * @returns 'FROZEN'
 * @throws LxdeckError E_TIMEOUT (left FREEZING), E_CANCELLED (signal aborted; left FREEZING),
 *   E_STATE (no freezer, or the cgroup is gone)
 */
export async function freeze(paths: CgroupPaths, fs: HostFs = new HostFs(), opts: FreezeOptions = {}): Promise<FreezerState> {
  const drv = freezerDriver(paths);
  if (drv === null) throw new LxdeckError('E_STATE', 'this container has no freezer cgroup');
  const path = drv === 'v1' ? joinPath(paths.v1.freezer, 'freezer.state') : joinPath(paths.v2!, 'cgroup.freeze');
  const value = drv === 'v1' ? 'FROZEN' : '1';
  write(fs, path, value);
  return waitFor(paths, fs, 'FROZEN', opts, () => (drv === 'v1' ? write(fs, path, value) : undefined), 'freeze');
}

/**
 * Thaws a container's cgroup, from FROZEN or FREEZING (S3), and waits until THAWED.
 * On a hybrid host it also clears a freeze made through the unified hierarchy.
 * @returns 'THAWED'
 * @throws LxdeckError E_TIMEOUT, E_CANCELLED, E_STATE as {@link freeze}
 */
export async function thaw(paths: CgroupPaths, fs: HostFs = new HostFs(), opts: FreezeOptions = {}): Promise<FreezerState> {
  const drv = freezerDriver(paths);
  if (drv === null) throw new LxdeckError('E_STATE', 'this container has no freezer cgroup');
  if (drv === 'v1') write(fs, joinPath(paths.v1.freezer, 'freezer.state'), 'THAWED');
  if (paths.v2 !== undefined) {
    const f = joinPath(paths.v2, 'cgroup.freeze');
    const cur = fs.readTextOrNull(f);
    if (drv === 'v2' || (cur !== null && cur.trim() === '1')) write(fs, f, '0');
  }
  return waitFor(paths, fs, 'THAWED', opts, () => undefined, 'thaw');
}

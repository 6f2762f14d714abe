/**
 * The container list kept current from stats passes instead of `lxc-info`.
 *
 * `engine.list()` runs `lxc-info` once per container (about 13 ms each
 * through execa): polled every 2 s with 50 containers it cost the console
 * 7x `lxc-top`'s CPU (bench/README.md). A stats pass (core/stats/sampler.ts)
 * finds running containers from their `lxc.monitor.NAME` cgroups and reads
 * the names from the lxcpath without running anything, so state, PID and the
 * set of names come from the passes; the IPv4 addresses and autostart, which
 * only `lxc-info` and the config give, come from the last `engine.list()`,
 * asked for again when a pass shows a change ({@link MergeResult.needList}).
 */
import type { ContainerState, ContainerSummary } from '../../core/types.js';
import type { StatsSample } from '../../core/stats/types.js';

export interface MergeResult {
  /** the list to show: the same array as given when nothing changed */
  containers: ContainerSummary[];
  /** something differs from the list given */
  changed: boolean;
  /**
   * a container appeared, vanished, started or stopped: its IPv4 and
   * autostart are not known from the pass, so a full list is due
   */
  needList: boolean;
}

const isUp = (s: ContainerState): boolean => s !== 'STOPPED';

/**
 * Merges one pass into the list: state and PID of every listed container
 * from its sample (RUNNING, FREEZING, FROZEN, or STOPPED when gone, S2);
 * a container absent from the pass is dropped (destroyed), one new in the
 * pass is added after the others (sorted by name), addresses unknown.
 * A container whose running-ness changed loses its addresses until the next
 * full list. Names in `ignore` (those LXC cannot read, left out by
 * `engine.list()`) are left out.
 *
 * A pass over several hosts (`hosts`, core/hosts/all-stats.ts) covers only the rows of the hosts
 * that answered: a row of a host not in `hosts` (not answered yet) or not answering is kept as
 * it is, and a not-answering host whose rows are not yet its UNREACHABLE row asks for a full
 * list (which shows it unreachable). Pure.
 */
export function mergeSampled(list: readonly ContainerSummary[], samples: readonly StatsSample[], ignore: ReadonlySet<string> = new Set(), hosts?: readonly { name: string; ok: boolean }[]): MergeResult {
  const byName = new Map<string, StatsSample>();
  for (const s of samples) if (!ignore.has(s.name)) byName.set(s.name, s);
  const answered = hosts ? new Map(hosts.map((h) => [h.name, h.ok])) : null;
  let changed = false;
  let needList = false;
  const out: ContainerSummary[] = [];
  const seen = new Set<string>();
  for (const c of list) {
    if (answered && c.host !== undefined && answered.get(c.host) !== true) {
      out.push(c);
      if (answered.get(c.host) === false && c.state !== 'UNREACHABLE') needList = true;
      continue;
    }
    const s = byName.get(c.name);
    if (!s) {
      changed = true;
      needList = true;
      continue;
    }
    seen.add(c.name);
    const state: ContainerState = s.state;
    const pid = state === 'STOPPED' ? null : s.pid;
    if (state === c.state && pid === c.pid) {
      out.push(c);
      continue;
    }
    changed = true;
    const flipped = isUp(state) !== isUp(c.state);
    if (flipped) needList = true;
    out.push({ ...c, state, pid, ipv4: flipped ? [] : c.ipv4 });
  }
  const added = [...byName.values()].filter((s) => !seen.has(s.name)).sort((a, b) => a.name.localeCompare(b.name));
  for (const s of added) {
    changed = true;
    needList = true;
    out.push({ name: s.name, ...(s.host !== undefined ? { host: s.host } : {}), state: s.state, pid: s.state === 'STOPPED' ? null : s.pid, ipv4: [], autostart: false });
  }
  return { containers: changed ? out : (list as ContainerSummary[]), changed, needList };
}

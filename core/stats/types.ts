/**
 * Shapes of the stats stream (`lxdeck stats --json` prints one {@link StatsPass}
 * per line). Units: bytes, microseconds of CPU time, percentages as numbers
 * (100 = one whole CPU, or the whole limit). A value the host cannot give is
 * `null`, never 0; an unlimited limit is `'max'`, never a sentinel (U2).
 */
import type { LimitValue } from '../units.js';

/** One line of a PSI file (Documentation/accounting/psi.rst): averages in percent, total in microseconds. */
export interface PsiLine {
  avg10: number;
  avg60: number;
  avg300: number;
  /** total stall time, microseconds */
  total: number;
}

/** Pressure stall information of one resource; `full` is null where the kernel has no such line. */
export interface Psi {
  some: PsiLine;
  full: PsiLine | null;
}

/** The state a sample reports: the freezer's view for a running container, STOPPED when gone. */
export type SampleState = 'RUNNING' | 'FREEZING' | 'FROZEN' | 'STOPPED';

/** One container in one pass. */
export interface StatsSample {
  name: string;
  /** the host it lives on, in a pass over several hosts (core/hosts/all-stats.ts; `name` is then the row id `HOST:NAME`) */
  host?: string;
  state: SampleState;
  /** init's PID on the host; null when stopped */
  pid: number | null;
  cpu: {
    /** total CPU time so far, microseconds (U3) */
    usageUsec: number | null;
    /** since the previous pass, percent of ONE CPU (100 = one CPU busy); null on the first pass or after a restart */
    percent: number | null;
    /** percent of all the host's online CPUs (100 = the whole host) */
    percentOfHost: number | null;
    /** percent of the CPUs the container may use (its quota, else its cpuset, else the host's CPUs) */
    percentOfLimit: number | null;
    /** CPUs the container may use: min(quota/period, cpuset size, host CPUs); null when unknown */
    limitCpus: number | null;
  };
  memory: {
    /** usage minus inactive file cache, bytes (S1) */
    used: number | null;
    /** page cache, bytes (shown apart from used) */
    cache: number | null;
    /** what the kernel charges (memory.current / memory.usage_in_bytes), bytes */
    usage: number | null;
    /** the container's own hard limit: bytes, or 'max' for unlimited (U2); null when unknown */
    limit: LimitValue | null;
    /** used as a percent of `limit`, or of the host's memory when unlimited (see percentOf) */
    percent: number | null;
    /** what `percent` is relative to */
    percentOf: 'limit' | 'host' | null;
    /** swap in use, bytes; null where the host does not account swap */
    swap: number | null;
  };
  blkio: {
    /** bytes read from block devices since the cgroup was made */
    readBytes: number | null;
    writeBytes: number | null;
    /** bytes per second since the previous pass */
    readBps: number | null;
    writeBps: number | null;
  };
  pids: {
    current: number | null;
    limit: LimitValue | null;
  };
  /** network bytes from the container's point of view (received = the host veth's tx); null when it has no network */
  net: {
    rxBytes: number;
    txBytes: number;
    rxBps: number | null;
    txBps: number | null;
    /** the host-side interfaces counted (veth names), or `netns` when read from the container's /proc/PID/net/dev */
    interfaces: string[];
  } | null;
  /** PSI of the container's cgroup; null where the kernel or the layout has none */
  pressure: {
    cpu: Psi | null;
    memory: Psi | null;
    io: Psi | null;
  };
}

/** Host totals for the percentages. */
export interface HostTotals {
  /** online CPUs (/sys/devices/system/cpu/online) */
  cpus: number;
  /** MemTotal of /proc/meminfo, bytes; null when unreadable */
  memoryBytes: number | null;
}

/** One pass over every container of an lxcpath. */
export interface StatsPass {
  /** wall-clock time of the pass, milliseconds since the epoch */
  time: number;
  /** how long the pass took, milliseconds */
  durationMs: number;
  host: HostTotals;
  containers: StatsSample[];
  /**
   * A pass over several hosts (core/hosts/all-stats.ts): whether each host answered (a host
   * still starting is left out), `error` and `code` when it did not
   */
  hosts?: { name: string; ok: boolean; error?: string; code?: string }[];
  /** a pass over several hosts: each answering host's totals, by host name (`host` is the first's) */
  hostTotals?: Record<string, HostTotals>;
}

/** A running sampler loop (core/stats/sampler.ts StatsStream): passes as an AsyncIterable or to listeners, until stop(). */
export interface StatsStreamLike extends AsyncIterable<StatsPass> {
  onPass(fn: (p: StatsPass) => void): () => void;
  onError(fn: (e: unknown) => void): () => void;
  stop(): void;
}

/** What screens need to sample stats (the real one is StatsSampler; a fake engine can give its own). */
export interface StatsSource {
  /** one pass over every container (or `names`) */
  pass(names?: readonly string[]): Promise<StatsPass>;
  /** a pass at once, then one every `intervalMs`, skipping a tick while a pass runs */
  stream(opts: { intervalMs: number; names?: readonly string[]; count?: number }): StatsStreamLike;
}

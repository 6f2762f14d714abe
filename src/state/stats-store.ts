/**
 * The console's one source of live stats: ONE sampler stream
 * (core/stats/sampler.ts StatsStream, or any {@link StatsSource}) feeds this
 * store; every screen reads it with `useSyncExternalStore`
 * (src/hooks/use-stats.ts), so a pass is read once however many screens
 * show it, and a screen redraws at most once per pass.
 *
 * Per container the store keeps a bounded history ring of its last
 * `historySize` samples (idea: lazydocker's container_stats.go, stats pushed
 * into a bounded history and pulled on render). The ring holds a
 * {@link HistoryPoint} per pass, the figures a sparkline draws, not the whole
 * sample (500 containers x 60 passes of whole samples were about 20 MB of the
 * console's heap), as numbers in one Float64Array per container
 * ({@link PointRing}): a pass writes into it and makes no object that lives
 * on (a point object per container per pass was promoted to V8's old
 * generation every second with 500 containers). The newest entry of
 * {@link StatsStore.history} is the whole sample. A container that leaves the
 * passes (destroyed) is forgotten; one that stops keeps its ring, whose
 * newest sample is then STOPPED (S2: no error, the row just turns STOPPED).
 *
 * Snapshots are immutable: each pass makes a new {@link StatsSnapshot}
 * object (so `useSyncExternalStore` sees a change), and nothing in one
 * changes afterwards.
 */
import type { StatsPass, StatsSample, StatsSource, StatsStreamLike } from '../../core/stats/types.js';
import { formatError } from '../../core/errors.js';

/** Default number of samples kept per container (60 s at 1 Hz). */
export const DEFAULT_HISTORY = 60;

/**
 * What the history keeps of one sample: the state and the figures the stats screen draws as
 * sparklines (core/stats/types.ts StatsSample: cpu.percent, memory.used and swap in bytes,
 * blkio and net rates in bytes per second, pids.current). One flat object of numbers.
 */
export interface HistoryPoint {
  state: StatsSample['state'];
  pid: number | null;
  cpuPercent: number | null;
  memUsed: number | null;
  swap: number | null;
  readBps: number | null;
  writeBps: number | null;
  /** false when the sample had no network (net: null) */
  net: boolean;
  rxBps: number | null;
  txBps: number | null;
  pids: number | null;
}

/** The states a point records, by index (PointRing stores the index). */
const POINT_STATES: readonly StatsSample['state'][] = ['RUNNING', 'FREEZING', 'FROZEN', 'STOPPED'];
/** Numbers per point in a {@link PointRing}: state index, pid, cpu %, memory used, swap, read B/s, write B/s, has net (0/1), rx B/s, tx B/s, pids. */
const POINT_FIELDS = 11;

const num = (x: number | null): number => (x === null ? NaN : x);
const orNull = (x: number): number | null => (Number.isNaN(x) ? null : x);

/**
 * A fixed-capacity ring of {@link HistoryPoint}s kept as numbers in one Float64Array
 * ({@link POINT_FIELDS} per point, null as NaN): pushing writes into it, pushing past
 * `capacity` overwrites the oldest.
 */
export class PointRing {
  private readonly data: Float64Array;
  private start = 0;
  private count = 0;

  /** @throws RangeError when capacity is not a positive integer */
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
    this.data = new Float64Array(capacity * POINT_FIELDS);
  }

  get length(): number {
    return this.count;
  }

  /** Records the {@link HistoryPoint} figures of `s`. */
  push(s: StatsSample): void {
    let slot: number;
    if (this.count < this.capacity) slot = (this.start + this.count++) % this.capacity;
    else {
      slot = this.start;
      this.start = (this.start + 1) % this.capacity;
    }
    const d = this.data;
    const o = slot * POINT_FIELDS;
    d[o] = POINT_STATES.indexOf(s.state);
    d[o + 1] = num(s.pid);
    d[o + 2] = num(s.cpu.percent);
    d[o + 3] = num(s.memory.used);
    d[o + 4] = num(s.memory.swap);
    d[o + 5] = num(s.blkio.readBps);
    d[o + 6] = num(s.blkio.writeBps);
    d[o + 7] = s.net !== null ? 1 : 0;
    d[o + 8] = num(s.net?.rxBps ?? null);
    d[o + 9] = num(s.net?.txBps ?? null);
    d[o + 10] = num(s.pids.current);
  }

  /** The points, oldest first (new objects). */
  toArray(): HistoryPoint[] {
    const out: HistoryPoint[] = [];
    const d = this.data;
    for (let i = 0; i < this.count; i++) {
      const o = ((this.start + i) % this.capacity) * POINT_FIELDS;
      out.push({
        state: POINT_STATES[d[o]] ?? 'RUNNING',
        pid: orNull(d[o + 1]),
        cpuPercent: orNull(d[o + 2]),
        memUsed: orNull(d[o + 3]),
        swap: orNull(d[o + 4]),
        readBps: orNull(d[o + 5]),
        writeBps: orNull(d[o + 6]),
        net: d[o + 7] === 1,
        rxBps: orNull(d[o + 8]),
        txBps: orNull(d[o + 9]),
        pids: orNull(d[o + 10]),
      });
    }
    return out;
  }
}

/** A sample rebuilt from a point: the point's figures, every other figure null (no limits, counters, PSI). */
function sampleOfPoint(name: string, p: HistoryPoint): StatsSample {
  return {
    name,
    state: p.state,
    pid: p.pid,
    cpu: { usageUsec: null, percent: p.cpuPercent, percentOfHost: null, percentOfLimit: null, limitCpus: null },
    memory: { used: p.memUsed, cache: null, usage: null, limit: null, percent: null, percentOf: null, swap: p.swap },
    blkio: { readBytes: null, writeBytes: null, readBps: p.readBps, writeBps: p.writeBps },
    pids: { current: p.pids, limit: null },
    net: p.net ? { rxBytes: 0, txBytes: 0, rxBps: p.rxBps, txBps: p.txBps, interfaces: [] } : null,
    pressure: { cpu: null, memory: null, io: null },
  };
}

/** What screens read from the store; a new object per pass. */
export interface StatsSnapshot {
  /** passes received so far (0: none yet) */
  version: number;
  /** the last pass, null before the first */
  pass: StatsPass | null;
  /** the last pass's samples by container name */
  latest: ReadonlyMap<string, StatsSample>;
  /** the last error of the stream (message and hint), null while it works */
  error: { message: string; hint?: string } | null;
}

const EMPTY: StatsSnapshot = { version: 0, pass: null, latest: new Map(), error: null };

export interface StatsStoreOptions {
  /** samples kept per container (default {@link DEFAULT_HISTORY}) */
  historySize?: number;
  /** after a failed pass the stream is started again this many ms later (default 5000) */
  retryMs?: number;
}

export class StatsStore {
  readonly historySize: number;
  private readonly retryMs: number;
  private snapshot: StatsSnapshot = EMPTY;
  private readonly rings = new Map<string, PointRing>();
  private readonly listeners = new Set<() => void>();
  private stream: StatsStreamLike | null = null;
  private retryTimer: NodeJS.Timeout | null = null;

  constructor(opts: StatsStoreOptions = {}) {
    this.historySize = opts.historySize ?? DEFAULT_HISTORY;
    this.retryMs = opts.retryMs ?? 5000;
  }

  /** For `useSyncExternalStore`: calls `fn` after every pass or error; returns the unsubscribe function. */
  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  };

  /** For `useSyncExternalStore`: the current snapshot (the same object until the next pass). */
  getSnapshot = (): StatsSnapshot => this.snapshot;

  /**
   * The samples kept for `name`, oldest first (at most `historySize`); empty when unknown.
   * The newest is the whole last sample; the older ones carry the {@link HistoryPoint} figures
   * only (the rest null). A new array each call: read it in render, keyed on the snapshot's version.
   */
  history(name: string): StatsSample[] {
    const points = this.rings.get(name)?.toArray() ?? [];
    if (points.length === 0) return [];
    const out = points.map((p) => sampleOfPoint(name, p));
    // every container with a ring was in the last pass: its whole sample is there
    out[out.length - 1] = this.snapshot.latest.get(name) ?? out[out.length - 1];
    return out;
  }

  /** Containers with a history, in the order of the last pass. */
  names(): string[] {
    return [...this.snapshot.latest.keys()];
  }

  /**
   * Takes one pass: each sample goes into its container's ring; containers
   * absent from the pass are forgotten. Then every listener is called once.
   */
  ingest(pass: StatsPass): void {
    const latest = new Map<string, StatsSample>();
    for (const s of pass.containers) {
      latest.set(s.name, s);
      let r = this.rings.get(s.name);
      if (!r) {
        r = new PointRing(this.historySize);
        this.rings.set(s.name, r);
      }
      // the same sample object again (a host of an all-hosts pass with no new pass of its own) is kept once
      if (this.snapshot.latest.get(s.name) !== s) r.push(s);
    }
    if (this.rings.size > latest.size) for (const n of this.rings.keys()) if (!latest.has(n)) this.rings.delete(n);
    this.snapshot = { version: this.snapshot.version + 1, pass, latest, error: null };
    this.emit();
  }

  /**
   * Replaces the newest sample of `name` with `fn(sample)` at once (a new snapshot, listeners called),
   * for a figure this console just changed itself and knows before the next pass reads it (the memory
   * limit set in the sliders): the next pass replaces it as usual. The history ring is left as it is.
   * @returns false when the store has no sample of `name`
   */
  patch(name: string, fn: (s: StatsSample) => StatsSample): boolean {
    const s = this.snapshot.latest.get(name);
    if (!s) return false;
    const latest = new Map(this.snapshot.latest);
    latest.set(name, fn(s));
    this.snapshot = { ...this.snapshot, version: this.snapshot.version + 1, latest };
    this.emit();
    return true;
  }

  /** Records a failed pass: screens show it; the history is kept. */
  fail(e: unknown): void {
    const { message, hint } = formatError(e);
    this.snapshot = { ...this.snapshot, error: { message, hint } };
    this.emit();
  }

  private emit(): void {
    for (const fn of [...this.listeners]) fn();
  }

  /**
   * Starts ONE stream from `source` at `intervalMs` feeding this store (a
   * stream already running is stopped first). A stream that fails is
   * reported ({@link fail}) and started again `retryMs` later.
   * @returns a function that stops it (idempotent)
   */
  connect(source: StatsSource, intervalMs: number): () => void {
    this.disconnect();
    const start = (): void => {
      this.retryTimer = null;
      const s = source.stream({ intervalMs });
      this.stream = s;
      s.onPass((p) => {
        if (this.stream === s) this.ingest(p);
      });
      s.onError((e) => {
        if (this.stream !== s) return;
        this.stream = null;
        this.fail(e);
        this.retryTimer = setTimeout(start, this.retryMs);
      });
    };
    start();
    return () => this.disconnect();
  }

  /** Stops the stream (and a pending restart). */
  disconnect(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const s = this.stream;
    this.stream = null;
    s?.stop();
  }
}

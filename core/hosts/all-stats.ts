/**
 * Live stats of every host in one stream (issue 10, part 4): the all-hosts console's CPU and
 * memory columns. Each host's own sampler (the local {@link StatsSampler}, a remote's reader over
 * SSH, LXD's state API) runs in a loop of its own at the console's interval, so a host that
 * stops answering never delays another's figures; the combined stream gives, every interval,
 * the latest pass of each host that answered within `timeoutMs`, with samples named by row id
 * (`web` for the local host, `lab1:web` for another, as {@link rowId}) and `host` set, and
 * one {@link HostStatus} per host (a host that has not answered yet is left out of `hosts`, so
 * its rows are neither refreshed nor dropped).
 *
 * The idea of a collector per backend merged into one view is ctop's (connector/collector);
 * the per-host timeout is that of the all-hosts list (all-hosts.ts).
 */
import { LxdeckError } from '../errors.js';
import { StatsStream } from '../stats/sampler.js';
import type { HostTotals, StatsPass, StatsSample, StatsSource, StatsStreamLike } from '../stats/types.js';
import { parseRowId, rowId } from './all-backend.js';
import { withTimeout, type HostStatus } from './all-hosts.js';

/** One host's stats source, by the host's name (`local`, a remote's name, `lxd`). */
export interface HostStatsEntry {
  name: string;
  source: StatsSource;
}

/** A pass over several hosts: a {@link StatsPass} whose `hosts` and `hostTotals` are set. */
export type AllHostsPass = StatsPass & Required<Pick<StatsPass, 'hosts' | 'hostTotals'>>;

/** Default time a host's pass may take before the host is reported as not answering, milliseconds. */
export const DEFAULT_STATS_TIMEOUT_MS = 3_000;

/** Samples of one host's pass named by row id and marked with the host (new objects, made once per pass). */
function renamed(host: string, p: StatsPass): StatsSample[] {
  return p.containers.map((s) => ({ ...s, name: rowId(host, s.name), host }));
}

/** The names of `host` among row ids (undefined: every container). */
function namesOn(host: string, names: readonly string[] | undefined): string[] | undefined {
  if (names === undefined) return undefined;
  return names.map(parseRowId).filter((r) => r.host === host && r.name !== '').map((r) => r.name);
}

function statusOf(name: string, e: unknown): HostStatus {
  return { name, ok: false, error: e instanceof Error ? e.message : String(e), ...(e instanceof LxdeckError ? { code: e.code } : {}) };
}

/** Builds the combined pass from each host's part, in the hosts' order. */
function combine(parts: { name: string; pass: StatsPass | null; samples: StatsSample[]; status: HostStatus | null }[], t0: number): AllHostsPass {
  const containers: StatsSample[] = [];
  const hosts: HostStatus[] = [];
  const hostTotals: Record<string, HostTotals> = {};
  let host: HostTotals | null = null;
  for (const p of parts) {
    if (p.status) hosts.push(p.status);
    if (!p.pass || !p.status?.ok) continue;
    containers.push(...p.samples);
    hostTotals[p.name] = p.pass.host;
    host ??= p.pass.host;
  }
  return { time: Date.now(), durationMs: Date.now() - t0, host: host ?? { cpus: 0, memoryBytes: null }, containers, hosts, hostTotals };
}

/** See the module comment. */
export class AllHostsStats implements StatsSource {
  readonly timeoutMs: number;
  private readonly retryMs: number;

  /**
   * @param hosts each host with a sampler, in the order of the list (`local` first)
   * @param opts.timeoutMs a host whose pass takes longer, or whose last pass is older, is reported not answering (default {@link DEFAULT_STATS_TIMEOUT_MS})
   * @param opts.retryMs in a stream, a host whose pass failed is asked again this many ms later (default 5000)
   */
  constructor(
    readonly hosts: readonly HostStatsEntry[],
    opts: { timeoutMs?: number; retryMs?: number } = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_STATS_TIMEOUT_MS;
    this.retryMs = opts.retryMs ?? 5000;
  }

  /**
   * One pass of every host at once, each within `timeoutMs`. Never throws for one host: its
   * status says what happened.
   * @param names row ids (`web`, `lab1:web`); default every container of every host
   */
  async pass(names?: readonly string[]): Promise<AllHostsPass> {
    const t0 = Date.now();
    const results = await Promise.allSettled(this.hosts.map((h) => withTimeout(h.source.pass(namesOn(h.name, names)), this.timeoutMs, h.name)));
    return combine(
      results.map((r, i) => {
        const name = this.hosts[i].name;
        return r.status === 'fulfilled' ? { name, pass: r.value, samples: renamed(name, r.value), status: { name, ok: true } } : { name, pass: null, samples: [], status: statusOf(name, r.reason) };
      }),
      t0,
    );
  }

  /**
   * Every host sampled in a loop of its own at `intervalMs` (a failed host is asked again
   * `retryMs` later); the stream gives a combined pass every `intervalMs` (the first once every
   * host answered, or after `timeoutMs`). A host with no pass for `timeoutMs` is reported with
   * ok false ("did not answer within N s") and its samples are left out; its loop goes on.
   */
  stream(opts: { intervalMs: number; names?: readonly string[]; count?: number }): StatsStreamLike {
    return new AllHostsStream(this, opts, this.retryMs);
  }
}

/** The state of one host's loop in a stream. */
interface HostLoop {
  name: string;
  source: StatsSource;
  stream: StatsStreamLike | null;
  retry: NodeJS.Timeout | null;
  /** the last pass and its renamed samples (the same objects until the next pass: the store keeps a sample once) */
  pass: StatsPass | null;
  samples: StatsSample[];
  /** Date.now() of the last pass, or of the loop's start before the first */
  at: number;
  error: unknown;
  answered: boolean;
}

/** The combined stream (see {@link AllHostsStats.stream}). */
class AllHostsStream implements StatsStreamLike {
  private readonly loops: HostLoop[];
  private readonly inner: StatsStream;
  private firstWait: (() => void) | null = null;
  private stopped = false;

  constructor(
    private readonly all: AllHostsStats,
    private readonly opts: { intervalMs: number; names?: readonly string[]; count?: number },
    private readonly retryMs: number,
  ) {
    const now = Date.now();
    this.loops = all.hosts.map((h) => ({ name: h.name, source: h.source, stream: null, retry: null, pass: null, samples: [], at: now, error: null, answered: false }));
    for (const l of this.loops) this.startLoop(l);
    // the combined passes come from a StatsStream over combined(): ticks, listeners and the iterator are its
    this.inner = new StatsStream({ pass: () => this.combined() }, opts);
    // a stream that ends by itself (opts.count) ends the hosts' loops too
    this.inner.onPass(() => queueMicrotask(() => {
      if (!this.inner.running) this.stop();
    }));
  }

  private startLoop(l: HostLoop): void {
    l.retry = null;
    if (this.stopped) return;
    let s: StatsStreamLike;
    try {
      s = l.source.stream({ intervalMs: this.opts.intervalMs, names: namesOn(l.name, this.opts.names) });
    } catch (e) {
      this.failed(l, e);
      return;
    }
    l.stream = s;
    s.onPass((p) => {
      if (l.stream !== s) return;
      l.pass = p;
      l.samples = renamed(l.name, p);
      l.at = Date.now();
      l.error = null;
      l.answered = true;
      this.maybeFirst();
    });
    s.onError((e) => {
      if (l.stream !== s) return;
      l.stream = null;
      this.failed(l, e);
    });
  }

  private failed(l: HostLoop, e: unknown): void {
    l.error = e;
    l.answered = true;
    this.maybeFirst();
    if (!this.stopped) {
      l.retry = setTimeout(() => this.startLoop(l), this.retryMs);
      l.retry.unref?.();
    }
  }

  private maybeFirst(): void {
    if (this.firstWait && this.loops.every((l) => l.answered)) {
      const w = this.firstWait;
      this.firstWait = null;
      w();
    }
  }

  /** The combined pass of this moment; the first waits for every host (at most timeoutMs). */
  private async combined(): Promise<StatsPass> {
    const t0 = Date.now();
    if (!this.loops.every((l) => l.answered)) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.firstWait = null;
          resolve();
        }, this.all.timeoutMs);
        this.firstWait = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const now = Date.now();
    const ms = this.all.timeoutMs;
    return combine(
      this.loops.map((l) => {
        if (l.error !== null) return { name: l.name, pass: null, samples: [], status: statusOf(l.name, l.error) };
        if (now - l.at > ms) {
          const e = new LxdeckError('E_UNREACHABLE', `${l.name} did not answer within ${(ms / 1000).toFixed(ms % 1000 ? 1 : 0)} s`, { hint: `is ${l.name} up? lxdeck ls --remote ${l.name} shows its own error` });
          return { name: l.name, pass: null, samples: [], status: statusOf(l.name, e) };
        }
        // not answered yet and not late: left out (its rows are kept as they are)
        if (!l.pass) return { name: l.name, pass: null, samples: [], status: null };
        return { name: l.name, pass: l.pass, samples: l.samples, status: { name: l.name, ok: true } };
      }),
      t0,
    );
  }

  onPass(fn: (p: StatsPass) => void): () => void {
    return this.inner.onPass(fn);
  }

  /** The combined stream does not fail for a host (its status says so); listeners are kept for the interface. */
  onError(fn: (e: unknown) => void): () => void {
    return this.inner.onError(fn);
  }

  /** Stops the combined stream and every host's loop. Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.inner.stop();
    for (const l of this.loops) {
      if (l.retry) clearTimeout(l.retry);
      l.retry = null;
      l.stream?.stop();
      l.stream = null;
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<StatsPass> {
    const it = this.inner[Symbol.asyncIterator]();
    return {
      next: () => it.next(),
      return: () => {
        this.stop();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}

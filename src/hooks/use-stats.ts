/**
 * Reads the console's stats store (src/state/stats-store.ts) with
 * `useSyncExternalStore`: the component redraws at most once per pass, and
 * every screen reading it sees the same pass.
 */
import { useCallback, useEffect, useRef, useSyncExternalStore } from 'react';
import type { StatsSnapshot, StatsStore } from '../state/stats-store.js';

const NONE: StatsSnapshot = { version: 0, pass: null, latest: new Map(), error: null };
const noSubscribe = (): (() => void) => () => {};
const none = (): StatsSnapshot => NONE;

/** The store's current snapshot; an empty one (version 0) when there is no store (an engine without a sampler). */
export function useStats(store: StatsStore | null | undefined): StatsSnapshot {
  return useSyncExternalStore(store ? store.subscribe : noSubscribe, store ? store.getSnapshot : none, store ? store.getSnapshot : none);
}

/**
 * What `select` takes from the store's snapshot, redrawing only when it
 * differs (`equal`) from what was drawn: a pass that changes no figure on
 * screen (idle containers at 1 Hz) costs no render. `select` gets the value
 * selected last too (undefined the first time), to keep what did not change.
 * `select` and `equal` are read from the latest render.
 */
export function useStatsSelector<T>(store: StatsStore | null | undefined, select: (s: StatsSnapshot, prev: T | undefined) => T, equal: (a: T, b: T) => boolean): T {
  const last = useRef<{ snap: StatsSnapshot; value: T } | null>(null);
  const fns = useRef({ select, equal });
  fns.current = { select, equal };
  const get = useCallback((): T => {
    const snap = store ? store.getSnapshot() : NONE;
    const l = last.current;
    if (l && l.snap === snap) return l.value;
    const value = fns.current.select(snap, l?.value);
    if (l && (value === l.value || fns.current.equal(l.value, value))) {
      last.current = { snap, value: l.value };
      return l.value;
    }
    last.current = { snap, value };
    return value;
  }, [store]);
  return useSyncExternalStore(store ? store.subscribe : noSubscribe, get, get);
}

/** Calls `fn` with every snapshot the store makes (no render of its own). */
export function useStatsListener(store: StatsStore | null | undefined, fn: (s: StatsSnapshot) => void): void {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => {
    if (!store) return undefined;
    return store.subscribe(() => ref.current(store.getSnapshot()));
  }, [store]);
}

/**
 * Reads the console's stats store (src/state/stats-store.ts) with
 * `useSyncExternalStore`: the component redraws once per pass, and every
 * screen reading it sees the same pass.
 */
import { useSyncExternalStore } from 'react';
import type { StatsSnapshot, StatsStore } from '../state/stats-store.js';

const NONE: StatsSnapshot = { version: 0, pass: null, latest: new Map(), error: null };
const noSubscribe = (): (() => void) => () => {};
const none = (): StatsSnapshot => NONE;

/** The store's current snapshot; an empty one (version 0) when there is no store (an engine without a sampler). */
export function useStats(store: StatsStore | null | undefined): StatsSnapshot {
  return useSyncExternalStore(store ? store.subscribe : noSubscribe, store ? store.getSnapshot : none, store ? store.getSnapshot : none);
}

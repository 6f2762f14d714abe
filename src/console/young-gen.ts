/**
 * Keeps V8's young generation (new space) of the console small once it has grown to a size that
 * frames run well in, instead of letting it grow to V8's default maximum.
 *
 * Why: with 500 containers the console allocates enough each second (the stats passes) to keep
 * new space at its largest, 2 x 16 MiB, about 30 MiB of its RSS (bench/README.md section 11).
 * Node takes `--max-semi-space-size` only at start-up, where a small young generation made the
 * first frame slower; V8 reads `--semi-space-growth-factor` each time it grows new space, so
 * setting it to 1 once new space has reached `capBytes` stops it there (V8 heap flags:
 * `semi_space_growth_factor`, read by NewSpace::Grow). Checked after each collection
 * (perf_hooks' `gc` entries) until then; the process's flags change, nothing else.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/** new space at which growth stops: 2 x 4 MiB (semi-spaces of 4 MiB: frames cost about what they do at 2 x 16) */
export const YOUNG_GEN_CAP_BYTES = 8 * 1024 * 1024;

/** The current size of V8's new space (both semi-spaces), in bytes. */
export function newSpaceBytes(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

/**
 * Stops new space from growing once it is at least `capBytes` (checked now and after each
 * garbage collection until then).
 * @returns a function that stops watching (growth stays as it was set)
 */
export function capYoungGeneration(capBytes = YOUNG_GEN_CAP_BYTES): () => void {
  let obs: PerformanceObserver | undefined;
  const check = (): boolean => {
    if (newSpaceBytes() < capBytes) return false;
    setFlagsFromString('--semi-space-growth-factor=1');
    obs?.disconnect();
    return true;
  };
  if (check()) return () => undefined;
  obs = new PerformanceObserver(() => void check());
  obs.observe({ entryTypes: ['gc'] });
  return () => obs?.disconnect();
}

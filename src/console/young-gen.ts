/**
 * Lets V8 size its young generation ("new space") for an idle console.
 *
 * V8 shrinks new space only at the end of a garbage collection, and only when the allocation
 * rate since the collections before is low (v8 src/heap/heap.cc Heap::ShouldReduceNewSpaceSize:
 * under 1000 bytes/ms). Start-up and a burst of frames (keys held down) allocate enough to grow
 * it to its largest, 2 x 16 MiB, most of it resident; the idle console then allocates so little
 * (about 0.1-0.2 MB a second with 500 containers, bench/README.md section 11) that the next
 * collection, the one that would shrink it, comes only minutes later. So: when no frame has been
 * drawn for `idleMs` and new space is larger than `maxIdleBytes`, one young-generation
 * collection (a scavenge of a mostly empty new space: about a millisecond) is asked for, at most
 * every `everyMs`; V8 then shrinks new space by itself, and grows it again when frames come.
 *
 * Node has no public call for a collection: the `gc` function of a context made after
 * `--expose-gc` is set at run time (v8.setFlagsFromString, vm) is used; it is made once, on the
 * first trim.
 */
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface YoungGenTrimOptions {
  /** no frame for this long counts as idle, milliseconds (default 5000) */
  idleMs?: number;
  /** new space (both semispaces) above this many bytes is trimmed when idle (default 4 MiB) */
  maxIdleBytes?: number;
  /** checked this often, milliseconds (default 15000) */
  everyMs?: number;
}

type GcFn = (opts?: { type?: 'major' | 'minor'; execution?: 'sync' | 'async' }) => void;
let gcFn: GcFn | null | undefined;

/** V8's `gc`, made once; null when this V8 refuses (then nothing is trimmed). */
function collector(): GcFn | null {
  if (gcFn !== undefined) return gcFn;
  try {
    setFlagsFromString('--expose-gc');
    const fn = runInNewContext('gc') as unknown;
    gcFn = typeof fn === 'function' ? (fn as GcFn) : null;
  } catch {
    gcFn = null;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
  return gcFn;
}

/** Both semispaces of V8's new space now, bytes (v8.getHeapSpaceStatistics `new_space` space_size). */
export function newSpaceBytes(): number {
  for (const s of getHeapSpaceStatistics()) if (s.space_name === 'new_space') return s.space_size;
  return 0;
}

/**
 * Starts the idle check (an unref'd timer: it never keeps the process alive).
 * @returns `frame`, to call on every frame drawn (Ink's onRender), and `stop`
 */
export function trimYoungGenerationWhenIdle(opts: YoungGenTrimOptions = {}): { frame: () => void; stop: () => void; trims: () => number } {
  const idleMs = opts.idleMs ?? 5000;
  const maxIdleBytes = opts.maxIdleBytes ?? 4 * 1024 * 1024;
  let lastFrame = performance.now();
  let trims = 0;
  const timer = setInterval(() => {
    if (performance.now() - lastFrame < idleMs || newSpaceBytes() <= maxIdleBytes) return;
    const gc = collector();
    if (gc === null) return;
    gc({ type: 'minor' });
    trims++;
  }, opts.everyMs ?? 15_000);
  timer.unref();
  return {
    frame: () => {
      lastFrame = performance.now();
    },
    stop: () => clearInterval(timer),
    trims: () => trims,
  };
}

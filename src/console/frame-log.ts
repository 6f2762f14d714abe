/**
 * Per-frame render times of the console, for the benchmarks (bench/console-500.mjs):
 * `LXDECK_FRAME_LOG=FILE` makes the console append one line per frame to FILE:
 *
 *   <ms since the epoch> <frame ms> <ink ms> <rss bytes> <frame cpu ms>
 *
 * - frame ms: from the first screen component render of a pass ({@link markRender}, called at the
 *   top of the list and top screens' render functions) to the end of Ink's output render (its
 *   `onRender` metrics callback): React's render and commit of the screen, yoga's layout and
 *   Ink's string output; the terminal write that follows is not in it.
 * - ink ms: Ink's own part of it (`RenderMetrics.renderTime`, ink 6.8 render.d.ts).
 * - rss bytes: process.memoryUsage.rss() at that frame.
 * - frame cpu ms: the process's CPU time (user + system, process.cpuUsage) over the same span: on a
 *   loaded host the wall time also counts the time other processes had the CPU.
 *
 * Without the variable nothing is measured or written (one `undefined` check per render).
 * The file is opened once, appended to with synchronous writes (a line per frame, at most a few
 * a second), and closed when the process exits.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

let fd: number | undefined;
let frameStart: number | undefined;
let frameCpu: NodeJS.CpuUsage | undefined;

/**
 * Opens the frame log named by `env.LXDECK_FRAME_LOG` (appending; created 0600), if any.
 * @returns Ink's `onRender` callback that ends a frame and writes its line, or undefined when the
 *   variable is not set
 * @throws the open(2) error (ENOENT for a missing directory, EACCES) as Node's fs raises it
 */
export function frameLogFromEnv(env: NodeJS.ProcessEnv = process.env): ((metrics: { renderTime: number }) => void) | undefined {
  const file = env.LXDECK_FRAME_LOG;
  if (!file) return undefined;
  fd = openSync(file, 'a', 0o600);
  process.once('exit', () => {
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
  });
  return ({ renderTime }) => {
    if (fd === undefined) return;
    const now = performance.now();
    const frame = frameStart === undefined ? renderTime : now - frameStart;
    const cpu = frameCpu === undefined ? null : process.cpuUsage(frameCpu);
    frameStart = undefined;
    frameCpu = undefined;
    const cpuMs = cpu === null ? '-' : ((cpu.user + cpu.system) / 1000).toFixed(3);
    writeSync(fd, `${Date.now()} ${frame.toFixed(3)} ${renderTime.toFixed(3)} ${process.memoryUsage.rss()} ${cpuMs}\n`);
  };
}

/** Marks the start of a frame (the first screen render of a React pass) when the frame log is on. */
export function markRender(): void {
  if (fd !== undefined && frameStart === undefined) {
    frameStart = performance.now();
    frameCpu = process.cpuUsage();
  }
}

/**
 * The bin's small `ls` build (dist/src/script/ls-fast-*.cjs, scripts/bundle.mjs): a plain local
 * listing (`lxdeck ls`, `lxdeck ls --json`, with `--lxcpath P`: src/ls-argv.ts says which argv)
 * without loading the whole local program (commander building every verb, the engine, execa,
 * Node's tty and net for process.stdout): about 50 KB of script instead of 1 MB
 * (bench/README.md section 6, fifth round).
 *
 * It lists through the same functions as the full program's ls action (core/lxc/listing.ts
 * listContainers, src/ls-output.ts lsOutput), and prints the same bytes with the same exit
 * status. Whatever it leaves out it hands back BEFORE anything is printed, and the bin runs the
 * full program on the same argv: an lxcpath or bridge the full program refuses (its error
 * message), any error while listing, and every container that needs lxc-info (the fallback of
 * core/lxc/list-state.ts: starting, stopping, a config LXC may refuse, several addresses; and
 * running application containers).
 */
import { writeSync } from 'node:fs';
import { checkLxcpath, lxcpathMissing } from '../core/lxcpath.js';
import { listContainers } from '../core/lxc/listing.js';
import { validateIfName } from '../core/names.js';
import type { ListState } from '../core/lxc/list-state.js';
import type { PlainLs } from './ls-argv.js';
import { LS_DEFAULT_LXCPATH, lsOutput } from './ls-output.js';

/** Thrown by the stand-in for lxc-info: this listing needs the full program. */
const HAND_OVER = new Error('lxdeck: this listing needs lxc-info: the full program runs it');

/** EPIPE on stdout or stderr: the reader went away; the rest is not written (as the full program's quietOnEpipe does). */
const READER_GONE = new Error('EPIPE');

/**
 * Writes all of `text` to file descriptor `fd` with write(2), however many calls it takes (a
 * pipe takes part of a long write; a non-blocking descriptor answers EAGAIN until there is room).
 * @throws READER_GONE on EPIPE; any other write error as it is
 */
function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text, 'utf8');
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off, buf.length - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') throw READER_GONE;
      if (code !== 'EAGAIN') throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1); // 1 ms, then again
    }
  }
}

/**
 * Runs a plain local listing, or hands it back.
 * @param req the argv as src/ls-argv.ts plainLs read it
 * @param env the environment (LXDECK_LXCPATH, LXDECK_BRIDGE, read as the full program's options read them)
 * @param cwd the directory a relative lxcpath is taken from
 * @returns the exit status (0) once printed; undefined, with nothing printed, when the full program must run it
 * @throws a write error other than EPIPE (after part of the output may be out)
 */
export async function lsFast(req: PlainLs, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): Promise<number | undefined> {
  let printed: { stdout: string; stderr: string };
  try {
    // the full program's engine refuses an invalid bridge name before it lists
    if (env.LXDECK_BRIDGE !== undefined) validateIfName(env.LXDECK_BRIDGE, 'bridge name');
    // --lxcpath, else LXDECK_LXCPATH (set, even empty), else LXC's default: commander's order for the option
    const lxcpath = checkLxcpath(req.lxcpath ?? env.LXDECK_LXCPATH ?? LS_DEFAULT_LXCPATH, cwd).path;
    const list = await listContainers(lxcpath, {
      slow: async (): Promise<ListState> => {
        throw HAND_OVER;
      },
    });
    printed = lsOutput(list, { json: req.json, lxcpath, missing: lxcpathMissing(lxcpath), suggest: { lxcpath } });
  } catch {
    return undefined; // nothing printed yet
  }
  try {
    writeAll(1, printed.stdout);
    if (printed.stderr) writeAll(2, printed.stderr);
  } catch (e) {
    if (e !== READER_GONE) throw e;
  }
  return 0;
}

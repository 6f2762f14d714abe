/**
 * Whether an argv is a plain local listing that the bin's small `ls` build (src/ls-fast.ts) may
 * run: read by the bin (src/cli-fast.ts) before anything else is loaded, so it is kept apart and
 * imports nothing.
 */

/** A plain local listing: `ls` or `ls --json`, on the lxcpath given on the command line (or LXDECK_LXCPATH, or the default). */
export interface PlainLs {
  json: boolean;
  /** `--lxcpath P` / `--lxcpath=P` as given (not resolved); undefined when not given */
  lxcpath?: string;
}

/**
 * Environment variables that change what the full program's `ls` does or whether it runs at
 * all: LXDECK_BACKEND other than `local` (the LXD program, or a refusal of the value),
 * LXDECK_BRIDGE (the engine refuses an invalid bridge name before it lists, src/ls-fast.ts checks
 * it the same way). LXDECK_LXCPATH is read by the small build as the full program reads it.
 */
function envAllows(env: NodeJS.ProcessEnv): boolean {
  return env.LXDECK_BACKEND === undefined || env.LXDECK_BACKEND === 'local';
}

/**
 * The listing an argv asks for when it is exactly `ls` with at most `--json` after it, and
 * `--lxcpath P` or `--lxcpath=P` once, before or after `ls` (the forms the full program's
 * commander parser takes for them, src/cli-local.ts); each at most once, and a P that does not
 * start with `-` nor hold `:` (which the full program may read as REMOTE:container).
 * @param args process.argv without node and the script
 * @param env the environment (see envAllows: LXDECK_BACKEND)
 * @returns null for any other argv or environment: the full program runs it
 */
export function plainLs(args: readonly string[], env: NodeJS.ProcessEnv = process.env): PlainLs | null {
  if (!envAllows(env)) return null;
  let verb = false;
  let json = false;
  let lxcpath: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    let p: string | undefined;
    if (a === 'ls' && !verb) verb = true;
    else if (a === '--json' && verb && !json) json = true;
    else if (a === '--lxcpath' && i + 1 < args.length) p = args[++i];
    else if (a.startsWith('--lxcpath=')) p = a.slice('--lxcpath='.length);
    else return null;
    if (p !== undefined) {
      if (lxcpath !== undefined || p.startsWith('-') || p.includes(':')) return null;
      lxcpath = p;
    }
  }
  return verb ? { json, lxcpath } : null;
}

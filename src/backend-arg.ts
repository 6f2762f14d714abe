/**
 * Which program an argv asks for, read before anything else is loaded (src/cli.ts): kept apart
 * so the binary's entry decides without compiling either program.
 */

/** The backends the command line knows. */
export const BACKENDS = ['local', 'lxd'] as const;
export type BackendKind = (typeof BACKENDS)[number];

/**
 * The backend an argv asks for: `--backend X` or `--backend=X` among the options before a
 * lone `--` (what follows it is a command's own argv), else LXDECK_BACKEND, else "local".
 * An unknown value is returned as it is, for the program to refuse.
 */
export function backendFromArgv(args: readonly string[], env: NodeJS.ProcessEnv = process.env): string {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') break;
    if (a === '--backend' && i + 1 < args.length) return args[i + 1];
    if (a.startsWith('--backend=')) return a.slice('--backend='.length);
  }
  return env.LXDECK_BACKEND || 'local';
}

/**
 * True when the LXD program runs this argv: the backend is lxd and there is no `--all` before a
 * lone `--` (`--all` lists LXD beside the local hosts, from the local program).
 */
export function wantsLxdProgram(args: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  const all = args.some((a, i, xs) => a === '--all' && !xs.slice(0, i).includes('--'));
  return !all && backendFromArgv(args, env) === 'lxd';
}

/**
 * Suggested lxdeck command lines (in hints, the create wizard's summary, the CLI's messages) that
 * act where the user is acting: `--lxcpath P` when the lxcpath is not LXC's default
 * (/var/lib/lxc), `--remote R` when a remote is in use. Without this a copied suggestion would
 * act on /var/lib/lxc (or on this host).
 *
 * The CLI sets the context once per run ({@link setSuggestionContext}); {@link formatError}
 * (core/errors.ts) rewrites every hint through {@link addressSuggestions}, so the hints written
 * anywhere in core (`stop it first: lxdeck stop web1`) are addressed without each knowing it.
 */

/** LXC's default lxcpath (core/engine.ts's DEFAULT_LXCPATH; repeated here so errors.ts stays import-free). */
const LXC_DEFAULT_LXCPATH = '/var/lib/lxc';

/** Where the suggested commands should act. */
export interface SuggestionContext {
  /** the lxcpath in use (absolute); omitted from suggestions when it is /var/lib/lxc */
  lxcpath?: string;
  /** the remote in use (--remote NAME or NAME:container) */
  remote?: string;
  /** lxdeck's verbs: only `lxdeck VERB` is rewritten, never prose such as "lxdeck made" */
  verbs?: readonly string[];
}

let context: SuggestionContext = {};

/** Sets the process's suggestion context (the CLI, before a verb or the console runs). */
export function setSuggestionContext(c: SuggestionContext): void {
  context = { ...c };
}

/** The current suggestion context. */
export function suggestionContext(): SuggestionContext {
  return context;
}

/** One word quoted for a POSIX shell (left bare when it needs no quoting). */
export function shellWord(a: string): string {
  return /^[A-Za-z0-9@%+=:,./_-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/** The global options that address the context: `--lxcpath P` and/or `--remote R`, quoted; [] for the defaults. */
export function addressingArgs(c: SuggestionContext = context): string[] {
  const a: string[] = [];
  if (c.remote !== undefined) a.push('--remote', c.remote);
  if (c.lxcpath !== undefined && c.lxcpath.replace(/\/+$/, '') !== LXC_DEFAULT_LXCPATH) a.push('--lxcpath', c.lxcpath);
  return a;
}

/**
 * A suggested command line: `lxdeck [--remote R] [--lxcpath P] ARGS...`, each word quoted for a shell.
 * @param args the verb and its arguments, unquoted, e.g. ['stop', 'web1']
 */
export function suggestCommand(args: readonly string[], c: SuggestionContext = context): string {
  return ['lxdeck', ...addressingArgs(c), ...args].map(shellWord).join(' ');
}

/**
 * Inserts the addressing options after `lxdeck` in every `lxdeck VERB` of `text` (a hint, a
 * message) that does not carry them yet. VERB must be one of `c.verbs` (when given; else any
 * lower-case word). Text without such a command, or with the default context, is returned as it is.
 */
export function addressSuggestions(text: string, c: SuggestionContext = context): string {
  const add = addressingArgs(c);
  if (!add.length || !text.includes('lxdeck ')) return text;
  const verbs = c.verbs;
  return text.replace(/(^|[^\w/.-])lxdeck ((?:--?[a-z][\w-]*(?: [^\s-][^\s]*)? )*)([a-z][a-z-]*)\b/g, (all, pre: string, opts: string, verb: string) => {
    if (verbs && !verbs.includes(verb)) return all;
    if (/--lxcpath\b|--remote\b/.test(opts)) return all;
    return `${pre}lxdeck ${add.map(shellWord).join(' ')} ${opts}${verb}`;
  });
}

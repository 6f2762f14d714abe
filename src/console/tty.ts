/**
 * Whether the console can run here (case R1): it needs a terminal on both
 * ends, stdin for raw key input (Ink throws "Raw mode is not supported"
 * otherwise) and stdout to draw on.
 */

/** The verbs that work without a terminal, in the order `--help` lists them. */
export const NON_INTERACTIVE_VERBS = ['ls', 'info', 'create', 'start', 'stop', 'freeze', 'unfreeze', 'destroy'] as const;

/**
 * True when both streams are terminals. `lxdeck | cat` (stdout a pipe),
 * `lxdeck < /dev/null` (stdin not a tty) and `ssh host lxdeck` without `-t`
 * (neither) are not.
 */
export function isInteractive(stdin: { isTTY?: boolean }, stdout: { isTTY?: boolean }): boolean {
  return stdin.isTTY === true && stdout.isTTY === true;
}

/**
 * The one plain line (no escape codes, no trailing newline) printed when
 * the console cannot run; the CLI prints it and exits with status 2.
 */
export function nonInteractiveMessage(): string {
  return `lxdeck: the console needs a terminal; use a verb: lxdeck ${NON_INTERACTIVE_VERBS.join('|')} (see lxdeck --help)`;
}

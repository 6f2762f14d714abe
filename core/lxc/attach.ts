/**
 * Console and attach: the argv of `lxc-console` and `lxc-attach`
 * (lxc-console(1), lxc-attach(1)), the shell found inside a container, and
 * running them on the real terminal.
 *
 * Both tools take the terminal over (raw mode, their own pty); lxdeck runs
 * them through the Runner with output 'inherit' so the child is in lxdeck's
 * foreground process group and owns the terminal until it exits. They run
 * for as long as the administrator works in them, so the Runner's timeout is
 * set to {@link INTERACTIVE_TIMEOUT_MS} (about 24.8 days, the largest delay
 * Node's timers take) instead of the 30 s default: in effect no timeout. While
 * the child runs, lxdeck ignores SIGINT and SIGQUIT (as system(3) does): a
 * Ctrl+C typed into a command run without a pty reaches the child only.
 */
import type { Runner } from '../exec/runner.js';

/** Ctrl+a q: lxc-console's escape sequence with `-e` left at its default (^a). */
export const CONSOLE_ESCAPE_HINT = 'Ctrl+a q';

/** The longest timeout Node's setTimeout takes (2^31-1 ms, ~24.8 days): the Runner timeout for interactive children. */
export const INTERACTIVE_TIMEOUT_MS = 2 ** 31 - 1;

/** Where lxdeck looks for bash inside a container, in order. */
export const BASH_PATHS = ['/bin/bash', '/usr/bin/bash'] as const;

/** The fallback shell every container has (busybox or dash). */
export const FALLBACK_SHELL = '/bin/sh';

/** `lxc-console -P LXCPATH -n NAME -t 0`: the container's console, /dev/console (lxc-console(1): tty 0 is the console; 1..lxc.tty.max are its ttys). */
export function consoleArgv(lxcpath: string, name: string): string[] {
  return ['lxc-console', '-P', lxcpath, '-n', name, '-t', '0'];
}

/**
 * `lxc-attach -P LXCPATH -n NAME --clear-env --keep-var TERM -- COMMAND...`. The environment is
 * cleared (the host's variables, SUDO_* and paths, mean nothing inside) except TERM, so the
 * program inside draws for the real terminal; LXC sets `container=lxc` and a default PATH.
 * An empty `command` is refused: pass the shell (see {@link shellProbeArgv}).
 */
export function attachArgv(lxcpath: string, name: string, command: readonly string[]): string[] {
  if (command.length === 0) throw new Error('attachArgv needs a command');
  return ['lxc-attach', '-P', lxcpath, '-n', name, '--clear-env', '--keep-var', 'TERM', '--', ...command];
}

/**
 * The argv that asks a running container for its bash: a /bin/sh inside that prints the first
 * of {@link BASH_PATHS} that is executable (`test -x`, the shell's builtin) and exits 0, or exits 1.
 */
export function shellProbeArgv(lxcpath: string, name: string): string[] {
  const script = `for b in ${BASH_PATHS.join(' ')}; do if [ -x "$b" ]; then echo "$b"; exit 0; fi; done; exit 1`;
  return ['lxc-attach', '-P', lxcpath, '-n', name, '--clear-env', '--', FALLBACK_SHELL, '-c', script];
}

/**
 * The shell to attach with: bash when the container has one at {@link BASH_PATHS}
 * (asked inside the running container, so any rootfs backend and any symlinks resolve as the
 * container sees them), else /bin/sh. Never throws: any failure of the probe gives /bin/sh.
 */
export async function findShell(runner: Runner, lxcpath: string, name: string): Promise<string> {
  try {
    const r = await runner.run(shellProbeArgv(lxcpath, name)[0], shellProbeArgv(lxcpath, name).slice(1), { timeoutMs: 10_000 });
    const found = r.stdout.trim().split('\n')[0];
    if (r.exitCode === 0 && (BASH_PATHS as readonly string[]).includes(found)) return found;
  } catch {
    /* no lxc-attach or cancelled: the fallback */
  }
  return FALLBACK_SHELL;
}

/**
 * Runs `argv` on the real terminal (Runner output 'inherit', no effective timeout) and
 * resolves with its exit status (128+N when killed by signal N is what the shell would show;
 * the Runner reports 1 then). SIGINT and SIGQUIT are ignored by lxdeck meanwhile.
 * The caller must have left raw mode and the alternate screen first.
 */
export async function runInteractive(runner: Runner, argv: readonly string[], env?: Record<string, string>): Promise<number> {
  const ignore = () => {};
  process.on('SIGINT', ignore);
  process.on('SIGQUIT', ignore);
  try {
    const r = await runner.run(argv[0], argv.slice(1), { output: 'inherit', timeoutMs: INTERACTIVE_TIMEOUT_MS, ...(env ? { env } : {}) });
    return r.exitCode;
  } finally {
    process.off('SIGINT', ignore);
    process.off('SIGQUIT', ignore);
  }
}

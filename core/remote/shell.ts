/**
 * One long-lived `sh` on a remote host for short commands (the limits' lxc-info, file reads and
 * writes, files.ts): started on one exec channel of the host's SSH connection by the first
 * request and kept while the connection lives, so a request costs one round trip on an open
 * channel instead of a new channel and a login shell each (about 150 ms on loopback under load,
 * bench/remote-limits.mjs). Nothing is installed there: sh, head, cat, mktemp, rm.
 */
import { randomBytes } from 'node:crypto';
import { LxdeckError } from '../errors.js';
import type { Runner, RunOptions, RunResult } from '../exec/runner.js';
import { ReplyReader, type ReaderChannel } from './reply-reader.js';
import { quoteArgv, type RemoteResult } from './ssh.js';

/**
 * The shell: requests on its stdin, one at a time, `S MARK N` and then N bytes of script, run
 * in a subshell with stdin /dev/null (the request stream is the shell's alone). The reply:
 * a line `\x01MARK OUT`, the script's stdout, a newline and a line `\x01MARK ERR`, its stderr
 * (kept in a temporary file opened twice and unlinked at once, so nothing is left behind even
 * when the shell is killed; each reply reads what the last script added), a newline and a line
 * `\x01MARK END STATUS`. MARK is random per request and sent only on stdin, so no output holds
 * it. EOF on stdin (the channel closed) ends the shell.
 */
export const SHELL_SCRIPT = `e=$(mktemp) || exit 3
exec 4>"$e" 5<"$e"
rm -f "$e"
while IFS= read -r req; do
  set -f; set -- $req; set +f
  [ "\${1:-}" = S ] || exit 2
  mk=$2
  s=$(head -c "$3")
  printf '\\001%s OUT\\n' "$mk"
  (eval "$s") </dev/null 2>&4 4>&- 5<&-
  rc=$?
  printf '\\n\\001%s ERR\\n' "$mk"
  cat <&5
  printf '\\n\\001%s END %s\\n' "$mk" "$rc"
done`;

/**
 * Splits a reply of {@link SHELL_SCRIPT} (everything up to and including its END line). Pure.
 * @returns null when `text` does not end with the END line of `mark`
 */
export function parseShellReply(text: string, mark: string): RemoteResult | null {
  const end = new RegExp(`\\n\\x01${mark} END (\\d+)\\n$`).exec(text);
  if (!end) return null;
  const outAt = text.indexOf(`\x01${mark} OUT\n`);
  const errAt = text.lastIndexOf(`\n\x01${mark} ERR\n`);
  if (outAt < 0 || errAt < 0) return null;
  return {
    exitCode: Number(end[1]),
    stdout: text.slice(outAt + `\x01${mark} OUT\n`.length, errAt),
    stderr: text.slice(errAt + `\n\x01${mark} ERR\n`.length, end.index),
  };
}

/**
 * The client of one {@link SHELL_SCRIPT} per host: requests one after another (a second caller
 * waits for the first), each answered within its timeout or the shell is closed (the next
 * request starts another). A shell that ended is started again by the next request.
 */
export class RemoteShell {
  /** the reader of the current shell's channel (reply-reader.ts); a closed one is replaced by the next request */
  private reader: ReplyReader | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  /**
   * @param open opens the shell's channel, SHELL_SCRIPT already running (an SSH exec channel; tests give a local sh)
   * @param where `user@host:port` for messages
   */
  constructor(
    private readonly open: () => Promise<ReaderChannel>,
    private readonly where: string,
  ) {}

  /**
   * Runs `script` there with `args` as "$@" (each quoted for the shell, shell-quote), stdin /dev/null.
   * The exit status is the script's (a non-zero one is a result, not an error).
   * @param timeoutMs milliseconds for the reply; after it the shell is closed and E_TIMEOUT thrown; default 30 000
   * @throws LxdeckError E_UNREACHABLE (the shell could not start, ended, or the connection dropped), E_TIMEOUT, E_HOST_KEY, E_AUTH
   */
  run(script: string, args: readonly string[] = [], timeoutMs = 30_000): Promise<RemoteResult> {
    const p = this.queue.then(() => this.runNow(`set -- ${quoteArgv(args)}\n${script}\n`, timeoutMs));
    this.queue = p.catch(() => undefined);
    return p;
  }

  private async shell(): Promise<ReplyReader> {
    if (this.reader && !this.reader.closed) return this.reader;
    this.reader = null;
    const r = new ReplyReader(await this.open(), { what: `the shell on ${this.where}`, where: this.where, again: 'the next request starts it again' });
    this.reader = r;
    return r;
  }

  private async runNow(body: string, timeoutMs: number): Promise<RemoteResult> {
    const reader = await this.shell();
    const mark = randomBytes(8).toString('hex');
    const end = new RegExp(`\\x01${mark} END \\d+\\n$`);
    const reply = await reader.ask(
      `S ${mark} ${Buffer.byteLength(body)}\n${body}`,
      (tail) => end.test(tail),
      timeoutMs,
      () => new LxdeckError('E_TIMEOUT', `the shell on ${this.where} did not answer within ${Math.round(timeoutMs / 1000)} s`, { hint: 'the next request starts it again' }),
    );
    const r = parseShellReply(reply.toString('utf8'), mark);
    if (!r) throw new LxdeckError('E_UNREACHABLE', `the shell on ${this.where} sent a reply without its END line`, { hint: 'the next request starts it again' });
    return r;
  }

  /** Closes the shell's channel (a request in flight fails with E_UNREACHABLE). Idempotent. */
  close(): void {
    this.reader?.close();
  }
}

/**
 * A {@link Runner} over a {@link RemoteShell}: argv run there as `"$@"`, so core/lxc/driver.ts's
 * short calls (lxc-info) cost a request on the open shell, not a channel. `input`, `env`, `cwd`,
 * `signal`, `onLine` and output modes other than pipe are not supported (a daemonising command
 * belongs on SshRunner).
 */
export class ShellRunner implements Runner {
  constructor(readonly shell: RemoteShell) {}

  /** @throws LxdeckError E_UNREACHABLE, E_HOST_KEY, E_AUTH (a non-zero exit or a timeout is a result, as with ExecaRunner) */
  async run(file: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
    const argv = [file, ...args];
    const started = Date.now();
    try {
      const r = await this.shell.run('"$@"', argv, opts.timeoutMs ?? 30_000);
      return { argv, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, timedOut: false, durationMs: Date.now() - started };
    } catch (e) {
      if (e instanceof LxdeckError && e.code === 'E_TIMEOUT') return { argv, exitCode: 124, stdout: '', stderr: e.message, timedOut: true, durationMs: Date.now() - started };
      throw e;
    }
  }
}

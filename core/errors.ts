/**
 * Typed errors of the engine. Every error has a stable `code` (for scripts and
 * tests), a one-line `message`, and a `hint` that says what to do next.
 * The CLI prints `lxdeck: <message>` and `hint: <hint>` and exits with
 * `exitCode` (1 = the action failed, 2 = bad usage).
 */
import { addressSuggestions } from './suggest.js';

export type ErrorCode =
  | 'E_USAGE'
  | 'E_NAME_INVALID'
  | 'E_NOT_FOUND'
  | 'E_EXISTS'
  | 'E_STATE'
  | 'E_RUNNING'
  | 'E_TIMEOUT'
  | 'E_COMMAND'
  | 'E_CONFIG'
  | 'E_NOT_ROOT'
  | 'E_NO_TERMINAL'
  | 'E_NETWORK'
  | 'E_TEMPLATE'
  | 'E_UNSAFE_PATH'
  | 'E_MISSING_PROGRAM'
  | 'E_INVALID_VALUE'
  | 'E_CANCELLED'
  | 'E_PROTECTED'
  /** lxdeck does not do this for this container (its backing store, its kind); the hint names what does */
  | 'E_UNSUPPORTED'
  /** a remote host (core/remote) or a daemon backend (LXD) did not answer: connection refused, timed out or lost, a socket missing */
  | 'E_UNREACHABLE'
  /** a remote host's key is not in known_hosts, or differs from the one there */
  | 'E_HOST_KEY'
  /** the remote host refused every key offered (agent, key file) */
  | 'E_AUTH'
  /** a daemon backend (LXD) refused a request; the message is its own */
  | 'E_API';

export class LxdeckError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly exitCode: 1 | 2;

  constructor(code: ErrorCode, message: string, opts: { hint?: string; exitCode?: 1 | 2; cause?: unknown } = {}) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = 'LxdeckError';
    this.code = code;
    this.hint = opts.hint;
    this.exitCode = opts.exitCode ?? (code === 'E_USAGE' || code === 'E_NAME_INVALID' || code === 'E_INVALID_VALUE' ? 2 : 1);
  }
}

/** True when `e` is an LxdeckError, optionally with the given code. */
export function isLxdeckError(e: unknown, code?: ErrorCode): e is LxdeckError {
  return e instanceof LxdeckError && (code === undefined || e.code === code);
}

/**
 * One line for a user: the message, and the hint when there is one. A suggested `lxdeck VERB`
 * command in the hint carries the lxcpath and remote in use (core/suggest.ts).
 */
export function formatError(e: unknown): { message: string; hint?: string } {
  if (e instanceof LxdeckError) return { message: e.message, hint: e.hint === undefined ? undefined : addressSuggestions(e.hint) };
  if (e instanceof Error) return { message: e.message.split('\n')[0] };
  return { message: String(e) };
}

/**
 * The action log over LXD (issue 10, part 3): the LxdBackend's actions recorded like the local
 * engine's (core/actionlog, `recordActions(backend, log.append, { specs: LXD_ACTION_SPECS })`),
 * each with the equivalent command of LXD's own client, `lxc` (LXD 5.0's `lxc init`, `start`,
 * `stop`, `restart`, `pause`, `delete`, `config set|unset`, `exec`, `console`), prefixed with
 * `env LXD_DIR=...` when the daemon is not the default one.
 */
import type { ActionSpecs, Equivalent } from '../actionlog/index.js';
import { DEFAULT_LXD_DIR } from './client.js';

const str = (v: unknown): string => String(v);
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});

/**
 * The `lxc` argv prefix that reaches the daemon a backend's `lxcpath` (`lxd:<socket>`) names:
 * `["lxc"]` for the default socket, `["env", "LXD_DIR=DIR", "lxc"]` for DIR/unix.socket, else
 * `["lxc"]` (a socket of another name has no client setting; the note says which).
 */
export function lxcClientArgv(lxcpath: string): { argv: string[]; note?: string } {
  const socket = lxcpath.replace(/^lxd:/, '');
  const m = /^(.*)\/unix\.socket$/.exec(socket);
  if (m && m[1] === DEFAULT_LXD_DIR) return { argv: ['lxc'] };
  if (m) return { argv: ['env', `LXD_DIR=${m[1]}`, 'lxc'] };
  return { argv: ['lxc'], note: `LXD at ${socket}` };
}

/** Builds one Spec from the `lxc` words after the client; `note` joins the socket's note, if any. */
function spec(action: string, words: (args: unknown[], result: unknown) => { argvs: string[][]; note?: string }): ActionSpecs[string] {
  return {
    action,
    equivalent: (lxcpath, args, result): Equivalent => {
      const client = lxcClientArgv(lxcpath);
      const w = words(args, result);
      const note = [w.note, client.note].filter(Boolean).join('; ') || undefined;
      return { argvs: w.argvs.map((a) => [...client.argv, ...a]), ...(note ? { note } : {}) };
    },
  };
}

/** `-c KEY=VALUE` words for create: from the instance's own config after it was made, else from the options asked. */
function createConfig(o: Record<string, unknown>, result: unknown): string[] {
  const made = obj(obj(result).config);
  const keys = Object.keys(made).filter((k) => k.startsWith('limits.') || k === 'security.privileged').sort();
  if (keys.length) return keys.flatMap((k) => ['-c', `${k}=${str(made[k])}`]);
  const out: string[] = [];
  if (result === undefined) {
    if (o.memory !== undefined) out.push('-c', `limits.memory=${str(o.memory)}`);
    if (o.cpus !== undefined) out.push('-c', `limits.cpu=${str(o.cpus)}`);
    if (o.privileged) out.push('-c', 'security.privileged=true');
  }
  return out;
}

/** The interactive or recorded command of attach/exec: `lxc exec NAME -- CMD` (a shell when none). */
function execWords(args: unknown[], result: unknown): { argvs: string[][] } {
  const ran = obj(result).argv;
  const cmd = Array.isArray(ran) ? ran.map(str) : Array.isArray(args[1]) ? args[1].map(str) : [];
  return { argvs: [['exec', str(args[0]), '--', ...(cmd.length ? cmd : ['sh'])]] };
}

/**
 * LxdBackend's methods and the `lxc` commands that do the same (LXD 5.0's client): create ->
 * `lxc init IMAGE NAME [-p P]... [-c KEY=VALUE]... [--network N] [--target M]` (and `lxc start`
 * with start), start, stop (`--force` or `--timeout N`), restart, freeze -> `lxc pause`, unfreeze
 * -> `lxc start` (LXD's client resumes a frozen instance with start), destroy -> `lxc delete
 * [--force]`, setLimits -> `lxc config set NAME KEY=VALUE...` and `lxc config unset`, exec and
 * attach and attachPty (the shell pane) -> `lxc exec NAME -- CMD`, console -> `lxc console NAME`.
 */
export const LXD_ACTION_SPECS: ActionSpecs = {
  create: spec('create', ([name, o], result) => {
    const opts = obj(o);
    const argv = ['init', str(opts.image ?? 'IMAGE'), str(name)];
    for (const p of Array.isArray(opts.profiles) ? opts.profiles : []) argv.push('-p', str(p));
    argv.push(...createConfig(opts, result));
    if (typeof opts.bridge === 'string') argv.push('--network', opts.bridge);
    if (typeof opts.target === 'string') argv.push('--target', opts.target);
    return { argvs: [argv, ...(opts.start ? [['start', str(name)]] : [])] };
  }),
  start: spec('start', ([name]) => ({ argvs: [['start', str(name)]] })),
  stop: spec('stop', ([name, o]) => {
    const opts = obj(o);
    return { argvs: [['stop', str(name), ...(opts.kill ? ['--force'] : ['--timeout', String(opts.timeoutSec ?? 30)])]] };
  }),
  restart: spec('restart', ([name, o]) => {
    const opts = obj(o);
    return { argvs: [['restart', str(name), ...(opts.kill ? ['--force'] : ['--timeout', String(opts.timeoutSec ?? 30)])]] };
  }),
  freeze: spec('freeze', ([name]) => ({ argvs: [['pause', str(name)]] })),
  unfreeze: spec('unfreeze', ([name]) => ({ argvs: [['start', str(name)]], note: "LXD's client resumes a frozen instance with start" })),
  destroy: spec('destroy', ([name, o]) => ({ argvs: [['delete', str(name), ...(obj(o).force ? ['--force'] : [])]] })),
  setLimits: spec('limits', ([name, input], result) => {
    const r = obj(result);
    const saved = Array.isArray(r.saved) ? (r.saved as { key: string; value: string }[]) : [];
    const removed = Array.isArray(r.removed) ? (r.removed as string[]) : [];
    const argvs: string[][] = [];
    if (saved.length) argvs.push(['config', 'set', str(name), ...saved.map((s) => `${s.key}=${s.value}`)]);
    for (const k of removed) argvs.push(['config', 'unset', str(name), k]);
    return { argvs, note: result === undefined ? `requested ${JSON.stringify(input)}` : undefined };
  }),
  exec: spec('attach', execWords),
  attach: spec('attach', execWords),
  // the console's shell pane: the same exec, on a pty of LXD's whose output lxdeck draws
  attachPty: spec('attach', (args, result) => ({ ...execWords(args, result), note: 'in a pane of the console' })),
  console: spec('console', ([name]) => ({ argvs: [['console', str(name)]] })),
};

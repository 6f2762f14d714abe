/**
 * Recording the engine's actions: {@link recordActions} wraps an engine (the
 * real `Engine` or any object with the same methods) so that every call of an
 * action method produces one {@link ActionEntry}: its time, the acting user,
 * the container, the equivalent `lxc-*` command line, the result and the
 * duration. The CLI and the console use the same wrapped engine
 * (src/cli.ts `engineFrom`), so both record the same entries.
 *
 * Only the outermost call is recorded: the engine's own internal calls
 * (create with `start`, stop thawing first) run on the unwrapped engine.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { shellQuote } from '../exec/runner.js';
import { actingUser, normalizeLxcpath, type ActionEntry } from './log.js';

/** The equivalent command lines of one action: argv arrays, plus an optional trailing shell comment. */
export interface Equivalent {
  argvs: string[][];
  note?: string;
}

/** The equivalent command lines of one call: from the backend's `lxcpath`, the call's arguments and its result (undefined when it failed). */
export type Spec = (lxcpath: string, args: unknown[], result: unknown) => Equivalent;

/** What is recorded for one method: the action's name in the log, and its equivalent commands. */
export type ActionSpecs = Readonly<Record<string, { action: string; equivalent: Spec }>>;

/** True when `<lxcpath>/<name>/config` on this host sets lxc.ephemeral = 1 (false when it cannot be read: a remote's). */
function ephemeralAt(lxcpath: string, name: string): boolean {
  try {
    return /^\s*lxc\.ephemeral\s*=\s*1\s*$/m.test(readFileSync(join(lxcpath, name, 'config'), 'utf8'));
  } catch {
    return false;
  }
}

const lxc = (tool: string, lxcpath: string, name: string, ...rest: string[]): string[] => [tool, '-P', lxcpath, '-n', name, ...rest];
const str = (v: unknown): string => String(v);
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});

/**
 * Equivalent commands per engine method. The templates lxdeck runs itself map to LXC's
 * template of the same kind (`debootstrap` → `debian`); `lxc:NAME` templates are LXC's own.
 */
export const ACTION_SPECS: ActionSpecs = {
  create: {
    action: 'create',
    equivalent: (p, [name, o]) => {
      const opts = obj(o);
      let t = typeof opts.template === 'string' ? opts.template : 'busybox';
      const tOpts = obj(opts.options);
      const extra: string[] = [];
      if (t.startsWith('lxc:')) {
        t = t.slice(4);
        for (const [k, v] of Object.entries(tOpts)) extra.push(`--${k}`, String(v));
      } else if (t === 'debootstrap') {
        t = 'debian';
        if (tOpts.release) extra.push('--release', String(tOpts.release));
      } else if (t === 'oci') {
        // LXC's lxc-oci template takes the same image references (skopeo's transports)
        if (tOpts.image) extra.push('--url', String(tOpts.image));
      } else if (t === 'download') {
        for (const [k, f] of [['distro', '--dist'], ['release', '--release'], ['arch', '--arch'], ['server', '--server']] as const)
          if (tOpts[k]) extra.push(f, String(tOpts[k]));
      }
      // the backing store as lxc-create -B takes it (dir is its default)
      const backing = typeof opts.backing === 'string' && opts.backing !== 'dir' ? ['-B', opts.backing, ...(opts.size !== undefined ? ['--fssize', String(opts.size)] : [])] : [];
      const argvs = [lxc('lxc-create', p, str(name), '-t', t, ...backing, ...(extra.length ? ['--', ...extra] : []))];
      if (opts.start) argvs.push(lxc('lxc-start', p, str(name), '-d'));
      return { argvs };
    },
  },
  copy: {
    action: 'copy',
    equivalent: (p, [src, dst, o]) => ({ argvs: [['lxc-copy', '-P', p, '-n', str(src), '-N', str(dst), ...(obj(o).snapshot ? ['-s', '-B', 'overlay'] : [])]] }),
  },
  rename: {
    action: 'rename',
    equivalent: (p, [from, to]) => ({ argvs: [['lxc-copy', '-P', p, '-n', str(from), '-N', str(to), '-R']] }),
  },
  start: { action: 'start', equivalent: (p, [name]) => ({ argvs: [lxc('lxc-start', p, str(name), '-d')] }) },
  stop: {
    action: 'stop',
    equivalent: (p, [name, o]) => {
      const opts = obj(o);
      return { argvs: [lxc('lxc-stop', p, str(name), ...(opts.kill ? ['-k'] : ['-t', String(opts.timeoutSec ?? 30)]))] };
    },
  },
  run: {
    action: 'run',
    equivalent: (p, [cmd, o], result) => {
      const name = obj(result).name ?? obj(o).name ?? 'NAME';
      return { argvs: [lxc('lxc-execute', p, str(name), '--', ...(Array.isArray(cmd) ? cmd.map(str) : []))], note: 'an application container (lxdeck run), removed when its command ended' };
    },
  },
  addDevice: {
    action: 'device-add',
    equivalent: (p, [name, path], result) => ({ argvs: [lxc('lxc-device', p, str(name), 'add', str(path))], note: obj(result).live === false ? 'saved in the config only (applies at the next start)' : undefined }),
  },
  removeDevice: {
    action: 'device-rm',
    equivalent: (p, [name, path]) => ({ argvs: [lxc('lxc-device', p, str(name), 'del', str(path))] }),
  },
  freeze: { action: 'freeze', equivalent: (p, [name]) => ({ argvs: [lxc('lxc-freeze', p, str(name))] }) },
  unfreeze: { action: 'unfreeze', equivalent: (p, [name]) => ({ argvs: [lxc('lxc-unfreeze', p, str(name))] }) },
  destroy: {
    action: 'destroy',
    equivalent: (p, [name, o]) => ({ argvs: [lxc('lxc-destroy', p, str(name), ...(obj(o).force ? ['-f'] : []), ...(obj(o).snapshots ? ['-s'] : []))] }),
  },
  restart: {
    action: 'restart',
    equivalent: (p, [name, o]) => {
      const opts = obj(o);
      if (opts.kill) return { argvs: [lxc('lxc-stop', p, str(name), '-k'), lxc('lxc-start', p, str(name), '-d')] };
      // core/engine.ts restart: a stop and a start (the saved config), a reboot only for an ephemeral container
      if (ephemeralAt(p, str(name))) return { argvs: [lxc('lxc-stop', p, str(name), '-r', '-t', String(opts.timeoutSec ?? 30))] };
      return { argvs: [lxc('lxc-stop', p, str(name), '-t', String(opts.timeoutSec ?? 30)), lxc('lxc-start', p, str(name), '-d')] };
    },
  },
  snapshot: {
    action: 'snapshot',
    equivalent: (p, [name, o], result) => {
      const comment = obj(o).comment;
      const made = obj(result).name;
      return {
        argvs: [lxc('lxc-snapshot', p, str(name), ...(typeof comment === 'string' && comment !== '' ? ['-c', 'COMMENTFILE'] : []))],
        note: [typeof comment === 'string' && comment !== '' ? `COMMENTFILE holds ${JSON.stringify(comment)}` : '', typeof made === 'string' ? `made ${made}` : ''].filter(Boolean).join('; ') || undefined,
      };
    },
  },
  restoreSnapshot: {
    action: 'restore',
    equivalent: (p, [name, snap, o]) => {
      const as = obj(o).as;
      return { argvs: [lxc('lxc-snapshot', p, str(name), '-r', str(snap), ...(typeof as === 'string' ? ['-N', as] : []))] };
    },
  },
  deleteSnapshot: {
    action: 'snapshot-delete',
    equivalent: (p, [name, snap]) => ({ argvs: [lxc('lxc-snapshot', p, str(name), '-d', str(snap))] }),
  },
  setAutostart: {
    action: 'autostart',
    equivalent: (p, [name, s], result) => {
      const given = obj(s);
      const lines: string[] = [];
      if ('auto' in given) lines.push(`lxc.start.auto = ${given.auto ? 1 : 0}`);
      for (const [f, k] of [['order', 'lxc.start.order'], ['delay', 'lxc.start.delay']] as const)
        if (f in given) lines.push(given[f] === null ? `${k} unset` : `${k} = ${String(given[f])}`);
      if (Array.isArray(given.groups)) lines.push(given.groups.length ? given.groups.map((g) => `lxc.group = ${String(g)}`).join('; ') : 'lxc.group unset');
      const where = `in ${join(p, str(name), 'config')}`;
      return { argvs: [], note: `${result === undefined ? 'requested' : where}: ${lines.join('; ') || 'nothing'}` };
    },
  },
  applyAutostart: {
    action: 'autostart-apply',
    equivalent: (p, [o], result) => {
      const groups = obj(o).groups;
      const r = obj(result);
      const started = Array.isArray(r.started) ? (r.started as string[]) : null;
      const failed = Array.isArray(r.failed) ? (r.failed as { name: string }[]).map((f) => f.name) : [];
      return {
        argvs: [['lxc-autostart', '-P', p, ...(Array.isArray(groups) ? ['-g', groups.map(String).join(',')] : [])]],
        note: started ? `started ${started.join(', ') || 'none'}${failed.length ? `; failed ${failed.join(', ')}` : ''}` : undefined,
      };
    },
  },
  setProtected: {
    action: 'protect',
    equivalent: (p, [name, on]) => ({ argvs: [], note: `${on ? 'protected: true set' : 'protected removed'} in ${join(p, str(name), 'lxdeck.json')} (no lxc-* equivalent: LXC has no delete protection)` }),
  },
  setLimits: {
    action: 'limits',
    equivalent: (p, [name, input], result) => {
      const r = obj(result);
      const written = Array.isArray(r.written) ? (r.written as { path: string; value: string }[]) : [];
      const saved = Array.isArray(r.saved) ? (r.saved as { key: string; value: string }[]) : [];
      const argvs = written.map((w) => lxc('lxc-cgroup', p, str(name), basename(w.path), w.value));
      const cfg = join(p, str(name), 'config');
      const note = saved.length
        ? `in ${cfg}: ${saved.map((s) => `${s.key} = ${s.value}`).join('; ')}`
        : result === undefined
          ? `requested ${JSON.stringify(input)}`
          : undefined;
      return { argvs, note };
    },
  },
  cgroupSet: {
    action: 'cgroup',
    equivalent: (p, [name, key, value]) => ({ argvs: [lxc('lxc-cgroup', p, str(name), str(key), str(value))] }),
  },
  attach: {
    action: 'attach',
    equivalent: (p, [name, command], result) => {
      const argv = obj(result).argv;
      if (Array.isArray(argv)) return { argvs: [argv.map(String)] };
      const cmd = Array.isArray(command) ? command.map(String) : [];
      return { argvs: [lxc('lxc-attach', p, str(name), '--clear-env', '--keep-var', 'TERM', ...(cmd.length ? ['--', ...cmd] : []))] };
    },
  },
  // the console's shell pane: the same lxc-attach, on a pty of lxdeck's own
  attachPty: {
    action: 'attach',
    equivalent: (p, [name], result) => {
      const argv = obj(result).argv;
      return { argvs: [Array.isArray(argv) ? argv.map(String) : lxc('lxc-attach', p, str(name), '--clear-env', '--keep-var', 'TERM')], note: 'in a pane of the console' };
    },
  },
  console: {
    action: 'console',
    equivalent: (p, [name], result) => {
      const argv = obj(result).argv;
      return { argvs: [Array.isArray(argv) ? argv.map(String) : lxc('lxc-console', p, str(name), '-t', '0')] };
    },
  },
  kill: {
    action: 'kill',
    equivalent: (_p, [, pid, signal]) => ({ argvs: [['kill', '-s', String(signal ?? 'TERM').replace(/^SIG/, ''), str(pid)]] }),
  },
};

/** Renders an {@link Equivalent} as one shell line: argvs quoted and joined by ` && `, the note as a trailing `# ` comment. */
export function renderEquivalent(e: Equivalent): string {
  const line = e.argvs.map(shellQuote).join(' && ');
  if (!e.note) return line;
  return line ? `${line} # ${e.note}` : `# ${e.note}`;
}

/** The error code and message an entry records for a failure: an LxdeckError's code, else 'ERROR'. */
function failure(e: unknown): { result: string; message: string } {
  const code = e && typeof e === 'object' && typeof (e as { code?: unknown }).code === 'string' && /^E_/.test((e as { code: string }).code) ? (e as { code: string }).code : 'ERROR';
  const message = e instanceof Error ? e.message.split('\n')[0] : String(e);
  return { result: code, message };
}

export interface RecordOptions {
  /** environment for the acting user (SUDO_USER); default process.env */
  env?: NodeJS.ProcessEnv;
  /** clock, for tests; default Date.now */
  now?: () => number;
  /** the methods recorded and their equivalents; default {@link ACTION_SPECS} (LXC's lxc-* tools). The LXD backend passes core/lxd/actions.ts's (LXD's `lxc` client) */
  specs?: ActionSpecs;
}

/**
 * Wraps `engine` so that each call of an action method ({@link ACTION_SPECS}: create, start,
 * stop, freeze, unfreeze, destroy, copy, rename, restart, snapshot, restoreSnapshot, deleteSnapshot,
 * setAutostart, applyAutostart, setProtected, setLimits, cgroupSet, attach, attachPty, console, kill, run, addDevice, removeDevice) calls
 * `onAction` once with its entry, after the action finished or failed (the error is
 * rethrown unchanged). Every other property and method passes through untouched.
 * `onAction` must not throw (ActionLog.append never does); if it does, the error is dropped.
 * @returns an object of the same type as `engine`
 */
export function recordActions<E extends { readonly lxcpath: string }>(engine: E, onAction: (entry: ActionEntry) => void, opts: RecordOptions = {}): E {
  const now = opts.now ?? Date.now;
  const specs = opts.specs ?? ACTION_SPECS;
  const emit = (entry: ActionEntry) => {
    try {
      onAction(entry);
    } catch {
      /* the log never breaks the action */
    }
  };
  return new Proxy(engine, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target) as unknown;
      if (typeof v !== 'function') return v;
      const spec = typeof prop === 'string' && Object.hasOwn(specs, prop) ? specs[prop] : undefined;
      const fn = v as (...a: unknown[]) => unknown;
      if (!spec) return fn.bind(target);
      return async (...args: unknown[]) => {
        const t0 = now();
        const base = {
          time: new Date(t0).toISOString(),
          user: actingUser(opts.env ?? process.env),
          lxcpath: normalizeLxcpath(target.lxcpath),
          container: typeof args[0] === 'string' ? args[0] : null,
          action: spec.action,
        };
        const command = (result: unknown) => {
          try {
            return renderEquivalent(spec.equivalent(target.lxcpath, args, result));
          } catch {
            return '';
          }
        };
        try {
          const result = await fn.apply(target, args);
          const exit = obj(result).exitCode;
          emit({ ...base, command: command(result), result: 'ok', ...(typeof exit === 'number' ? { exitStatus: exit } : {}), durationMs: now() - t0 });
          return result;
        } catch (e) {
          emit({ ...base, command: command(undefined), ...failure(e), durationMs: now() - t0 });
          throw e;
        }
      };
    },
  });
}

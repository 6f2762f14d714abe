/**
 * The lifecycle verbs of the command line (issue 9): start, stop, restart, freeze, unfreeze,
 * destroy, snapshot, snapshots, restore, snapshot-delete, autostart, protect. Added to the
 * program by src/cli.ts with {@link addLifecycleCommands}.
 *
 * Verbs that act on containers take several names: each is tried in order, a failure does not
 * stop the others, each failure is printed as the usual `lxdeck: ...` / `hint: ...` lines
 * naming the container. With one name the exit status is the error's own (1, or 2 for a bad
 * name); with several it is 1 when any action failed (2 when the only failures were bad names
 * or values). With --json (where the verb prints data) one entry per name.
 */
import { Command } from 'commander';
import type { Backend } from '../core/backend.js';
import type { Engine } from '../core/engine.js';
import { LxdeckError, formatError } from '../core/errors.js';
import type { AutostartSettings, SnapshotInfo } from '../core/types.js';
import { autostartText } from './autostart-text.js';

export interface LifecycleCommandDeps {
  engine: () => Engine;
  requireRoot: () => void;
  setExit: (code: number) => void;
}

function out(s: string): void {
  process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
}

function table(rows: string[][]): string {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]))).join('  ').trimEnd()).join('\n');
}

/** Longest timeout: Node's timers hold at most 2^31-1 ms (about 24.8 days). */
const MAX_TIMEOUT_SEC = Math.floor((2 ** 31 - 1) / 1000) - 60;

function parseSeconds(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n > MAX_TIMEOUT_SEC)
    throw new LxdeckError('E_USAGE', `--timeout takes whole seconds from 0 to ${MAX_TIMEOUT_SEC}, not ${JSON.stringify(v)}`, { hint: 'e.g. --timeout 30; 0 kills at once' });
  return n;
}

function parseInt32(flag: string, v: string, min: number): number {
  const n = Number(v);
  if (!/^[+-]?\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min || n > 2 ** 31 - 1)
    throw new LxdeckError('E_USAGE', `${flag} takes a whole number${min === 0 ? ' >= 0' : ''}, not ${JSON.stringify(v)}`, { hint: flag === '--order' ? 'e.g. --order 10 (lower starts first)' : 'e.g. --delay 5 (seconds)' });
  return n;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** One name's outcome. */
export type Outcome<T> = { name: string; ok: true; value: T } | { name: string; ok: false; error: unknown };

/**
 * Runs `fn` for every name in order; a failure does not stop the others. With one name its
 * error is thrown as it is (the CLI's usual one-line error, its exit status). With several,
 * each failure is printed (`lxdeck: NAME: ...` when the message does not name it, then the
 * hint) and the exit status set: 1 when any action failed, 2 when only bad names or values did.
 */
export async function eachName<T>(names: string[], fn: (name: string) => Promise<T>, setExit: (code: number) => void, onOk?: (name: string, value: T) => void): Promise<Outcome<T>[]> {
  if (names.length === 1) {
    const value = await fn(names[0]);
    onOk?.(names[0], value);
    return [{ name: names[0], ok: true, value }];
  }
  const outcomes: Outcome<T>[] = [];
  let worst = 0;
  for (const name of names) {
    try {
      const value = await fn(name);
      onOk?.(name, value);
      outcomes.push({ name, ok: true, value });
    } catch (e) {
      outcomes.push({ name, ok: false, error: e });
      const { message, hint } = formatError(e);
      process.stderr.write(`lxdeck: ${message.includes(name) ? message : `${name}: ${message}`}\n`);
      if (hint) process.stderr.write(`hint: ${hint}\n`);
      const code = e instanceof LxdeckError ? e.exitCode : 1;
      worst = worst === 1 || code === 1 ? 1 : 2;
    }
  }
  if (worst) setExit(worst);
  return outcomes;
}

/**
 * The state verbs' shared runner: every name in order ({@link eachName}); without `json` each
 * success prints `line(name, value)`. With `json` nothing is thrown or printed per name, even
 * for one name: one JSON array is printed, one entry per name, `{name, ok: true, ...value}` or
 * `{name, ok: false, error: {code, message, hint?}}`, and the exit status is 1 when any action
 * failed (2 when only bad names or values did), as without --json.
 */
export async function eachNameOut<T extends Record<string, unknown>>(
  names: string[],
  fn: (name: string) => Promise<T>,
  setExit: (code: number) => void,
  o: { json?: boolean; line: (name: string, value: T) => string },
): Promise<void> {
  if (!o.json) {
    await eachName(names, fn, setExit, (n, v) => out(o.line(n, v)));
    return;
  }
  const entries: Record<string, unknown>[] = [];
  let worst = 0;
  for (const name of names) {
    try {
      entries.push({ name, ok: true, ...(await fn(name)) });
    } catch (e) {
      entries.push(jsonOutcome({ name, ok: false, error: e }, ''));
      const code = e instanceof LxdeckError ? e.exitCode : 1;
      worst = worst === 1 || code === 1 ? 1 : 2;
    }
  }
  out(JSON.stringify(entries, null, 2));
  if (worst) setExit(worst);
}

/** A failed outcome as JSON: {name, ok: false, error: {code, message, hint}}. */
function jsonOutcome<T>(o: Outcome<T>, key: string): Record<string, unknown> {
  if (o.ok) return { name: o.name, ok: true, [key]: o.value };
  const { message, hint } = formatError(o.error);
  return { name: o.name, ok: false, error: { code: o.error instanceof LxdeckError ? o.error.code : 'ERROR', message, ...(hint ? { hint } : {}) } };
}

function describeAutostart(s: AutostartSettings): string {
  return `autostart: ${autostartText(s.auto, s)}`;
}

function snapshotTable(list: SnapshotInfo[]): string {
  const rows = [['SNAPSHOT', 'CREATED', 'COMMENT']];
  for (const s of list) rows.push([s.name, s.created ?? '-', s.comment ? s.comment.replace(/\s*\n\s*/g, ' / ') : '-']);
  return table(rows);
}

/** The help texts of the state verbs, each backend's own words (its tools, container or instance). */
export type StateVerbHelp = Record<'start' | 'stop' | 'restart' | 'freeze' | 'unfreeze' | 'destroy', string>;

/** The local engine's help texts (LXC's tools). */
export const LOCAL_STATE_HELP: StateVerbHelp = {
  start: 'start containers; returns once each is RUNNING',
  stop: 'stop containers: clean shutdown, then kill after the timeout',
  restart: 'stop running containers cleanly and start them again, with their saved config (lxc-stop -r would keep the config of the first start; an ephemeral one is rebooted so); returns once each is RUNNING again with a new init',
  freeze: 'freeze every process of running containers',
  unfreeze: 'thaw frozen containers',
  destroy: 'destroy containers and their rootfs (refused while running unless --force; refused while protected)',
};

export interface StateVerbDeps {
  /** the backend the verbs act on (core/backend.ts): the local engine, or LXD (src/cli-lxd.ts) */
  backend: () => Pick<Backend, 'start' | 'stop' | 'freeze' | 'unfreeze' | 'destroy' | 'info' | 'restart'>;
  /** called first by each verb (the local engine needs root; LXD checks its socket's access itself) */
  requireRoot?: () => void;
  setExit: (code: number) => void;
  /** default {@link LOCAL_STATE_HELP} */
  help?: StateVerbHelp;
}

/**
 * The verbs that change a container's state, one table over the Backend seam for every backend:
 * start, stop [--kill] [--timeout S], restart [--kill] [--timeout S], freeze, unfreeze, destroy
 * [--force]. Each takes several names ({@link eachName}); start and restart print the state and
 * PID after (from `info`), the others the state reached. A backend without restart answers
 * E_UNSUPPORTED. @throws LxdeckError E_USAGE for a bad --timeout (exit status 2)
 */
export function addStateVerbs(program: Command, deps: StateVerbDeps): void {
  const { setExit } = deps;
  const requireRoot = deps.requireRoot ?? (() => {});
  const help = deps.help ?? LOCAL_STATE_HELP;

  const JSON_HELP = 'print a JSON array, one {name, ok: true, state, pid} (or {name, ok: false, error: {code, message, hint}}) per name';
  const stateOf = async (b: ReturnType<StateVerbDeps['backend']>, n: string) => {
    const i = await b.info(n);
    return { state: i.state, pid: i.pid ?? null };
  };
  const line = (n: string, v: { state: string; pid: number | null }) => `${n} ${v.state}${v.pid ? ` pid ${v.pid}` : ''}`;

  program
    .command('start')
    .argument('<name...>')
    .description(help.start)
    .option('--json', JSON_HELP)
    .action(async (names: string[], o: { json?: boolean }) => {
      requireRoot();
      const b = deps.backend();
      await eachNameOut(names, async (n) => {
        await b.start(n);
        return stateOf(b, n);
      }, setExit, { json: o.json, line });
    });

  program
    .command('stop')
    .argument('<name...>')
    .description(help.stop)
    .option('-k, --kill', 'kill at once (no clean shutdown)')
    .option('--timeout <seconds>', 'seconds to wait for a clean shutdown before killing (0: kill at once)', '30')
    .option('--json', JSON_HELP)
    .action(async (names: string[], o: { kill?: boolean; timeout: string; json?: boolean }) => {
      const timeoutSec = parseSeconds(o.timeout);
      requireRoot();
      const b = deps.backend();
      await eachNameOut(names, async (n) => {
        await b.stop(n, { kill: o.kill, timeoutSec });
        return { state: 'STOPPED', pid: null };
      }, setExit, { json: o.json, line });
    });

  program
    .command('restart')
    .argument('<name...>')
    .description(help.restart)
    .option('-k, --kill', 'kill and start again instead of a clean stop')
    .option('--timeout <seconds>', 'seconds to wait for the clean stop before killing (an ephemeral container: for its reboot)', '30')
    .option('--json', JSON_HELP)
    .action(async (names: string[], o: { kill?: boolean; timeout: string; json?: boolean }) => {
      const timeoutSec = parseSeconds(o.timeout);
      requireRoot();
      const b = deps.backend();
      await eachNameOut(names, async (n) => {
        if (!b.restart) throw new LxdeckError('E_UNSUPPORTED', 'this backend cannot restart', { hint: 'stop, then start' });
        await b.restart(n, { kill: o.kill, timeoutSec });
        return stateOf(b, n);
      }, setExit, { json: o.json, line });
    });

  for (const [verb, done] of [
    ['freeze', 'FROZEN'],
    ['unfreeze', 'RUNNING'],
  ] as const) {
    program
      .command(verb)
      .argument('<name...>')
      .description(help[verb])
      .option('--json', 'print a JSON array, one {name, ok: true, state} (or {name, ok: false, error: {code, message, hint}}) per name')
      .action(async (names: string[], o: { json?: boolean }) => {
        requireRoot();
        const b = deps.backend();
        await eachNameOut(names, async (n) => {
          await b[verb](n);
          return { state: done };
        }, setExit, { json: o.json, line: (n2) => `${n2} ${done}` });
      });
  }

  program
    .command('destroy')
    .argument('<name...>')
    .description(help.destroy)
    .option('-f, --force', 'kill a running container first')
    .option('-s, --snapshots', 'destroy its snapshots too (lxc-destroy -s)')
    .option('--json', 'print a JSON array, one {name, ok: true, destroyed: true} (or {name, ok: false, error: {code, message, hint}}) per name')
    .action(async (names: string[], o: { force?: boolean; snapshots?: boolean; json?: boolean }) => {
      requireRoot();
      const b = deps.backend();
      await eachNameOut(names, async (n) => {
        await b.destroy(n, { force: o.force, ...(o.snapshots ? { snapshots: true } : {}) });
        return { destroyed: true };
      }, setExit, { json: o.json, line: (n2) => `destroyed ${n2}` });
    });
}

/** Adds the lifecycle verbs to `program`. */
export function addLifecycleCommands(program: Command, deps: LifecycleCommandDeps): void {
  const { requireRoot, setExit } = deps;

  addStateVerbs(program, { backend: deps.engine, requireRoot, setExit });

  program
    .command('snapshot')
    .argument('<name...>')
    .description("snapshot stopped containers with lxc-snapshot (LXC's layout: lxc-snapshot -L lists them); a running one is refused")
    .option('-c, --comment <text>', 'a comment kept with the snapshot (lxc-snapshot -c)')
    .option('--json', 'print a JSON array, one {name, ok, snapshot: {name, created, comment}} (or {name, ok: false, error}) per container')
    .action(async (names: string[], o: { comment?: string; json?: boolean }) => {
      requireRoot();
      const e = deps.engine();
      await eachNameOut(names, async (n) => ({ snapshot: await e.snapshot(n, { comment: o.comment }) }), setExit, { json: o.json, line: (n, v) => `${n}: made ${v.snapshot.name}` });
    });

  program
    .command('snapshots')
    .argument('<name>')
    .description('list the snapshots of a container (like lxc-snapshot -L -C)')
    .option('--json', 'print a JSON array of {name, created, comment}; created is ISO 8601 or null')
    .action(async (name: string, o: { json?: boolean }) => {
      // read-only: any user who can read the container's snapshots (lxc-snapshot -L as far as it can); EACCES is reported with the hint
      const list = await deps.engine().snapshots(name);
      if (o.json) return out(JSON.stringify(list, null, 2));
      out(list.length ? snapshotTable(list) : `${name} has no snapshots`);
    });

  program
    .command('restore')
    .argument('<name>')
    .argument('<snapshot>', 'e.g. snap0 (lxdeck snapshots NAME lists them)')
    .description('restore a snapshot: in place (the container must be STOPPED; what it holds now is replaced), or as a new container with --as')
    .option('--as <new>', 'make a new container from the snapshot instead (new hwaddr, address and idmap range)')
    .action(async (name: string, snap: string, o: { as?: string }) => {
      requireRoot();
      await deps.engine().restoreSnapshot(name, snap, o.as !== undefined ? { as: o.as } : {});
      out(o.as !== undefined ? `restored ${snap} of ${name} as ${o.as}` : `restored ${name} to ${snap}`);
    });

  program
    .command('snapshot-delete')
    .argument('<name>')
    .argument('<snapshot>')
    .description('delete one snapshot (lxc-snapshot -d)')
    .action(async (name: string, snap: string) => {
      requireRoot();
      await deps.engine().deleteSnapshot(name, snap);
      out(`deleted snapshot ${snap} of ${name}`);
    });

  program
    .command('autostart')
    .argument('[args...]', 'NAME... on|off, or nothing with --apply')
    .description('set lxc.start.auto/order/delay and lxc.group of containers, or with --apply start the autostart containers as lxc-autostart does')
    .option('--order <n>', 'lxc.start.order: lower starts first (lxc-autostart sorts ascending)')
    .option('--delay <seconds>', 'lxc.start.delay: seconds lxc-autostart waits after starting it')
    .option('-g, --group <group>', 'lxc.group (repeat for more; replaces the groups); with --apply: the groups to start, comma-separated like lxc-autostart -g, an empty one ("onboot,") for containers without a group', collect, [] as string[])
    .option('--no-groups', 'remove every lxc.group')
    .option('--apply', 'start the lxc.start.auto = 1 containers: by group (default: only those without a group), ascending lxc.start.order, lxc.start.delay after each')
    .option('--json', 'print JSON: with --apply {started, skipped, failed}; else one {name, ok, autostart: {auto, order, delay, groups}} per container')
    .addHelpText('after', '\nExamples:\n  lxdeck autostart web db on --order 10 --group onboot\n  lxdeck autostart web off\n  lxdeck autostart --apply --group onboot,\n')
    .action(async (args: string[], o: { order?: string; delay?: string; group: string[]; groups?: boolean; apply?: boolean; json?: boolean }) => {
      if (o.apply) {
        if (args.length) throw new LxdeckError('E_USAGE', `--apply takes no container names (got ${args.join(' ')})`, { hint: 'select with --group G; lxdeck autostart --apply' });
        requireRoot();
        const r = await deps.engine().applyAutostart(o.group.length ? { groups: o.group } : {});
        if (o.json) out(JSON.stringify(r, null, 2));
        else {
          const lines = [`started: ${r.started.join(', ') || 'none'}`];
          if (r.skipped.length) lines.push(`already running: ${r.skipped.join(', ')}`);
          for (const f of r.failed) lines.push(`failed: ${f.name}: ${f.message}`);
          out(lines.join('\n'));
        }
        if (r.failed.length) setExit(1);
        return;
      }
      const names = [...args];
      const s: Partial<AutostartSettings> = {};
      const last = names[names.length - 1];
      if (last === 'on' || last === 'off') {
        s.auto = last === 'on';
        names.pop();
      }
      if (o.order !== undefined) s.order = parseInt32('--order', o.order, -(2 ** 31));
      if (o.delay !== undefined) s.delay = parseInt32('--delay', o.delay, 0);
      if (o.groups === false) s.groups = [];
      else if (o.group.length) s.groups = o.group;
      if (!names.length) throw new LxdeckError('E_USAGE', 'autostart needs container names (or --apply)', { hint: 'lxdeck autostart NAME on|off [--order N] [--delay S] [--group G]' });
      if (!Object.keys(s).length) {
        // "autostart web maybe": the last word was meant as the setting, not a second name
        const meant = names.length > 1 ? names.slice(0, -1) : names;
        const why = names.length > 1 ? `"${last}" is not on or off` : 'nothing to set';
        throw new LxdeckError('E_USAGE', `${why}: give on or off, --order, --delay, --group or --no-groups`, { hint: `lxdeck autostart ${meant.join(' ')} on|off` });
      }
      requireRoot();
      const e = deps.engine();
      await eachNameOut(names, async (n) => ({ autostart: await e.setAutostart(n, s) }), setExit, { json: o.json, line: (n, v) => `${n} ${describeAutostart(v.autostart)}` });
    });

  program
    .command('protect')
    .argument('<args...>', 'NAME... on|off')
    .description('delete protection: a protected container cannot be destroyed (not even with --force) until it is turned off')
    .option('--json', 'print a JSON array, one {name, ok: true, protected} (or {name, ok: false, error: {code, message, hint}}) per name')
    .action(async (args: string[], o: { json?: boolean }) => {
      const mode = args[args.length - 1];
      const names = args.slice(0, -1);
      if ((mode !== 'on' && mode !== 'off') || !names.length)
        throw new LxdeckError('E_USAGE', 'protect takes container names, then on or off', { hint: 'lxdeck protect NAME on' });
      requireRoot();
      const e = deps.engine();
      await eachNameOut(names, async (n) => {
        await e.setProtected(n, mode === 'on');
        return { protected: mode === 'on' };
      }, setExit, { json: o.json, line: (n) => `${n} ${mode === 'on' ? 'protected against deletion' : 'no longer protected'}` });
    });
}

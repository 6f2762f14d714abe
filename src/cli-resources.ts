/**
 * The resource verbs of the command line: `limits`, `stats`, `top`, `cgroup`
 * (issue 4). Added to the program by src/cli.ts with {@link addResourceCommands}.
 */
import { Command, Option } from 'commander';
import type { Engine } from '../core/engine.js';
import { LxdeckError } from '../core/errors.js';
import { noContainerError } from '../core/lxcpath.js';
import { SIZE_GRAMMAR } from '../core/units.js';
import { IO_LIMIT_GRAMMAR, type LimitsInput } from '../core/cgroup/limit-input.js';
import { STATS_SORT_KEYS, limitLines, statsRows, type StatsSortKey } from '../core/stats/format.js';
import type { StatsPass } from '../core/stats/types.js';

export interface ResourceCommandDeps {
  engine: () => Engine;
  requireRoot: () => void;
}

function table(rows: string[][]): string {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]))).join('  ').trimEnd()).join('\n');
}

/** Writes to stdout; resolves false when stdout is closed (EPIPE: `| head`). */
function write(s: string): Promise<boolean> {
  return new Promise((resolve) => {
    if (process.stdout.destroyed || process.stdout.writableEnded) return resolve(false);
    process.stdout.write(s.endsWith('\n') ? s : `${s}\n`, (err) => resolve(!err));
  });
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

function parseInterval(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0.05 || n > 3600)
    throw new LxdeckError('E_USAGE', `--interval takes seconds between 0.05 and 3600, not ${JSON.stringify(v)}`, { hint: 'e.g. --interval 1 or --interval 0.5' });
  return n;
}

function parseCount(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new LxdeckError('E_USAGE', `--count takes a whole number >= 1, not ${JSON.stringify(v)}`);
  return n;
}

/**
 * Streams passes until `count` or a signal (SIGINT, SIGTERM, SIGHUP) or a closed stdout;
 * `onPass` returns false to stop.
 */
async function streamPasses(
  engine: Engine,
  names: string[],
  o: { interval: number; count?: number },
  onPass: (p: StatsPass) => Promise<boolean>,
): Promise<void> {
  const known = await engine.names();
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length) throw noContainerError(unknown.join(', '), engine.lxcpath);
  const stream = engine.sampler().stream({ intervalMs: o.interval * 1000, names: names.length ? names : undefined, count: o.count });
  const stop = () => stream.stop();
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, stop);
  try {
    for await (const p of stream) {
      if (!(await onPass(p))) break;
    }
  } finally {
    stream.stop();
    for (const s of signals) process.off(s, stop);
  }
}

/** Adds `limits`, `stats`, `top` and `cgroup` to `program`. */
export function addResourceCommands(program: Command, deps: ResourceCommandDeps): void {
  program
    .command('limits')
    .argument('<name>')
    .description('show the limits of a container (in effect and saved), or set them: live when it runs, and saved in its config')
    .option('--json', 'print JSON')
    .option('--memory <size>', 'hard memory limit (a size, or max)')
    .option('--memory-soft <size>', 'soft memory limit: v2 memory.high, v1 memory.soft_limit_in_bytes')
    .option('--swap <size>', 'swap allowed besides memory (a size, or max)')
    .option('--cpus <n>', 'CPU quota as a number of CPUs, e.g. 1.5, or max')
    .option('--cpu-weight <n>', 'relative CPU weight 1..10000 (default 100); default removes a set one')
    .option('--cpuset <list>', 'CPUs it may run on, e.g. 0-1,3 (offline CPUs are dropped with a message)')
    .option('--pids <n>', 'maximum number of processes, or max')
    .option('--io-weight <n>', 'relative block I/O weight 1..10000 (default 100); default removes a set one')
    .option('--io-read <DEV=RATE>', 'read bytes per second for a device (repeatable)', collect)
    .option('--io-write <DEV=RATE>', 'write bytes per second for a device (repeatable)', collect)
    .option('--io-read-iops <DEV=N>', 'read operations per second for a device (repeatable)', collect)
    .option('--io-write-iops <DEV=N>', 'write operations per second for a device (repeatable)', collect)
    .option('--raise-cpu-quota', 'raise a quota below the kernel minimum (1000 us per period) instead of refusing it')
    .addHelpText('after', `\nSizes: ${SIZE_GRAMMAR}.\nI/O limits: ${IO_LIMIT_GRAMMAR}.\nLimits are written in this host's keys: lxc.cgroup2.* for cgroup v2 controllers, lxc.cgroup.* for v1 ones; the other version's key for the same limit is removed.\nmax (unlimited) and a weight's default remove the limit's keys: the kernel's default applies. A limit whose cgroup file this host lacks (no I/O weight without BFQ, no swap limit without swap accounting) is refused before anything is saved.\n`)
    .action(async (name: string, o: Record<string, string | string[] | boolean | undefined> & { json?: boolean; raiseCpuQuota?: boolean }) => {
      const e = deps.engine();
      const input: LimitsInput = {};
      const str = (k: string) => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
      const arr = (k: string) => (Array.isArray(o[k]) ? (o[k] as string[]) : undefined);
      const map: [keyof LimitsInput, string | string[] | undefined][] = [
        ['memory', str('memory')],
        ['memorySoft', str('memorySoft')],
        ['swap', str('swap')],
        ['cpus', str('cpus')],
        ['cpuWeight', str('cpuWeight')],
        ['cpuset', str('cpuset')],
        ['pids', str('pids')],
        ['ioWeight', str('ioWeight')],
        ['ioRead', arr('ioRead')],
        ['ioWrite', arr('ioWrite')],
        ['ioReadIops', arr('ioReadIops')],
        ['ioWriteIops', arr('ioWriteIops')],
      ];
      for (const [k, v] of map) if (v !== undefined) (input as Record<string, unknown>)[k] = v;
      if (Object.keys(input).length > 0) {
        // setting changes the cgroup and the config: root; reading them (below) any user who can read them
        deps.requireRoot();
        const r = await e.setLimits(name, input, { raiseCpuQuota: o.raiseCpuQuota });
        if (o.json) return void (await write(JSON.stringify(r, null, 2)));
        const lines: string[] = [];
        for (const m of r.messages) lines.push(`note: ${m}`);
        if (r.live) for (const w of r.written) lines.push(`set ${w.path} = ${w.value}`);
        else lines.push(`${name} is not running: saved for its next start`);
        for (const k of r.saved) lines.push(`saved ${k.key} = ${k.value}`);
        for (const k of r.removed) lines.push(`removed ${k} (the key above carries this limit on this host)`);
        return void (await write(lines.join('\n')));
      }
      const l = await e.limits(name);
      if (o.json) return void (await write(JSON.stringify(l, null, 2)));
      const lines = [`${name}: ${l.running ? 'running' : 'not running'}, cgroup ${l.layout}`];
      if (l.applied) {
        lines.push('in effect:');
        for (const [k, v] of limitLines(l.applied)) lines.push(`  ${k.padEnd(14)}${v}`);
      }
      lines.push(l.saved.length ? 'saved in the config:' : 'saved in the config: none');
      for (const s of l.saved) lines.push(`  ${s.key} = ${s.value}`);
      for (const i of l.ignored) lines.push(`warning: ${i.key} does nothing here: ${i.reason}${i.replacement ? ` (use ${i.replacement})` : ''}`);
      await write(lines.join('\n'));
    });

  program
    .command('stats')
    .argument('[names...]', 'containers to sample (default: all in the lxcpath)')
    .description('sample CPU, memory, block I/O, network, pids and pressure of containers at an interval')
    .option('--json', 'one JSON object per container per pass, one per line, each with the pass time ("time", ISO 8601 UTC, as every JSON time of lxdeck)')
    .option('--interval <seconds>', 'seconds between passes', '1')
    .option('--count <n>', 'stop after this many passes (default: until interrupted)')
    .addHelpText('after', '\nValues the host cannot give are null; an unlimited memory limit is "max". CPU percent is of one CPU (200 = two CPUs busy); the first pass has no rates.\n')
    .action(async (names: string[], o: { json?: boolean; interval: string; count?: string }) => {
      deps.requireRoot();
      const interval = parseInterval(o.interval);
      const count = o.count === undefined ? undefined : parseCount(o.count);
      await streamPasses(deps.engine(), names, { interval, count }, async (p) => {
        if (o.json) {
          const text = p.containers.map((s) => JSON.stringify({ time: new Date(p.time).toISOString(), ...s })).join('\n');
          return text === '' ? true : write(text);
        }
        // a table per pass, as vmstat prints a line per interval; with nothing to sample, say so once
        if (p.containers.length === 0) {
          await write(`no containers in ${deps.engine().lxcpath}\n`);
          return false;
        }
        return write(`${table(statsRows(p, 'name'))}\n`);
      });
    });

  program
    .command('top')
    .description('containers by resource use, refreshed at an interval (like lxc-top); when stdout is not a terminal and no --count, one table (with rates: taken after one interval) and the end')
    .addOption(new Option('--sort <column>', 'sort by').choices([...STATS_SORT_KEYS]).default('cpu'))
    .option('--interval <seconds>', 'seconds between refreshes', '1')
    .option('--count <n>', 'stop after this many refreshes (default: until interrupted on a terminal; 1 otherwise)')
    .action(async (o: { sort: StatsSortKey; interval: string; count?: string }) => {
      deps.requireRoot();
      const interval = parseInterval(o.interval);
      const count = o.count === undefined ? undefined : parseCount(o.count);
      const tty = process.stdout.isTTY === true && process.env.TERM !== 'dumb';
      const engine = deps.engine();
      // not a terminal (a pipe, a file, cron) and no --count: one table, not a stream that never ends. The first
      // pass has no rates (CPU %, I/O), so that table is the second pass, one interval later
      const once = !tty && count === undefined;
      let sawFirst = false;
      await streamPasses(engine, [], { interval, count: once ? 2 : count }, async (p) => {
        if (once && p.containers.some((c) => c.state === 'RUNNING') && !sawFirst) {
          sawFirst = true;
          return true;
        }
        const head = `lxdeck top - ${new Date(p.time).toLocaleTimeString()} - ${p.containers.filter((c) => c.state !== 'STOPPED').length} running of ${p.containers.length}, ${p.host.cpus} CPUs - sorted by ${o.sort}`;
        const body = p.containers.length ? table(statsRows(p, o.sort)) : `no containers in ${engine.lxcpath}`;
        const ok = await write(tty ? `\x1b[H\x1b[2J${head}\n\n${body}` : `${head}\n${body}\n`);
        return once ? false : ok;
      });
    });

  program
    .command('cgroup')
    .argument('<name>')
    .argument('<key>', 'a cgroup file, e.g. memory.limit_in_bytes (v1) or memory.max (v2)')
    .argument('[value]', 'write this value (live only, not saved: use lxdeck limits to save)')
    .description("read or write one cgroup file of a running container, like lxc-cgroup; the key is checked against this host's cgroup layout")
    .action(async (name: string, key: string, value: string | undefined) => {
      deps.requireRoot();
      const e = deps.engine();
      if (value === undefined) await write(await e.cgroupGet(name, key));
      else await e.cgroupSet(name, key, value);
    });
}

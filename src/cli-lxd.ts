/**
 * The command line over the LXD backend (issue 10, part 3): `lxdeck --backend lxd VERB ...`
 * (or LXDECK_BACKEND=lxd). The verbs the LXD backend can do, with the local verbs' names,
 * output and exit statuses: ls, info, create --image, start, stop, restart, freeze, unfreeze,
 * destroy, limits, stats, attach -- CMD, console (the instance's), and the console (lxdeck's screens) with no verb. src/cli.ts picks this
 * program when the backend is lxd ({@link backendFromArgv}); the local program is untouched.
 */
import { noteRunningAction, reportCliError } from './cli-errors.js';
import { CONSOLE_HANDOFF, handOffConsole } from './console-handoff.js';
import { Command, Option } from 'commander';
import { BACKENDS } from './backend-arg.js';
import { LxdeckError } from '../core/errors.js';
import { LxdBackend, type LxdContainerInfo, type LxdContainerSummary } from '../core/lxd/backend.js';
import { lxdSocketPath } from '../core/lxd/client.js';
import type { LimitsInput } from '../core/cgroup/limit-input.js';
import { SIZE_GRAMMAR } from '../core/units.js';
import { addStateVerbs, type StateVerbHelp } from './cli-lifecycle.js';
import { formatEntry, formatInfo } from './cli-inside.js';
import { ActionLog, actionLogPath, readRecentActions, recordActions } from '../core/actionlog/index.js';
import { LXD_ACTION_SPECS } from '../core/lxd/actions.js';
import { isInteractive, nonInteractiveMessage } from './console/tty.js';
import { yesNo } from './autostart-text.js';
import { CONSOLE_ESCAPE_HINT } from '../core/lxc/attach.js';

export { BACKENDS, backendFromArgv, type BackendKind } from './backend-arg.js';

function out(s: string): void {
  process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
}

function table(rows: string[][]): string {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]))).join('  ').trimEnd()).join('\n');
}

/** The state verbs' help over LXD (LXD's words: instances, forced stops). */
const LXD_STATE_HELP: StateVerbHelp = {
  start: 'start instances; returns once each is running',
  stop: 'stop instances: clean shutdown, then forced after the timeout',
  restart: 'reboot running instances (forced after the timeout)',
  freeze: 'freeze every process of running instances',
  unfreeze: 'thaw frozen instances',
  destroy: 'delete instances (refused while running unless --force; refused while security.protection.delete is set)',
};

/** The `ls` table over LXD: the local one's columns, with LOCATION (the cluster member) when clustered. */
export function lxdLsTable(list: LxdContainerSummary[], clustered: boolean): string {
  const head = ['NAME', 'STATE', 'AUTOSTART', 'PROTECTED', ...(clustered ? ['LOCATION'] : []), 'PID', 'IPV4'];
  const rows = [head];
  for (const c of list)
    rows.push([c.name, c.state, yesNo(c.autostart), c.protected ? 'yes' : '-', ...(clustered ? [c.location ?? '-'] : []), c.pid === null ? '-' : String(c.pid), c.ipv4.length ? c.ipv4.join(', ') : '-']);
  return table(rows);
}

function formatLxdInfo(i: LxdContainerInfo): string {
  const lines = [formatInfo(i).split('\n').filter((l) => !/^(Config|Rootfs|Template|Hostname):/.test(l)).join('\n')];
  lines.push(`${'Type:'.padEnd(13)}${i.type}`, `${'LXD status:'.padEnd(13)}${i.status}`);
  if (i.location) lines.push(`${'Location:'.padEnd(13)}${i.location}`);
  lines.push(`${'Profiles:'.padEnd(13)}${i.profiles.join(', ') || '-'}`);
  if (i.template) lines.push(`${'Image:'.padEnd(13)}${i.template}`);
  const lim = i.limits?.saved ?? [];
  lines.push(`${'Limits:'.padEnd(13)}${lim.length ? lim.map((k) => `${k.key}=${k.value}`).join(', ') : 'none in the instance config'}`);
  return lines.join('\n');
}

interface Globals {
  backend: string;
  lxdSocket?: string;
  readOnly?: boolean;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

function positive(v: string, flag: string, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new LxdeckError('E_USAGE', `${flag} takes a number from ${min} to ${max}, not ${JSON.stringify(v)}`);
  return n;
}

/** Builds the LXD program; `setExit` receives the exit status of verbs that set one. */
export function buildLxdProgram(setExit: (code: number) => void, version = 'unknown'): Command {
  const program = new Command();
  program
    .name('lxdeck')
    .description('lxdeck over an LXD daemon (--backend lxd): the console with no command, or one of the verbs below.')
    .version(version, '-V, --version')
    .addOption(new Option('--backend <kind>', 'local: LXC in an lxcpath; lxd: an LXD daemon over its unix socket').choices([...BACKENDS]).env('LXDECK_BACKEND').default('local'))
    .addOption(new Option('--lxd-socket <path>', "LXD's unix socket (default $LXD_DIR/unix.socket, else /var/lib/lxd/unix.socket)"))
    .option('--read-only', 'console: hide and refuse every key that changes something')
    .showHelpAfterError('hint: run lxdeck --backend lxd --help (or lxdeck --backend lxd COMMAND --help) for usage')
    .configureOutput({ writeErr: (s) => process.stderr.write(s), outputError: (s, write) => write(`lxdeck: ${s.replace(/^error: /, '')}`) })
    .exitOverride();
  program.addHelpText('after', '\nEnvironment: LXDECK_BACKEND=lxd (as --backend lxd), LXD_DIR (the socket is $LXD_DIR/unix.socket).\nExit status: 0 success, 1 the action failed, 2 bad usage.\n');
  const g = () => program.opts<Globals>();
  let backend: LxdBackend | undefined;
  // every action (create, start, stop, freeze, delete, limits, exec...) of the verbs and the console
  // goes to lxdeck's action log like a local one, with the equivalent `lxc` (LXD client) command
  const lxd = () => (backend ??= recordActions(new LxdBackend({ socketPath: lxdSocketPath(g().lxdSocket) }), new ActionLog().append, { specs: LXD_ACTION_SPECS }));

  program.hook('preAction', (_this, action) => noteRunningAction(action)); // errors as JSON on stdout for a verb given --json
  program.allowExcessArguments(true);
  program.action(async () => {
    if (program.args.length > 0)
      throw new LxdeckError('E_USAGE', `unknown command ${JSON.stringify(program.args[0])} for the LXD backend`, { hint: `commands: ${program.commands.map((c) => c.name()).join(', ')}` });
    if (!isInteractive(process.stdin, process.stdout)) {
      process.stderr.write(`${nonInteractiveMessage()}\n`);
      setExit(2);
      return;
    }
    handOffConsole(); // from a verb's script build: the entry runs this argv with a build that has the console (src/console-handoff.ts)
    const ciVars = ['CI', 'CONTINUOUS_INTEGRATION'].filter((k) => k in process.env).map((k) => [k, process.env[k]] as const);
    for (const [k] of ciVars) delete process.env[k];
    process.env.NODE_ENV ??= 'production';
    const { runConsole } = await import('./console/run-console.js');
    for (const [k, v] of ciVars) process.env[k] = v;
    await lxd().server(); // a missing daemon is one clear error before the screen opens
    // the first-time setup makes lxdeck's own bridge for local LXC, and the host report is about
    // local LXC: neither is offered at start over LXD (the report stays on K)
    setExit(
      await runConsole(lxd(), {
        readOnly: g().readOnly === true || /^(1|true|yes|on)$/i.test(process.env.LXDECK_READ_ONLY ?? ''),
        services: { setup: undefined, checkAtStart: false },
      }),
    );
  });

  program
    .command('ls')
    .description('list LXD instances: name, state, autostart, protection, location (clustered), init PID, IPv4')
    .option('--json', 'print a JSON array of {name, state, status, type, pid, ipv4, autostart, groups, protected, location (clustered only)}')
    .option('--location <member>', 'only the instances on this cluster member')
    .action(async (o: { json?: boolean; location?: string }) => {
      const b = lxd();
      let { rows: list, clustered } = await b.listing();
      if (o.location !== undefined) {
        if (!clustered) throw new LxdeckError('E_USAGE', '--location filters by cluster member, and this LXD is not clustered', { hint: 'lxc cluster list shows the members of a cluster' });
        list = list.filter((c) => c.location === o.location);
      }
      out(o.json ? JSON.stringify(list, null, 2) : list.length ? lxdLsTable(list, clustered) : `no instances in ${b.lxcpath}${o.location ? ` on ${o.location}` : ''}`);
    });

  program
    .command('info')
    .argument('<name>')
    .description('state, PID, addresses, network devices, profiles, limits and location of an instance')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { json?: boolean }) => {
      const i = await lxd().info(name);
      out(o.json ? JSON.stringify(i, null, 2) : formatLxdInfo(i));
    });

  program
    .command('create')
    .argument('<name>')
    .description('create an instance from a local image (POST /1.0/instances)')
    .requiredOption('--image <alias>', 'a local image alias or fingerprint (lxc image list)')
    .option('--memory <size>', 'limits.memory (SIZE)')
    .option('--cpus <n>', 'a whole number: limits.cpu; a fraction: limits.cpu.allowance (N*100 ms per 100 ms)')
    .option('-p, --profile <name>', 'a profile; repeat for more (default: LXD\'s default profile)', collect)
    .option('--bridge <network>', 'eth0 on this LXD network instead of the profile\'s')
    .option('--privileged', 'security.privileged=true')
    .option('--target <member>', 'the cluster member to create it on')
    .option('--start', 'start it once it is made')
    .addHelpText('after', `\nSIZE: ${SIZE_GRAMMAR}.\nExample: lxdeck --backend lxd create web1 --image debian/12 --memory 512M --cpus 1 --start\n`)
    .action(async (name: string, o: { image: string; memory?: string; cpus?: string; profile?: string[]; bridge?: string; privileged?: boolean; target?: string; start?: boolean }) => {
      const i = await lxd().create(name, { image: o.image, memory: o.memory, cpus: o.cpus, profiles: o.profile, bridge: o.bridge, privileged: o.privileged, target: o.target, start: o.start });
      out(`created ${i.name} from ${o.image}${i.location ? ` on ${i.location}` : ''}, ${i.state}`);
    });

  // the state verbs are the local ones, over the LXD backend (one table, src/cli-lifecycle.ts)
  addStateVerbs(program, { backend: lxd, setExit, help: LXD_STATE_HELP });

  program
    .command('limits')
    .argument('<name>')
    .description("show an instance's limits.* config keys, or set limits.memory / limits.cpu (LXD applies them live)")
    .option('--json', 'print JSON')
    .option('--memory <size>', 'limits.memory (a size, or max to remove it)')
    .option('--cpus <n>', 'a whole number: limits.cpu; a fraction: limits.cpu.allowance; max removes both')
    .option('--cpuset <list>', 'limits.cpu as a CPU list, e.g. 0-1,3 (pinning)')
    .addHelpText('after', `\nSizes: ${SIZE_GRAMMAR}.\n`)
    .action(async (name: string, o: { json?: boolean; memory?: string; cpus?: string; cpuset?: string }) => {
      const b = lxd();
      const input: LimitsInput = {};
      if (o.memory !== undefined) input.memory = o.memory;
      if (o.cpus !== undefined) input.cpus = o.cpus;
      if (o.cpuset !== undefined) input.cpuset = o.cpuset;
      if (Object.keys(input).length) {
        const r = await b.setLimits(name, input);
        if (o.json) return out(JSON.stringify(r, null, 2));
        const lines = r.saved.map((k) => `set ${k.key} = ${k.value}`);
        for (const k of r.removed) lines.push(`removed ${k}`);
        lines.push(r.live ? `${name} is running: LXD applied them live` : `${name} is not running: they apply at its next start`);
        return out(lines.join('\n'));
      }
      const l = await b.limits(name);
      if (o.json) return out(JSON.stringify(l, null, 2));
      out([`${name}: ${l.running ? 'running' : 'not running'}`, ...(l.saved.length ? l.saved.map((k) => `  ${k.key} = ${k.value}`) : ['  no limits.* keys in the instance config'])].join('\n'));
    });

  program
    .command('stats')
    .argument('[names...]', 'instances to sample (default: all)')
    .description('sample CPU, memory, processes and network of instances from /1.0/instances?recursion=2')
    .requiredOption('--json', 'one JSON object per instance per pass, one per line, with the pass time ("time", ISO 8601 UTC, as every JSON time of lxdeck)')
    .option('--interval <seconds>', 'seconds between passes', '1')
    .option('--count <n>', 'stop after this many passes (default: until interrupted)')
    .addHelpText('after', '\nValues LXD does not give (block I/O, pressure, page cache) are null; the first pass has no rates.\n')
    .action(async (names: string[], o: { interval: string; count?: string }) => {
      const interval = positive(o.interval, '--interval', 0.05, 3600);
      const count = o.count === undefined ? undefined : positive(o.count, '--count', 1, Number.MAX_SAFE_INTEGER);
      const b = lxd();
      const known = new Set((await b.instances()).map((i) => i.name));
      const unknown = names.filter((n) => !known.has(n));
      if (unknown.length) throw new LxdeckError('E_NOT_FOUND', `no LXD instance named ${unknown.join(', ')}`, { hint: 'lxdeck --backend lxd ls lists them' });
      const stream = b.sampler().stream({ intervalMs: interval * 1000, names: names.length ? names : undefined, count: count === undefined ? undefined : Math.floor(count) });
      const stop = () => stream.stop();
      const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
      for (const s of signals) process.on(s, stop);
      try {
        for await (const p of stream) {
          const text = p.containers.map((s) => JSON.stringify({ time: new Date(p.time).toISOString(), ...s })).join('\n');
          if (text) out(text);
        }
      } finally {
        stream.stop();
        for (const s of signals) process.off(s, stop);
      }
    });

  program
    .command('log')
    .description(`the last actions lxdeck took (local and LXD), each with its equivalent command (from ${actionLogPath()}; LXDECK_LOG overrides)`)
    .option('--json', 'print a JSON array of {time, user, lxcpath, container, action, command, result, message?, exitStatus?, durationMs}')
    .option('-n, --lines <n>', 'how many of the last actions (of those the filters keep)', '20')
    .option('--name <container>', 'only the actions on this container')
    .option('--lxcpath <path>', "only the actions in this lxcpath (lxd:SOCKET for LXD's); entries from before lxdeck recorded it show only without it")
    .action((o: { json?: boolean; lines: string; name?: string; lxcpath?: string }) => {
      const filter = { ...(o.lxcpath !== undefined ? { lxcpath: o.lxcpath } : {}), ...(o.name !== undefined ? { container: o.name } : {}) };
      const entries = readRecentActions(positive(o.lines, '-n', 1, 1_000_000), actionLogPath(), filter);
      if (o.json) return out(JSON.stringify(entries, null, 2));
      out(entries.length ? entries.map(formatEntry).join('\n') : `no actions logged in ${actionLogPath()}`);
    });

  program
    .command('attach')
    .alias('exec')
    .argument('<name>')
    .argument('[command...]', 'the command to run inside, after -- (default: bash if the instance has it, else /bin/sh)')
    .description('a shell or a command inside a running instance; exits with its exit status')
    .addHelpText(
      'after',
      `\nOn a terminal it runs with a pty, as lxc exec does (POST /1.0/instances/NAME/exec, interactive, over LXD's websockets;\nthe window size follows yours); exit the shell (exit or Ctrl+D) to come back. Without a terminal a COMMAND is\nneeded: it runs with its output recorded and printed. Example:\n  lxdeck --backend lxd attach web1 -- sh -c 'uptime; exit 3'\n`,
    )
    .action(async (name: string, command: string[]) => {
      const b = lxd();
      if (process.stdin.isTTY && process.stdout.isTTY) {
        const r = await b.attach(name, command);
        setExit(r.exitCode < 0 ? 1 : r.exitCode);
        return;
      }
      if (!command.length) throw new LxdeckError('E_NO_TERMINAL', 'attach without a command needs a terminal', { hint: `give one: lxdeck --backend lxd attach ${name} -- COMMAND...`, exitCode: 2 });
      const r = await b.exec(name, command);
      if (r.stdout) process.stdout.write(r.stdout);
      if (r.stderr) process.stderr.write(r.stderr);
      setExit(r.exitCode < 0 ? 1 : r.exitCode);
    });

  program
    .command('console')
    .argument('<name>')
    .description("the instance's console, as lxc console does (POST /1.0/instances/NAME/console over LXD's websockets); leave with Ctrl+a q")
    .addHelpText('after', `\nThe window size follows yours. Ctrl+a a types a Ctrl+a. Needs a terminal.\n`)
    .action(async (name: string) => {
      if (!process.stdin.isTTY || !process.stdout.isTTY)
        throw new LxdeckError('E_NO_TERMINAL', 'lxdeck console needs a terminal', { hint: `run it from an interactive shell (ssh -t host lxdeck --backend lxd console ${name})`, exitCode: 2 });
      const r = await lxd().console(name, {
        beforeHandover: () => process.stderr.write(`Connected to the console of ${name}. Type ${CONSOLE_ESCAPE_HINT} to leave it (Ctrl+a a sends a Ctrl+a).\n`),
      });
      setExit(r.exitCode);
    });

  return program;
}

/**
 * Runs the LXD program with `argv` (process.argv form) and resolves with the exit status: 0, 1 when
 * an action failed (the error and its hint on stderr, `lxdeck: ...` / `hint: ...`), 2 for bad usage.
 */
export async function lxdMain(argv: string[], version = 'unknown'): Promise<number> {
  let code = 0;
  const program = buildLxdProgram((c) => (code = c), version);
  try {
    await program.parseAsync(argv);
    return code;
  } catch (e) {
    if (e === CONSOLE_HANDOFF) throw e;
    return reportCliError(e);
  }
}

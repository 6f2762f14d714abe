/**
 * CLI verbs for getting into a container and seeing what runs in it and
 * what lxdeck did (issue 6): console, attach, ps, kill, log, and the text
 * form of info. Registered by src/cli.ts.
 */
import type { Command } from 'commander';
import type { Engine } from '../core/engine.js';
import { LxdeckError } from '../core/errors.js';
import { CONSOLE_ESCAPE_HINT } from '../core/lxc/attach.js';
import { actionLogPath, normalizeLxcpath, readRecentActions, type ActionEntry, type ActionFilter } from '../core/actionlog/index.js';
import type { ProcessInfo } from '../core/ps/procs.js';
import type { ContainerInfo } from '../core/types.js';
import { SIZE_GRAMMAR, formatBytes } from '../core/units.js';
import { autostartInfoText } from './autostart-text.js';

export interface InsideDeps {
  engine: () => Engine;
  requireRoot: () => void;
  setExit: (code: number) => void;
  /** `--lxcpath` when given on the command line (log shows that lxcpath's actions only), else undefined */
  cliLxcpath?: () => string | undefined;
}

function out(s: string): void {
  process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
}

function table(rows: string[][], rightAlign: readonly number[] = []): string {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : rightAlign.includes(i) ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ').trimEnd())
    .join('\n');
}

/** CPU time as ps's TIME column: [[DD-]HH:]MM:SS. */
export function formatCpuTime(usec: number): string {
  let s = Math.floor(usec / 1_000_000);
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const mmss = `${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
  return d ? `${d}-${String(h).padStart(2, '0')}:${mmss}` : h ? `${String(h).padStart(2, '0')}:${mmss}` : mmss;
}

/** The `lxdeck ps` table: PID (host), NSPID (inside), USER, %CPU or TIME, RSS, COMMAND. */
export function psTable(procs: readonly ProcessInfo[], withCpuPercent: boolean): string {
  const rows = [['PID', 'NSPID', 'USER', withCpuPercent ? '%CPU' : 'TIME', 'RSS', 'COMMAND']];
  for (const p of procs)
    rows.push([
      String(p.pid),
      p.nspid === null ? '-' : String(p.nspid),
      p.user,
      withCpuPercent ? (p.cpuPercent === null ? '-' : p.cpuPercent.toFixed(1)) : formatCpuTime(p.cpuTimeUsec),
      p.rssBytes ? formatBytes(p.rssBytes) : '0',
      p.command,
    ]);
  return table(rows, [0, 1, 3, 4]);
}

const lim = (v: number | 'max' | null | undefined, bytes = true): string => (v === null || v === undefined ? '-' : v === 'max' ? 'unlimited' : bytes ? formatBytes(v) : String(v));

/** The text form of `lxdeck info`: one `Key: value` line each, then the network, limits and C3 keys. */
export function formatInfo(i: ContainerInfo): string {
  const lines: [string, string][] = [
    ['Name', i.name],
    ['State', i.state],
    ['PID', i.pid === null ? '-' : String(i.pid)],
    ['IPv4', i.ipv4.join(', ') || '-'],
    ['IPv6', i.ipv6?.join(', ') || '-'],
    ['Autostart', autostartInfoText(i.autostart, { order: i.startOrder, delay: i.startDelay, groups: i.groups })],
    ['Hostname', i.hostname ?? '-'],
    ['Config', i.configPath],
    ['Rootfs', i.rootfs ?? '-'],
  ];
  if (i.rootfsBytes !== undefined && i.rootfsBytes !== null) lines.push(['Rootfs size', `${formatBytes(i.rootfsBytes)}${i.rootfsBytesTruncated ? ' (at least; walk stopped)' : ''}`]);
  lines.push(['Template', i.template ?? '-'], ['Created', i.created ?? '-']);
  if (i.unprivileged !== undefined)
    lines.push(['Privilege', i.unprivileged ? `unprivileged, idmap ${(i.idmap ?? []).map((m) => `${m.type} ${m.nsid} ${m.hostid} ${m.count}`).join('; ')}` : 'privileged (root inside is root on the host)']);
  for (const n of i.net)
    lines.push([
      `Net ${n.index}`,
      [
        n.type,
        n.link && `bridge ${n.link}`,
        n.hostVeth && `host veth ${n.hostVeth}${n.hostVethExists === false ? ' (not on the host)' : ''}`,
        !n.hostVeth && n.vethPair && `veth ${n.vethPair}`,
        n.ifname && `inside ${n.ifname}`,
        (n.hwaddrInEffect ?? n.hwaddr) && `hwaddr ${n.hwaddrInEffect ?? n.hwaddr}`,
        n.ipv4.length ? `ipv4 ${n.ipv4.join(' ')}` : '',
      ]
        .filter(Boolean)
        .join(', '),
    ]);
  const cg = i.cgroupPaths;
  if (cg) {
    if (cg.v2) lines.push(['Cgroup v2', cg.v2]);
    const v1 = Object.entries(cg.v1).filter(([c]) => !c.startsWith('name='));
    if (v1.length) {
      const dirs = [...new Set(v1.map(([, d]) => d.replace(/^\/sys\/fs\/cgroup\/[^/]+/, '/sys/fs/cgroup/*')))];
      lines.push(['Cgroup v1', dirs.join(', ')]);
    }
  }
  const l = i.limits;
  if (l?.applied) {
    const a = l.applied;
    lines.push(['Limits', `memory ${lim(a.memory)}, swap ${lim(a.swap)}, cpus ${lim(a.cpus, false)}, cpu weight ${lim(a.cpuWeight, false)}, pids ${lim(a.pids, false)}${a.cpuset ? `, cpuset ${a.cpuset.join(',')}` : ''} (in effect)`]);
  }
  if (l && l.saved.length) lines.push(['Saved', l.saved.map((s) => `${s.key} = ${s.value}`).join('; ')]);
  else if (l && !l.applied) lines.push(['Limits', 'none saved in the config']);
  if (i.devices?.length) lines.push(['Devices', i.devices.map((d) => `${d.path} (${d.type} ${d.major}:${d.minor})`).join(', ')]);
  const out = lines.map(([k, v]) => `${`${k}:`.padEnd(13)}${v}`);
  for (const k of i.ignoredKeys ?? [])
    out.push(`Ignored:     ${k.key} = ${k.value}: ${k.reason}${k.replacementLine ? `; use ${k.replacementLine}` : k.replacement ? `; use ${k.replacement}` : ''}`);
  return out.join('\n');
}

/** One action log entry as `lxdeck log` prints it. */
export function formatEntry(e: ActionEntry): string {
  const res = e.result === 'ok' ? (e.exitStatus !== undefined ? `ok (exit ${e.exitStatus})` : 'ok') : `${e.result}: ${e.message ?? ''}`;
  return `${e.time}  ${e.user}  ${e.action}${e.container ? ` ${e.container}` : ''}  ${res}  ${e.durationMs} ms\n    $ ${e.command}`;
}

function positiveInt(v: string, what: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new LxdeckError('E_USAGE', `${what} takes a whole number above 0, not ${JSON.stringify(v)}`);
  return n;
}

/** Adds console, attach, ps, kill and log to `program`. */
export function addInsideCommands(program: Command, deps: InsideDeps): void {
  program
    .command('console')
    .argument('<name>')
    .description(`attach the terminal to the container's console (lxc-console -t 0); leave with ${CONSOLE_ESCAPE_HINT}`)
    .action(async (name: string) => {
      deps.requireRoot();
      if (!process.stdin.isTTY || !process.stdout.isTTY)
        throw new LxdeckError('E_NO_TERMINAL', 'lxdeck console needs a terminal', { hint: 'run it from an interactive shell (ssh -t host lxdeck console NAME)', exitCode: 2 });
      const r = await deps.engine().console(name, {
        beforeHandover: () => process.stderr.write(`Connected to the console of ${name}. Type ${CONSOLE_ESCAPE_HINT} to leave it (Ctrl+a a sends a Ctrl+a).\n`),
      });
      deps.setExit(r.exitCode);
    });

  program
    .command('attach')
    .argument('<name>')
    .argument('[command...]', 'command to run inside, after -- (default: bash, else sh)')
    .description('run a command (or a shell) inside a running container (lxc-attach); exits with its exit status')
    .addHelpText('after', `\nThe environment is cleared except TERM. Put the command after --, e.g.\n  lxdeck attach web1 -- sh -c 'ps; exit 3'\n`)
    .action(async (name: string, command: string[]) => {
      deps.requireRoot();
      const r = await deps.engine().attach(name, command);
      deps.setExit(r.exitCode);
    });

  program
    .command('run')
    .argument('<command...>', 'the command and its arguments, after --')
    .description('run a command as an application container (lxc-execute): the host\'s file system read-only, namespaces and limits of its own; exits with its exit status')
    .option('--name <name>', 'the container\'s name while it runs (default run-COMMAND-XXXXXX)')
    .option('--memory <size>', `memory limit; ${SIZE_GRAMMAR}`)
    .option('--swap <size>', 'swap limit (same grammar)')
    .option('--cpus <n>', 'CPU quota as a number of CPUs (0.5, 2) or max')
    .option('--cpu-weight <n>', 'relative CPU weight 1..10000 (default 100)')
    .option('--pids <n>', 'maximum number of processes, or max')
    .option('--host-net', 'the host\'s network instead of a network namespace with only lo')
    .addHelpText('after', `
The container shows in lxdeck ls and lxc-ls while it runs and is removed when the command ends.
/tmp and /run are empty tmpfs; everything else is the host's, read-only. Example:
  lxdeck run --memory 64M -- sh -c 'cat /proc/self/cgroup; exit 3'
`)
    .action(async (command: string[], o: { name?: string; memory?: string; swap?: string; cpus?: string; cpuWeight?: string; pids?: string; hostNet?: boolean }) => {
      deps.requireRoot();
      const r = await deps.engine().run(command, {
        name: o.name,
        net: o.hostNet ? 'host' : 'empty',
        limits: { memory: o.memory, swap: o.swap, cpus: o.cpus, cpuWeight: o.cpuWeight, pids: o.pids },
      });
      deps.setExit(r.exitCode);
    });

  program
    .command('device')
    .argument('<name>')
    .argument('<action>', 'add, rm or ls')
    .argument('[path]', 'the device node on the host, e.g. /dev/loop5')
    .description('pass a host device node into a container, or take it out (like lxc-device): saved in the config, live for a running privileged container')
    .option('--json', 'print JSON')
    .addHelpText('after', `
add saves a devices allow rule (lxc.cgroup.devices.allow on a v1 host, lxc.cgroup2.devices.allow on v2)
and a bind mount (lxc.mount.entry) so the node is there at every start. A running privileged container
gets it at once (lxc-device add); an unprivileged one at its next start: LXC cannot make a device
node inside a user namespace. Example:
  lxdeck device web1 add /dev/net/tun
`)
    .action(async (name: string, action: string, path: string | undefined, o: { json?: boolean }) => {
      deps.requireRoot();
      const e = deps.engine();
      if (action === 'ls') {
        const ds = await e.devices(name);
        return out(o.json ? JSON.stringify(ds, null, 2) : ds.length ? ds.map((d) => `${d.path}  ${d.type} ${d.major}:${d.minor}`).join('\n') : `${name} has no device nodes passed in`);
      }
      if (action !== 'add' && action !== 'rm') throw new LxdeckError('E_USAGE', `unknown device action ${JSON.stringify(action)}`, { hint: 'lxdeck device NAME add|rm PATH, or lxdeck device NAME ls', exitCode: 2 });
      if (!path) throw new LxdeckError('E_USAGE', `device ${action} needs the device node's path`, { hint: `e.g. lxdeck device ${name} ${action} /dev/net/tun`, exitCode: 2 });
      const r = action === 'add' ? await e.addDevice(name, path) : await e.removeDevice(name, path);
      if (o.json) return out(JSON.stringify(r, null, 2));
      const d = r.device;
      out(`${action === 'add' ? 'passed' : 'took'} ${d.path} (${d.type} ${d.major}:${d.minor}) ${action === 'add' ? 'into' : 'out of'} ${name}${r.live ? ', live' : ''}; config: ${r.config.join('; ') || 'unchanged'}`);
      for (const m of r.messages) out(m);
    });

  program
    .command('ps')
    .argument('<name>')
    .description("the processes in a container's cgroup: host PID, PID inside, user, CPU, RSS, command line (like lxc-ps)")
    .option('--json', 'print a JSON array of {pid, nspid, ppid, state, uid, nsUid, user, cpuTimeUsec, cpuPercent, rssBytes, command, startTime, cgroup}')
    .option('-i, --interval <ms>', 'read twice this many milliseconds apart and show %CPU (default: one read, CPU time so far)')
    .action(async (name: string, o: { json?: boolean; interval?: string }) => {
      deps.requireRoot();
      const intervalMs = o.interval !== undefined ? positiveInt(o.interval, '--interval') : 0;
      const procs = await deps.engine().ps(name, { intervalMs });
      out(o.json ? JSON.stringify(procs, null, 2) : psTable(procs, intervalMs > 0));
    });

  program
    .command('kill')
    .argument('<name>')
    .argument('<pid>', "the process's host PID (lxdeck ps NAME shows it)")
    .description('send a signal to one process of a container; PIDs outside it are refused')
    .option('-s, --signal <signal>', 'signal name or number', 'TERM')
    .action(async (name: string, pid: string, o: { signal: string }) => {
      deps.requireRoot();
      await deps.engine().kill(name, positiveInt(pid, 'PID'), o.signal);
      out(`sent SIG${o.signal.toUpperCase().replace(/^SIG/, '')} to ${pid} in ${name}`);
    });

  program
    .command('log')
    .description(`the last actions lxdeck took, with the equivalent lxc-* command (from ${actionLogPath()}; LXDECK_LOG overrides); with --lxcpath P only those in P, with --name only those on one container`)
    .option('--json', 'print a JSON array of {time, user, lxcpath, container, action, command, result, message?, exitStatus?, durationMs}')
    .option('-n, --lines <n>', 'how many of the last actions (of those the filters keep)', '20')
    .option('--name <container>', 'only the actions on this container')
    .addHelpText('after', '\nlxdeck --lxcpath P log (or log --lxcpath P) shows the actions in P only. Entries written before lxdeck recorded\nthe lxcpath have none: they show only without --lxcpath.\n')
    .action((o: { json?: boolean; lines: string; name?: string }) => {
      // read-only: any user who can read the log (root only by default, 0600); EACCES is reported with the hint
      const lxcpath = deps.cliLxcpath?.();
      const filter: ActionFilter = { ...(lxcpath !== undefined ? { lxcpath } : {}), ...(o.name !== undefined ? { container: o.name } : {}) };
      const entries = readRecentActions(positiveInt(o.lines, '-n'), actionLogPath(), filter);
      if (o.json) return out(JSON.stringify(entries, null, 2));
      if (entries.length) return out(entries.map(formatEntry).join('\n'));
      const of = [o.name !== undefined ? `on ${o.name}` : '', lxcpath !== undefined ? `in ${normalizeLxcpath(lxcpath)}` : ''].filter(Boolean).join(' ');
      out(of ? `no actions ${of} logged in ${actionLogPath()}` : `no actions logged in ${actionLogPath()}`);
    });
}

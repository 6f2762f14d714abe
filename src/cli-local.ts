/**
 * The local program (LXC in an lxcpath, remotes over SSH, --all): every verb but those of
 * `--backend lxd`, which src/cli-lxd.ts runs. src/cli.ts (the binary's entry) loads this module
 * only when the backend is local, so an LXD verb does not compile it.
 */
import { noteRunningAction, reportCliError } from './cli-errors.js';
import { CONSOLE_HANDOFF, handOffConsole } from './console-handoff.js';
import { Command, Option } from 'commander';
import { constants as osConstants } from 'node:os';
import { DEFAULT_BRIDGE, DEFAULT_LXCPATH, type Engine } from '../core/engine.js';
import { loadTemplates, localEngine } from './local-engine.js';
import { LxdeckError } from '../core/errors.js';
import { CONTAINER_NAME_RULE } from '../core/names.js';
import { checkLxcpath, lxcpathMissing } from '../core/lxcpath.js';
import { setSuggestionContext, suggestionContext } from '../core/suggest.js';
import { lsOutput } from './ls-output.js';
import { abortOnSignals } from '../core/rootfs/create.js';
import type { TemplateManifest } from '../core/rootfs/template.js';
import { SIZE_GRAMMAR } from '../core/units.js';
import { isInteractive, nonInteractiveMessage } from './console/tty.js';
import { addResourceCommands } from './cli-resources.js';
import { addInsideCommands, formatInfo } from './cli-inside.js';
import { addLifecycleCommands } from './cli-lifecycle.js';
import { addCloneCommands } from './cli-clone.js';
import { ActionLog, recordActions } from '../core/actionlog/index.js';
import { RemoteStore } from '../core/remote/store.js';
import { RemoteLxcBackend } from '../core/remote/backend.js';
import { addRemoteCommands, remoteBackend, splitRemoteAddressing } from './cli-remote.js';
import { BACKENDS } from './backend-arg.js';
import { listAllHosts, type HostEntry } from '../core/hosts/all-hosts.js';
import { AllHostsBackend } from '../core/hosts/all-backend.js';
import { allHostEntries, allHostsTable } from './cli-all.js';
import { LxdBackend } from '../core/lxd/backend.js';
import { LXD_ACTION_SPECS } from '../core/lxd/actions.js';

/** lxdeck's version (src/cli.ts reads it from package.json and hands it to {@link main}). */
let lxdeckVersion = 'unknown';

/**
 * Runs `load` with `globalThis.fetch` hidden, then puts it back as it was (Node's lazy getter).
 * Ink's layout engine (yoga-layout's Emscripten loader) reads its WebAssembly from a base64
 * `data:` URL through `fetch` when there is one: on Node 20 the first touch of `fetch` loads
 * undici, about 50 ms of a 300 ms start-up budget. Without `fetch` it decodes the same bytes itself.
 */
export async function withoutFetch<T>(load: () => Promise<T>): Promise<T> {
  const desc = Object.getOwnPropertyDescriptor(globalThis, 'fetch');
  if (!desc?.configurable) return load();
  Object.defineProperty(globalThis, 'fetch', { value: undefined, configurable: true, writable: true });
  try {
    return await load();
  } finally {
    Object.defineProperty(globalThis, 'fetch', desc);
  }
}

interface Globals {
  lxcpath: string;
  bridge: string;
  readOnly?: boolean;
  /** --remote NAME: act on that remote host (core/remote) */
  remote?: string;
  /** --backend local|lxd (with --all, lxd makes LXD one of the hosts even when its socket is not there yet) */
  backend?: string;
  /** --all: the console (and ls) over every host */
  all?: boolean;
  /** --lxd-socket PATH: LXD's socket (ls --all includes LXD when it is given or the default socket exists) */
  lxdSocket?: string;
}

/** The remote named by NAME:container addressing (main() finds it before parsing), if any. */
let addressedRemote: string | undefined;
/** The remote this run acts on (--remote or NAME:container), set before each verb's action. */
let activeRemote: string | undefined;
/** Remote backends opened by this run, by name: one SSH connection each, closed when the run ends. */
const openRemotes = new Map<string, RemoteLxcBackend>();
/**
 * The signal (SIGINT, SIGTERM) that cancelled a create or setup of this run: the exit status is
 * then 128 + its number (SIGINT 130), as a shell and the console report an interrupt, whatever
 * the cancelled action's error says.
 */
let interrupted: NodeJS.Signals | undefined;

/** --lxcpath when given on the command line (not from the environment or the default). */
let cliLxcpath: string | undefined;

/** The verbs that work on a remote (--remote NAME or NAME:container); the others refuse with E_USAGE. */
const REMOTE_VERBS = new Set(['ls', 'info', 'create', 'start', 'stop', 'restart', 'freeze', 'unfreeze', 'destroy', 'copy', 'rename', 'snapshot', 'snapshots', 'restore', 'snapshot-delete', 'autostart', 'attach', 'console', 'stats', 'limits', 'cgroup', 'remote']);

/** The positional arguments that hold container names (checked for REMOTE:NAME of an unknown remote). */
const CONTAINER_ARGS = new Set(['name', 'names', 'args', 'src', 'dst', 'old', 'new']);

/** The remotes store (LXDECK_CONFIG_DIR, XDG_CONFIG_HOME/lxdeck or ~/.config/lxdeck). */
function remoteStore(): RemoteStore {
  return new RemoteStore();
}

/** LXDECK_READ_ONLY=1 (or true, yes) opens the console read-only, as --read-only does. */
export function readOnlyFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return /^(1|true|yes|on)$/i.test(env.LXDECK_READ_ONLY ?? '');
}

/** One action log per process (LXDECK_LOG or /var/log/lxdeck/actions.log), so a write failure is reported once. */
let actionLog: ActionLog | undefined;

/** The engine every verb and the console use, its actions recorded in the action log (core/actionlog). */
function engineFrom(g: Globals): Engine {
  if (activeRemote !== undefined) {
    let b = openRemotes.get(activeRemote);
    if (!b) openRemotes.set(activeRemote, (b = remoteBackend(remoteStore(), activeRemote, cliLxcpath)));
    // the verbs are typed for the local engine; a method the remote lacks answers E_USAGE (cli-remote.ts)
    return b as unknown as Engine;
  }
  actionLog ??= new ActionLog();
  return recordActions(localEngine({ lxcpath: g.lxcpath, bridge: g.bridge, subnet: process.env.LXDECK_SUBNET || undefined }), actionLog.append);
}

function requireRoot(): void {
  if (activeRemote !== undefined) return; // root is needed on the remote, which lxc-* there checks
  if (typeof process.getuid === 'function' && process.getuid() !== 0)
    throw new LxdeckError('E_NOT_ROOT', 'managing system containers needs root', { hint: 'run it as root, e.g. sudo lxdeck' });
}

/** How long each host gets to answer the console's list (its refresh interval, 2 s): an unreachable host shows within one refresh. */
const ALL_HOSTS_CONSOLE_TIMEOUT_MS = 2000;

/** The hosts of `--all` (src/cli-all.ts): this lxcpath, each remote (kept in openRemotes, closed at the end), LXD. */
function everyHost(g: Globals): HostEntry[] {
  return allHostEntries({
    local: engineFrom(g),
    remotes: remoteStore().list().map((r) => r.name),
    remote: (name) => {
      let b = openRemotes.get(name);
      if (!b) openRemotes.set(name, (b = remoteBackend(remoteStore(), name)));
      return b;
    },
    lxdSocket: g.lxdSocket,
    withLxd: g.backend === 'lxd',
    // LXD rows' actions (console, shell pane, start...) go to the action log as under --backend lxd
    lxd: (socketPath) => recordActions(new LxdBackend({ socketPath }), (actionLog ??= new ActionLog()).append, { specs: LXD_ACTION_SPECS }),
  });
}

function out(s: string): void {
  process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
}

interface CreateFlags {
  template: string;
  option: string[];
  memory?: string;
  swap?: string;
  cpus?: string;
  cpuWeight?: string;
  bridge?: string;
  ipv4?: string;
  gateway?: string;
  dhcp?: boolean;
  hwaddr?: string;
  vethPair?: string;
  backing?: string;
  size?: string;
  vgname?: string;
  thinpool?: string;
  zfsroot?: string;
  privileged?: boolean;
  apparmor?: string;
  seccomp?: string;
  start?: boolean;
}

/** The templates' manifests: templates/index.ts's listTemplates() where it exists, else every TEMPLATES entry (templates/ loaded on demand). */
async function templateManifests(): Promise<TemplateManifest[]> {
  const templatesIndex = await loadTemplates();
  const list = (templatesIndex as { listTemplates?: () => TemplateManifest[] }).listTemplates;
  return list ? list() : Object.values(templatesIndex.TEMPLATES).map((t) => t.manifest);
}

/** Builds the command line program; `run` resolves with the exit status. */
export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command();
  program
    .name('lxdeck')
    .description('Terminal management console for Linux containers (LXC). With no command, opens the console.')
    .version(lxdeckVersion, '-V, --version')
    .addOption(new Option('--lxcpath <path>', 'where containers live').env('LXDECK_LXCPATH').default(DEFAULT_LXCPATH))
    .addOption(new Option('--bridge <name>', 'bridge new containers join (made when missing)').env('LXDECK_BRIDGE').default(DEFAULT_BRIDGE))
    .option('--remote <name>', 'act on a remote LXC host over SSH (lxdeck remote add); or address NAME:container')
    .option('--all', 'the console over every host: this lxcpath, each remote, and LXD when its socket exists (a HOST column, H picks a host); ls --all lists them')
    .option('--read-only', 'console: hide and refuse every key that changes something (start, stop, delete, attach, console, limits, ...); also LXDECK_READ_ONLY=1')
    .addOption(new Option('--backend <kind>', 'local: LXC in the lxcpath (default); lxd: an LXD daemon (lxdeck --backend lxd --help)').choices([...BACKENDS]).env('LXDECK_BACKEND').default('local'))
    .addOption(new Option('--lxd-socket <path>', "with --backend lxd: LXD's unix socket (default $LXD_DIR/unix.socket, else /var/lib/lxd/unix.socket)"))
    // usage errors in lxdeck's one form: "lxdeck: <message>" then "hint: ..."
    .showHelpAfterError('hint: run lxdeck --help (or lxdeck COMMAND --help) for usage')
    .configureOutput({ writeErr: (s) => process.stderr.write(s), outputError: (s, write) => write(`lxdeck: ${s.replace(/^error: /, '')}`) })
    .exitOverride();
  program.addHelpText(
    'after',
    `\nContainer names: ${CONTAINER_NAME_RULE}\nEnvironment: LXDECK_LXCPATH, LXDECK_BRIDGE, LXDECK_STATE_DIR (host-wide records, default /var/lib/lxdeck), LXDECK_READ_ONLY=1 (as --read-only), LXDECK_SUBNET (subnet for a new bridge, e.g. 10.0.3.0/24), LXDECK_BACKEND (local or lxd: lxdeck --backend lxd --help lists the LXD verbs), LXD_DIR (the LXD socket's directory).\nExit status: 0 success, 1 the action failed (also a value the kernel refused, and when this host lacks a tool or feature it needs, e.g. --backing zfs without zfs), 2 bad usage (a value lxdeck itself rejects before writing) or no terminal for the console; 128+N when signal N cancelled it: the console left with Ctrl+C, Ctrl+C during create or setup, 130; SIGTERM 143.\n`,
  );
  const g = () => program.opts<Globals>();
  program.hook('preAction', (_this, action) => {
    noteRunningAction(action); // an error from here on is JSON on stdout when the verb has --json
    const r = g().remote;
    if (r !== undefined && addressedRemote !== undefined && r !== addressedRemote)
      throw new LxdeckError('E_USAGE', `--remote ${r} and ${addressedRemote}:... name different hosts`, { hint: 'one command acts on one host' });
    activeRemote = r ?? addressedRemote;
    // a verb that would act on this host must not run as if it were the remote
    if (activeRemote !== undefined && action !== program && action.parent === program && !REMOTE_VERBS.has(action.name()))
      throw new LxdeckError('E_USAGE', `${action === program ? 'the console' : `lxdeck ${action.name()}`} does not work on a remote (${activeRemote}) yet`, {
        hint: `on a remote: ${[...REMOTE_VERBS].join(', ')}`,
      });
    const verb = action === program ? undefined : action.parent === program ? action.name() : action.parent?.name();
    // REMOTE:NAME whose REMOTE is not configured (main() strips the known ones): a container name cannot hold ':'
    if (verb !== 'remote') {
      const bare = action.registeredArguments.length === 0 ? action.args.find((a) => /^[^:/\s-][^:/\s]*:$/.test(a)) : undefined;
      if (bare !== undefined) throw new LxdeckError('E_NOT_FOUND', `no remote named ${bare.slice(0, -1)}`, { hint: 'lxdeck remote ls lists the remotes; lxdeck remote add NAME ssh://root@HOST adds one' });
      action.registeredArguments.forEach((arg, i) => {
        if (!CONTAINER_ARGS.has(arg.name())) return;
        const v = action.processedArgs[i] as string | string[] | undefined;
        for (const a of Array.isArray(v) ? v : v === undefined ? [] : [v]) {
          const m = /^([^:/\s]+):[^:]*$/.exec(a);
          if (m) throw new LxdeckError('E_NOT_FOUND', `no remote named ${m[1]} (${JSON.stringify(a)} addresses a container on a remote; container names cannot hold ':')`, { hint: 'lxdeck remote ls lists the remotes; lxdeck remote add NAME ssh://root@HOST adds one' });
        }
      });
    }
    // the one check of the lxcpath, before any verb (or the console) reads it or records it in host state
    if (g().lxcpath.trim() === '' || (activeRemote === undefined && verb !== 'remote')) {
      const src = program.getOptionValueSource('lxcpath');
      program.setOptionValueWithSource('lxcpath', checkLxcpath(g().lxcpath).path, src);
    }
    cliLxcpath = program.getOptionValueSource('lxcpath') === 'cli' ? g().lxcpath : undefined;
    // every suggested `lxdeck VERB` (hints, messages) acts where this run acts
    setSuggestionContext({ lxcpath: activeRemote === undefined ? g().lxcpath : cliLxcpath, remote: activeRemote, verbs: program.commands.map((c) => c.name()) });
  });

  program.allowExcessArguments(true);
  program.action(async () => {
    if (program.args.length > 0)
      throw new LxdeckError('E_USAGE', `unknown command ${JSON.stringify(program.args[0])}`, {
        hint: `commands: ${program.commands.map((c) => c.name()).join(', ')} (lxdeck --help)`,
      });
    if (!isInteractive(process.stdin, process.stdout)) {
      process.stderr.write(`${nonInteractiveMessage()}\n`);
      setExit(2);
      return;
    }
    handOffConsole(); // from a verb's script build: the entry runs this argv with a build that has the console (src/console-handoff.ts)
    requireRoot();
    // Ink (via is-in-ci) draws only the last frame when CI or CONTINUOUS_INTEGRATION is set, which
    // would leave a blank console on a real terminal: it reads them once, when it is first imported.
    const ciVars = ['CI', 'CONTINUOUS_INTEGRATION'].filter((k) => k in process.env).map((k) => [k, process.env[k]] as const);
    for (const [k] of ciVars) delete process.env[k];
    // React's production build: the development one costs about a quarter more CPU per redraw
    process.env.NODE_ENV ??= 'production';
    const { runConsole } = await withoutFetch(() => import('./console/run-console.js'));
    for (const [k, v] of ciVars) process.env[k] = v;
    const readOnly = g().readOnly === true || readOnlyFromEnv();
    if (g().all) {
      // every host in one list: actions go to the row's host; no first-time setup offer (it is about this host)
      const all = new AllHostsBackend(everyHost(g()), { timeoutMs: ALL_HOSTS_CONSOLE_TIMEOUT_MS });
      setExit(await runConsole(all, { readOnly, services: { setup: undefined, checkAtStart: false } }));
      return;
    }
    if (activeRemote !== undefined) {
      // one remote's console: the backend itself, not the CLI's guard (a key shows only for a
      // method the remote really has); this host's setup and checkconfig are not offered
      const r = remoteStore().get(activeRemote);
      const b = new RemoteLxcBackend({ ...r, lxcpath: cliLxcpath ?? r.lxcpath });
      openRemotes.set(`console:${activeRemote}`, b);
      setExit(await runConsole(b, { readOnly, services: { setup: undefined, checkAtStart: false, checkconfig: undefined } }));
      return;
    }
    setExit(await runConsole(engineFrom(g()), { readOnly }));
  });

  program
    .command('ls')
    .description('list containers: name, state, autostart, groups, delete protection, init PID, IPv4')
    .option('--json', 'print a JSON array of {name, state, pid, ipv4, autostart, groups, protected}; with --all an object {containers, hosts}')
    .option('--all', 'every host: this lxcpath, each remote and the LXD daemon (when its socket exists), asked at once; a HOST column')
    .option('--timeout <seconds>', 'with --all: how long each host gets to answer', '5')
    .action(async (o: { json?: boolean; all?: boolean; timeout: string }) => {
      if (o.all || g().all) {
        if (activeRemote !== undefined) throw new LxdeckError('E_USAGE', `--all lists every host; --remote ${activeRemote} names one`, { hint: 'drop one of them' });
        requireRoot();
        const secs = Number(o.timeout);
        if (!Number.isFinite(secs) || secs <= 0 || secs > 600) throw new LxdeckError('E_USAGE', `--timeout takes seconds from 0.1 to 600, not ${JSON.stringify(o.timeout)}`);
        const hosts = everyHost(g());
        const res = await listAllHosts(hosts, { timeoutMs: secs * 1000, onSkip: (h, n, why) => process.stderr.write(`lxdeck: warning: skipped ${h}:${n}: ${why}\n`) });
        for (const h of res.hosts) if (!h.ok) process.stderr.write(`lxdeck: warning: ${h.name}: ${h.error}\n`);
        out(o.json ? JSON.stringify(res, null, 2) : allHostsTable(res));
        setExit(res.hosts[0]?.ok ? 0 : 1);
        return;
      }
      // read-only: any user who can read the lxcpath (lxc-ls lists as far as it can read too); EACCES is reported with the hint
      const list = await engineFrom(g()).list({ onSkip: (n, why) => process.stderr.write(`lxdeck: warning: skipped ${n}: ${why}\n`) });
      // a missing lxcpath lists nothing and exits 0, as lxc-ls does (a fresh host has no /var/lib/lxc before
      // its first create), but says so on stderr in every form: a mistyped --lxcpath must not read as "all gone".
      // src/ls-output.ts: the same text the bin's small ls build prints (src/ls-fast.ts)
      const printed = lsOutput(list, { json: o.json, lxcpath: g().lxcpath, missing: activeRemote === undefined && lxcpathMissing(g().lxcpath), remote: activeRemote, suggest: suggestionContext() });
      process.stdout.write(printed.stdout);
      if (printed.stderr) process.stderr.write(printed.stderr);
    });

  program
    .command('info')
    .argument('<name>')
    .description('state, PID, IPv4/IPv6, veth names, hwaddr, bridge, cgroup paths, limits, config keys this host ignores, idmap, paths of a container (like lxc-info)')
    .option('--json', 'print JSON')
    .option('--size', 'also measure the rootfs on disk (a du -sx walk; slow for a large rootfs)')
    .action(async (name: string, o: { json?: boolean; size?: boolean }) => {
      // read-only: any user who can read the container's config (lxc-info as far as it can); EACCES is reported with the hint
      const i = await engineFrom(g()).info(name, { size: o.size });
      if (o.json) return out(JSON.stringify(i, null, 2));
      out(formatInfo(i));
    });

  program
    .command('create')
    .argument('<name>')
    .description('create a container from a template: unprivileged by default, a veth on the bridge, a static IPv4 address or DHCP')
    .option('-t, --template <template>', 'template (lxdeck templates lists them and their options)', 'busybox')
    .option('-o, --option <key=value>', 'a template option; repeat for more', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--memory <size>', 'memory limit (SIZE)')
    .option('--swap <size>', 'swap limit, swap alone (SIZE; on cgroup v1 it needs --memory)')
    .option('--cpus <n>', 'CPU bandwidth in CPUs, e.g. 0.5 or 2 (max: no limit)')
    .option('--cpu-weight <n>', 'CPU weight 1..10000 under contention (default 100)')
    .option('--bridge <name>', 'bridge for lxc.net.0.link (made when missing; default the global --bridge)')
    .option('--ipv4 <addr/prefix>', 'static address (default: the next free one on the bridge)')
    .option('--gateway <addr>', 'default route via this address (needs --ipv4; default: the bridge when on its subnet)')
    .option('--dhcp', 'no static address: the container asks a DHCP server on the bridge')
    .option('--hwaddr <mac>', 'MAC address xx:xx:xx:xx:xx:xx (default: random 00:16:3e:xx:xx:xx)')
    .option('--veth-pair <name>', 'host-side veth name, at most 15 bytes (default: derived from the name)')
    .option('-B, --backing <store>', 'rootfs backing store, as lxc-create -B: dir (default), loop (an ext4 image file), btrfs (a subvolume; the lxcpath on btrfs) or lvm (a thin volume in an LVM thin pool)')
    .option('--size <size>', 'size of a loop image or LVM thin volume (SIZE; default 1G, as lxc-create --fssize)')
    .option('--vgname <vg>', 'with --backing lvm: the volume group (default lxc, as lxc-create --vgname); also --option vg=VG')
    .option('--thinpool <lv>', 'with --backing lvm: the thin pool in it (default lxc, as lxc-create --thinpool); also --option thinpool=LV')
    .option('--zfsroot <dataset>', 'with --backing zfs (only where the zfs program is installed; untested): the parent dataset (default lxc, as lxc-create --zfsroot)')
    .option('--privileged', 'root in the container is root on the host (default: unprivileged, with its own uid/gid range)')
    .option('--apparmor <profile>', 'lxc.apparmor.profile: a loaded profile, generated, unconfined or unchanged (default: LXC\'s, lxc-container-default-cgns); refused where AppArmor is not enabled')
    .option('--seccomp <path|default|none>', 'lxc.seccomp.profile: a profile file, default (LXC\'s common.seccomp) or none (no system call filter)')
    .option('--start', 'start the container once it is made')
    .addHelpText(
      'after',
      `\nSIZE: ${SIZE_GRAMMAR}.\nNothing is written until every option is checked; Ctrl+C (SIGINT) or SIGTERM during the create removes everything it made.\nExample: lxdeck create web1 --template busybox --memory 512M --ipv4 10.0.3.20/24 --start\n`,
    )
    .action(async (name: string, o: CreateFlags) => {
      const options: Record<string, string> = {};
      let vgname = o.vgname;
      let thinpool = o.thinpool;
      for (const kv of o.option) {
        const i = kv.indexOf('=');
        if (i <= 0) throw new LxdeckError('E_USAGE', `--option takes KEY=VALUE, not ${JSON.stringify(kv)}`, { hint: 'e.g. --option release=bookworm' });
        // with --backing lvm, vg= and thinpool= name the volume group and thin pool (--option vg=VG,thinpool=POOL too)
        const key = kv.slice(0, i);
        if (o.backing?.trim() === 'lvm' && (key === 'vg' || key === 'thinpool')) {
          for (const part of kv.split(',')) {
            const [k, v] = [part.slice(0, part.indexOf('=')), part.slice(part.indexOf('=') + 1)];
            if (k === 'vg') vgname = v;
            else if (k === 'thinpool') thinpool = v;
            else throw new LxdeckError('E_USAGE', `--option ${kv}: with --backing lvm, vg= and thinpool= name the volume group and thin pool; ${JSON.stringify(part)} is neither`, { hint: 'e.g. --option vg=lxc,thinpool=lxc' });
          }
          continue;
        }
        options[key] = kv.slice(i + 1);
      }
      requireRoot();
      const sig = abortOnSignals();
      try {
        const info = await engineFrom(g()).create(name, {
          template: o.template,
          options,
          // a remote gets a network only when asked (--bridge); locally the default bridge
          bridge: o.bridge ?? (activeRemote !== undefined ? undefined : g().bridge),
          ipv4: o.ipv4,
          gateway: o.gateway,
          dhcp: o.dhcp,
          hwaddr: o.hwaddr,
          vethPair: o.vethPair,
          backing: o.backing,
          size: o.size,
          vgname,
          thinpool,
          zfsroot: o.zfsroot,
          memory: o.memory,
          swap: o.swap,
          cpus: o.cpus,
          cpuWeight: o.cpuWeight,
          privileged: o.privileged,
          apparmorProfile: o.apparmor,
          seccompProfile: o.seccomp,
          start: o.start,
          signal: sig.signal,
          onProgress: (ev) => {
            // warnings (unconfined AppArmor, no seccomp) always; the rest of the log on a terminal
            if (ev.phase === 'warning' && ev.line) process.stderr.write(`lxdeck: warning: ${ev.line}\n`);
            else if (process.stderr.isTTY && ev.line) process.stderr.write(`  ${ev.phase}: ${ev.line}\n`);
          },
        });
        const n = info.net[0];
        const addr = n ? (n.ipv4.length ? n.ipv4.join(' ') : 'DHCP') : 'no network';
        out(`created ${info.name} (${addr} on ${n?.link ?? '-'}, ${o.privileged ? 'privileged' : 'unprivileged'})${o.start ? `, ${info.state}` : ''}`);
      } finally {
        interrupted ??= sig.received();
        sig.dispose();
      }
    });

  program
    .command('templates')
    .description('list the templates with their options')
    .option('--json', 'print a JSON array of {name, description, offline, network?, options: [{name, type, default, description}]}')
    .action(async (o: { json?: boolean }) => {
      const list = await templateManifests();
      if (o.json) return out(JSON.stringify(list, null, 2));
      const lines: string[] = [];
      for (const t of list) {
        lines.push(`${t.name}${t.offline ? '' : ` (${t.network ?? 'needs network'})`}: ${t.description}`);
        if (t.options.length === 0) lines.push('    no options');
        for (const op of t.options)
          lines.push(`    --option ${op.name}=${op.type === 'boolean' ? 'true|false' : op.type.toUpperCase()}  ${op.description}${op.default !== undefined ? ` (default: ${op.default})` : ''}`);
      }
      out(lines.join('\n'));
    });

  program
    .command('checkconfig')
    .description('report whether this host can run containers (kernel, cgroups, network, security, tools, storage); exit 1 when something blocks them')
    .option('--json', 'print {findings, errors, warnings, host} as JSON')
    .action(async (o: { json?: boolean }) => {
      const [{ runCheckconfig, formatReport }, { HostFs }, { ExecaRunner }, { detectTheme }] = await Promise.all([
        import('../core/checkconfig/index.js'),
        import('../core/host/host-fs.js'),
        import('../core/exec/runner.js'),
        import('./console/terminal-caps.js'),
      ]);
      const report = await runCheckconfig({ fs: new HostFs('/'), runner: new ExecaRunner(), lxcpath: g().lxcpath, bridge: g().bridge });
      if (o.json) out(JSON.stringify({ findings: report.findings, errors: report.errors, warnings: report.warnings, host: report.host }, null, 2));
      else out(formatReport(report, { color: process.stdout.isTTY === true && detectTheme(process.env).color }));
      setExit(report.errors > 0 ? 1 : 0);
    });

  // ---- setup (issue 5): plan -> the exact commands -> confirm each step -> apply with live output -> summary with undo
  program
    .command('setup')
    .description('guided first-time setup: host report, install what is missing, a bridge with NAT and DHCP that survives a reboot, a first running container; a second run changes nothing')
    .option('-y, --yes', 'apply every step without asking (needed when stdin is not a terminal)')
    .option('--bridge <name>', 'bridge to make (default the global --bridge, lxdeckbr0)')
    .option('--subnet <cidr>', 'IPv4 subnet of a new bridge, e.g. 10.0.3.0/24 (default: the first free /24 in the routing table; one that overlaps a route is refused)')
    .option('--nat', 'masquerade the bridge subnet to the uplink with nftables (default)')
    .option('--no-nat', 'no NAT')
    .option('--dhcp', 'run dnsmasq on the bridge for containers without a static address (default)')
    .option('--no-dhcp', 'no DHCP server')
    .option('--container <name>', 'first container to create and start (default: first)')
    .option('--no-container', 'no first container')
    .option('--template <template>', 'template of the first container', 'busybox')
    .option('--no-install', 'do not install missing packages')
    .option('--no-persist', 'do not write lxdeck-net-BRIDGE.service')
    .option('--dry-run', 'print the plan with every command and change nothing')
    .option('--json', 'print {plan, result, summary} as JSON (live output goes to stderr)')
    .addOption(new Option('--root <dir>', 'write the unit, nft rules, pid and lease files under DIR instead of / (tests)').hideHelp())
    .addOption(new Option('--nft-table <name>', "lxdeck's nftables table (family ip)").default('lxdeck').hideHelp())
    .addHelpText(
      'after',
      '\nEach step is shown with its exact commands before it runs, and asked for when stdin is a terminal (unless --yes).\nThe summary lists the commands that undo each part. Exit status: 0 done (or nothing to do), 1 a step failed or is blocked, 2 bad usage.\n',
    )
    .action(async (o: {
      yes?: boolean; bridge?: string; subnet?: string; nat?: boolean; dhcp?: boolean; container?: string | false; template: string;
      install?: boolean; persist?: boolean; dryRun?: boolean; json?: boolean; root?: string; nftTable: string;
    }) => {
      const [setup, { HostFs }, { ExecaRunner }] = await Promise.all([
        import('../core/setup/index.js'),
        import('../core/host/host-fs.js'),
        import('../core/exec/runner.js'),
      ]);
      const bridge = o.bridge ?? g().bridge;
      const opts = {
        bridge,
        subnet: o.subnet ?? (process.env.LXDECK_SUBNET || undefined),
        nat: o.nat,
        dhcp: o.dhcp,
        container: o.container,
        template: o.template,
        install: o.install,
        persist: o.persist,
        natTable: o.nftTable,
      };
      setup.resolveSetupOptions(opts); // every option checked before anything is read
      // --dry-run only reads: any user may see the plan (what a user cannot read shows as such); applying needs root
      if (!o.dryRun) requireRoot();
      const runner = new ExecaRunner();
      const engine = localEngine({ lxcpath: g().lxcpath, bridge, runner });
      const deps = { runner, fs: new HostFs('/'), engine, root: o.root ?? '/' };
      const plan = await setup.planSetup(deps, opts);
      const say = (s: string) => (o.json ? process.stderr : process.stdout).write(s.endsWith('\n') ? s : `${s}\n`);
      const planJson = { gateway: plan.gateway, systemd: plan.systemd, nothingToDo: plan.nothingToDo, options: plan.options, steps: plan.steps, report: { errors: plan.report.errors, warnings: plan.report.warnings } };
      if (o.dryRun) {
        if (o.json) out(JSON.stringify({ plan: planJson, dryRun: true }, null, 2));
        else out(`${setup.formatPlan(plan)}\n(dry run: nothing was changed)`);
        return;
      }
      const interactive = !o.yes && process.stdin.isTTY === true && !o.json;
      if (!plan.nothingToDo && !o.yes && !interactive)
        throw new LxdeckError('E_USAGE', 'setup changes the host and stdin is not a terminal to confirm each step', {
          hint: 'add --yes to apply every step, or --dry-run to see the commands',
        });
      // on a terminal each step's commands are shown at its prompt; the overview comes first
      say(setup.formatPlan(plan, { commands: !interactive }));
      let rl: import('node:readline/promises').Interface | undefined;
      if (interactive && !plan.nothingToDo) {
        const { createInterface } = await import('node:readline/promises');
        rl = createInterface({ input: process.stdin, output: process.stdout });
      }
      const sig = abortOnSignals();
      // Ctrl+C at a prompt: readline swallows it unless told; treat it as SIGINT (no step is running then)
      rl?.on('SIGINT', () => process.emit('SIGINT'));
      try {
        const result = await setup.applySetup(deps, plan, {
          signal: sig.signal,
          onLine: (l) => say(l.stream === 'command' ? setup.formatCommand(l.line).join('\n') : `  ${l.line}`),
          onStep: (s, phase, err) => {
            if (phase === 'start') say(`\n== ${s.number}. ${s.title}`);
            else if (phase === 'failed') say(`${s.number}. ${s.title} FAILED: ${err?.message ?? ''}${err?.hint ? `\nhint: ${err.hint}` : ''}`);
          },
          confirm: rl
            ? async (s) => {
                say(`\n${setup.formatStep(s).join('\n')}`);
                let a: string;
                try {
                  a = (await rl!.question(`Apply step ${s.number} (${s.title})? [Y/n] `, { signal: sig.signal })).trim().toLowerCase();
                } catch {
                  say('\ncancelled');
                  return false;
                }
                return a === '' || a === 'y' || a === 'yes';
              }
            : undefined,
        });
        const summary = setup.summarizeSetup(plan, result);
        if (o.json) out(JSON.stringify({ plan: planJson, result, summary }, null, 2));
        else out(`\n${setup.formatSummary(summary)}`);
        setExit(result.ok ? 0 : 1);
      } finally {
        rl?.close();
        interrupted ??= sig.received();
        sig.dispose();
      }
    });

  addResourceCommands(program, { engine: () => engineFrom(g()), requireRoot });
  addInsideCommands(program, { engine: () => engineFrom(g()), requireRoot, setExit, cliLxcpath: () => cliLxcpath });
  addLifecycleCommands(program, { engine: () => engineFrom(g()), requireRoot, setExit });
  addCloneCommands(program, { engine: () => engineFrom(g()), requireRoot });
  addRemoteCommands(program, { store: remoteStore, globalLxcpath: () => cliLxcpath });

  return program;
}

/** 128 + the signal's number (SIGINT 130, SIGTERM 143), as a shell reports a command a signal ended (signal(7)). */
function signalExit(s: NodeJS.Signals): number {
  return 128 + (osConstants.signals[s] ?? 0);
}

/** Runs the local program with `argv` (process.argv form) and resolves with the exit status. */
export async function main(argv: string[], version = 'unknown'): Promise<number> {
  lxdeckVersion = version;
  let code = 0;
  const program = buildProgram((c) => (code = c));
  try {
    // NAME:container (incus's addressing): strip the remote's name, remember it for engineFrom
    let known: Set<string> | undefined;
    const split = splitRemoteAddressing(argv.slice(2), (n) => (known ??= new Set(remoteStore().list().map((r) => r.name))).has(n));
    addressedRemote = split.remote;
    await program.parseAsync([...argv.slice(0, 2), ...split.args]);
    return interrupted ? signalExit(interrupted) : code;
  } catch (e) {
    if (e === CONSOLE_HANDOFF) throw e;
    const c = reportCliError(e);
    return interrupted ? signalExit(interrupted) : c;
  } finally {
    interrupted = undefined;
    for (const b of openRemotes.values()) b.close();
    openRemotes.clear();
  }
}

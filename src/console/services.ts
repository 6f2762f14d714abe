/**
 * What the console's screens need besides the engine: the create wizard's
 * view of the host (cgroup layout, templates, bridges), the checkconfig
 * report, the action log, and the terminal hand-off for console/attach.
 * runConsole builds the real ones ({@link hostServices}); screen tests pass
 * fakes, and leave out what they do not test.
 */
import type { CgroupLayout } from '../../core/cgroup/layout.js';
import { detectCgroupLayout } from '../../core/cgroup/layout.js';
import type { CheckReport } from '../../core/checkconfig/types.js';
import { runCheckconfig } from '../../core/checkconfig/report.js';
import { readRecentActions, type ActionEntry, type ActionFilter } from '../../core/actionlog/log.js';
import { ExecaRunner } from '../../core/exec/runner.js';
import { HostFs } from '../../core/host/host-fs.js';
import type { Template, TemplateManifest } from '../../core/rootfs/template.js';
import { detectHostSecurity, type HostSecurity } from '../../core/rootfs/security.js';
import { activeThinPools, availableBackings } from '../../core/rootfs/backings.js';
import type { Backing } from '../../core/rootfs/create.js';
import type { Backend } from '../../core/backend.js';
import { DEFAULT_BRIDGE } from '../../core/engine.js';
import { getTemplate, listTemplates } from '../../templates/index.js';
import {
  applySetup,
  planSetup,
  readRoutes,
  setupSuggestion,
  type ApplyCallbacks,
  type RouteEntry,
  type SetupDeps,
  type SetupOptions,
  type SetupPlan,
  type SetupResult,
  type SetupSuggestion,
} from '../../core/setup/index.js';

/** What the create wizard checks against (planCreate's env) and offers. */
export interface CreateEnv {
  /** the bridge a container joins when none is chosen (the engine's) */
  defaultBridge: string;
  /** the host's cgroup layout: picks the config keys for limits */
  layout: CgroupLayout;
  /** templates to offer, in order */
  templates: TemplateManifest[];
  /** the template called `name` (for planCreate; throws LxdeckError E_TEMPLATE) */
  template(name: string): Template;
  /** bridges on the host now (/sys/class/net/NAME/bridge exists) */
  bridges: string[];
  /** the engine's lxcpath (part of the generated veth name) */
  lxcpath?: string;
  /** AppArmor and seccomp on the host (core/rootfs/security.ts); the security step offers AppArmor profiles only when enabled */
  security?: HostSecurity;
  /** the backing stores a create can use on this host (core/rootfs/backings availableBackings); dir only when left out */
  backings?: Backing[];
  /** the active LVM thin pools as `VG/POOL` (core/rootfs/backings activeThinPools); the storage step offers them when lvm is chosen */
  lvmPools?: string[];
  /**
   * The host-wide address record of `bridge` (core/hoststate readBridge: its subnet as the
   * bridge's address `10.0.3.1/24`, and every address held, by whom), as last written; null when
   * there is none. The network step checks a static address against it and offers the next free one.
   */
  bridgeRecord?(bridge: string): { gateway: string | null; addresses: Record<string, { lxcpath?: string; name?: string; source?: string }> } | null;
}

/**
 * Hands the real terminal to a child and takes it back. `release` leaves raw
 * mode and the alternate screen and stops drawing (the screens have stopped
 * reading keys first); `note` is printed on the normal screen for the user
 * (e.g. the console's escape sequence). `reclaim` re-enters the alternate
 * screen, clears it and lets the console draw again.
 */
export interface TerminalHandOff {
  release(note?: string): void;
  reclaim(): void;
}

/**
 * The first-time setup (core/setup) as the console's setup screen uses it:
 * plan with the user's choices, apply part of a plan with live output, and
 * the cheap check that decides whether the list offers setup at all.
 */
export interface SetupService {
  /** the bridge setup offers by default (the engine's) */
  readonly bridge: string;
  /** options every plan gets unless the screen sets them (the test hooks below) */
  readonly defaults: SetupOptions;
  /** core/setup setupSuggestion for the engine's lxcpath and {@link bridge} */
  suggestion(): Promise<SetupSuggestion>;
  /** core/setup planSetup; throws what it throws (E_NETWORK names the route a subnet overlaps) */
  plan(opts: SetupOptions): Promise<SetupPlan>;
  /** the host's IPv4 routes but the default ones (for checking a subnet as it is typed) */
  routes(): Promise<RouteEntry[]>;
  /** core/setup applySetup on `plan` (the screen passes a plan holding only the steps it is at) */
  apply(plan: SetupPlan, cb: ApplyCallbacks): Promise<SetupResult>;
}

/**
 * The real setup service for `engine`. Test hooks, read from `env` (the
 * console has no flags for them; `lxdeck setup` has --root and --nft-table):
 *  - LXDECK_SETUP_ROOT: directory standing for `/` for the unit, nft rules,
 *    dnsmasq pid and lease files (SetupDeps.root); default `/`
 *  - LXDECK_NFT_TABLE: lxdeck's nftables table (family ip); default `lxdeck`
 *  - LXDECK_SUBNET: the subnet of a new bridge, as for `lxdeck setup`
 */
export function hostSetupService(engine: Backend, bridge: string, env: NodeJS.ProcessEnv = process.env): SetupService {
  const deps: SetupDeps = { runner: new ExecaRunner(), fs: new HostFs('/'), engine, root: env.LXDECK_SETUP_ROOT || '/' };
  return setupServiceFor(deps, bridge, {
    bridge,
    ...(env.LXDECK_NFT_TABLE ? { natTable: env.LXDECK_NFT_TABLE } : {}),
    ...(env.LXDECK_SUBNET ? { subnet: env.LXDECK_SUBNET } : {}),
  });
}

/**
 * A setup service over `deps` (core/setup's planSetup, applySetup,
 * readRoutes, setupSuggestion); `defaults` go into every plan, under the
 * screen's choices. Screen tests pass fixture deps (a fake runner, a
 * checkconfig fixture tree, a temporary root).
 */
export function setupServiceFor(deps: SetupDeps, bridge: string, defaults: SetupOptions = { bridge }): SetupService {
  return {
    bridge,
    defaults,
    suggestion: () => setupSuggestion(deps.runner, deps.engine.lxcpath, bridge),
    plan: (opts) => planSetup(deps, { ...defaults, ...opts }),
    routes: () => readRoutes(deps.runner),
    apply: (plan, cb) => applySetup(deps, plan, cb),
  };
}

export interface ConsoleServices {
  createEnv?: () => CreateEnv | Promise<CreateEnv>;
  /** makes the host report (core/checkconfig) */
  checkconfig?: () => Promise<CheckReport>;
  /** open the report at start when it has errors (default true when `checkconfig` is given) */
  checkAtStart?: boolean;
  /** the last `n` action log entries that pass `filter` (default: every entry), oldest first */
  recentActions?: (n: number, filter?: ActionFilter) => ActionEntry[] | Promise<ActionEntry[]>;
  /**
   * Whose actions the log screen (`l`) shows: entries recorded in this lxcpath (`lxd:SOCKET` for
   * LXD), and it says so in its title; null or absent: every entry ({@link actionLogScope}).
   */
  actionLogScope?: string | null;
  /** the terminal hand-off; without it attach and console say they cannot run here */
  terminal?: TerminalHandOff;
  /** processes view refresh in ms (default 2000) and the CPU % interval */
  psRefreshMs?: number;
  /** the first-time setup screen and the list's offer of it; without it neither is there */
  setup?: SetupService;
}

/** Names of the bridges on the host: /sys/class/net/NAME/bridge exists (the kernel's bridge sysfs directory). */
export function hostBridges(fs: HostFs = new HostFs('/')): string[] {
  let names: string[];
  try {
    names = fs.readdir('/sys/class/net');
  } catch {
    return [];
  }
  return names.filter((n) => fs.exists(`/sys/class/net/${n}/bridge`)).sort();
}

/**
 * The lxcpath whose actions the console's log screen shows: the engine's own (`lxd:SOCKET` for
 * LXD, as its actions record it); `REMOTE:LXCPATH` for a remote (whose actions are not logged
 * on this host); null (every entry) for the all-hosts view.
 */
export function actionLogScope(engine: Backend): string | null {
  if (typeof (engine as { hostNames?: unknown }).hostNames === 'function') return null;
  const remote = (engine as { remote?: unknown }).remote;
  if (typeof remote === 'string') return `${remote}:${engine.lxcpath}`;
  return engine.lxcpath;
}

/**
 * The real services for `engine` on this host: the wizard reads the cgroup
 * layout from /proc/self/mountinfo and the bridges from /sys/class/net; the
 * report runs core/checkconfig; the log pane reads the action log file
 * (LXDECK_LOG or /var/log/lxdeck/actions.log).
 */
export function hostServices(engine: Backend, terminal?: TerminalHandOff): ConsoleServices {
  const bridge = (engine as { bridge?: unknown }).bridge;
  const defaultBridge = typeof bridge === 'string' && bridge ? bridge : DEFAULT_BRIDGE;
  return {
    createEnv: () => {
      const fs = new HostFs('/');
      return {
        defaultBridge,
        layout: detectCgroupLayout(fs),
        templates: listTemplates(),
        template: getTemplate,
        bridges: hostBridges(fs),
        lxcpath: engine.lxcpath,
        security: detectHostSecurity(fs),
        backings: availableBackings(engine.lxcpath, fs),
        lvmPools: activeThinPools(fs),
        bridgeRecord: (b: string) => (engine as { hostState?: { readBridge(b: string): ReturnType<NonNullable<CreateEnv['bridgeRecord']>> } }).hostState?.readBridge(b) ?? null,
      };
    },
    checkconfig: () => runCheckconfig({ fs: new HostFs('/'), runner: new ExecaRunner(), lxcpath: engine.lxcpath, bridge: defaultBridge }),
    recentActions: (n, filter) => readRecentActions(n, undefined, filter),
    actionLogScope: actionLogScope(engine),
    terminal,
    setup: hostSetupService(engine, defaultBridge),
  };
}

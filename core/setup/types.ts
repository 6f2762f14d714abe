/**
 * Shapes of the guided first-time setup (issue 5, step 3): a plan of steps,
 * each with the exact actions it would run, applied step by step with live
 * output. Shared by `lxdeck setup` and the console's setup screens.
 */
import type { CheckReport, PackageManager } from '../checkconfig/types.js';
import type { Runner } from '../exec/runner.js';
import type { HostFs } from '../host/host-fs.js';
import type { CreateOptions, ContainerInfo } from '../types.js';

/**
 * The steps, in the order they run and are numbered (1 report ... 7 container; the
 * summary after them, {@link summarizeSetup}, has no number). The phases
 * group them: host report (1), packages (2), network (3-6: bridge, NAT, DHCP,
 * persistence), first container (7).
 */
export const STEP_IDS = ['report', 'packages', 'bridge', 'nat', 'dhcp', 'persist', 'container'] as const;
export type StepId = (typeof STEP_IDS)[number];

/**
 * done: already as asked, nothing to run; todo: the actions make it so;
 * skipped: not asked for (--no-nat, --no-dhcp, --no-container) or cannot apply here;
 * blocked: cannot be done automatically (the detail says why and what to do).
 */
export type StepStatus = 'done' | 'todo' | 'skipped' | 'blocked';

/** One thing a step does. `display` is the exact, copy-pasteable shell form shown before it runs. */
export type SetupAction =
  | {
      kind: 'run';
      file: string;
      args: string[];
      /** text on the child's stdin (nft scripts) */
      input?: string;
      env?: Record<string, string>;
      timeoutMs: number;
      /** `file` for a child that forks a daemon (dnsmasq); `pipe` streams lines live */
      output: 'pipe' | 'file';
      display: string;
    }
  | { kind: 'mkdir'; path: string; display: string }
  | { kind: 'write'; path: string; content: string; mode: number; display: string }
  /** SIGTERM to a process lxdeck started (a dnsmasq with other arguments), after checking it is still that program */
  | { kind: 'kill'; pid: number; program: string; display: string }
  | { kind: 'create'; name: string; options: Pick<CreateOptions, 'template' | 'bridge' | 'dhcp'>; display: string }
  | { kind: 'start'; name: string; display: string };

export interface SetupStep {
  id: StepId;
  /** its place in {@link STEP_IDS}, from 1: the number shown by `lxdeck setup` and the console (1 report ... 7 container) */
  number: number;
  title: string;
  status: StepStatus;
  /** one or more lines: what was found and what the actions do (or why nothing is needed) */
  detail: string[];
  /** empty unless status is `todo` */
  actions: SetupAction[];
  /** exact commands that undo what this step made (or would make) */
  undo: string[];
}

/** What the user asked for; every field has a default. */
export interface SetupOptions {
  /** bridge name, at most 15 bytes; default lxdeckbr0 */
  bridge?: string;
  /** "A.B.C.0/24" (host part .1 becomes the gateway) or "A.B.C.D/N"; default the remembered one, else the first free /24 from the routing table */
  subnet?: string;
  /** masquerade the bridge's subnet to the uplink with nftables; default true */
  nat?: boolean;
  /** dnsmasq on the bridge; default true */
  dhcp?: boolean;
  /** write and (with systemd as PID 1) enable lxdeck-net-BRIDGE.service; default true */
  persist?: boolean;
  /** install missing packages; default true */
  install?: boolean;
  /** first container's name, or false for none; default `first` */
  container?: string | false;
  /** its template; default busybox */
  template?: string;
  /** lxdeck's nftables table (family ip); default `lxdeck` */
  natTable?: string;
}

/** Defaults filled in. */
export interface ResolvedSetupOptions {
  bridge: string;
  subnet: string | null;
  nat: boolean;
  dhcp: boolean;
  persist: boolean;
  install: boolean;
  container: string | null;
  template: string;
  natTable: string;
}

/** Where setup reads and writes; tests point `root` at a temporary directory. */
export interface SetupDeps {
  runner: Runner;
  /** the host's /proc, /sys, /etc/os-release (checkconfig, /proc/1/comm, ip_forward, dnsmasq's cmdline) */
  fs: HostFs;
  /** the container engine (core/engine.ts Engine) */
  engine: {
    readonly lxcpath: string;
    info(name: string): Promise<ContainerInfo>;
    create(name: string, opts?: CreateOptions): Promise<ContainerInfo>;
    start(name: string): Promise<void>;
  };
  /**
   * the directory standing for `/` for the files setup writes: `etc/systemd/system/lxdeck-net-BRIDGE.service`,
   * `etc/lxdeck/net-BRIDGE.nft`, `run/lxdeck/` (dnsmasq pid), `var/lib/lxdeck/` (leases); default `/`
   */
  root?: string;
}

/** The paths derived from {@link SetupDeps.root}. */
export interface SetupPaths {
  root: string;
  unitDir: string;
  unitFile: string;
  confDir: string;
  nftFile: string;
  runDir: string;
  stateDir: string;
}

export interface SetupPlan {
  options: ResolvedSetupOptions;
  paths: SetupPaths;
  report: CheckReport;
  packageManager: PackageManager | null;
  /** the bridge's address with prefix, e.g. "10.0.3.1/24" (what it has, or will have) */
  gateway: string;
  /** true when systemd is PID 1 (/proc/1/comm), so the unit can be enabled */
  systemd: boolean;
  steps: SetupStep[];
  /** true when every step is done or skipped: running setup changes nothing */
  nothingToDo: boolean;
}

/** A line of live output while a step applies. */
export interface SetupLine {
  step: StepId;
  /** `command`: the action's whole display text (several lines for a heredoc), just before it runs; `info`: setup's own note */
  stream: 'stdout' | 'stderr' | 'command' | 'info';
  line: string;
}

export type StepOutcome = 'applied' | 'already-done' | 'skipped' | 'blocked' | 'declined' | 'failed' | 'not-reached';

export interface SetupResult {
  steps: { id: StepId; title: string; outcome: StepOutcome; error?: { message: string; hint?: string } }[];
  /** true when no step failed or was blocked */
  ok: boolean;
}

/**
 * Shapes shared by the engine, the CLI verbs and the screens.
 * States are LXC's own (lxc_state_t in liblxc's state.c).
 * This module imports nothing: every module may import its shapes without a cycle. The
 * operations on them (the backend seam) are in core/backend.ts.
 */

/** One `lxc.idmap` value. */
export interface IdmapEntry {
  type: 'u' | 'g';
  /** first id inside the container */
  nsid: number;
  /** first id on the host */
  hostid: number;
  count: number;
}

/** Host paths of a container's cgroup directories. */
export interface CgroupPaths {
  /** the v2 cgroup directory, when the host has a v2 mount */
  v2?: string;
  /** v1 controller (or `name=X`) to that hierarchy's cgroup directory */
  v1: Record<string, string>;
}

/** A limit as lxdeck models it: a count (bytes, pids...) or unlimited. */
export type LimitValue = number | 'max';

export interface IoDeviceLimit {
  /** block device number "MAJOR:MINOR", e.g. "8:0" */
  device: string;
  /** read bytes per second */
  rbps?: LimitValue;
  /** write bytes per second */
  wbps?: LimitValue;
  /** read I/O operations per second */
  riops?: LimitValue;
  /** write I/O operations per second */
  wiops?: LimitValue;
}

/** Limits as read back from a container's cgroup; null where the host cannot say. */
export interface AppliedLimits {
  memory: LimitValue | null;
  memorySoft: LimitValue | null;
  /** swap alone; on v1 memsw - memory */
  swap: LimitValue | null;
  /** v1 only: memory.memsw.limit_in_bytes as read (memory + swap) */
  memsw: LimitValue | null;
  /** v2 scale 1..10000 */
  cpuWeight: number | null;
  cpus: number | 'max' | null;
  /** quota and period in microseconds */
  cpuQuota: { quotaUsec: number | 'max'; periodUsec: number } | null;
  /** the configured list; null when unknown or empty (v2: inherits the parent's) */
  cpuset: number[] | null;
  /** what the kernel uses (cpuset.cpus.effective / cpuset.effective_cpus) */
  cpusetEffective: number[] | null;
  /** v2 scale 1..10000 */
  ioWeight: number | null;
  io: IoDeviceLimit[];
  pids: LimitValue | null;
}

export interface ConfigKeyValue {
  /** e.g. `lxc.cgroup2.memory.max`, `lxc.cgroup.memory.limit_in_bytes` */
  key: string;
  value: string;
}

export interface IgnoredKey {
  key: string;
  reason: string;
  /** the key to use instead, where one exists (its value may need translating) */
  replacement?: string;
}

export type CgroupLayoutKind = 'v1' | 'v2' | 'hybrid' | 'none';

/** `lxdeck limits NAME --json`. */
export interface ContainerLimits {
  name: string;
  running: boolean;
  /** the host's cgroup layout */
  layout: CgroupLayoutKind;
  /** the limits in effect, read from the container's cgroups; null when not running */
  applied: AppliedLimits | null;
  /** the cgroup keys saved in its config (lxc.cgroup.*, lxc.cgroup2.*), applied at the next start */
  saved: ConfigKeyValue[];
  /** saved keys this host ignores or refuses (C3) */
  ignored: IgnoredKey[];
}

/** One device node passed into a container. */
export interface DeviceEntry {
  /** the node's path on the host and in the container, e.g. `/dev/loop5` */
  path: string;
  /** `c` character, `b` block */
  type: 'c' | 'b';
  major: number;
  minor: number;
}

/** What `addDevice` and `removeDevice` (core/engine.ts) did. */
export interface DeviceChange {
  device: DeviceEntry;
  /** true when the running container got (or lost) the node at once */
  live: boolean;
  /** the config lines added or removed */
  config: string[];
  messages: string[];
}

export type ContainerState =
  | 'STOPPED'
  | 'STARTING'
  | 'RUNNING'
  | 'STOPPING'
  | 'ABORTING'
  | 'FREEZING'
  | 'FROZEN'
  | 'THAWED'
  /** not LXC's: the row of a host that did not answer (core/hosts, the console's all-hosts view) */
  | 'UNREACHABLE';

export const CONTAINER_STATES: readonly ContainerState[] = [
  'STOPPED',
  'STARTING',
  'RUNNING',
  'STOPPING',
  'ABORTING',
  'FREEZING',
  'FROZEN',
  'THAWED',
];

/** One row of the container list (`lxdeck ls --json` prints an array of these). */
export interface ContainerSummary {
  name: string;
  state: ContainerState;
  /** init's PID on the host; null when the container is not running */
  pid: number | null;
  /** IPv4 addresses seen inside a running container, else the static ones from its config (lxc.net.N.ipv4.address, without prefix) */
  ipv4: string[];
  /** lxc.start.auto = 1 */
  autostart: boolean;
  /** lxc.group values (lxc-autostart -g, lxc-ls -g); optional so older fakes may leave it out */
  groups?: string[];
  /** delete protection (`lxdeck protect NAME on`, kept in the sidecar): destroy refuses until it is off */
  protected?: boolean;
  /** set only on application containers (`lxdeck run`, lxc-execute); system containers leave it out */
  kind?: 'application';
  /** an application container's command */
  command?: string[];
  /** the host the row is from (`local`, a remote's name, `lxd`): set only by the all-hosts views (core/hosts) */
  host?: string;
}

/** One network interface of a container, from lxc.net.N.* keys. */
export interface NetInfo {
  index: number;
  type: string;
  /** lxc.net.N.link: the host bridge */
  link?: string;
  /** lxc.net.N.veth.pair: host side veth name */
  vethPair?: string;
  hwaddr?: string;
  /** lxc.net.N.ipv4.address values, with prefix ("10.0.3.5/24") */
  ipv4: string[];
  ipv4Gateway?: string;
  /** the host-side veth in effect: LXC's name for a running container (lxc-info's Link, checked in /sys/class/net), else lxc.net.N.veth.pair */
  hostVeth?: string;
  /** true when hostVeth exists on the host now */
  hostVethExists?: boolean;
  /** the interface name inside the container: lxc.net.N.name, else ethN (LXC's default order) */
  ifname?: string;
  /** the MAC address inside a running container, read from its sysfs (hwaddr is the config's) */
  hwaddrInEffect?: string;
}

/** A config key this host ignores or refuses (C3), with what to write instead. */
export interface IgnoredConfigKey {
  key: string;
  value: string;
  reason: string;
  /** the key to use instead, where one exists */
  replacement?: string;
  /** the whole replacement line with the value translated (`lxc.cgroup2.memory.max = 2147483648`), where one faithful line exists */
  replacementLine?: string;
}

/** Everything `lxdeck info NAME --json` prints. */
export interface ContainerInfo extends ContainerSummary {
  lxcpath: string;
  configPath: string;
  /** lxc.rootfs.path as written in the config (may carry a "dir:" prefix) */
  rootfs: string | null;
  /** lxc.uts.name */
  hostname: string | null;
  net: NetInfo[];
  /** template that built the rootfs (sidecar file), null when not made by lxdeck */
  template: string | null;
  /** ISO 8601 creation time (sidecar file), null when unknown */
  created: string | null;
  /** lxc.start.order; null when unset (LXC's 0); absent where the backend has no such key (LXD) */
  startOrder?: number | null;
  /** lxc.start.delay in seconds; null when unset (0); absent where the backend has no such key (LXD) */
  startDelay?: number | null;
  /** IPv6 addresses seen inside a running container (lxc-info -i); optional so older fakes may leave it out */
  ipv6?: string[];
  /** the rootfs directory on the host (lxc.rootfs.path without "dir:"); null for other backends */
  rootfsDir?: string | null;
  /** bytes the rootfs takes on disk (du -sx), only when asked for (info(name, {size: true})); null otherwise or when unreadable */
  rootfsBytes?: number | null;
  /** true when the walk stopped early and rootfsBytes is a lower bound */
  rootfsBytesTruncated?: boolean;
  /** true when the container has lxc.idmap entries (root inside is not root on the host) */
  unprivileged?: boolean;
  /** lxc.idmap entries */
  idmap?: IdmapEntry[];
  /** the running container's cgroup directories (from its init's /proc/PID/cgroup); null when not running */
  cgroupPaths?: CgroupPaths | null;
  /** limits in effect (running) and saved in the config (core/stats/resources.ts) */
  limits?: ContainerLimits | null;
  /** config keys this host ignores, with their replacement (C3) */
  ignoredKeys?: IgnoredConfigKey[];
  /** host device nodes the config passes in (lxc.mount.entry binds with their devices allow rule) */
  devices?: DeviceEntry[];
}

/** How `attach` and `console` ran: the argv handed the terminal, and its exit status. */
export interface InteractiveResult {
  argv: string[];
  exitCode: number;
}

/** A step of long work (create, destroy, template run). */
export interface ProgressEvent {
  phase: string;
  /** 0..1 where known */
  fraction?: number;
  /** a log line from the template or tool */
  line?: string;
}

export interface CreateOptions {
  /** template name under templates/ (or `lxc:NAME`); default "busybox" */
  template?: string;
  /**
   * the backing store of the rootfs, as lxc-create -B: `dir` (default: a directory), `loop`
   * (an ext4 image file `<lxcpath>/NAME/rootdev`, lxc.rootfs.path = loop:..., mounted by LXC) or
   * `btrfs` (a subvolume `<lxcpath>/NAME/rootfs`, lxc.rootfs.path = btrfs:...; the lxcpath must be
   * on btrfs and btrfs-progs installed, else E_CONFIG before anything is written) or `lvm` (a thin
   * volume `/dev/VG/NAME` in a thin pool, ext4, lxc.rootfs.path = lvm:...; see core/rootfs/lvm.ts)
   */
  backing?: string;
  /** the size of a `loop` image or `lvm` thin volume: bytes, or a size as typed (U1: 512M, 1G); default 1 GiB as lxc-create's --fssize */
  size?: string | number;
  /** backing `lvm`: the volume group (lxc-create --vgname); default `lxc` as LXC's lxc.bdev.lvm.vg */
  vgname?: string;
  /** backing `lvm`: the thin pool in it (lxc-create --thinpool); default `lxc` as LXC's lxc.bdev.lvm.thin_pool */
  thinpool?: string;
  /** backing `zfs` (only where the zfs program is installed; untested): the parent dataset (lxc-create --zfsroot); default `lxc` as LXC's lxc.bdev.zfs.root */
  zfsroot?: string;
  /** template options (`--option KEY=VALUE`), checked against the template's manifest; passed to its builder as ctx.options */
  options?: Record<string, string>;
  /** bridge for lxc.net.0.link; default the engine's default bridge (lxdeckbr0) */
  bridge?: string;
  /** static IPv4 "A.B.C.D/PREFIX" (a bare address takes the bridge's prefix); default the next free address of the bridge's subnet */
  ipv4?: string;
  /** lxc.net.0.ipv4.gateway "A.B.C.D", inside the --ipv4 subnet; default the bridge's address when the container is on its subnet */
  gateway?: string;
  /** no static address (lxc.net.0.ipv4.address unset): the container asks a DHCP server; excludes ipv4 and gateway */
  dhcp?: boolean;
  /** lxc.net.0.hwaddr "xx:xx:xx:xx:xx:xx" (unicast); default a random 00:16:3e:xx:xx:xx */
  hwaddr?: string;
  /** lxc.net.0.veth.pair: the host-side veth name, at most 15 bytes (IFNAMSIZ, case N2); default derived from the name (vethName) */
  vethPair?: string;
  /** memory limit: bytes, 'max', or a size text per case U1 ("512M", "1GiB", "-1") */
  memory?: string | number | 'max';
  /** swap limit (swap alone, without memory): bytes, 'max', or a size text per case U1; on cgroup v1 needs memory too */
  swap?: string | number | 'max';
  /** CPU bandwidth in CPUs (1.5 = one and a half CPUs of quota per period), 'max', or its text */
  cpus?: string | number | 'max';
  /** CPU weight 1..10000 (cgroup v2 scale, default 100; written as cpu.shares = weight*1024/100 on v1) */
  cpuWeight?: string | number;
  /** true: root in the container is root on the host (no lxc.idmap). Default false: unprivileged with an allocated idmap range */
  privileged?: boolean;
  /**
   * lxc.apparmor.profile: a loaded profile's name, `generated` (LXC makes one), `unconfined`
   * or `unchanged`; `default` or unset writes no key (LXC then uses lxc-container-default-cgns
   * on an AppArmor host). Refused where AppArmor is not enabled (LXC would ignore it).
   */
  apparmorProfile?: string;
  /**
   * lxc.seccomp.profile: `default` or unset keeps LXC's (common.conf's common.seccomp);
   * `none` clears it (no system call filter); else the path of a profile file (version 1 or 2 format)
   */
  seccompProfile?: 'default' | 'none' | (string & {});
  /** start the container once it is made */
  start?: boolean;
  onProgress?: (ev: ProgressEvent) => void;
  /** aborting removes everything the create made (Esc, SIGINT, SIGTERM) */
  signal?: AbortSignal;
}

export interface StopOptions {
  /** skip the clean shutdown: `lxc-stop -k` */
  kill?: boolean;
  /** seconds to wait for a clean shutdown before killing; default 30 */
  timeoutSec?: number;
}

/** One snapshot, as lxc-snapshot keeps it: `<lxcpath>/<name>/snaps/<snap>/` with `ts` and `comment` files. */
export interface SnapshotInfo {
  /** LXC's name for it: snap0, snap1, ... */
  name: string;
  /** creation time as lxc-snapshot wrote it in `ts` ("2026:12:04 23:10:00"), ISO 8601 when it could be read, else null */
  created: string | null;
  /** the text of the `comment` file (lxc-snapshot -c), null when none */
  comment: string | null;
}

export interface CopyOptions {
  /** an overlay (or btrfs) snapshot clone instead of a full copy (lxc-copy -s), where the backing store allows */
  snapshot?: boolean;
  onProgress?: (ev: ProgressEvent) => void;
}

/** Autostart settings of one container: lxc.start.auto, lxc.start.order, lxc.start.delay (seconds), lxc.group. */
export interface AutostartSettings {
  auto: boolean;
  /** lxc.start.order; null when unset (LXC's default 0) */
  order: number | null;
  /** lxc.start.delay in seconds; null when unset */
  delay: number | null;
  groups: string[];
}

/** What `lxdeck autostart --apply` did, as lxc-autostart does: containers in start order. */
export interface AutostartResult {
  started: string[];
  /** already running */
  skipped: string[];
  failed: { name: string; message: string }[];
}


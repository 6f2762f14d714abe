/**
 * Shapes of the checkconfig report: what `lxdeck checkconfig`, its `--json`
 * output and the console's report screen all show.
 */
import type { CgroupLayoutKind } from '../cgroup/layout.js';

/** error: creating or starting a container will fail; warning: something works less well or less safely; info: what this host offers (e.g. backing stores), with how to get more; ok. */
export type Severity = 'error' | 'warning' | 'info' | 'ok';

/** The report's sections, in the order they are shown (lxc-checkconfig's order, plus security, tools and storage). */
export const SECTIONS = ['Namespaces', 'Control groups', 'Networking', 'Security', 'LXC and tools', 'Storage'] as const;
export type SectionName = (typeof SECTIONS)[number];

/**
 * How to fix a finding. Package fields hold package NAMES (space-separated),
 * not commands: `apt: 'lxc'` is shown as `apt-get install lxc`.
 */
export interface Remedy {
  /** Debian and Ubuntu package names */
  apt?: string;
  /** openSUSE and SLES package names */
  zypper?: string;
  /** Fedora, RHEL and derivatives package names */
  dnf?: string;
  /** a command line to run as root (shown as is, never run by the report) */
  command?: string;
  /** a kernel command-line parameter to add (GRUB_CMDLINE_LINUX) */
  kernelParam?: string;
}

/** Machine-readable details of a finding (mount points, bytes free, the kernel option's value...). */
export type Facts = Record<string, string | number | boolean | null | string[]>;

export interface Finding {
  section: SectionName;
  /** stable id for scripts and tests, e.g. `ns.user`, `cgroup.freezer`, `net.veth` */
  id: string;
  /** short label, close to lxc-checkconfig's where it reports the same thing ("User namespace") */
  title: string;
  severity: Severity;
  /** one line: what was found and what it means for containers */
  explanation: string;
  remedy?: Remedy;
  facts?: Facts;
}

/** The package manager a distribution uses; null when /etc/os-release names none we know. */
export type PackageManager = 'apt' | 'zypper' | 'dnf';

export interface Distro {
  /** os-release ID, e.g. `debian`, `opensuse-leap`, `fedora`; null without /etc/os-release */
  id: string | null;
  /** os-release ID_LIKE words */
  idLike: string[];
  /** os-release PRETTY_NAME, or NAME, or null */
  prettyName: string | null;
  packageManager: PackageManager | null;
}

export interface Virtualization {
  /** `container` and `vm` as systemd-detect-virt names them; `none` on bare metal */
  kind: 'none' | 'vm' | 'container';
  /** e.g. `lxc`, `docker`, `qemu`, `kvm`, `vmware`; null when the kind is known but not the product */
  name: string | null;
  /** the file the answer came from, e.g. `/run/systemd/container`, `/proc/cpuinfo`; null for `none` */
  source: string | null;
}

export interface HostSummary {
  distro: Distro;
  /** `uname -r` from /proc/sys/kernel/osrelease; null when unreadable */
  kernelRelease: string | null;
  /** where the kernel config was read, e.g. `/proc/config.gz`; null when none was found */
  kernelConfig: string | null;
  cgroupLayout: CgroupLayoutKind;
  virtualization: Virtualization;
  /** `lxc-start --version`, e.g. `5.0.2`; null when LXC is missing */
  lxcVersion: string | null;
}

export interface CheckReport {
  /** every finding, grouped by section in {@link SECTIONS} order */
  findings: Finding[];
  /** number of findings with severity `error` */
  errors: number;
  /** number of findings with severity `warning` */
  warnings: number;
  host: HostSummary;
}

/**
 * `runCheckconfig`: the whole host report, computed through a HostFs and a
 * Runner so that it runs the same against the real host and fixture trees.
 */
import { detectCgroupLayout, layoutFromMounts, type CgroupLayout } from '../cgroup/layout.js';
import type { Runner } from '../exec/runner.js';
import type { HostFs } from '../host/host-fs.js';
import { parseMountInfo, type MountInfoEntry } from '../host/mountinfo.js';
import { checkCgroups, checkNamespaces, checkNetworking, checkSecurity, checkStorage, checkBackings, checkTools, type CheckContext } from './checks.js';
import { readKernelConfig, readKernelRelease } from './kernel-config.js';
import { detectDistro } from './os-release.js';
import { SECTIONS, type CheckReport, type Finding } from './types.js';
import { detectVirtualization } from './virt.js';

export interface CheckconfigDeps {
  /** the host's root (`new HostFs('/')`), or a fixture tree */
  fs: HostFs;
  /** runs `lxc-start --version` (the only child process of the report) */
  runner: Runner;
  /** where containers live (`/var/lib/lxc`); its free space is measured and its configs checked for ignored cgroup keys */
  lxcpath: string;
  /** the bridge new containers join, e.g. `lxcbr0`; optional */
  bridge?: string;
}

/** Orders findings by section ({@link SECTIONS}), keeping the order within a section, and counts errors and warnings. */
export function summarize(findings: readonly Finding[], host: CheckReport['host']): CheckReport {
  const sorted = SECTIONS.flatMap((s) => findings.filter((f) => f.section === s));
  return {
    findings: sorted,
    errors: sorted.filter((f) => f.severity === 'error').length,
    warnings: sorted.filter((f) => f.severity === 'warning').length,
    host,
  };
}

/**
 * Runs every check of the report. Sources: the kernel config
 * (`/proc/config.gz`, `/boot/config-$(uname -r)`, `/lib/modules/$(uname
 * -r)/build/.config`), /proc/self/ns, /proc/self/mountinfo (cgroup layout,
 * see core/cgroup/layout.ts), cgroupfs, /sys/module, /sys/class/net,
 * /sys/fs/selinux, /etc/os-release, statfs(2) of the lxcpath, and
 * `lxc-start --version`.
 *
 * Never throws for a missing or unreadable source: each becomes a finding
 * (e.g. "cannot read the kernel config", a warning). Findings follow
 * {@link SECTIONS}; `errors` counts findings with which creating or
 * starting a container will fail.
 */
export async function runCheckconfig(deps: CheckconfigDeps): Promise<CheckReport> {
  const { fs } = deps;
  const kernelRelease = readKernelRelease(fs);
  const kconfig = readKernelConfig(fs, kernelRelease); // never throws: null when unreadable
  let mounts: MountInfoEntry[] = [];
  let layout: CgroupLayout | null = null;
  try {
    mounts = parseMountInfo(fs.readText('/proc/self/mountinfo'));
    layout = layoutFromMounts(mounts, fs);
  } catch {
    try {
      layout = detectCgroupLayout(fs);
    } catch {
      layout = null;
    }
  }
  const ctx: CheckContext = {
    fs,
    runner: deps.runner,
    lxcpath: deps.lxcpath,
    bridge: deps.bridge,
    kconfig,
    kernelRelease,
    distro: detectDistro(fs),
    layout,
    mounts,
    virtualization: detectVirtualization(fs),
  };
  const tools = await checkTools(ctx);
  const findings: Finding[] = [
    ...checkNamespaces(ctx),
    ...(await checkCgroups(ctx)),
    ...checkNetworking(ctx),
    ...checkSecurity(ctx),
    ...tools.findings,
    ...(await checkStorage(ctx)),
    ...(await checkBackings(ctx)),
  ];
  return summarize(findings, {
    distro: ctx.distro,
    kernelRelease,
    kernelConfig: kconfig?.source ?? null,
    cgroupLayout: layout?.kind ?? 'none',
    virtualization: ctx.virtualization,
    lxcVersion: tools.lxcVersion,
  });
}

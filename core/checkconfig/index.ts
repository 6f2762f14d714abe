/** The checkconfig report: run it with {@link runCheckconfig}, show it with {@link formatReport}. */
export { runCheckconfig, summarize, type CheckconfigDeps } from './report.js';
export { formatReport, MARKERS, type FormatOptions } from './format.js';
export { remedyLines, detectDistro, parseOsRelease, packageManagerOf } from './os-release.js';
export { parseKernelConfig, readKernelConfig, readKernelRelease, isEnabled, type KernelConfig } from './kernel-config.js';
export { LXC_CVES, cvesAffecting, parseLxcVersion, compareVersions, type LxcCve } from './lxc-version.js';
export { detectVirtualization } from './virt.js';
export { findProgram, isSetuidRoot, isStaticElf } from './programs.js';
export { PROGRAMS, cgroupMountPoints } from './checks.js';
export * from './types.js';

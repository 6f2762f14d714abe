/**
 * The running kernel's build configuration (Kconfig), read the way
 * lxc-checkconfig reads it: `/proc/config.gz` (CONFIG_IKCONFIG_PROC, gzip),
 * else `/boot/config-$(uname -r)`, else `/lib/modules/$(uname -r)/build/.config`.
 * Each is read through a HostFs, so tests point it at fixture trees.
 */
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import type { HostFs } from '../host/host-fs.js';
import { isVanishedError } from '../host/host-fs.js';

/** `y` built in, `m` a module, `n` not set, or a string/number value (`CONFIG_NR_CPUS=64`). */
export type KconfigValue = 'y' | 'm' | 'n' | string;

export interface KernelConfig {
  /** the host path it was read from */
  source: string;
  /** option name (with the CONFIG_ prefix) to value; `# CONFIG_X is not set` gives `n` */
  options: Map<string, KconfigValue>;
  /** the kernel version in the `# Linux/x86 6.1.0 Kernel Configuration` header, or null */
  version: string | null;
}

/**
 * Parses Kconfig text (`CONFIG_X=y`, `CONFIG_X="str"`, `# CONFIG_X is not set`).
 * Quotes around string values are removed. Other lines are ignored.
 */
export function parseKernelConfig(text: string, source = '<text>'): KernelConfig {
  const options = new Map<string, KconfigValue>();
  let version: string | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    let m = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (m) {
      options.set(m[1], m[2].replace(/^"(.*)"$/, '$1'));
      continue;
    }
    m = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/.exec(line);
    if (m) {
      options.set(m[1], 'n');
      continue;
    }
    m = /^# Linux\S* (\d+\.\d+(?:\.\d+)?)\S* Kernel Configuration$/.exec(line);
    if (m && version === null) version = m[1];
  }
  return { source, options, version };
}

/** True when `value` is `y` or `m` (what lxc-checkconfig's `grep "$1=[y|m]"` accepts). */
export function isEnabled(value: KconfigValue | undefined): boolean {
  return value === 'y' || value === 'm';
}

/** Reads a file as bytes through the HostFs root; null when it does not exist. */
function readBytes(fs: HostFs, path: string): Buffer | null {
  try {
    return readFileSync(fs.resolve(path));
  } catch (e) {
    if (isVanishedError(e)) return null;
    throw e;
  }
}

/** The candidate paths, in lxc-checkconfig's order of preference. */
export function kernelConfigCandidates(release: string | null): string[] {
  const c = ['/proc/config.gz'];
  if (release) c.push(`/boot/config-${release}`, `/lib/modules/${release}/build/.config`);
  return c;
}

/**
 * Reads the kernel config of the running kernel (`release` is `uname -r`).
 * A gzip file (magic 1f 8b) is gunzipped whatever its name.
 * @returns the parsed config, or null when no candidate exists or none can be read
 *   (EACCES, a corrupt gzip): the caller reports "cannot read the kernel config".
 */
export function readKernelConfig(fs: HostFs, release: string | null): KernelConfig | null {
  for (const path of kernelConfigCandidates(release)) {
    let buf: Buffer | null;
    try {
      buf = readBytes(fs, path);
    } catch {
      continue;
    }
    if (buf === null) continue;
    try {
      const text = buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b ? gunzipSync(buf).toString('utf8') : buf.toString('utf8');
      const cfg = parseKernelConfig(text, path);
      if (cfg.options.size > 0) return cfg;
    } catch {
      /* a corrupt file: try the next */
    }
  }
  return null;
}

/** `uname -r` of the host, from /proc/sys/kernel/osrelease; null when unreadable. */
export function readKernelRelease(fs: HostFs): string | null {
  try {
    const t = fs.readTextOrNull('/proc/sys/kernel/osrelease');
    return t === null ? null : t.trim() || null;
  } catch {
    return null;
  }
}

/** Major and minor of a kernel release (`6.1.0-18-amd64` gives [6, 1]); null when it does not start with digits. */
export function kernelMajorMinor(release: string | null): [number, number] | null {
  const m = release ? /^(\d+)\.(\d+)/.exec(release) : null;
  return m ? [Number(m[1]), Number(m[2])] : null;
}

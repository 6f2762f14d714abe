/**
 * The security choices of a create: which AppArmor profile and which seccomp
 * profile the container runs under, checked against what the host has.
 *
 * Config keys follow lxc.container.conf(5), "APPARMOR PROFILE" and "SECCOMP
 * CONFIGURATION": `lxc.apparmor.profile` (a loaded profile's name, or
 * `generated`, `unconfined`, `unchanged`; unset, LXC uses
 * lxc-container-default-cgns on an AppArmor host) and `lxc.seccomp.profile`
 * (a file whose first line is the format version 1 or 2 and whose second is
 * the policy type; LXC's common.conf sets /usr/share/lxc/config/common.seccomp,
 * and an empty value clears it).
 *
 * What the host has is read by core/checkconfig's Security checks (the same
 * findings `lxdeck checkconfig` shows), not by a second detector.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { checkSecurity, type CheckContext } from '../checkconfig/checks.js';
import { readKernelConfig, readKernelRelease } from '../checkconfig/kernel-config.js';
import type { Finding } from '../checkconfig/types.js';
import { LxdeckError } from '../errors.js';
import type { Runner } from '../exec/runner.js';
import { HostFs } from '../host/host-fs.js';
import { LxcConfig } from '../lxc/config.js';

/** Where LXC keeps the config every container includes (the same path as create.ts's LXC_COMMON_CONF). */
const COMMON_CONF = '/usr/share/lxc/config/common.conf';

/** The loaded AppArmor profiles, one `NAME (MODE)` a line (securityfs). */
export const APPARMOR_PROFILES_FILE = '/sys/kernel/security/apparmor/profiles';

/** AppArmor values of lxc.apparmor.profile that are not a profile's name (lxc.container.conf(5)). */
export const APPARMOR_KEYWORDS = ['generated', 'unconfined', 'unchanged'] as const;

/** What the host offers for confining containers. */
export interface HostSecurity {
  /** /sys/module/apparmor/parameters/enabled is `Y` (checkconfig's sec.apparmor) */
  apparmor: boolean;
  /** the apparmor_parser program, needed for `generated`; null when missing */
  apparmorParser: string | null;
  /** names of the loaded AppArmor profiles; null when the list cannot be read (no AppArmor, no securityfs) */
  apparmorProfiles: string[] | null;
  /** seccomp filters in the kernel: true, false, or null when it cannot be told (checkconfig's sec.seccomp) */
  seccomp: boolean | null;
  /** the lxc.seccomp.profile LXC's common.conf sets (the default profile); null when it sets none */
  defaultSeccompProfile: string | null;
}

/** A runner that runs nothing: the Security checks never start a process. */
const NO_RUNNER: Runner = {
  run: () => Promise.reject(new Error('detectHostSecurity runs no process')),
};

/**
 * Reads what the host has for confining containers, through core/checkconfig's
 * checkSecurity (AppArmor from /sys/module/apparmor/parameters/enabled and
 * apparmor_parser on the PATH; seccomp from the kernel config and
 * /proc/self/status), plus the loaded profiles ({@link APPARMOR_PROFILES_FILE})
 * and the lxc.seccomp.profile of LXC's common.conf. Never throws: what cannot be
 * read counts as absent (or null where "cannot tell" is a value).
 * @param fs the host's root, or a fixture tree
 */
export function detectHostSecurity(fs: HostFs = new HostFs('/')): HostSecurity {
  const kernelRelease = readKernelRelease(fs);
  const kconfig = readKernelConfig(fs, kernelRelease); // never throws: null when unreadable
  const ctx: CheckContext = {
    fs,
    runner: NO_RUNNER,
    lxcpath: '/var/lib/lxc',
    kconfig,
    kernelRelease,
    distro: { id: null, idLike: [], prettyName: null, packageManager: null },
    layout: null,
    mounts: [],
    virtualization: { kind: 'none', name: null, source: null },
  };
  let findings: Finding[] = [];
  try {
    findings = checkSecurity(ctx);
  } catch {
    findings = [];
  }
  const aa = findings.find((f) => f.id === 'sec.apparmor');
  const sc = findings.find((f) => f.id === 'sec.seccomp');
  const apparmor = aa?.facts?.enabled === true;
  const parser = typeof aa?.facts?.parser === 'string' ? aa.facts.parser : null;
  let seccomp: boolean | null = null;
  if (sc) seccomp = sc.severity === 'ok' ? true : sc.explanation.startsWith('cannot tell') ? null : false;

  let apparmorProfiles: string[] | null = null;
  if (apparmor) {
    const text = safeRead(fs, APPARMOR_PROFILES_FILE);
    if (text !== null) apparmorProfiles = parseApparmorProfiles(text);
  }
  let defaultSeccompProfile: string | null = null;
  const common = safeRead(fs, COMMON_CONF);
  if (common !== null) {
    try {
      defaultSeccompProfile = LxcConfig.parse(common, COMMON_CONF).get('lxc.seccomp.profile') || null;
    } catch {
      defaultSeccompProfile = null;
    }
  }
  return { apparmor, apparmorParser: apparmor ? parser : null, apparmorProfiles, seccomp, defaultSeccompProfile };
}

function safeRead(fs: HostFs, path: string): string | null {
  try {
    return fs.readTextOrNull(path);
  } catch {
    return null;
  }
}

/** Profile names from the AppArmor securityfs `profiles` file (`NAME (MODE)` per line). */
export function parseApparmorProfiles(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/\s+\([a-z]+\)\s*$/, '').trim())
    .filter(Boolean);
}

/**
 * A profile name that is one safe config token: letters, digits and `_ . : / + -`,
 * at most 255 bytes, not starting with `-` or `/` (AppArmor names children `a//b`
 * and namespaces `:ns:name`; no spaces, `#`, `=` or line breaks, which would
 * change the meaning of the config line).
 */
const PROFILE_RE = /^[A-Za-z0-9_.:+][A-Za-z0-9_.:/+-]{0,254}$/;

/** The AppArmor part of a plan: undefined leaves LXC's default (no key written). */
export type ApparmorChoice = string | undefined;

/** The seccomp part of a plan: LXC's default (no key), none (the key cleared), or an absolute file path. */
export type SeccompChoice = { mode: 'default' } | { mode: 'none' } | { mode: 'file'; path: string };

/** Warning for `lxc.apparmor.profile = unconfined`. */
export const UNCONFINED_WARNING =
  'An unconfined container runs without an AppArmor profile: AppArmor no longer stops it from writing /proc and /sys ' +
  'files or mounting what it likes; in a privileged container that is a path to the host.';

/** Warning for no seccomp profile. */
export const SECCOMP_NONE_WARNING =
  "No seccomp profile: the container may call kexec_load, open_by_handle_at, init_module and the other system calls LXC's default profile refuses.";

/**
 * Checks the AppArmor choice (`--apparmor`) for lxc.apparmor.profile.
 * @param value a profile name, `generated`, `unconfined`, `unchanged`, or `default` / undefined (LXC's default)
 * @returns the value to write, or undefined for LXC's default
 * @throws LxdeckError E_INVALID_VALUE for a name that is not a safe token or a profile
 *   the host has not loaded; E_CONFIG when the host has no AppArmor enabled (LXC would
 *   ignore the key, so the container would run unconfined while its config says
 *   otherwise) or when `generated` needs the missing apparmor_parser
 */
export function checkApparmor(value: string | undefined, host: HostSecurity): ApparmorChoice {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (v === '' || v === 'default') return undefined;
  if (!PROFILE_RE.test(v))
    throw new LxdeckError('E_INVALID_VALUE', `AppArmor profile ${JSON.stringify(value)} is not a profile name`, {
      hint: 'letters, digits and _ . : / + - (e.g. lxc-container-default-cgns), or generated, unconfined, unchanged, default',
    });
  if (!host.apparmor)
    throw new LxdeckError('E_CONFIG', `AppArmor is not enabled on this host, so lxc.apparmor.profile = ${v} would be ignored by LXC`, {
      hint: 'leave out --apparmor (or give --apparmor default); to use AppArmor, boot with apparmor=1 security=apparmor and install apparmor (see lxdeck checkconfig)',
    });
  if (v === 'generated' && !host.apparmorParser)
    throw new LxdeckError('E_CONFIG', 'lxc.apparmor.profile = generated needs apparmor_parser, which is not installed', {
      hint: 'apt-get install apparmor (zypper install apparmor-parser), or choose another profile',
    });
  if (!(APPARMOR_KEYWORDS as readonly string[]).includes(v) && host.apparmorProfiles !== null && !host.apparmorProfiles.includes(v))
    throw new LxdeckError('E_INVALID_VALUE', `AppArmor profile ${v} is not loaded on this host`, {
      hint: `load it first (apparmor_parser -r /etc/apparmor.d/...), or choose one of: ${suggestProfiles(host.apparmorProfiles).join(', ')}`,
    });
  return v;
}

function suggestProfiles(loaded: string[]): string[] {
  const lxc = loaded.filter((p) => p.startsWith('lxc-'));
  return [...APPARMOR_KEYWORDS, ...lxc.slice(0, 6)];
}

/**
 * Checks the seccomp choice (`--seccomp`) for lxc.seccomp.profile.
 * @param value `default` / undefined (LXC's default from common.conf), `none`, or a
 *   path to a profile file (relative to `cwd`)
 * @returns the choice; a file path made absolute (LXC reads it from its own working directory)
 * @throws LxdeckError E_INVALID_VALUE when the file does not exist, is not a regular file,
 *   or does not begin with the format version (1 or 2) and a policy type line
 */
export function checkSeccomp(value: string | undefined, cwd = process.cwd()): SeccompChoice {
  if (value === undefined) return { mode: 'default' };
  const v = value.trim();
  if (v === '' || v === 'default') return { mode: 'default' };
  if (v === 'none') return { mode: 'none' };
  if (/[\n\r\0#]/.test(v))
    throw new LxdeckError('E_INVALID_VALUE', `seccomp profile path ${JSON.stringify(value)} holds a line break, NUL or #`, { hint: 'give the path of a profile file, default, or none' });
  const path = isAbsolute(v) ? resolve(v) : resolve(cwd, v);
  const head = readHead(path, value);
  const [version, policy] = head.split('\n').map((l) => l.replace(/#.*$/, '').trim());
  const fmt = 'the first line is the version (1 or 2), the second the policy type (allowlist or denylist in version 2), e.g. "2", "denylist", "mount errno 1"';
  if (version !== '1' && version !== '2')
    throw new LxdeckError('E_INVALID_VALUE', `${path} is not an LXC seccomp profile: its first line is ${JSON.stringify(version ?? '')}, not the version 1 or 2`, { hint: fmt });
  if (!policy || !/^(allowlist|denylist|whitelist|blacklist)\b/.test(policy))
    throw new LxdeckError('E_INVALID_VALUE', `${path} is not an LXC seccomp profile: its second line ${JSON.stringify(policy ?? '')} is not a policy type`, { hint: fmt });
  return { mode: 'file', path };
}

/** The first 4 KiB of a regular file; throws E_INVALID_VALUE when it is missing or not a regular file. */
function readHead(path: string, given: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new LxdeckError('E_INVALID_VALUE', `seccomp profile ${given}: ${code === 'ENOENT' ? 'no such file' : `cannot be read (${code})`}`, {
      hint: 'give the path of an existing profile file, default (LXC\'s common.seccomp) or none',
    });
  }
  try {
    if (!fstatSync(fd).isFile())
      throw new LxdeckError('E_INVALID_VALUE', `seccomp profile ${given} is not a regular file`, { hint: 'give the path of a profile file' });
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * The config lines for the choices (empty when both are LXC's defaults), written
 * after `lxc.include` of common.conf so that they override it.
 */
export function securityConfigLines(apparmor: ApparmorChoice, seccomp: SeccompChoice): string[] {
  const lines: string[] = [];
  if (apparmor !== undefined) lines.push(`lxc.apparmor.profile = ${apparmor}`);
  if (seccomp.mode === 'none') lines.push('# no seccomp filter: an empty value clears the profile common.conf sets', 'lxc.seccomp.profile =');
  if (seccomp.mode === 'file') lines.push(`lxc.seccomp.profile = ${seccomp.path}`);
  return lines.length ? ['', '# security', ...lines] : [];
}

/** The warnings the choices deserve (unconfined AppArmor, no seccomp), for the CLI and the wizard. */
export function securityWarnings(apparmor: ApparmorChoice, seccomp: SeccompChoice): string[] {
  const w: string[] = [];
  if (apparmor === 'unconfined') w.push(UNCONFINED_WARNING);
  if (seccomp.mode === 'none') w.push(SECCOMP_NONE_WARNING);
  return w;
}

/**
 * The distribution, from os-release(5) (`/etc/os-release`, else
 * `/usr/lib/os-release`), and how a remedy is shown for its package manager.
 */
import type { HostFs } from '../host/host-fs.js';
import type { Distro, PackageManager, Remedy } from './types.js';

/** Parses os-release(5) text: `KEY=value` lines, values optionally in single or double quotes. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const m = /^\s*([A-Z0-9_]+)=(.*)$/.exec(raw);
    if (!m) continue;
    let v = m[2].trim();
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1);
    out[m[1]] = v.replace(/\\(["'$`\\])/g, '$1');
  }
  return out;
}

/** The package manager for an os-release ID and ID_LIKE: apt for Debian's family, zypper for SUSE's, dnf for Fedora's and RHEL's. */
export function packageManagerOf(id: string | null, idLike: readonly string[]): PackageManager | null {
  for (const w of [id ?? '', ...idLike]) {
    if (/^(debian|ubuntu|raspbian|linuxmint|pop|elementary|kali|devuan)$/.test(w)) return 'apt';
    if (/^(suse|opensuse|opensuse-leap|opensuse-tumbleweed|opensuse-microos|sles|sled|sle-micro)$/.test(w)) return 'zypper';
    if (/^(fedora|rhel|centos|rocky|almalinux|ol|amzn)$/.test(w)) return 'dnf';
  }
  return null;
}

/**
 * Detects the distribution through `fs`.
 * @returns a Distro with nulls when neither os-release file exists (never throws for a missing file)
 */
export function detectDistro(fs: HostFs): Distro {
  let text: string | null = null;
  for (const p of ['/etc/os-release', '/usr/lib/os-release']) {
    try {
      text = fs.readTextOrNull(p);
    } catch {
      text = null;
    }
    if (text !== null) break;
  }
  if (text === null) return { id: null, idLike: [], prettyName: null, packageManager: null };
  const kv = parseOsRelease(text);
  const id = kv.ID ? kv.ID.toLowerCase() : null;
  const idLike = (kv.ID_LIKE ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  return { id, idLike, prettyName: kv.PRETTY_NAME || kv.NAME || null, packageManager: packageManagerOf(id, idLike) };
}

const INSTALL: Record<PackageManager, string> = { apt: 'apt-get install', zypper: 'zypper install', dnf: 'dnf install' };

/**
 * The lines that show a remedy on this distribution: the install command for
 * its package manager (all three when it is unknown), then the command and
 * the kernel parameter. Returns [] for an empty remedy.
 */
export function remedyLines(remedy: Remedy | undefined, pm: PackageManager | null): string[] {
  if (!remedy) return [];
  const lines: string[] = [];
  const pms: PackageManager[] = pm ? [pm] : ['apt', 'zypper', 'dnf'];
  for (const p of pms) {
    const pkgs = remedy[p];
    if (pkgs) lines.push(`${INSTALL[p]} ${pkgs}`);
  }
  if (remedy.command) lines.push(remedy.command);
  if (remedy.kernelParam) lines.push(`add the kernel parameter: ${remedy.kernelParam}`);
  return lines;
}

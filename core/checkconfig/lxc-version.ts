/**
 * The installed LXC's version and the container-escape and privilege fixes
 * it predates. A distribution may backport a fix without changing the
 * upstream version, so a match is a warning to check, never an error.
 */

export interface LxcCve {
  id: string;
  /** one line: what an attacker gets */
  summary: string;
  /** true when a version is affected */
  affects: (v: readonly number[]) => boolean;
  /** first fixed upstream releases, for the message */
  fixedIn: string;
  /** where the affected and fixed versions were checked */
  source: string;
}

/** Compares dotted versions numerically: negative when a < b, 0 when equal, positive when a > b. */
export function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

const lt = (v: readonly number[], w: number[]) => compareVersions(v, w) < 0;

/**
 * Known LXC vulnerabilities checked by version. Sources:
 *  - CVE-2019-5736: privileged containers could overwrite the host binary
 *    through /proc/self/exe; liblxc re-executes itself from a sealed memfd
 *    since the fix of 2019-02 (brauner.github.io/2019/02/12/privileged-containers.html;
 *    void-linux/void-packages#8561 patches 3.0.3; #12526 notes 3.1.0 is still
 *    vulnerable): fixed in 3.0.4 and 3.2.0.
 *  - CVE-2022-47952: setuid lxc-user-nic "through 5.0.1" reveals whether any
 *    file exists (lxc/lxc#4245): fixed in 5.0.2.
 *  - CVE-2015-1335: a container could mount over host paths through a
 *    symlink race at start (lxc/lxc#674): fixed in 1.1.4 (and 1.0.8).
 */
export const LXC_CVES: readonly LxcCve[] = [
  {
    id: 'CVE-2019-5736',
    summary: 'a privileged container can overwrite the host LXC binary through /proc/self/exe and run code as host root',
    affects: (v) => lt(v, [3, 0, 4]) || (compareVersions(v, [3, 1, 0]) >= 0 && lt(v, [3, 2, 0])),
    fixedIn: '3.0.4, 3.2.0',
    source: 'brauner.github.io/2019/02/12/privileged-containers.html; void-linux/void-packages#8561, #12526',
  },
  {
    id: 'CVE-2022-47952',
    summary: 'the setuid lxc-user-nic lets local users find out whether any file exists',
    affects: (v) => lt(v, [5, 0, 2]),
    fixedIn: '5.0.2',
    source: 'lxc/lxc#4245',
  },
  {
    id: 'CVE-2015-1335',
    summary: 'a container can make LXC mount over host paths through a symlink race at start',
    affects: (v) => lt(v, [1, 0, 8]) || (compareVersions(v, [1, 1, 0]) >= 0 && lt(v, [1, 1, 4])),
    fixedIn: '1.0.8, 1.1.4',
    source: 'lxc/lxc#674',
  },
];

/** Parses `lxc-start --version` output (`5.0.2`, `4.0.12~rc1`, `6.0.0-devel`) into numbers; null when there is no version. */
export function parseLxcVersion(text: string): number[] | null {
  const m = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) return null;
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

/** The CVEs of {@link LXC_CVES} that affect `version`. */
export function cvesAffecting(version: readonly number[]): LxcCve[] {
  return LXC_CVES.filter((c) => c.affects(version));
}

/**
 * The human text of a report, grouped by section like lxc-checkconfig's
 * output. Plain `[ok]` / `[warn]` / `[FAIL]` markers; with `color`, the
 * markers are green, yellow and red (SGR codes, ECMA-48). The caller decides
 * colour (a TTY and no NO_COLOR); nothing here looks at the terminal.
 */
import { remedyLines } from './os-release.js';
import { SECTIONS, type CheckReport, type Severity } from './types.js';

export const MARKERS: Record<Severity, string> = { ok: '[ok]  ', info: '[info]', warning: '[warn]', error: '[FAIL]' };
const SGR: Record<Severity, string> = { ok: '\u001b[32m', info: '\u001b[36m', warning: '\u001b[33m', error: '\u001b[1;31m' };
const RESET = '\u001b[0m';

export interface FormatOptions {
  /** wrap markers in SGR colour codes */
  color?: boolean;
  /** also list findings that are ok (default true) */
  showOk?: boolean;
}

/**
 * The report as text lines (no trailing newline): a host line, then each
 * section with one line per finding (`[warn] Title: explanation`) and, for a
 * warning or error, the remedy for this distribution indented below, then a
 * summary line `N errors, M warnings`.
 */
export function formatReport(report: CheckReport, opts: FormatOptions = {}): string {
  const color = opts.color ?? false;
  const showOk = opts.showOk ?? true;
  const h = report.host;
  const lines: string[] = [];
  const virt = h.virtualization.kind === 'none' ? 'bare metal' : `${h.virtualization.kind}${h.virtualization.name ? ` (${h.virtualization.name})` : ''}`;
  lines.push(
    `Host: ${h.distro.prettyName ?? 'unknown distribution'}, kernel ${h.kernelRelease ?? 'unknown'}` +
      `${h.kernelConfig ? ` (config ${h.kernelConfig})` : ' (no kernel config)'}, cgroup ${h.cgroupLayout}, ${virt}` +
      `${h.lxcVersion ? `, LXC ${h.lxcVersion}` : ''}`,
  );
  for (const s of SECTIONS) {
    const fs = report.findings.filter((f) => f.section === s && (showOk || f.severity !== 'ok'));
    if (fs.length === 0) continue;
    lines.push('', `--- ${s} ---`);
    for (const f of fs) {
      const m = color ? `${SGR[f.severity]}${MARKERS[f.severity]}${RESET}` : MARKERS[f.severity];
      lines.push(`${m} ${f.title}: ${f.explanation}`);
      if (f.severity !== 'ok') for (const r of remedyLines(f.remedy, h.distro.packageManager)) lines.push(`       fix: ${r}`);
    }
  }
  lines.push('', `${report.errors} error${report.errors === 1 ? '' : 's'}, ${report.warnings} warning${report.warnings === 1 ? '' : 's'}`);
  return lines.join('\n');
}

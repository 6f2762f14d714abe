/**
 * The checkconfig report (core/checkconfig): sections like
 * lxc-checkconfig's, each finding with its marker (red for an error:
 * creating or starting a container will fail; yellow for a warning), its
 * explanation, and for errors and warnings the remedy for this distribution.
 * `r` makes the report again. The console opens it at start when the report
 * has errors (src/App.tsx).
 */
import React, { useEffect } from 'react';
import { formatError } from '../../core/errors.js';
import { MARKERS } from '../../core/checkconfig/format.js';
import { remedyLines } from '../../core/checkconfig/os-release.js';
import { SECTIONS, type CheckReport, type Severity } from '../../core/checkconfig/types.js';
import type { ViewLine } from '../../components/LineView.js';
import { ScrollScreen } from './ScrollScreen.js';
import type { ScreenProps } from './types.js';
import type { Action } from '../state/reducer.js';

const COLOR: Record<Severity, string> = { error: 'red', warning: 'yellow', info: 'cyan', ok: 'green' };

/** The report as screen lines: host, counts, then each section's findings with remedies. Pure. */
export function reportLines(report: CheckReport): ViewLine[] {
  const h = report.host;
  const virt = h.virtualization.kind === 'none' ? 'bare metal' : `${h.virtualization.kind}${h.virtualization.name ? ` (${h.virtualization.name})` : ''}`;
  const lines: ViewLine[] = [
    {
      text: `${h.distro.prettyName ?? 'unknown distribution'}, kernel ${h.kernelRelease ?? 'unknown'}, cgroup ${h.cgroupLayout}, ${virt}${h.lxcVersion ? `, LXC ${h.lxcVersion}` : ', no LXC'}`,
      dim: true,
    },
    {
      text: `${report.errors} error${report.errors === 1 ? '' : 's'}, ${report.warnings} warning${report.warnings === 1 ? '' : 's'}${report.errors ? ': creating or starting a container will fail until the errors are fixed' : ''}`,
      color: report.errors ? 'red' : report.warnings ? 'yellow' : 'green',
      bold: true,
    },
  ];
  for (const s of SECTIONS) {
    const fs = report.findings.filter((f) => f.section === s);
    if (fs.length === 0) continue;
    lines.push({ text: '' }, { text: `--- ${s} ---`, bold: true });
    for (const f of fs) {
      lines.push({ text: `${MARKERS[f.severity]} ${f.title}: ${f.explanation}`, color: COLOR[f.severity], bold: f.severity === 'error', dim: f.severity === 'ok', indent: 7 });
      if (f.severity !== 'ok') for (const r of remedyLines(f.remedy, h.distro.packageManager)) lines.push({ text: `       fix: ${r}`, indent: 12 });
    }
  }
  return lines;
}

/** Makes the report through services.checkconfig and stores it in the UI state. */
export async function loadReport(make: (() => Promise<CheckReport>) | undefined, dispatch: (a: Action) => void): Promise<CheckReport | null> {
  if (!make) {
    dispatch({ type: 'status', status: { kind: 'error', message: 'no host report here', hint: 'run lxdeck checkconfig' } });
    return null;
  }
  dispatch({ type: 'report-busy' });
  try {
    const r = await make();
    dispatch({ type: 'report', report: r });
    return r;
  } catch (e) {
    const { message, hint } = formatError(e);
    dispatch({ type: 'report', report: null });
    dispatch({ type: 'status', status: { kind: 'error', message: `cannot make the host report: ${message}`, hint } });
    return null;
  }
}

export function CheckconfigReport(props: ScreenProps): React.JSX.Element {
  const { state, services, dispatch } = props;
  useEffect(() => {
    // every time the screen opens: the host may have changed since the last report (setup made a
    // bridge, a package was installed); the last report stays on screen while the new one is made
    if (!state.reportBusy) void loadReport(services.checkconfig, dispatch);
    // only when the screen opens
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  const lines: ViewLine[] = state.report ? reportLines(state.report) : [{ text: state.reportBusy ? 'checking the host…' : 'no report' }];
  return (
    <ScrollScreen
      {...props}
      title="Host check (checkconfig)"
      lines={lines}
      extra={['refresh']}
      busy={state.reportBusy ? 'checking the host' : null}
      status={state.status}
      onCommand={(id) => {
        if (id === 'refresh' && !props.getState().reportBusy) void loadReport(services.checkconfig, dispatch);
      }}
    />
  );
}

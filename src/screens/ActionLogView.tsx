/**
 * The action log pane: the last actions lxdeck took (from this console or
 * the command line), newest last, each with its time, user, result and the
 * equivalent command line, so an administrator learns the underlying
 * `lxc-*` commands and can audit what was done. `r` reads the log again.
 * It shows the actions of the console's own lxcpath (services.actionLogScope,
 * named in the title); entries from before lxdeck recorded the lxcpath show
 * in `lxdeck log` only.
 */
import React, { useCallback, useEffect, useState } from 'react';
import { formatError } from '../../core/errors.js';
import type { ActionEntry } from '../../core/actionlog/log.js';
import type { ViewLine } from '../../components/LineView.js';
import { ScrollScreen } from './ScrollScreen.js';
import type { ScreenProps } from './types.js';

/** How many entries the pane reads. */
export const LOG_ENTRIES = 200;

/** `2025-01-02T03:04:05.678Z` as `2025-01-02 03:04:05` (UTC, as the log stores it). */
function shortTime(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z').replace(/Z$/, '');
}

/** The entries as screen lines: one heading line each, the command below it; `scope` the lxcpath they are of, for the empty text. Pure. */
export function logLines(entries: readonly ActionEntry[], scope: string | null = null): ViewLine[] {
  if (entries.length === 0)
    return scope === null
      ? [{ text: 'no actions logged yet', dim: true }]
      : [
          { text: `no actions in ${scope} logged yet`, dim: true },
          { text: 'actions logged before lxdeck recorded the lxcpath show in lxdeck log (without --lxcpath)', dim: true },
        ];
  const out: ViewLine[] = [];
  for (const e of entries) {
    const ok = e.result === 'ok';
    const status = ok ? (e.exitStatus !== undefined ? `ok, exit ${e.exitStatus}` : 'ok') : e.result;
    // the heading keeps its columns (two spaces apart) whatever the outcome: a failure's message
    // goes on the lines under it, wrapped there, instead of wrapping the heading with it
    out.push({ text: `${shortTime(e.time)}  ${e.user}  ${e.action}${e.container ? ` ${e.container}` : ''}  ${status}  ${e.durationMs} ms`, color: ok ? undefined : 'red', bold: true, indent: 2 });
    if (!ok && e.message) out.push({ text: `  ${e.message}`, color: 'red', indent: 2 });
    if (e.command) out.push({ text: `  $ ${e.command}`, color: 'cyan', indent: 4 });
  }
  return out;
}

export function ActionLogView(props: ScreenProps): React.JSX.Element {
  const { services } = props;
  const scope = services.actionLogScope ?? null;
  const [entries, setEntries] = useState<ActionEntry[] | null>(null);
  const [error, setError] = useState<{ message: string; hint?: string } | null>(null);
  const load = useCallback(async () => {
    if (!services.recentActions) {
      setEntries([]);
      return;
    }
    try {
      setEntries(await services.recentActions(LOG_ENTRIES, scope === null ? {} : { lxcpath: scope }));
      setError(null);
    } catch (e) {
      const { message, hint } = formatError(e);
      setError({ message: `cannot read the action log: ${message}`, hint: hint ?? 'the log is readable by root only' });
      setEntries([]);
    }
  }, [services, scope]);
  useEffect(() => {
    void load();
  }, [load]);
  const lines = entries === null ? [{ text: 'reading…' }] : logLines(entries, scope);
  return (
    <ScrollScreen
      key={entries === null ? 'loading' : 'loaded'}
      {...props}
      title={`Action log of ${scope ?? 'every lxcpath'} (last ${LOG_ENTRIES}, newest last)`}
      lines={lines}
      extra={['refresh']}
      startAtEnd
      status={error ? { kind: 'error', ...error } : null}
      onCommand={(id) => {
        if (id === 'refresh') void load();
      }}
    />
  );
}

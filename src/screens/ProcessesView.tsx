/**
 * The processes view, like lxc-ps: the processes in the container's cgroup
 * with host PID, PID inside the container, user, state, CPU % (between two
 * reads), RSS and command line, read again every `services.psRefreshMs`
 * (2 s). `t` sends SIGTERM and `h` SIGHUP to the selected process; `K`
 * sends SIGKILL after a y/n question.
 */
import React, { useCallback, useEffect, useRef, useState } from 'react';
import { Box } from 'ink';
import type { Key } from 'ink';
import { formatError } from '../../core/errors.js';
import { formatBytes } from '../../core/units.js';
import { withCpuPercent, type ProcessInfo, type ProcessSnapshot } from '../../core/ps/procs.js';
import { Frame, frameBodyHeight } from '../../components/Frame.js';
import { Table, type Column } from '../../components/Table.js';
import { Dialog, dialogHeight, type DialogLine } from '../../components/Dialog.js';
import type { Status } from '../../components/StatusLine.js';
import { PROCESS_COMMANDS, YES_NO_COMMANDS, commandFor, hintsFor } from '../keymap.js';
import { useKeys } from '../hooks/use-keys.js';
import { scrollTop } from '../state/reducer.js';
import type { ScreenProps } from './types.js';

/** Default refresh of the processes view in ms. */
export const PS_REFRESH_MS = 2000;

export const PROCESS_COLUMNS: readonly Column<ProcessInfo>[] = [
  { key: 'pid', header: 'PID', minWidth: 3, align: 'right', value: (p) => String(p.pid) },
  { key: 'nspid', header: 'CT-PID', minWidth: 3, align: 'right', value: (p) => (p.nspid === null ? '-' : String(p.nspid)) },
  { key: 'user', header: 'USER', minWidth: 4, maxWidth: 12, value: (p) => p.user },
  { key: 'state', header: 'S', width: 1, value: (p) => p.state },
  { key: 'cpu', header: 'CPU%', width: 5, align: 'right', value: (p) => (p.cpuPercent === null ? '-' : p.cpuPercent.toFixed(1)) },
  { key: 'rss', header: 'RSS', minWidth: 3, align: 'right', value: (p) => formatBytes(p.rssBytes) },
  { key: 'command', header: 'COMMAND', minWidth: 7, value: (p) => p.command },
];

export function ProcessesView(props: ScreenProps & { name: string }): React.JSX.Element {
  const { engine, name, width, height, theme, services, dispatch, onQuit } = props;
  const refreshMs = services.psRefreshMs ?? PS_REFRESH_MS;
  const [procs, setProcs] = useState<ProcessInfo[] | null>(null);
  const [selPid, setSelPid] = useState<number | null>(null);
  const [top, setTop] = useState(0);
  const [status, setStatus] = useState<Status | null>(null);
  const [confirmKill, setConfirmKill] = useState<ProcessInfo | null>(null);
  const last = useRef<ProcessSnapshot | null>(null);
  const reading = useRef(false);
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );

  const read = useCallback(async () => {
    if (reading.current) return;
    reading.current = true;
    try {
      let list: ProcessInfo[];
      if (engine.psSnapshot) {
        const snap = await engine.psSnapshot(name);
        list = last.current ? withCpuPercent(last.current, snap) : snap.processes;
        last.current = snap;
      } else if (engine.ps) {
        list = await engine.ps(name);
      } else {
        throw new Error('this engine cannot list processes');
      }
      if (!mounted.current) return;
      setProcs(list);
      setStatus((s) => (s?.kind === 'error' && s.message.startsWith('cannot list') ? null : s));
    } catch (e) {
      if (!mounted.current) return;
      const { message, hint } = formatError(e);
      setStatus({ kind: 'error', message: `cannot list the processes of ${name}: ${message}`, hint });
      setProcs((p) => p ?? []);
    } finally {
      reading.current = false;
    }
  }, [engine, name]);

  useEffect(() => {
    void read();
    if (refreshMs <= 0) return undefined;
    const t = setInterval(() => void read(), refreshMs);
    return () => clearInterval(t);
  }, [read, refreshMs]);

  const rows = procs ?? [];
  let selected = rows.findIndex((p) => p.pid === selPid);
  if (selected < 0 && rows.length) selected = 0;

  const send = (p: ProcessInfo, signal: string): void => {
    if (!engine.kill) {
      setStatus({ kind: 'error', message: 'this engine cannot send signals' });
      return;
    }
    engine.kill(name, p.pid, signal).then(
      () => {
        if (!mounted.current) return;
        setStatus({ kind: 'ok', message: `sent SIG${signal} to ${p.pid} (${p.command})` });
        void read();
      },
      (e: unknown) => {
        if (mounted.current) setStatus({ kind: 'error', ...formatError(e) });
      },
    );
  };

  const hints = confirmKill ? hintsFor(YES_NO_COMMANDS, theme.ascii) : hintsFor(PROCESS_COMMANDS, theme.ascii);
  const body = frameBodyHeight(height, width, hints, theme.ascii);
  let dialog: React.JSX.Element | null = null;
  let dialogLines = 0;
  if (confirmKill) {
    const title = `Send SIGKILL to ${confirmKill.pid}?`;
    const dl: DialogLine[] = [
      { text: confirmKill.command },
      { text: 'SIGKILL cannot be caught: the process ends at once without cleaning up.' },
      { text: 'y: kill it; n or Esc: keep it', color: 'yellow' },
    ];
    dialog = <Dialog title={title} lines={dl} width={width} theme={theme} accent="red" />;
    dialogLines = dialogHeight(title, dl, width, theme.ascii);
  }
  const tableRows = Math.max(1, body - 2 - dialogLines);
  const t = scrollTop(top, selected, tableRows, rows.length);

  useKeys((input: string, key: Key) => {
    if (confirmKill) {
      const c = commandFor(YES_NO_COMMANDS, input, key);
      if (c?.id === 'yes') {
        const p = confirmKill;
        setConfirmKill(null);
        send(p, 'KILL');
      } else if (c?.id === 'no') setConfirmKill(null);
      return;
    }
    const c = commandFor(PROCESS_COMMANDS, input, key);
    if (!c) return;
    const move = (to: number): void => {
      if (!rows.length) return;
      const i = Math.max(0, Math.min(rows.length - 1, to));
      setSelPid(rows[i].pid);
      setTop(scrollTop(t, i, tableRows, rows.length));
    };
    const sel = selected >= 0 ? rows[selected] : undefined;
    switch (c.id) {
      case 'up':
        return move(selected - 1);
      case 'down':
        return move(selected + 1);
      case 'pageUp':
        return move(selected - tableRows);
      case 'pageDown':
        return move(selected + tableRows);
      case 'home':
        return move(0);
      case 'end':
        return move(rows.length - 1);
      case 'refresh':
        void read();
        return;
      case 'back':
        dispatch({ type: 'pop' });
        return;
      case 'quit':
        onQuit();
        return false;
      case 'term':
      case 'hup':
      case 'kill':
        if (!sel) {
          setStatus({ kind: 'info', message: 'no process selected' });
          return;
        }
        if (c.id === 'kill') setConfirmKill(sel);
        else send(sel, c.id === 'term' ? 'TERM' : 'HUP');
        return;
      default:
        return;
    }
  }, true, props.takePendingKeys);

  const count = procs === null ? '' : `${rows.length} process${rows.length === 1 ? '' : 'es'}`;
  return (
    <Frame title={`Processes of ${name}`} right={count} width={width} height={height} theme={theme} status={status} hints={hints}>
      <Box flexDirection="column" width={width} height={body}>
        <Table
          columns={PROCESS_COLUMNS}
          rows={rows}
          rowKey={(p) => String(p.pid)}
          selected={selected}
          top={t}
          height={tableRows}
          width={width}
          theme={theme}
          empty={procs === null ? 'reading…' : 'no processes'}
        />
        {dialog}
      </Box>
    </Frame>
  );
}

/**
 * The processes view, like lxc-ps: the processes in the container's cgroup
 * with host PID, PID inside the container, user, state, CPU % (between two
 * reads), RSS and command line, read again every `services.psRefreshMs`
 * (2 s). `t` (SIGTERM), `h` (SIGHUP) and `K` (SIGKILL) each ask a y/n
 * question naming the PID and command first, so a wrong row never gets a
 * signal by a slip of the finger.
 *
 * The selection and scroll position live in refs beside the state: several
 * keys in one read (`jjj`, Down Down: useKeys splits them) each see where the
 * one before moved, though React has not rendered in between.
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
import { PROCESS_COMMANDS, YES_NO_COMMANDS, commandFor, quitHow, hintsFor, offeredHints, refusalOf } from '../keymap.js';
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

type SignalName = 'TERM' | 'HUP' | 'KILL';

/** A signal waiting for its y/n answer, and the process it goes to. */
interface PendingSignal {
  p: ProcessInfo;
  signal: SignalName;
}

/** What each signal does, under the question (signal(7)). */
const SIGNAL_NOTE: Record<SignalName, string> = {
  TERM: 'SIGTERM asks the process to end; it may clean up first or ignore it.',
  HUP: 'SIGHUP: daemons usually read their configuration again; other programs end.',
  KILL: 'SIGKILL cannot be caught: the process ends at once without cleaning up.',
};

/**
 * The row of `pid` in `rows`; when that process is gone (or none was chosen),
 * the row at `index` clamped into the list, so the cursor always marks a row
 * while there is one. -1 for an empty list.
 */
export function selectedIndex(rows: readonly ProcessInfo[], pid: number | null, index: number): number {
  if (!rows.length) return -1;
  const at = pid === null ? -1 : rows.findIndex((p) => p.pid === pid);
  return at >= 0 ? at : Math.max(0, Math.min(rows.length - 1, index));
}

export function ProcessesView(props: ScreenProps & { name: string }): React.JSX.Element {
  const { engine, name, width, height, theme, services, dispatch, onQuit } = props;
  const refreshMs = services.psRefreshMs ?? PS_REFRESH_MS;
  const [procs, setProcs] = useState<ProcessInfo[] | null>(null);
  const [selPid, setSelPidState] = useState<number | null>(null);
  const [top, setTopState] = useState(0);
  const [status, setStatus] = useState<Status | null>(null);
  const [confirm, setConfirmState] = useState<PendingSignal | null>(null);
  // the same as the state, updated at once (keys of one read act before React renders)
  const selRef = useRef<{ pid: number | null; index: number }>({ pid: null, index: 0 });
  const topRef = useRef(0);
  const confirmRef = useRef<PendingSignal | null>(null);
  const setSel = (pid: number, index: number): void => {
    selRef.current = { pid, index };
    setSelPidState(pid);
  };
  const setTop = (t: number): void => {
    topRef.current = t;
    setTopState(t);
  };
  const setConfirm = (c: PendingSignal | null): void => {
    confirmRef.current = c;
    setConfirmState(c);
  };
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
  const selected = selectedIndex(rows, selPid, selRef.current.index);

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

  const cmdCtx = { readOnly: props.readOnly ?? false, engine };
  const hints = confirm ? hintsFor(YES_NO_COMMANDS, theme.ascii) : offeredHints(PROCESS_COMMANDS, cmdCtx, theme.ascii);
  const body = frameBodyHeight(height, width, hints, theme.ascii);
  let dialog: React.JSX.Element | null = null;
  let dialogLines = 0;
  if (confirm) {
    const title = `send ${confirm.signal} to PID ${confirm.p.pid} (${confirm.p.command})? y/n`;
    const dl: DialogLine[] = [{ text: SIGNAL_NOTE[confirm.signal] }, { text: `y: send SIG${confirm.signal}; n or Esc: keep it`, color: 'yellow' }];
    dialog = <Dialog title={title} lines={dl} width={width} theme={theme} accent={confirm.signal === 'KILL' ? 'red' : 'yellow'} />;
    dialogLines = dialogHeight(title, dl, width, theme.ascii);
  }
  const tableRows = Math.max(1, body - 2 - dialogLines);
  const t = scrollTop(top, selected, tableRows, rows.length);

  useKeys((input: string, key: Key) => {
    const pending = confirmRef.current;
    if (pending) {
      const c = commandFor(YES_NO_COMMANDS, input, key);
      if (c?.id === 'yes') {
        setConfirm(null);
        send(pending.p, pending.signal);
      } else if (c?.id === 'no') setConfirm(null);
      return;
    }
    const c = commandFor(PROCESS_COMMANDS, input, key);
    if (!c) return;
    const no = refusalOf(c, cmdCtx);
    if (no) {
      setStatus({ kind: 'error', ...no });
      return;
    }
    // where the keys before this one (in the same read) left the selection
    const list = rows;
    const cur = selectedIndex(list, selRef.current.pid, selRef.current.index);
    const curTop = scrollTop(topRef.current, cur, tableRows, list.length);
    const move = (to: number): void => {
      if (!list.length) return;
      const i = Math.max(0, Math.min(list.length - 1, to));
      setSel(list[i].pid, i);
      setTop(scrollTop(curTop, i, tableRows, list.length));
    };
    const sel = cur >= 0 ? list[cur] : undefined;
    switch (c.id) {
      case 'up':
        return move(cur - 1);
      case 'down':
        return move(cur + 1);
      case 'pageUp':
        return move(cur - tableRows);
      case 'pageDown':
        return move(cur + tableRows);
      case 'home':
        return move(0);
      case 'end':
        return move(list.length - 1);
      case 'refresh':
        void read();
        return;
      case 'back':
        dispatch({ type: 'pop' });
        return;
      case 'quit':
        onQuit(quitHow(input, key));
        return false;
      case 'term':
      case 'hup':
      case 'kill':
        if (!sel) {
          setStatus({ kind: 'info', message: 'no process selected' });
          return;
        }
        setStatus(null); // the last signal's outcome is not this question's
        setConfirm({ p: sel, signal: c.id === 'kill' ? 'KILL' : c.id === 'term' ? 'TERM' : 'HUP' });
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

/**
 * The top screen, like lxc-top: every running container with CPU % (of one
 * CPU), memory used / limit, block I/O and network rates, pids; sorted by
 * any column (lxc-top's keys: n name, c CPU, b block I/O, m memory; plus e
 * network, p pids; r reverses). Reads the shared stats store, so it redraws
 * once per pass and starts no sampler of its own. A container that stops
 * leaves the screen quietly (S2).
 */
import React, { useState } from 'react';
import { Box, Text } from 'ink';
import type { Key } from 'ink';
import type { StatsSample } from '../../core/stats/types.js';
import { sortSamples, type StatsSortKey } from '../../core/stats/format.js';
import { Frame, frameBodyHeight } from '../../components/Frame.js';
import { Table, type Column } from '../../components/Table.js';
import type { Status } from '../../components/StatusLine.js';
import { fitToWidth } from '../../components/text.js';
import { TOP_COMMANDS, commandFor, quitHow, offeredHints, refusalOf, type TopCommandId } from '../keymap.js';
import { useKeys } from '../hooks/use-keys.js';
import { markRender } from '../console/frame-log.js';
import { useStatsSelector } from '../hooks/use-stats.js';
import type { StatsSnapshot } from '../state/stats-store.js';
import { scrollTop } from '../state/reducer.js';
import { compactBytes, cpuText, limitText, rateText } from './stats-format.js';
import type { ScreenProps } from './types.js';

const SORT_OF: Partial<Record<TopCommandId, StatsSortKey>> = {
  sortName: 'name',
  sortCpu: 'cpu',
  sortMem: 'mem',
  sortIo: 'io',
  sortNet: 'net',
  sortPids: 'pids',
};

const ARROW = { unicode: { down: '▼', up: '▲' }, ascii: { down: 'v', up: '^' } };

/**
 * The running samples in display order: sorted by `key` (name ascending,
 * the others largest first, ties by name), reversed when `reverse`. Pure.
 */
export function topRows(samples: Iterable<StatsSample>, key: StatsSortKey, reverse: boolean): StatsSample[] {
  const rows = sortSamples(
    [...samples].filter((s) => s.state !== 'STOPPED'),
    key,
  );
  return reverse ? rows.reverse() : rows;
}

/** Columns of the top screen; I/O and network read/write shown as two columns each from 96 cells, one combined below. */
export function topColumns(width: number, sort: StatsSortKey, reverse: boolean, ascii: boolean): Column<StatsSample>[] {
  const a = ascii ? ARROW.ascii : ARROW.unicode;
  const mark = (k: StatsSortKey, h: string): string => (k === sort ? `${h}${(k === 'name') !== reverse ? a.up : a.down}` : h);
  const cols: Column<StatsSample>[] = [
    { key: 'name', header: mark('name', 'NAME'), minWidth: 8, value: (s) => s.name },
    { key: 'cpu', header: mark('cpu', 'CPU%'), width: 6, align: 'right', value: (s) => cpuText(s) },
    { key: 'mem', header: mark('mem', 'MEM'), minWidth: 5, maxWidth: 7, align: 'right', value: (s) => compactBytes(s.memory.used) },
    { key: 'lim', header: 'LIMIT', minWidth: 5, maxWidth: 9, align: 'right', value: (s) => limitText(s.memory.limit) },
  ];
  if (width >= 96) {
    cols.push({ key: 'rd', header: mark('io', 'IO READ'), minWidth: 7, align: 'right', value: (s) => rateText(s.blkio.readBps) });
    cols.push({ key: 'wr', header: 'IO WRITE', minWidth: 8, align: 'right', value: (s) => rateText(s.blkio.writeBps) });
    cols.push({ key: 'rx', header: mark('net', 'NET RX'), minWidth: 6, align: 'right', value: (s) => (s.net ? rateText(s.net.rxBps) : '-') });
    cols.push({ key: 'tx', header: 'NET TX', minWidth: 6, align: 'right', value: (s) => (s.net ? rateText(s.net.txBps) : '-') });
  } else {
    const sum = (x: number | null | undefined, y: number | null | undefined): number | null => (x === null || x === undefined) && (y === null || y === undefined) ? null : (x ?? 0) + (y ?? 0);
    cols.push({ key: 'io', header: mark('io', 'IO R+W'), minWidth: 7, align: 'right', value: (s) => rateText(sum(s.blkio.readBps, s.blkio.writeBps)) });
    cols.push({ key: 'net', header: mark('net', 'NET RX+TX'), minWidth: 7, align: 'right', value: (s) => (s.net ? rateText(sum(s.net.rxBps, s.net.txBps)) : '-') });
  }
  cols.push({ key: 'pids', header: mark('pids', 'PIDS'), minWidth: 4, align: 'right', value: (s) => (s.pids.current === null ? '-' : String(s.pids.current)) });
  if (width >= 72) cols.push({ key: 'state', header: 'STATE', minWidth: 6, maxWidth: 8, value: (s) => s.state });
  return cols;
}

const NO_SNAPSHOT: StatsSnapshot = { version: 0, pass: null, latest: new Map(), error: null };

/**
 * Every figure the screen draws from a snapshot, as one string: a pass that
 * changes none of them (idle containers) costs no render. Pure.
 */
export function topSignature(snap: StatsSnapshot): string {
  const parts: string[] = [snap.pass ? `${snap.pass.host.cpus} ${snap.pass.host.memoryBytes}` : '-', snap.error?.message ?? ''];
  for (const x of snap.latest.values()) {
    if (x.state === 'STOPPED') continue;
    parts.push(`${x.name} ${x.state} ${cpuText(x)} ${compactBytes(x.memory.used)} ${limitText(x.memory.limit)} ${rateText(x.blkio.readBps)} ${rateText(x.blkio.writeBps)} ${x.net ? `${rateText(x.net.rxBps)} ${rateText(x.net.txBps)}` : '-'} ${x.pids.current ?? '-'}`);
  }
  return parts.join('\n');
}

const same = (a: string, b: string): boolean => a === b;

export function TopView(props: ScreenProps): React.JSX.Element {
  markRender();
  const { width, height, theme, dispatch, onQuit } = props;
  // redrawn when a figure on screen changes; the data then comes from the snapshot itself
  useStatsSelector(props.stats, topSignature, same);
  const snap = props.stats ? props.stats.getSnapshot() : NO_SNAPSHOT;
  const [sort, setSort] = useState<StatsSortKey>('cpu');
  const [reverse, setReverse] = useState(false);
  const [selName, setSelName] = useState<string | null>(null);
  const [top, setTop] = useState(0);
  const [status, setStatus] = useState<Status | null>(null);

  const rows = topRows(snap.latest.values(), sort, reverse);
  const cmdCtx = { readOnly: props.readOnly ?? false, engine: props.engine };
  const hints = offeredHints(TOP_COMMANDS, cmdCtx, theme.ascii);
  const body = frameBodyHeight(height, width, hints, theme.ascii);
  const page = Math.max(1, body - 3);
  let sel = selName === null ? 0 : rows.findIndex((r) => r.name === selName);
  if (sel < 0) sel = 0; // the selected container stopped: the first row
  if (rows.length === 0) sel = -1;
  const t = scrollTop(top, sel, page, rows.length);

  useKeys((input: string, key: Key) => {
    const c = commandFor(TOP_COMMANDS, input, key);
    if (!c) return;
    const no = refusalOf(c, cmdCtx);
    if (no) {
      setStatus({ kind: 'error', ...no });
      return;
    }
    const move = (to: number): void => {
      if (rows.length === 0) return;
      const i = Math.max(0, Math.min(rows.length - 1, to));
      setSelName(rows[i].name);
      setTop((x) => scrollTop(x, i, page, rows.length));
    };
    const sortKey = SORT_OF[c.id];
    if (sortKey) {
      setSort(sortKey);
      setReverse(false);
      return;
    }
    switch (c.id) {
      case 'up':
        return move(sel - 1);
      case 'down':
        return move(sel + 1);
      case 'pageUp':
        return move(sel - page);
      case 'pageDown':
        return move(sel + page);
      case 'home':
        return move(0);
      case 'end':
        return move(rows.length - 1);
      case 'reverse':
        setReverse((r) => !r);
        return;
      case 'stats':
      case 'limits':
        if (sel < 0) {
          setStatus({ kind: 'info', message: 'no running container' });
          return;
        }
        dispatch({ type: 'push', screen: { kind: c.id, name: rows[sel].name } });
        return;
      case 'back':
        dispatch({ type: 'pop' });
        return;
      case 'quit':
        onQuit(quitHow(input, key));
        return false;
      default:
        return;
    }
  }, true, props.takePendingKeys);

  const pass = snap.pass;
  const totalCpu = rows.reduce((a, s) => a + (s.cpu.percent ?? 0), 0);
  const totalMem = rows.reduce((a, s) => a + (s.memory.used ?? 0), 0);
  const right = pass ? `${rows.length} running, ${pass.host.cpus} CPUs` : '';
  const summary = pass
    ? `all: CPU ${totalCpu.toFixed(1)}% of one CPU (${pass.host.cpus > 0 ? (totalCpu / pass.host.cpus).toFixed(1) : '-'}% of the host), memory ${compactBytes(totalMem)}${pass.host.memoryBytes ? ` of ${compactBytes(pass.host.memoryBytes)}` : ''}`
    : props.stats
      ? `waiting for the first stats pass${theme.ascii ? '...' : '…'}`
      : 'live stats are not available with this engine';
  const err = snap.error ? { kind: 'error' as const, message: `live stats stopped: ${snap.error.message}`, hint: snap.error.hint } : null;

  return (
    <Frame title="top: running containers" right={right} width={width} height={height} theme={theme} status={err ?? status} hints={hints}>
      <Box flexDirection="column" width={width} height={body}>
        <Box height={1} width={width} overflow="hidden">
          <Text wrap="truncate" dimColor={theme.color}>
            {fitToWidth(summary, width)}
          </Text>
        </Box>
        <Table
          columns={topColumns(width, sort, reverse, theme.ascii)}
          rows={rows}
          rowKey={(s) => s.name}
          selected={sel}
          top={t}
          height={Math.max(0, body - 3)}
          width={width}
          theme={theme}
          empty={pass ? 'no running container' : ''}
        />
      </Box>
    </Frame>
  );
}

/**
 * Live stats of one container: a sparkline of the recent history (the stats
 * store's ring, 60 passes by default) for CPU, memory, block I/O read and
 * write, network received and sent, and pids, with the current value beside
 * each; pressure (PSI) where the kernel has it. Reads the shared stats store:
 * redraws once per pass, starts no sampler of its own. `L` opens the
 * resource sliders, `p` the processes.
 */
import React, { useState } from 'react';
import { Box, Text } from 'ink';
import type { Key } from 'ink';
import type { Psi, StatsSample } from '../../core/stats/types.js';
import type { Status } from '../../components/StatusLine.js';
import { Frame, frameBodyHeight } from '../../components/Frame.js';
import { Sparkline } from '../../components/Sparkline.js';
import { fitToWidth } from '../../components/text.js';
import { STATS_VIEW_COMMANDS, commandFor, quitHow, offeredHints, refusalOf } from '../keymap.js';
import { useKeys } from '../hooks/use-keys.js';
import { useStats } from '../hooks/use-stats.js';
import { compactBytes, limitText, rateText } from './stats-format.js';
import type { ScreenProps } from './types.js';

/** Cells of the label column. */
const LABEL = 10;

interface Row {
  label: string;
  values: (number | null)[];
  value: string;
  /** sparkline scale floor, so noise does not fill the line */
  minMax: number;
  max?: number;
  color: string;
}

const live = (s: StatsSample): boolean => s.state !== 'STOPPED';

/** The rows of the view for a history (oldest first); the last sample gives the values. Pure; exported for tests. */
export function statsRowsOf(history: readonly StatsSample[]): Row[] {
  const last = history.at(-1);
  const pick = (f: (s: StatsSample) => number | null | undefined): (number | null)[] => history.map((s) => (live(s) ? (f(s) ?? null) : null));
  const cpu = last?.cpu;
  const mem = last?.memory;
  const cpuValue =
    !last || !live(last) || cpu!.percent === null
      ? '-'
      : `${cpu!.percent.toFixed(1)}% of one CPU` + (cpu!.limitCpus !== null ? `, ${Number(cpu!.limitCpus.toFixed(2))} allowed` : '');
  const memValue =
    !last || !live(last) || mem!.used === null
      ? '-'
      : `${compactBytes(mem!.used)} of ${limitText(mem!.limit)}${mem!.percent !== null && mem!.percentOf === 'limit' ? ` (${mem!.percent.toFixed(0)}%)` : ''}, cache ${compactBytes(mem!.cache)}`;
  return [
    { label: 'CPU', values: pick((s) => s.cpu.percent), value: cpuValue, minMax: 10, color: 'green' },
    { label: 'memory', values: pick((s) => s.memory.used), value: memValue, minMax: 1 << 20, max: typeof mem?.limit === 'number' ? mem.limit : undefined, color: 'magenta' },
    { label: 'swap', values: pick((s) => s.memory.swap), value: last && live(last) ? compactBytes(last.memory.swap) : '-', minMax: 1 << 20, color: 'magenta' },
    { label: 'I/O read', values: pick((s) => s.blkio.readBps), value: last && live(last) ? rateText(last.blkio.readBps) : '-', minMax: 1024, color: 'yellow' },
    { label: 'I/O write', values: pick((s) => s.blkio.writeBps), value: last && live(last) ? rateText(last.blkio.writeBps) : '-', minMax: 1024, color: 'yellow' },
    { label: 'net rx', values: pick((s) => s.net?.rxBps), value: last && live(last) ? (last.net ? rateText(last.net.rxBps) : 'no network') : '-', minMax: 1024, color: 'cyan' },
    { label: 'net tx', values: pick((s) => s.net?.txBps), value: last && live(last) ? (last.net ? rateText(last.net.txBps) : 'no network') : '-', minMax: 1024, color: 'cyan' },
    {
      label: 'pids',
      values: pick((s) => s.pids.current),
      value: last && live(last) && last.pids.current !== null ? `${last.pids.current} of ${last.pids.limit === 'max' ? 'unlimited' : (last.pids.limit ?? '?')}` : '-',
      minMax: 4,
      color: 'blue',
    },
  ];
}

const psiText = (p: Psi | null): string => (p === null ? '-' : `${p.some.avg10.toFixed(1)}%`);

export function StatsView(props: ScreenProps & { name: string }): React.JSX.Element {
  const { name, width, height, theme, dispatch, onQuit, state } = props;
  const snap = useStats(props.stats);
  const history = props.stats ? props.stats.history(name) : [];
  const last = snap.latest.get(name);
  const cmdCtx = { readOnly: props.readOnly ?? false, engine: props.engine };
  const hints = offeredHints(STATS_VIEW_COMMANDS, cmdCtx, theme.ascii);
  const body = frameBodyHeight(height, width, hints, theme.ascii);
  const [refused, setRefused] = useState<Status | null>(null);

  useKeys((input: string, key: Key) => {
    const c = commandFor(STATS_VIEW_COMMANDS, input, key);
    if (!c) return;
    const no = refusalOf(c, cmdCtx);
    if (no) {
      setRefused({ kind: 'error', ...no });
      return;
    }
    switch (c.id) {
      case 'limits':
        dispatch({ type: 'push', screen: { kind: 'limits', name } });
        return;
      case 'processes':
        if (!last || last.state === 'STOPPED') return;
        dispatch({ type: 'push', screen: { kind: 'processes', name } });
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

  const rows = statsRowsOf(history);
  const valueWidth = Math.min(40, Math.max(16, Math.floor(width * 0.42)));
  const sparkWidth = Math.max(0, width - LABEL - valueWidth - 2);
  const lines: React.JSX.Element[] = [];
  const head = !props.stats
    ? 'live stats are not available with this engine'
    : !last
      ? snap.pass
        ? `${name} is not in ${props.engine.lxcpath}`
        : `waiting for the first stats pass${theme.ascii ? '...' : '…'}`
      : last.state === 'STOPPED'
        ? `${name} is STOPPED: no live figures (start it from the list with s)`
        : `${last.state}, init PID ${last.pid ?? '-'}; the last ${history.length} pass${history.length === 1 ? '' : 'es'}, newest on the right`;
  lines.push(
    <Box key="head" height={1} width={width} overflow="hidden">
      <Text wrap="truncate" dimColor={theme.color}>
        {fitToWidth(head, width)}
      </Text>
    </Box>,
  );
  lines.push(<Box key="gap" height={1} width={width} />);
  for (const r of rows) {
    lines.push(
      <Box key={r.label} height={1} width={width} overflow="hidden">
        <Text wrap="truncate">
          <Text bold={theme.color}>{fitToWidth(r.label, LABEL)}</Text>
          <Sparkline values={r.values} width={sparkWidth} theme={theme} minMax={r.minMax} max={r.max} color={r.color} />
          {'  '}
          {fitToWidth(r.value, valueWidth)}
        </Text>
      </Box>,
    );
  }
  if (last && last.state !== 'STOPPED' && (last.pressure.cpu || last.pressure.memory || last.pressure.io)) {
    lines.push(<Box key="gap2" height={1} width={width} />);
    lines.push(
      <Box key="psi" height={1} width={width} overflow="hidden">
        <Text wrap="truncate">
          {fitToWidth(`pressure (some, avg10): CPU ${psiText(last.pressure.cpu)}, memory ${psiText(last.pressure.memory)}, I/O ${psiText(last.pressure.io)}`, width)}
        </Text>
      </Box>,
    );
  }
  const shown = lines.slice(0, body);
  while (shown.length < body) shown.push(<Box key={`blank-${shown.length}`} height={1} width={width} />);
  const listed = state.containers.find((c) => c.name === name);
  const right = listed && listed.ipv4.length ? listed.ipv4.join(', ') : '';
  const err = snap.error ? { kind: 'error' as const, message: `live stats stopped: ${snap.error.message}`, hint: snap.error.hint } : null;
  return (
    <Frame title={`stats: ${name}`} right={right} width={width} height={height} theme={theme} status={err ?? refused} hints={hints}>
      <Box flexDirection="column" width={width} height={body}>
        {shown}
      </Box>
    </Frame>
  );
}

/**
 * A read-only screen of text lines (checkconfig report, info, action log):
 * the shared frame, the lines wrapped to the width, scrolled with the view
 * keys (VIEW_COMMANDS); Esc goes back to the screen below.
 */
import React, { useState } from 'react';
import type { Key } from 'ink';
import { Frame, frameBodyHeight } from '../../components/Frame.js';
import { LineView, clampTop, wrapViewLines, type ViewLine } from '../../components/LineView.js';
import type { Status } from '../../components/StatusLine.js';
import { VIEW_COMMANDS, commandFor, quitHow, hintsFor, type ViewCommandId } from '../keymap.js';
import { useKeys } from '../hooks/use-keys.js';
import type { ScreenProps } from './types.js';

export interface ScrollScreenProps extends ScreenProps {
  title: string;
  lines: readonly ViewLine[];
  /** commands of VIEW_COMMANDS this screen offers besides scrolling and back (refresh, processes) */
  extra?: readonly ViewCommandId[];
  onCommand?: (id: ViewCommandId) => void;
  status?: Status | null;
  busy?: string | null;
  /** open scrolled to the end (the action log: newest last) */
  startAtEnd?: boolean;
}

const ALWAYS: readonly ViewCommandId[] = ['up', 'down', 'pageUp', 'pageDown', 'home', 'end', 'back', 'quit'];

export function ScrollScreen(p: ScrollScreenProps): React.JSX.Element {
  const { width, height, theme } = p;
  const [top, setTop] = useState(p.startAtEnd ? Number.MAX_SAFE_INTEGER : 0);
  const table = VIEW_COMMANDS.filter((c) => ALWAYS.includes(c.id) || (p.extra ?? []).includes(c.id));
  const hints = hintsFor(table, theme.ascii);
  if ((p.extra ?? []).includes('processes')) hints.splice(hints.length - 1, 0, { keys: 'p', label: 'processes' });
  const body = frameBodyHeight(height, width, hints, theme.ascii);
  const wrapped = wrapViewLines(p.lines, width, theme.ascii);
  const maxTop = Math.max(0, wrapped.length - body);
  const t = clampTop(top, wrapped.length, body);

  useKeys((input: string, key: Key) => {
    const c = commandFor(table, input, key);
    if (!c) return;
    const page = Math.max(1, body - 1);
    switch (c.id) {
      case 'up':
        return setTop((x) => Math.max(0, Math.min(x, maxTop) - 1));
      case 'down':
        return setTop((x) => Math.min(maxTop, x + 1));
      case 'pageUp':
        return setTop((x) => Math.max(0, Math.min(x, maxTop) - page));
      case 'pageDown':
        return setTop((x) => Math.min(maxTop, x + page));
      case 'home':
        return setTop(0);
      case 'end':
        return setTop(maxTop);
      case 'back':
        p.dispatch({ type: 'pop' });
        return;
      case 'quit':
        p.onQuit(quitHow(input, key));
        return false;
      default:
        p.onCommand?.(c.id);
    }
  }, true, p.takePendingKeys);

  const right = wrapped.length > body ? `${t + 1}-${Math.min(wrapped.length, t + body)} of ${wrapped.length}` : '';
  return (
    <Frame title={p.title} right={right} width={width} height={height} theme={theme} status={p.status ?? null} busy={p.busy} hints={hints}>
      <LineView lines={wrapped} top={t} height={body} width={width} theme={theme} />
    </Frame>
  );
}

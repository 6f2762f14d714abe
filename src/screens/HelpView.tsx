/**
 * Every key of the container list on one screen (`?`): the footer of an 80- or 60-column
 * terminal has room for only some of them. Built from the same key table the list reads
 * (src/keymap.ts LIST_COMMANDS), so it lists what this console offers now: a key whose backend
 * method is missing, or that changes something in read-only mode, is left out.
 */
import React from 'react';
import type { ViewLine } from '../../components/LineView.js';
import { LIST_COMMANDS, offered, type Command, type CommandContext } from '../keymap.js';
import { ScrollScreen } from './ScrollScreen.js';
import type { ScreenProps } from './types.js';

/** How a key spec reads on screen: `enter` as Enter, `ctrl+c` as Ctrl+C, `pageUp` as PgUp. Pure. */
function keyName(spec: string): string {
  const named: Record<string, string> = { enter: 'Enter', space: 'Space', escape: 'Esc', tab: 'Tab' };
  if (named[spec]) return named[spec];
  const m = /^ctrl\+(.)$/.exec(spec);
  return m ? `Ctrl+${m[1].toUpperCase()}` : spec;
}

/**
 * The lines of the help screen: one per command offered in `ctx` (the list's table order, the
 * hidden sort-back key folded into its pair), its keys then its label. Pure.
 */
export function helpLines(ctx: CommandContext, ascii = false): ViewLine[] {
  const moves = new Set(['up', 'down', 'pageUp', 'pageDown', 'home', 'end', 'sortPrev']);
  const shown = offered(LIST_COMMANDS as readonly Command[], ctx).filter((c) => !moves.has(c.id));
  const keysOf = (c: Command) => {
    const ks = c.keys.map(keyName);
    if (c.id === 'sortNext') ks.push('<');
    return (ascii ? ks.map((k) => k.replace('↑', 'up').replace('↓', 'down')) : ks).join(' ');
  };
  const w = Math.max(...shown.map((c) => keysOf(c).length));
  const out: ViewLine[] = [
    { text: 'Keys of the container list (each screen shows its own keys at its foot)', bold: true },
    { text: '' },
    { text: `${ascii ? 'up/down k/j' : '↑↓ k j'}, PgUp PgDn, Home End g G: move the selection`, indent: 2 },
  ];
  for (const c of shown) out.push({ text: `${keysOf(c).padEnd(w)}  ${c.id === 'sortNext' ? 'sort by the next / previous column' : c.label}${c.dangerous ? ' (asks first)' : ''}`, indent: w + 2 });
  if (ctx.readOnly) out.push({ text: '' }, { text: 'read-only mode: the keys that change something are not offered', dim: true });
  return out;
}

export function HelpView(props: ScreenProps): React.JSX.Element {
  return <ScrollScreen {...props} title="All keys" lines={helpLines({ readOnly: props.readOnly === true, engine: props.engine }, props.theme.ascii)} />;
}

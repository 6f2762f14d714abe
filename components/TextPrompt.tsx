/**
 * A one-line text prompt in a box, with the rule the value must follow and
 * the last error. Controlled: value and error come in as props.
 */
import React from 'react';
import { Dialog, dialogHeight, type DialogLine } from './Dialog.js';
import type { Theme } from './theme.js';

export interface TextPromptProps {
  title: string;
  /** label before the value, e.g. `name: ` */
  label: string;
  value: string;
  /** the rule the value must follow, shown under the input */
  rule?: string;
  error?: string;
  hint?: string;
  /** key hints drawn inside the box, e.g. `Enter create  Esc cancel` (leave out when a footer shows them) */
  keys?: string;
  width: number;
  theme: Theme;
}

function lines(p: TextPromptProps): DialogLine[] {
  const out: DialogLine[] = [{ text: p.value, input: true, prefix: p.label }];
  if (p.rule) out.push({ text: p.rule, dim: true });
  if (p.error) out.push({ text: p.error, color: 'red' });
  if (p.hint) out.push({ text: `hint: ${p.hint}`, color: 'yellow' });
  if (p.keys) out.push({ text: p.keys, dim: true, nowrap: true });
  return out;
}

/** Lines the prompt takes on screen. */
export function textPromptHeight(p: TextPromptProps): number {
  return dialogHeight(p.title, lines(p), p.width, p.theme.ascii);
}

export function TextPrompt(p: TextPromptProps): React.JSX.Element {
  return <Dialog title={p.title} lines={lines(p)} width={p.width} theme={p.theme} accent="cyan" />;
}

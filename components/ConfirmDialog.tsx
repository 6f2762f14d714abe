/**
 * Confirmation for a dangerous action: the user must type the object's
 * exact name (idea: Shopify/cli DangerousConfirmationPrompt). Controlled:
 * the typed text and any error come in as props; the screen owns the keys.
 */
import React from 'react';
import { Dialog, dialogHeight, type DialogLine } from './Dialog.js';
import type { Theme } from './theme.js';

export interface ConfirmDialogProps {
  /** e.g. `Delete container web-01?` */
  title: string;
  /** the name that must be typed */
  name: string;
  /** what has been typed so far */
  typed: string;
  /** what the action does, e.g. that it cannot be undone */
  detail?: string;
  /** e.g. "the name does not match" */
  error?: string;
  /** key hints drawn inside the box, e.g. `Enter delete  Esc cancel` (leave out when a footer shows them) */
  keys?: string;
  width: number;
  theme: Theme;
}

function lines(p: ConfirmDialogProps): DialogLine[] {
  const out: DialogLine[] = [];
  if (p.detail) out.push({ text: p.detail });
  out.push({ text: `Type the name "${p.name}" to confirm:` });
  out.push({ text: p.typed, input: true, prefix: '> ' });
  if (p.error) out.push({ text: p.error, color: 'red' });
  if (p.keys) out.push({ text: p.keys, dim: true, nowrap: true });
  return out;
}

/** Lines the dialog takes on screen. */
export function confirmDialogHeight(p: ConfirmDialogProps): number {
  return dialogHeight(p.title, lines(p), p.width, p.theme.ascii);
}

export function ConfirmDialog(p: ConfirmDialogProps): React.JSX.Element {
  return <Dialog title={p.title} lines={lines(p)} width={p.width} theme={p.theme} accent="red" />;
}

/**
 * Autostart as LXC does it: the keys of lxc.container.conf(5) (lxc.start.auto,
 * lxc.start.order, lxc.start.delay, lxc.group) and the selection and order of
 * lxc-autostart(1) (src/lxc/tools/lxc_autostart.c):
 *
 * - only containers with lxc.start.auto = 1;
 * - groups: lxc-autostart -g takes a comma-separated list and makes one pass per group, in the
 *   order given; an empty element ("onboot," ends with one) selects the containers that have
 *   NO lxc.group. Without -g the list is just that empty group: by default only containers
 *   without any lxc.group are started (not those in "onboot"). A container is taken in the
 *   first pass whose group it is in;
 * - within a pass, ascending lxc.start.order (unset or unparsable = 0; lower starts first),
 *   ties by name;
 * - a container that is running already is left alone; after each successful start the
 *   tool sleeps lxc.start.delay seconds (none after a failure).
 *
 * One difference, on purpose: LXC compares a container's group with a selected group as a
 * prefix (group "web" is selected by -g webserver); lxdeck compares whole names.
 */
import { LxdeckError } from '../errors.js';
import type { AutostartSettings } from '../types.js';
import type { LxcConfig } from './config.js';

/** The rule for group names, for messages. */
export const GROUP_NAME_RULE = "a group name is 1 to 64 letters, digits, '.', '_' and '-' (lxc-autostart -g separates groups with commas, LXC splits lxc.group values at white space)";

const GROUP_RE = /^[A-Za-z0-9._-]{1,64}$/;

/** @throws LxdeckError E_INVALID_VALUE with {@link GROUP_NAME_RULE}. */
export function validateGroupName(g: string): void {
  if (!GROUP_RE.test(g)) throw new LxdeckError('E_INVALID_VALUE', `${JSON.stringify(g)} is not a group name: ${GROUP_NAME_RULE}`, { hint: 'e.g. --group onboot' });
}

/**
 * lxc.group as LXC reads it (confile.c set_config_group): each line's value is split at spaces
 * and tabs and added to the list; a line with an empty value clears the list so far.
 */
export function readGroups(cfg: LxcConfig): string[] {
  const out: string[] = [];
  for (const v of cfg.getAll('lxc.group')) {
    if (v.trim() === '') {
      out.length = 0;
      continue;
    }
    for (const g of v.split(/[ \t]+/)) if (g && !out.includes(g)) out.push(g);
  }
  return out;
}

/** An integer key as LXC's lxc_safe_int / lxc_safe_uint read it; null when unset, empty or unparsable. */
function intKey(cfg: LxcConfig, key: string, unsigned: boolean): number | null {
  const v = cfg.get(key)?.trim();
  if (v === undefined || v === '') return null;
  if (!(unsigned ? /^\d+$/ : /^[+-]?\d+$/).test(v)) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) && n <= 2 ** 31 - 1 && n >= -(2 ** 31) ? n : null;
}

/** The autostart settings saved in a config. */
export function readAutostart(cfg: LxcConfig): AutostartSettings {
  return {
    auto: cfg.get('lxc.start.auto')?.trim() === '1',
    order: intKey(cfg, 'lxc.start.order', false),
    delay: intKey(cfg, 'lxc.start.delay', true),
    groups: readGroups(cfg),
  };
}

/**
 * Checks the given settings: order an int (LXC's int range), delay whole seconds >= 0, groups by
 * {@link GROUP_NAME_RULE}. @throws LxdeckError E_INVALID_VALUE.
 */
export function checkAutostart(s: Partial<AutostartSettings>): void {
  if (s.order !== undefined && s.order !== null && (!Number.isSafeInteger(s.order) || s.order > 2 ** 31 - 1 || s.order < -(2 ** 31)))
    throw new LxdeckError('E_INVALID_VALUE', `lxc.start.order takes a whole number, not ${String(s.order)}`, { hint: 'e.g. --order 10 (lower starts first)' });
  if (s.delay !== undefined && s.delay !== null && (!Number.isSafeInteger(s.delay) || s.delay < 0 || s.delay > 86_400))
    throw new LxdeckError('E_INVALID_VALUE', `lxc.start.delay takes whole seconds from 0 to 86400, not ${String(s.delay)}`, { hint: 'e.g. --delay 5' });
  for (const g of s.groups ?? []) validateGroupName(g);
}

/**
 * Writes the given fields into `cfg` (other lines stay as they are): lxc.start.auto = 1|0,
 * lxc.start.order and lxc.start.delay (null removes the key), lxc.group as one line per group
 * (every earlier lxc.group line removed; an empty list leaves none).
 * @returns the `key = value` lines now saved for the fields given (for the action log)
 * @throws LxdeckError E_INVALID_VALUE (see {@link checkAutostart}).
 */
export function applyAutostartSettings(cfg: LxcConfig, s: Partial<AutostartSettings>): string[] {
  checkAutostart(s);
  const lines: string[] = [];
  if (s.auto !== undefined) {
    cfg.set('lxc.start.auto', s.auto ? '1' : '0');
    lines.push(`lxc.start.auto = ${s.auto ? 1 : 0}`);
  }
  for (const [field, key] of [['order', 'lxc.start.order'], ['delay', 'lxc.start.delay']] as const) {
    const v = s[field];
    if (v === undefined) continue;
    if (v === null) {
      cfg.unset(key);
      lines.push(`${key} unset`);
    } else {
      cfg.set(key, String(v));
      lines.push(`${key} = ${v}`);
    }
  }
  if (s.groups !== undefined) {
    cfg.unset('lxc.group');
    const groups = [...new Set(s.groups)];
    for (const g of groups) cfg.append('lxc.group', g);
    lines.push(groups.length ? groups.map((g) => `lxc.group = ${g}`).join('; ') : 'lxc.group unset');
  }
  return lines;
}

/**
 * Parses lxc-autostart's -g list: comma-separated, an empty element is "no group"; several
 * `--group` values are joined. Duplicates are dropped, as lxc-autostart does.
 * @throws LxdeckError E_INVALID_VALUE for a group name that breaks {@link GROUP_NAME_RULE}.
 */
export function parseGroupSelection(values: string[]): string[] {
  const out: string[] = [];
  for (const v of values) {
    for (const g of v.split(',')) {
      const t = g.trim();
      if (t !== '') validateGroupName(t);
      if (!out.includes(t)) out.push(t);
    }
  }
  return out;
}

/** A container as lxc-autostart weighs it. */
export interface AutostartCandidate {
  name: string;
  settings: AutostartSettings;
}

/**
 * The containers lxc-autostart would act on, in its order (see the module comment).
 * @param groups the selected groups, '' for "no group"; undefined = [''] (lxc-autostart without -g)
 */
export function autostartPlan(candidates: AutostartCandidate[], groups?: string[]): AutostartCandidate[] {
  const sel = groups && groups.length ? groups : [''];
  const byOrder = candidates
    .filter((c) => c.settings.auto)
    .sort((a, b) => (a.settings.order ?? 0) - (b.settings.order ?? 0) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: AutostartCandidate[] = [];
  const taken = new Set<string>();
  for (const g of sel) {
    for (const c of byOrder) {
      if (taken.has(c.name)) continue;
      const match = g === '' ? c.settings.groups.length === 0 : c.settings.groups.includes(g);
      if (!match) continue;
      taken.add(c.name);
      out.push(c);
    }
  }
  return out;
}

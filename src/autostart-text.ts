/**
 * Autostart as every human-facing place shows it (the list's AUTO column, `ls` and `info` text,
 * the info screen, the autostart verb and the console's status line): `yes` or `no`
 * (lxc.start.auto = 1 or not), with lxc.start.order, lxc.start.delay and lxc.group where the
 * place has room for them. JSON keeps a boolean (`autostart`); this is the text only.
 */

/** What is known of the settings beyond lxc.start.auto; null or absent: unset (LXC's 0). */
export interface AutostartDetail {
  /** lxc.start.order */
  order?: number | null;
  /** lxc.start.delay, seconds */
  delay?: number | null;
  /** lxc.group values */
  groups?: readonly string[];
}

/** `yes` when the container autostarts (lxc.start.auto = 1), else `no`. */
export function yesNo(auto: boolean): string {
  return auto ? 'yes' : 'no';
}

/**
 * `yes (order 10, delay 5 s, groups db,web)` or `no (order 0, delay 0 s, no groups)`: the
 * whole setting, for the autostart verb and the status line after a change.
 */
export function autostartText(auto: boolean, d: AutostartDetail): string {
  const groups = d.groups ?? [];
  return `${yesNo(auto)} (order ${d.order ?? 0}, delay ${d.delay ?? 0} s, ${groups.length ? `groups ${groups.join(',')}` : 'no groups'})`;
}

/**
 * For info (text and screen): {@link autostartText} when the container autostarts or has any of
 * order, delay or groups set; a plain `no` when none is. Without order and delay (a backend that
 * has none, LXD) only `yes`/`no` and the groups.
 */
export function autostartInfoText(auto: boolean, d: AutostartDetail): string {
  const groups = d.groups ?? [];
  if (d.order === undefined && d.delay === undefined) return `${yesNo(auto)}${groups.length ? ` (groups ${groups.join(',')})` : ''}`;
  const anySet = (d.order ?? null) !== null || (d.delay ?? null) !== null || groups.length > 0;
  return auto || anySet ? autostartText(auto, d) : 'no';
}

/** The list's AUTO cell and `ls`'s AUTOSTART column: `yes`/`no`, then the lxc.group values (`yes db,web`) when `withGroups`. */
export function autostartCell(auto: boolean, groups: readonly string[] = [], withGroups = true): string {
  return yesNo(auto) + (withGroups && groups.length ? ` ${groups.join(',')}` : '');
}

/**
 * The info view of one container, like lxc-info and more: state, init PID,
 * addresses, network (bridge, host veth, hwaddr), cgroup paths, config and
 * rootfs paths, template and creation time, autostart, unprivileged and its
 * idmap, limits in effect and saved, and config keys this host ignores
 * (case C3) with what to write instead; whatever else engine.info returns
 * is listed at the end. `r` reads it again, `p` opens the processes.
 */
import React, { useCallback, useEffect, useRef, useState } from 'react';
import { formatError } from '../../core/errors.js';
import { formatBytes, formatCpuList } from '../../core/units.js';
import type { ContainerInfo } from '../../core/types.js';
import type { ContainerLimits } from '../../core/cgroup/resources.js';
import type { ViewLine } from '../../components/LineView.js';
import { ScrollScreen } from './ScrollScreen.js';
import type { ScreenProps } from './types.js';
import { autostartInfoText } from '../autostart-text.js';

const KNOWN = new Set([
  'name', 'state', 'pid', 'ipv4', 'ipv6', 'autostart', 'lxcpath', 'configPath', 'rootfs', 'rootfsDir', 'rootfsBytes', 'rootfsBytesTruncated',
  'hostname', 'net', 'template', 'created', 'unprivileged', 'idmap', 'cgroupPaths', 'limits', 'ignoredKeys',
]);

const LABEL = 14;
const row = (label: string, value: string, extra: Partial<ViewLine> = {}): ViewLine => ({
  text: `${label.length >= LABEL ? `${label} ` : label.padEnd(LABEL)}${value}`,
  indent: LABEL,
  ...extra,
});

function limitsLines(l: ContainerLimits): ViewLine[] {
  const out: ViewLine[] = [];
  const a = l.applied;
  if (a) {
    const parts: string[] = [];
    parts.push(`memory ${a.memory === null ? 'unknown' : formatBytes(a.memory)}`);
    parts.push(`swap ${a.swap === null ? 'unknown' : formatBytes(a.swap)}`);
    parts.push(`CPUs ${a.cpus === null ? 'unknown' : a.cpus === 'max' ? 'unlimited' : String(a.cpus)}`);
    if (a.cpuWeight !== null) parts.push(`CPU weight ${a.cpuWeight}`);
    if (a.cpusetEffective) parts.push(`cpuset ${formatCpuList(a.cpusetEffective)}`);
    if (a.pids !== null) parts.push(`pids ${a.pids === 'max' ? 'unlimited' : a.pids}`);
    out.push(row('In effect', parts.join(', ')));
  } else {
    out.push(row('In effect', 'not running'));
  }
  if (l.saved.length) for (const [i, s] of l.saved.entries()) out.push(row(i === 0 ? 'Saved' : '', `${s.key} = ${s.value}`));
  else out.push(row('Saved', 'no cgroup keys in the config'));
  return out;
}

/** The info as screen lines. Pure. */
export function infoLines(i: ContainerInfo, limits: ContainerLimits | null): ViewLine[] {
  const lines: ViewLine[] = [];
  lines.push(row('State', i.state, { bold: true, color: i.state === 'RUNNING' ? 'green' : i.state === 'STOPPED' ? undefined : 'yellow' }));
  lines.push(row('PID', i.pid === null ? '-' : String(i.pid)));
  lines.push(row('IPv4', i.ipv4.length ? i.ipv4.join(', ') : '-'));
  if (i.ipv6 !== undefined) lines.push(row('IPv6', i.ipv6.length ? i.ipv6.join(', ') : '-'));
  lines.push(row('Hostname', i.hostname ?? '-'));
  lines.push(row('Autostart', autostartInfoText(i.autostart, { order: i.startOrder, delay: i.startDelay, groups: i.groups })));
  if (i.unprivileged !== undefined) {
    const maps = (i.idmap ?? []).map((m) => `${m.type} ${m.nsid} ${m.hostid} ${m.count}`);
    lines.push(
      row(
        'Privilege',
        i.unprivileged ? `unprivileged (lxc.idmap = ${maps.join('; ') || '?'})` : 'privileged: root in the container is root on the host',
        { color: i.unprivileged ? undefined : 'yellow' },
      ),
    );
  }
  lines.push(row('Template', `${i.template ?? 'not made by lxdeck'}${i.created ? `, created ${i.created}` : ''}`));
  lines.push(row('Config', i.configPath));
  let rootfs = i.rootfsDir ?? i.rootfs ?? '-';
  if (typeof i.rootfsBytes === 'number') rootfs += ` (${i.rootfsBytesTruncated ? 'at least ' : ''}${formatBytes(i.rootfsBytes)})`;
  lines.push(row('Rootfs', rootfs));

  lines.push({ text: '' }, { text: 'Network', bold: true });
  if (i.net.length === 0) lines.push(row('', 'no lxc.net.N interfaces'));
  for (const n of i.net) {
    const name = n.ifname ?? `net.${n.index}`;
    const parts = [`${n.type}`];
    if (n.link) parts.push(`bridge ${n.link}`);
    const veth = n.hostVeth ?? n.vethPair;
    if (veth) parts.push(`host veth ${veth}${n.hostVethExists === false ? ' (not present now)' : ''}`);
    lines.push(row(`  ${name}`, parts.join(', ')));
    const hw = n.hwaddrInEffect ?? n.hwaddr;
    if (hw) lines.push(row('', `hwaddr ${hw}`));
    if (n.ipv4.length) lines.push(row('', `ipv4 ${n.ipv4.join(', ')}${n.ipv4Gateway ? ` via ${n.ipv4Gateway}` : ''}`));
  }

  if (i.cgroupPaths !== undefined) {
    lines.push({ text: '' }, { text: 'Cgroups', bold: true });
    if (i.cgroupPaths === null) lines.push(row('', 'not running'));
    else {
      if (i.cgroupPaths.v2) lines.push(row('  v2', i.cgroupPaths.v2));
      for (const [c, p] of Object.entries(i.cgroupPaths.v1)) lines.push(row(`  ${c}`, p));
    }
  }

  if (limits) {
    lines.push({ text: '' }, { text: `Limits (cgroup ${limits.layout})`, bold: true });
    lines.push(...limitsLines(limits));
  }

  const ignored = i.ignoredKeys ?? limits?.ignored.map((k) => ({ key: k.key, value: '', reason: k.reason, replacement: k.replacement, replacementLine: undefined as string | undefined })) ?? [];
  if (ignored.length) {
    lines.push({ text: '' }, { text: 'Config keys this host ignores', bold: true, color: 'yellow' });
    for (const k of ignored) {
      lines.push({ text: `  ${k.key}${k.value ? ` = ${k.value}` : ''}: ${k.reason}`, color: 'yellow', indent: 4 });
      const instead = k.replacementLine ?? k.replacement;
      if (instead) lines.push({ text: `    write instead: ${instead}`, indent: 6 });
    }
  }

  const extra = Object.entries(i).filter(([k, v]) => !KNOWN.has(k) && v !== undefined);
  if (extra.length) {
    lines.push({ text: '' }, { text: 'More', bold: true });
    for (const [k, v] of extra) lines.push(row(k, typeof v === 'string' ? v : JSON.stringify(v)));
  }
  return lines;
}

export function ContainerInfoView(props: ScreenProps & { name: string }): React.JSX.Element {
  const { engine, name, dispatch } = props;
  const [info, setInfo] = useState<ContainerInfo | null>(null);
  const [limits, setLimits] = useState<ContainerLimits | null>(null);
  const [error, setError] = useState<{ message: string; hint?: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );
  const load = useCallback(async () => {
    setBusy(true);
    try {
      const i = await engine.info(name);
      let l: ContainerLimits | null = i.limits ?? null;
      if (i.limits === undefined && engine.limits) l = await engine.limits(name).catch(() => null);
      if (!mounted.current) return;
      setInfo(i);
      setLimits(l);
      setError(null);
    } catch (e) {
      if (mounted.current) setError(formatError(e));
    } finally {
      if (mounted.current) setBusy(false);
    }
  }, [engine, name]);
  useEffect(() => {
    void load();
  }, [load]);

  const lines: ViewLine[] = info ? infoLines(info, limits) : [{ text: busy ? 'reading…' : '' }];
  return (
    <ScrollScreen
      {...props}
      title={`Container ${name}`}
      lines={lines}
      extra={['refresh', 'processes']}
      busy={busy ? `reading ${name}` : null}
      status={error ? { kind: 'error', message: error.message, hint: error.hint } : null}
      onCommand={(id) => {
        if (id === 'refresh') void load();
        if (id === 'processes') dispatch({ type: 'push', screen: { kind: 'processes', name } });
      }}
    />
  );
}

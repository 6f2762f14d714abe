/**
 * The resource sliders of one container: memory, swap, CPUs, CPU weight,
 * pids and I/O weight (src/state/limit-sliders.ts). ↑↓ choose a limit, ←→
 * move it a step, Shift+←→ or PgUp/PgDn a big step, `u` unlimited (a
 * weight: its default; either removes the saved key), digits or Enter type a value (the U1 size grammar
 * shown). Each change is applied live to the running container's cgroup and
 * saved in its config through `engine.setLimits` (a stopped container: saved
 * only), a short pause after the last key so a held arrow sends one value;
 * the kernel's refusal (LxdeckError message and hint) is shown under its
 * slider and the slider goes back to the value in effect. What is used now
 * (memory used, CPUs busy, pids) is drawn beside each slider, from the
 * shared stats store.
 */
import React, { useCallback, useEffect, useRef, useState } from 'react';
import { Box, Text } from 'ink';
import type { Key } from 'ink';
import { totalmem, availableParallelism } from 'node:os';
import type { ContainerLimits } from '../../core/cgroup/resources.js';
import { formatError } from '../../core/errors.js';
import { Frame, frameBodyHeight } from '../../components/Frame.js';
import { Slider, sliderHeight } from '../../components/Slider.js';
import type { Status } from '../../components/StatusLine.js';
import { fitToWidth } from '../../components/text.js';
import { eraseHowOf, eraseText, LIMITS_COMMANDS, LIMIT_EDIT_COMMANDS, commandFor, quitHow, hintsFor, textOf } from '../keymap.js';
import { useKeys } from '../hooks/use-keys.js';
import { useStats } from '../hooks/use-stats.js';
import { SLIDERS, fractionOf, stepValue, valueOf, type HostScale, type SliderId, type SliderValue } from '../state/limit-sliders.js';
import type { ScreenProps } from './types.js';

/** ms after the last key before a moved slider is applied. */
export const APPLY_DELAY_MS = 300;

type PerSlider<T> = Partial<Record<SliderId, T>>;

export function LimitsView(props: ScreenProps & { name: string }): React.JSX.Element {
  const { engine, name, width, height, theme, dispatch, onQuit } = props;
  const snap = useStats(props.stats);
  const [limits, setLimits] = useState<ContainerLimits | null>(null);
  const [loadError, setLoadError] = useState<Status | null>(null);
  // sel, local and editing are read by key handlers before React renders (several keys in one
  // read, "96M" typed or pasted): each has a ref updated at once beside its state
  const [sel, setSelState] = useState(0);
  const [local, setLocalState] = useState<PerSlider<SliderValue>>({});
  const [editing, setEditingState] = useState<string | null>(null);
  const selRef = useRef(0);
  const localRef = useRef<PerSlider<SliderValue>>({});
  const editingRef = useRef<string | null>(null);
  const setSel = (f: (i: number) => number): void => {
    selRef.current = f(selRef.current);
    setSelState(selRef.current);
  };
  const setLocal = (f: (x: PerSlider<SliderValue>) => PerSlider<SliderValue>): void => {
    localRef.current = f(localRef.current);
    setLocalState(localRef.current);
  };
  const setEditing = (v: string | null | ((x: string | null) => string | null)): void => {
    editingRef.current = typeof v === 'function' ? v(editingRef.current) : v;
    setEditingState(editingRef.current);
  };
  const [errors, setErrors] = useState<PerSlider<{ message: string; hint?: string }>>({});
  const [notes, setNotes] = useState<PerSlider<string>>({});
  const [pending, setPending] = useState<PerSlider<boolean>>({});
  const mounted = useRef(true);
  const timers = useRef<PerSlider<NodeJS.Timeout>>({});
  const inFlight = useRef(false);
  const queue = useRef<PerSlider<number | 'max'>>({});
  useEffect(
    () => () => {
      mounted.current = false;
      for (const t of Object.values(timers.current)) if (t) clearTimeout(t);
    },
    [],
  );

  const host: HostScale = {
    memoryBytes: snap.pass?.host.memoryBytes ?? totalmem(),
    cpus: snap.pass?.host.cpus || availableParallelism(),
  };

  const load = useCallback(async (): Promise<ContainerLimits | null> => {
    if (!engine.limits) {
      setLoadError({ kind: 'error', message: 'this engine cannot read limits' });
      return null;
    }
    try {
      const l = await engine.limits(name);
      if (mounted.current) {
        setLimits(l);
        setLoadError(null);
      }
      return l;
    } catch (e) {
      const { message, hint } = formatError(e);
      if (mounted.current) setLoadError({ kind: 'error', message, hint });
      return null;
    }
  }, [engine, name]);
  useEffect(() => {
    void load();
  }, [load]);

  /** Sends the queued values, one setLimits at a time; the latest value of a slider wins. */
  const flush = useCallback(async (): Promise<void> => {
    if (inFlight.current || !engine.setLimits) return;
    const ids = Object.keys(queue.current) as SliderId[];
    if (ids.length === 0) return;
    const id = ids[0];
    const v = queue.current[id]!;
    delete queue.current[id];
    const def = SLIDERS.find((d) => d.id === id)!;
    inFlight.current = true;
    try {
      const r = await engine.setLimits(name, def.input(v));
      // the list's MEM column shows the new limit at once (also after Esc), not at the next stats pass
      if (id === 'memory' && r.live) props.stats?.patch(name, (x) => ({ ...x, memory: { ...x.memory, limit: v } }));
      if (!mounted.current) return;
      setErrors((x) => ({ ...x, [id]: undefined }));
      const note = [r.live ? 'set live and saved' : 'saved: applies at the next start', ...r.messages].join('; ');
      setNotes((x) => ({ ...x, [id]: note }));
    } catch (e) {
      if (!mounted.current) return;
      const { message, hint } = formatError(e);
      setErrors((x) => ({ ...x, [id]: { message, hint } }));
      setNotes((x) => ({ ...x, [id]: undefined }));
    } finally {
      inFlight.current = false;
    }
    if (!mounted.current) return;
    const l = await load();
    if (!mounted.current) return;
    // and then the limit in effect, as the kernel rounded it
    const mem = l?.applied?.memory;
    if (id === 'memory' && mem !== undefined && mem !== null) props.stats?.patch(name, (x) => ({ ...x, memory: { ...x.memory, limit: mem } }));
    // show what is in effect now (the kernel may round; a refused value goes back)
    if (queue.current[id] === undefined && !timers.current[id]) {
      setLocal((x) => ({ ...x, [id]: undefined }));
      setPending((x) => ({ ...x, [id]: false }));
    }
    void l;
    await flush();
  }, [engine, name, load]);

  const schedule = useCallback(
    (id: SliderId, v: number | 'max', delayMs: number): void => {
      setLocal((x) => ({ ...x, [id]: v }));
      setPending((x) => ({ ...x, [id]: true }));
      const old = timers.current[id];
      if (old) clearTimeout(old);
      timers.current[id] = setTimeout(() => {
        delete timers.current[id];
        queue.current[id] = v;
        void flush();
      }, delayMs);
    },
    [flush],
  );

  const valueShown = (i: number, fresh = false): SliderValue => {
    const d = SLIDERS[i];
    const l = (fresh ? localRef.current : local)[d.id];
    if (l !== undefined) return l;
    return limits ? valueOf(d, limits) : null;
  };

  const hints = hintsFor(editing !== null ? LIMIT_EDIT_COMMANDS : LIMITS_COMMANDS, theme.ascii);
  const body = frameBodyHeight(height, width, hints, theme.ascii);

  useKeys((input: string, key: Key) => {
    const d = SLIDERS[selRef.current];
    const editing = editingRef.current;
    if (editing !== null) {
      const c = commandFor(LIMIT_EDIT_COMMANDS, input, key);
      if (c?.id === 'cancel') return setEditing(null);
      if (c?.id === 'erase') {
        const how = eraseHowOf(input, key);
        return setEditing((t) => eraseText(t ?? '', how));
      }
      if (c?.id === 'confirm') {
        const text = editing.trim();
        if (text === '') return setEditing(null);
        try {
          const v = d.parse(text);
          if (v === null) return setEditing(null);
          setEditing(null);
          setErrors((x) => ({ ...x, [d.id]: undefined }));
          schedule(d.id, v, 0);
        } catch (e) {
          const { message, hint } = formatError(e);
          setErrors((x) => ({ ...x, [d.id]: { message, hint: hint ?? `accepted: ${d.grammar}` } }));
          setEditing(null);
        }
        return;
      }
      const t = textOf(input, key);
      if (t) setEditing((x) => (x ?? '') + t);
      return;
    }
    if (/^[0-9.]$/.test(input) && !key.ctrl && !key.meta) {
      setEditing(input);
      return;
    }
    const c = commandFor(LIMITS_COMMANDS, input, key);
    if (!c) return;
    const scale = d.scale(host);
    switch (c.id) {
      case 'up':
        return setSel((i) => (i + SLIDERS.length - 1) % SLIDERS.length);
      case 'down':
        return setSel((i) => (i + 1) % SLIDERS.length);
      case 'less':
      case 'more':
      case 'bigLess':
      case 'bigMore': {
        if (!limits) return;
        const dir = c.id === 'less' || c.id === 'bigLess' ? -1 : 1;
        const v = stepValue(valueShown(selRef.current, true), scale, dir, c.id === 'bigLess' || c.id === 'bigMore');
        setErrors((x) => ({ ...x, [d.id]: undefined }));
        schedule(d.id, v, APPLY_DELAY_MS);
        return;
      }
      case 'min':
      case 'max': {
        // the ends of the slider's scale (its lowest rung, its top: the host's memory, its CPUs, 10000
        // for a weight); unlimited is u's
        if (!limits) return;
        const v = c.id === 'min' ? (scale.ladder?.[0] ?? scale.min) : scale.max;
        setErrors((x) => ({ ...x, [d.id]: undefined }));
        schedule(d.id, v, APPLY_DELAY_MS);
        return;
      }
      case 'unlimited':
        if (!limits) return;
        setErrors((x) => ({ ...x, [d.id]: undefined }));
        // unlimited, or a weight's default: the limit's saved keys are removed (setLimits max / default)
        schedule(d.id, 'max', 0);
        return;
      case 'type':
        setEditing('');
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

  // ---- layout
  const sample = snap.latest.get(name);
  const lines: React.JSX.Element[] = [];
  const head = !limits
    ? loadError
      ? 'cannot read the limits'
      : `reading the limits${theme.ascii ? '...' : '…'}`
    : limits.running
      ? `in effect now (cgroup ${limits.layout}); changes apply at once and are kept in the config`
      : `${name} is not running: changes are saved in its config for the next start`;
  lines.push(
    <Box key="head" height={1} width={width} overflow="hidden">
      <Text wrap="truncate" dimColor={theme.color}>
        {fitToWidth(head, width)}
      </Text>
    </Box>,
  );
  lines.push(<Box key="gap" height={1} width={width} />);
  let used = 2;
  SLIDERS.forEach((d, i) => {
    const v = valueShown(i);
    const sp = {
      editing: i === sel ? editing : null,
      editHint: i === sel && editing !== null ? `accepted: ${d.grammar}` : undefined,
      error: errors[d.id] ?? null,
      note: notes[d.id] ?? null,
    };
    const h = sliderHeight({ ...sp, width, theme });
    if (used + h > body) return;
    used += h;
    lines.push(
      <Slider
        key={d.id}
        label={d.label}
        fraction={fractionOf(v, d.scale(host))}
        value={d.format(v)}
        use={d.use(sample)}
        selected={i === sel}
        pending={pending[d.id] === true}
        width={width}
        theme={theme}
        {...sp}
      />,
    );
  });
  if (limits && limits.ignored.length && used < body) {
    lines.push(
      <Box key="ignored" height={1} width={width} overflow="hidden">
        <Text wrap="truncate" color={theme.color ? 'yellow' : undefined}>
          {fitToWidth(`saved keys this host ignores: ${limits.ignored.map((k) => k.key).join(', ')}`, width)}
        </Text>
      </Box>,
    );
    used++;
  }
  while (used < body) {
    lines.push(<Box key={`blank-${used}`} height={1} width={width} />);
    used++;
  }
  return (
    <Frame title={`limits: ${name}`} right={limits ? (limits.running ? 'RUNNING' : 'STOPPED') : ''} width={width} height={height} theme={theme} status={loadError} hints={hints}>
      <Box flexDirection="column" width={width} height={body}>
        {lines}
      </Box>
    </Frame>
  );
}

/**
 * The first-time setup in the console (issue 5), over core/setup through
 * services.setup, its steps numbered 1-7 as `lxdeck setup` prints them:
 * step 1 the host report (errors first) and what setup would
 * do; step 2 missing packages, their exact commands shown and asked for, then
 * run with the output live; the network choices (bridge name, IPv4
 * subnet checked against the routing table as typed and refused by planSetup
 * with the route named, NAT, DHCP, persistence) and the first container's
 * name; then steps 3-7, bridge, NAT, DHCP, persistence and the first container (busybox)
 * one by one, each shown with its exact commands and asked for before it
 * runs (only `y` applies a step: Enter, "next" elsewhere, does not), output
 * live; last a scrollable summary of what was done with the
 * commands that undo it. A host where every step is already done shows that
 * and changes nothing.
 *
 * Esc leaves at any point. When a step is running its command is stopped
 * through the AbortSignal (the runner kills its process group; a create
 * removes what it made); the list's status line says where setup stopped.
 * State: src/screens/setup/setup-state.ts (pure reducer).
 */
import React, { useEffect, useRef, useState } from 'react';
import { Box, type Key } from 'ink';
import { formatError } from '../../core/errors.js';
import { STEP_IDS, planCountLine, summarizeSetup, type RouteEntry, type SetupPlan, type SetupStep, type SetupOptions } from '../../core/setup/index.js';
import { Frame, frameBodyHeight } from '../../components/Frame.js';
import { Form, type FormFieldView } from '../../components/Form.js';
import { LineView, clampTop, wrapViewLines, type ViewLine } from '../../components/LineView.js';
import type { Hint } from '../../components/KeyHints.js';
import { glyphs } from '../../components/theme.js';
import { ERASE_KEYS, eraseHowOf, eraseText, commandFor, quitHow, textOf, type Command } from '../keymap.js';
import { useKeys, useRefReducer } from '../hooks/use-keys.js';
import type { ScreenProps } from './types.js';
import {
  FORM_FIELDS,
  NETWORK_STEPS,
  initialSetup,
  resultOf,
  setupReducer,
  subnetProblem,
  type FormField,
  type LogKind,
  type SetupUi,
} from './setup/setup-state.js';

type SetupCommandId = 'yes' | 'no' | 'next' | 'leave' | 'up' | 'down' | 'pageUp' | 'pageDown' | 'home' | 'end' | 'left' | 'right' | 'erase' | 'quit';

/**
 * Keys of the setup screen. In the network form printable keys are text, so
 * only the named keys act there (see {@link formCommand}).
 */
export const SETUP_COMMANDS: readonly Command<SetupCommandId>[] = [
  { id: 'yes', keys: ['y', 'Y'], label: 'apply', dangerous: false, changes: false },
  { id: 'no', keys: ['n', 'N'], label: 'skip', dangerous: false, changes: false },
  { id: 'next', keys: ['enter'], label: 'next', dangerous: false, changes: false },
  { id: 'leave', keys: ['escape'], label: 'leave', dangerous: false, changes: false },
  { id: 'up', keys: ['up', 'k'], label: 'scroll', dangerous: false, changes: false },
  { id: 'down', keys: ['down', 'j', 'tab'], label: 'scroll', dangerous: false, changes: false },
  { id: 'pageUp', keys: ['pageup'], label: 'page up', dangerous: false, changes: false },
  { id: 'pageDown', keys: ['pagedown', ' '], label: 'page down', dangerous: false, changes: false },
  { id: 'home', keys: ['home', 'g'], label: 'top', dangerous: false, changes: false },
  { id: 'end', keys: ['end', 'G'], label: 'bottom', dangerous: false, changes: false },
  { id: 'left', keys: ['left'], label: 'choose', dangerous: false, changes: false },
  { id: 'right', keys: ['right'], label: 'choose', dangerous: false, changes: false },
  { id: 'erase', keys: ERASE_KEYS, label: 'erase', dangerous: false, changes: false },
  { id: 'quit', keys: ['ctrl+c', 'ctrl+d'], label: 'quit', dangerous: false, changes: false },
];

const FORM_KEYS = new Set<SetupCommandId>(['next', 'leave', 'up', 'down', 'left', 'right', 'erase', 'quit']);

/** The command for a key in the network form: named keys only (letters are text; ↑↓ move between fields). */
function formCommand(input: string, key: Key): SetupCommandId | undefined {
  if (textOf(input, key) !== '' && input !== ' ') return undefined;
  if (input === ' ') return 'right';
  const c = commandFor(SETUP_COMMANDS, input, key);
  return c && FORM_KEYS.has(c.id) ? c.id : undefined;
}

const FIELD_LABEL: Record<FormField, string> = {
  bridge: 'bridge',
  subnet: 'IPv4 subnet',
  nat: 'NAT',
  dhcp: 'DHCP',
  persist: 'persistent',
  container: 'first container',
};

const FIELD_HELP: Record<FormField, string> = {
  bridge: 'A Linux bridge the containers join, at most 15 bytes; made when missing.',
  subnet: "The bridge's network (its .1 is the containers' gateway), e.g. 10.0.3.0/24; empty: the first /24 no route covers.",
  nat: 'Masquerade the subnet to the uplink with nftables, so containers reach the outside (turns on IPv4 forwarding).',
  dhcp: 'dnsmasq on this bridge only hands out addresses to containers.',
  persist: 'Write lxdeck-net-BRIDGE.service (as lxc-net does) so bridge, NAT and DHCP come back after a reboot.',
  container: 'Created from the busybox template on the bridge and started; empty: no container.',
};

const LOG_COLOR: Partial<Record<LogKind, string>> = { head: undefined, command: 'cyan', stderr: 'yellow', info: 'green', ok: 'green', fail: 'red' };

/** Phase titles, numbered like the steps (1 report, 2 packages, 3-6 network, 7 container; the summary last). */
function titleOf(ui: SetupUi, step: SetupStep | undefined): string {
  const n = STEP_IDS.length;
  switch (ui.phase) {
    case 'loading':
    case 'report':
      return `step 1 of ${n}: Host report`;
    case 'packages':
      return `step 2 of ${n}: Packages`;
    case 'network':
      return `steps 3-${n - 1} of ${n}: Network`;
    case 'apply':
      return step ? `step ${step.number} of ${n}: ${step.id === 'container' ? 'First container' : 'Network'}` : `steps 3-${n - 1} of ${n}: Network`;
    case 'summary':
      return 'Summary';
  }
}

/** Step 1 as lines: the report (errors first) and what every step would do with the defaults. */
export function reportViewLines(plan: SetupPlan): ViewLine[] {
  const rep = plan.steps.find((s) => s.id === 'report')!;
  const lines: ViewLine[] = [];
  const [counts, ...findings] = rep.detail;
  lines.push({ text: counts, bold: true, color: plan.report.errors ? 'red' : plan.report.warnings ? 'yellow' : 'green' });
  if (plan.nothingToDo) lines.push({ text: planCountLine(plan), bold: true, color: 'green' });
  else lines.push({ text: `${planCountLine(plan)} Each is shown with its commands and asked for first.`, bold: true });
  for (const f of findings) lines.push({ text: f, color: f.startsWith('[FAIL]') ? 'red' : 'yellow', indent: 7 });
  if (plan.report.errors) lines.push({ text: 'K on the list shows the whole report with the remedies.', dim: true });
  lines.push({ text: '' }, { text: 'What setup does:', bold: true });
  const mark = { done: '[done]', todo: '[todo]', skipped: '[skip]', blocked: '[FAIL]' } as const;
  for (const s of plan.steps) {
    lines.push({ text: `${s.number}. ${mark[s.status]} ${s.title}`, color: s.status === 'blocked' ? 'red' : s.status === 'todo' ? 'yellow' : s.status === 'done' ? 'green' : undefined, indent: 10 });
    if (s.id !== 'report') for (const d of s.detail) lines.push({ text: `          ${d}`, dim: true, indent: 10 });
  }
  if (!plan.nothingToDo) lines.push({ text: '' }, { text: 'Enter: go on (bridge, subnet, NAT, DHCP and the container can be changed on the next screens).', dim: true });
  return lines;
}

/** Step 5 as lines: what each step did, then the commands that undo what is in place. */
export function summaryViewLines(plan: SetupPlan, ui: Pick<SetupUi, 'outcomes'>): ViewLine[] {
  const result = resultOf(plan, ui.outcomes);
  const sum = summarizeSetup(plan, result);
  const lines: ViewLine[] = [];
  const changed = result.steps.some((x) => x.outcome === 'applied');
  const unchanged = result.steps.every((x) => x.outcome === 'already-done' || x.outcome === 'skipped');
  if (unchanged) lines.push({ text: 'Every step is already done: setup changed nothing.', bold: true, color: 'green' });
  const failed = result.steps.find((x) => x.outcome === 'failed');
  if (failed) {
    lines.push({ text: `Setup stopped: ${failed.title} failed: ${failed.error?.message ?? ''}`, bold: true, color: 'red' });
    if (failed.error?.hint) lines.push({ text: `hint: ${failed.error.hint}`, color: 'yellow', indent: 6 });
  } else if (changed) lines.push({ text: 'Setup is done.', bold: true, color: 'green' });
  lines.push({ text: 'What was done:', bold: true });
  for (const d of sum.done) lines.push({ text: `  ${d}`, color: /FAILED|blocked/.test(d) ? 'red' : /done now/.test(d) ? 'green' : undefined, indent: 5 });
  if (sum.undo.length) {
    lines.push({ text: '' }, { text: 'To undo (in this order):', bold: true });
    for (const u of sum.undo) {
      lines.push({ text: `  # ${u.title}`, dim: true });
      for (const c of u.commands) lines.push({ text: `  ${c}`, color: 'cyan', indent: 4 });
    }
  }
  return lines;
}

export function SetupScreen(props: ScreenProps): React.JSX.Element {
  const { services, dispatch: uiDispatch, width, height, theme } = props;
  const g = glyphs(theme);
  const service = services.setup;
  const [ui, dispatch, get] = useRefReducer(setupReducer, initialSetup);
  const [routes, setRoutes] = useState<RouteEntry[] | null>(null);
  const mounted = useRef(true);
  const abort = useRef<AbortController | null>(null);
  /** the pending yes/no of a step being asked */
  const answer = useRef<((yes: boolean) => void) | null>(null);

  // the container step's default: `first`, unless the lxcpath already holds containers (none of them `first`)
  const firstOpts = (): SetupOptions => {
    const names = props.getState().containers.map((c) => c.name);
    return names.length > 0 && !names.includes('first') ? { container: false } : {};
  };

  useEffect(() => {
    mounted.current = true;
    if (service) {
      service.plan(firstOpts()).then(
        (plan) => {
          if (!mounted.current) return;
          dispatch({ type: 'planned', plan });
          uiDispatch({ type: 'report', report: plan.report });
        },
        (e: unknown) => mounted.current && dispatch({ type: 'plan-failed', error: formatError(e) }),
      );
    }
    return () => {
      mounted.current = false;
      abort.current?.abort();
      answer.current?.(false);
    };
    // once, when the screen opens
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  /** Applies the steps `ids` of `plan` (asking before each with actions), recording outcomes; then `then`. */
  const run = (plan: SetupPlan, ids: readonly string[]): void => {
    if (!service) return;
    const ac = new AbortController();
    abort.current = ac;
    const part: SetupPlan = { ...plan, steps: plan.steps.filter((s) => ids.includes(s.id)) };
    const live = () => mounted.current && abort.current === ac;
    service
      .apply(part, {
        signal: ac.signal,
        onLine: (line) => live() && dispatch({ type: 'line', line }),
        onStep: (step, phase, error) => live() && dispatch({ type: 'step', step, phase, error }),
        confirm: (step) =>
          new Promise<boolean>((resolve) => {
            if (!live()) return resolve(false);
            answer.current = (yes) => {
              answer.current = null;
              if (live()) dispatch({ type: 'answered' });
              resolve(yes);
            };
            dispatch({ type: 'ask', step });
          }),
      })
      .then(
        (result) => {
          const mine = abort.current === ac;
          if (mine) abort.current = null;
          if (ac.signal.aborted) {
            // left with Esc while a step ran: say on the list where setup stopped
            const stopped = result.steps.find((x) => x.outcome === 'failed' || x.outcome === 'not-reached');
            const st = plan.steps.find((x) => x.id === stopped?.id);
            uiDispatch({
              type: 'status',
              status: {
                kind: 'info',
                message: `setup cancelled${st ? ` at step ${st.number} (${st.title})` : ''}; what ran before stays`,
                hint: 'S opens setup again: it shows what is in place and the commands that undo it',
              },
            });
            return;
          }
          if (mounted.current && mine) dispatch({ type: 'phase-done' });
        },
        (e: unknown) => {
          const mine = abort.current === ac;
          if (mine) abort.current = null;
          if (mounted.current && mine) {
            const step = plan.steps.find((s) => ids.includes(s.id))!;
            dispatch({ type: 'step', step, phase: 'failed', error: formatError(e) });
            dispatch({ type: 'phase-done' });
          }
        },
      );
  };

  const leave = (): void => {
    const s = get();
    if (abort.current) {
      abort.current.abort();
      if (s.running) uiDispatch({ type: 'status', status: { kind: 'info', message: 'cancelling setup: stopping the running command' } });
    }
    answer.current?.(false);
    uiDispatch({ type: 'pop' });
  };

  const toPackages = (s: SetupUi): void => {
    if (!s.plan) return;
    if (s.plan.nothingToDo) return toSummary();
    dispatch({ type: 'phase', phase: 'packages' });
    run(s.plan, ['packages']);
  };

  const toNetwork = (): void => {
    dispatch({ type: 'phase', phase: 'network' });
    if (service && routes === null)
      service.routes().then(
        (r) => mounted.current && setRoutes(r),
        () => undefined,
      );
  };

  const submitForm = (s: SetupUi): void => {
    if (!service || s.planning) return;
    const f = s.form;
    const opts: SetupOptions = {
      bridge: f.bridge.trim(),
      subnet: f.subnet.trim() || undefined,
      nat: f.nat,
      dhcp: f.dhcp,
      persist: f.persist,
      container: f.container.trim() || false,
    };
    dispatch({ type: 'planning' });
    service.plan(opts).then(
      (plan) => {
        if (!mounted.current) return;
        dispatch({ type: 'planned', plan });
        dispatch({ type: 'phase', phase: 'apply' });
        run(plan, NETWORK_STEPS);
      },
      (e: unknown) => mounted.current && dispatch({ type: 'plan-failed', error: formatError(e) }),
    );
  };

  const toSummary = (): void => {
    dispatch({ type: 'phase', phase: 'summary' });
  };

  const finish = (): void => {
    const s = get();
    const plan = s.plan;
    uiDispatch({ type: 'pop' });
    if (!plan) return;
    const result = resultOf(plan, s.outcomes);
    const container = plan.options.container;
    const made = result.steps.some((x) => x.outcome === 'applied');
    const failed = result.steps.find((x) => x.outcome === 'failed');
    if (failed) uiDispatch({ type: 'status', status: { kind: 'error', message: `setup stopped: ${failed.title} failed`, hint: failed.error?.message } });
    else if (made) uiDispatch({ type: 'status', status: { kind: 'ok', message: `first-time setup done${container ? `: ${container} on ${plan.options.bridge}` : ''}` } });
    else uiDispatch({ type: 'status', status: { kind: 'info', message: 'setup: every step was already done, nothing changed' } });
    if (container) uiDispatch({ type: 'select-name', name: container });
  };

  // ---- layout (needed by the key handler for scrolling)
  const step = ui.plan?.steps.find((x) => x.id === (ui.asking ?? ui.running)) ?? (ui.phase === 'apply' ? ui.plan?.steps.find((x) => x.id === ui.outcomes.at(-1)?.id) : undefined);
  let hints: Hint[];
  const scrollHint: Hint = { keys: theme.ascii ? 'up/dn' : '↑↓', label: 'scroll' };
  if (!service || ui.phase === 'loading') hints = [{ keys: 'Esc', label: 'leave' }];
  else if (ui.phase === 'report') hints = [{ keys: 'Enter', label: ui.plan?.nothingToDo ? 'summary' : 'next' }, scrollHint, { keys: 'Esc', label: 'leave' }];
  else if (ui.phase === 'network')
    hints = [
      { keys: 'Enter', label: 'plan and go on' },
      { keys: theme.ascii ? 'up/dn' : '↑↓', label: 'field' },
      { keys: theme.ascii ? '<-/->' : '←→', label: 'on/off' },
      { keys: 'Esc', label: 'leave' },
    ];
  else if (ui.phase === 'summary') hints = [{ keys: 'Enter/Esc', label: 'back to the list' }, scrollHint];
  else if (ui.asking) hints = [{ keys: 'y', label: 'apply', dangerous: true }, { keys: 'n', label: 'skip' }, { keys: 'Esc', label: 'leave' }, scrollHint];
  else if (ui.running) hints = [scrollHint, { keys: 'Esc', label: 'cancel and leave' }];
  else if (ui.phaseDone) hints = [{ keys: 'Enter', label: ui.phase === 'apply' || stoppedHere(ui) ? 'summary' : 'next' }, scrollHint, { keys: 'Esc', label: 'leave' }];
  else hints = [scrollHint, { keys: 'Esc', label: 'leave' }];
  const bodyHeight = frameBodyHeight(height, width, hints, theme.ascii);

  // body lines for the scrolling phases
  let viewLines: ViewLine[] = [];
  let footLines: ViewLine[] = [];
  if (!service) viewLines = [{ text: 'setup is not available here: run lxdeck setup', color: 'red' }];
  else if (ui.phase === 'loading') {
    viewLines = ui.error
      ? [
          { text: `${g.error} cannot plan the setup: ${ui.error.message}`, color: 'red' },
          ...(ui.error.hint ? [{ text: `  hint: ${ui.error.hint}`, color: 'yellow' }] : []),
        ]
      : [{ text: `checking the host${theme.ascii ? '...' : '…'}` }];
  } else if (ui.phase === 'report' && ui.plan) viewLines = reportViewLines(ui.plan);
  else if (ui.phase === 'summary' && ui.plan) viewLines = summaryViewLines(ui.plan, ui);
  else if (ui.phase === 'packages' || ui.phase === 'apply') {
    viewLines = ui.log.map((l) => ({ text: l.text, color: LOG_COLOR[l.kind], bold: l.kind === 'head', dim: l.kind === 'stdout' || l.kind === 'detail', indent: l.kind === 'stdout' || l.kind === 'stderr' || l.kind === 'command' ? 5 : 3 }));
    if (ui.asking && step) footLines = [{ text: `Apply step ${step.number} (${step.title})? It changes this host: only y applies it.`, color: 'yellow', bold: true }];
    else if (ui.running && step) footLines = [{ text: ui.cancelling ? 'cancelling…' : `running step ${step.number}: ${step.title} (Esc cancels it)`, dim: true }];
    else if (ui.phaseDone) {
      if (stoppedHere(ui)) footLines = [{ text: 'Setup stopped here: Enter shows the summary with what is in place.', color: 'red', bold: true }];
      else if (ui.phase === 'packages') footLines = [{ text: 'Enter: go on to the network (bridge, NAT, DHCP).', bold: true }];
      else footLines = [{ text: 'Enter: the summary, with the commands that undo each step.', bold: true }];
    }
  }
  const wrappedFoot = wrapViewLines(footLines, width, theme.ascii);
  const viewHeight = Math.max(1, bodyHeight - wrappedFoot.length);
  const wrapped = wrapViewLines(viewLines, width, theme.ascii);
  const maxTop = Math.max(0, wrapped.length - viewHeight);
  // where the view opens: the asked step's heading (its commands), else the tail
  let autoTop = ui.phase === 'report' || ui.phase === 'summary' || ui.phase === 'loading' ? 0 : maxTop;
  if (ui.asking) {
    const at = wrapViewLines(viewLines.slice(0, ui.askAt), width, theme.ascii).length;
    autoTop = Math.min(at, maxTop);
  }
  const top = ui.top === null ? autoTop : clampTop(ui.top, wrapped.length, viewHeight);

  // ---- keys
  useKeys((input: string, key: Key) => {
    const s = get();
    if (s.phase === 'network') {
      const id = formCommand(input, key);
      const field = FORM_FIELDS[s.focus];
      const isChoice = field === 'nat' || field === 'dhcp' || field === 'persist';
      switch (id) {
        case 'quit':
          props.onQuit(quitHow(input, key));
          return false;
        case 'leave':
          return leave();
        case 'next':
          return submitForm(s);
        case 'up':
          return dispatch({ type: 'focus', index: s.focus - 1 });
        case 'down':
          return dispatch({ type: 'focus', index: s.focus + 1 });
        case 'left':
        case 'right':
          if (isChoice) dispatch({ type: 'form', field, value: !s.form[field] });
          return;
        case 'erase':
          if (!isChoice) dispatch({ type: 'form', field, value: eraseText(s.form[field], eraseHowOf(input, key)) });
          return;
        default: {
          const text = textOf(input, key);
          if (text && !isChoice) dispatch({ type: 'form', field, value: s.form[field] + text });
          return;
        }
      }
    }
    const c = commandFor(SETUP_COMMANDS, input, key);
    if (!c) return;
    const page = Math.max(1, viewHeight - 1);
    const cur = s.top === null ? top : clampTop(s.top, wrapped.length, viewHeight);
    const scrollTo = (t: number) => dispatch({ type: 'scroll', top: Math.max(0, Math.min(maxTop, t)) });
    switch (c.id) {
      case 'quit':
        props.onQuit(quitHow(input, key));
        return false;
      case 'leave':
        return s.phase === 'summary' ? finish() : leave();
      case 'up':
        return scrollTo(cur - 1);
      case 'down':
        return scrollTo(cur + 1);
      case 'pageUp':
        return scrollTo(cur - page);
      case 'pageDown':
        return scrollTo(cur + page);
      case 'home':
        return scrollTo(0);
      case 'end':
        return scrollTo(maxTop);
      default:
        break;
    }
    if (s.asking) {
      // it changes the host: only an explicit y applies (Enter, which means "next" elsewhere, does nothing here)
      if (c.id === 'yes') answer.current?.(true);
      else if (c.id === 'no') answer.current?.(false);
      return;
    }
    if (c.id !== 'next') return;
    if (s.phase === 'report') return toPackages(s);
    if (s.phase === 'summary') return finish();
    if ((s.phase === 'packages' || s.phase === 'apply') && s.phaseDone) {
      if (s.phase === 'apply' || stoppedHere(s)) return toSummary();
      return toNetwork();
    }
  }, true, props.takePendingKeys);

  // ---- body
  let body: React.JSX.Element;
  if (service && ui.phase === 'network') {
    const f = ui.form;
    const views: FormFieldView[] = FORM_FIELDS.map((id, i) => {
      const v = f[id];
      return {
        label: FIELD_LABEL[id],
        kind: typeof v === 'boolean' ? 'choice' : 'text',
        value: typeof v === 'boolean' ? (v ? 'on' : 'off') : v,
        focused: i === ui.focus,
        placeholder: id === 'subnet' ? 'the first free /24' : id === 'container' ? 'none' : undefined,
      };
    });
    const field = FORM_FIELDS[ui.focus];
    const intro: ViewLine[] = [{ text: 'The bridge containers join, and the first container:', bold: true }];
    const after: ViewLine[] = [{ text: '' }];
    const problem = subnetProblem(f.subnet, routes, f.bridge);
    if (ui.planning) after.push({ text: `planning${theme.ascii ? '...' : '…'}`, dim: true });
    else if (ui.error) {
      after.push({ text: `${g.error} ${ui.error.message}`, color: 'red' });
      if (ui.error.hint) after.push({ text: `  hint: ${ui.error.hint}`, color: 'yellow', indent: 8 });
    } else if (problem) after.push({ text: `${g.error} subnet ${f.subnet.trim()}: ${problem}`, color: 'red' });
    else if (f.subnet.trim() && routes) after.push({ text: `${g.ok} no route of this host overlaps ${f.subnet.trim()}`, color: 'green' });
    after.push({ text: FIELD_HELP[field], dim: true });
    if (field === 'nat' && ui.plan) after.push({ text: `nftables table: ip ${ui.plan.options.natTable}`, dim: true });
    const introW = wrapViewLines(intro, width, theme.ascii);
    const afterW = wrapViewLines(after, width, theme.ascii);
    const formH = Math.min(views.length, Math.max(0, bodyHeight - introW.length));
    const ftop = Math.max(0, Math.min(ui.focus - formH + 1, views.length - formH));
    const restH = Math.max(0, bodyHeight - introW.length - formH);
    body = (
      <Box flexDirection="column" width={width} height={bodyHeight}>
        <LineView lines={introW} top={0} height={introW.length} width={width} theme={theme} />
        <Form fields={views.slice(ftop, ftop + formH)} width={width} theme={theme} />
        {restH > 0 ? <LineView lines={afterW} top={0} height={restH} width={width} theme={theme} /> : null}
      </Box>
    );
  } else {
    body = (
      <Box flexDirection="column" width={width} height={bodyHeight}>
        <LineView lines={wrapped} top={top} height={viewHeight} width={width} theme={theme} />
        {wrappedFoot.length ? <LineView lines={wrappedFoot} top={0} height={bodyHeight - viewHeight} width={width} theme={theme} /> : null}
      </Box>
    );
  }

  const busy = ui.running && step ? (ui.cancelling ? 'cancelling' : `step ${step.number}: ${step.title}`) : ui.planning && ui.phase !== 'loading' && ui.phase !== 'network' ? 'planning' : null;
  const right = wrapped.length > viewHeight && ui.phase !== 'network' ? `${top + 1}-${Math.min(wrapped.length, top + viewHeight)} of ${wrapped.length}` : '';
  return (
    <Frame title={`First-time setup ${g.rule} ${titleOf(ui, step)}`} right={right} width={width} height={height} theme={theme} status={null} busy={busy} hints={hints}>
      {body}
    </Frame>
  );
}

/** True when the phase ended with a failed step: setup goes no further (later steps need it). */
function stoppedHere(s: Pick<SetupUi, 'outcomes' | 'phaseDone'>): boolean {
  return s.phaseDone && s.outcomes.some((o) => o.outcome === 'failed');
}

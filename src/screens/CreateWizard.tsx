/**
 * The create wizard: name → template → template options → network →
 * resources → security → summary → progress → offer to start. Each step is
 * checked with core's planCreate before the next one opens (errors with
 * their hint under the fields); Esc goes back a step with every value kept
 * (leaves the wizard from the first step); the summary shows the config
 * lines renderConfig will write and the equivalent `lxdeck create` line;
 * during the create Esc cancels it and the engine removes what it made.
 * State: src/state/wizard.ts (pure reducer).
 */
import React, { useEffect, useRef, useState } from 'react';
import { Box, Text, type Key } from 'ink';
import { formatError } from '../../core/errors.js';
import type { CreateOptions, ProgressEvent } from '../../core/types.js';
import { CONTAINER_NAME_RULE, validateContainerName } from '../../core/names.js';
import { SIZE_GRAMMAR } from '../../core/units.js';
import { SECCOMP_NONE_WARNING, UNCONFINED_WARNING } from '../../core/rootfs/security.js';
import { Frame, frameBodyHeight } from '../../components/Frame.js';
import { Form, type FormFieldView } from '../../components/Form.js';
import { LineView, clampTop, wrapViewLines, type ViewLine } from '../../components/LineView.js';
import { ProgressBar } from '../../components/ProgressBar.js';
import { Dialog, dialogHeight, type DialogLine } from '../../components/Dialog.js';
import type { Hint } from '../../components/KeyHints.js';
import { fitToWidth } from '../../components/text.js';
import { glyphs } from '../../components/theme.js';
import { eraseHowOf, eraseText, WIZARD_COMMANDS, YES_NO_COMMANDS, commandFor, hintsFor, matchKey, textOf, VIEW_COMMANDS } from '../keymap.js';
import { useKeys, useRefReducer } from '../hooks/use-keys.js';
import { hostServices, type CreateEnv } from '../console/services.js';
import {
  STEPS,
  STEP_TITLES,
  apparmorEnabled,
  checkStep,
  createOptionsOf,
  fieldsOf,
  initialWizard,
  manifestOf,
  nextStep,
  prevStep,
  stepShown,
  summaryOf,
  wizardReducer,
  type Field,
  type StepId,
  type WizardState,
} from '../state/wizard.js';
import type { ScreenProps } from './types.js';
import { scrollTop } from '../state/reducer.js';

/** The form steps counted in the header ("step 2 of 7"). */
const COUNTED: readonly StepId[] = STEPS.slice(0, STEPS.indexOf('summary') + 1);

/** The warning shown before a container is made privileged. */
export const PRIVILEGED_WARNING =
  'A privileged container has no user namespace: root in the container is root on the host. ' +
  'A process that escapes it (a kernel or LXC bug, a mount or device left open) owns the whole machine. ' +
  'Use it only for software you trust that cannot run unprivileged.';

/** The security step's first line. */
const SECURITY_INTRO = 'Who root in the container is on the host, and what confines it:';

function shownValue(f: Field): string {
  if (f.kind === 'choice' && f.choices && f.choiceLabels) {
    const i = f.choices.indexOf(f.value);
    return i >= 0 ? f.choiceLabels[i] : f.value;
  }
  return f.value;
}

export function CreateWizard(props: ScreenProps): React.JSX.Element {
  const { engine, services, theme } = props;
  // the env is usually made at once (a sync createEnv): then the wizard reads keys from its first frame
  const make = services.createEnv ?? hostServices(engine).createEnv!;
  const [first] = useState(() => {
    try {
      const e = make();
      return e instanceof Promise ? { pending: e } : { env: e };
    } catch (e) {
      return { error: formatError(e).message };
    }
  });
  const [env, setEnv] = useState<CreateEnv | null>('env' in first ? (first.env ?? null) : null);
  const [envError, setEnvError] = useState<string | null>('error' in first ? (first.error ?? null) : null);

  useEffect(() => {
    if (!('pending' in first) || !first.pending) return undefined;
    let live = true;
    first.pending.then(
      (e) => live && setEnv(e),
      (e: unknown) => live && setEnvError(formatError(e).message),
    );
    return () => {
      live = false;
    };
  }, [first]);

  if (!env) {
    return (
      <WizardLoading
        {...props}
        text={envError ? `cannot open the create wizard: ${envError}` : `loading templates and bridges${theme.ascii ? '...' : '…'}`}
      />
    );
  }
  return <WizardBody {...props} env={env} />;
}

function WizardLoading(props: ScreenProps & { text: string }): React.JSX.Element {
  const hints = hintsFor(WIZARD_COMMANDS.filter((c) => c.id === 'back'), props.theme.ascii);
  useKeys((input, key) => {
    if (commandFor(WIZARD_COMMANDS, input, key)?.id === 'back') props.dispatch({ type: 'pop' });
  });
  const body = frameBodyHeight(props.height, props.width, hints, props.theme.ascii);
  return (
    <Frame title="Create a container" width={props.width} height={props.height} theme={props.theme} status={null} hints={hints}>
      <LineView lines={wrapViewLines([{ text: props.text }], props.width, props.theme.ascii)} top={0} height={body} width={props.width} theme={props.theme} />
    </Frame>
  );
}

function WizardBody(props: ScreenProps & { env: CreateEnv }): React.JSX.Element {
  const { engine, env, dispatch: uiDispatch, width, height, theme } = props;
  const g = glyphs(theme);
  const [w, dispatch, get] = useRefReducer(wizardReducer, () => initialWizard(env));
  const abort = useRef<AbortController | null>(null);
  /** Ctrl+C during the create: cancel it (the engine removes what it made), then quit (exit 130) */
  const quitAfter = useRef(false);
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
      abort.current?.abort();
    };
  }, []);

  const taken = (): string[] => props.getState().containers.map((c) => c.name);

  const leave = (name?: string): void => {
    uiDispatch({ type: 'pop' });
    if (name) uiDispatch({ type: 'select-name', name });
  };

  const create = (): void => {
    const s = get();
    const checked = checkStep('summary', s.values, env, taken());
    if ('error' in checked) {
      dispatch({ type: 'error', error: checked.error });
      return;
    }
    const name = s.values.name;
    const ac = new AbortController();
    abort.current = ac;
    dispatch({ type: 'goto', step: 'progress' });
    const opts: CreateOptions = {
      ...createOptionsOf(s.values, env.templates),
      onProgress: (ev: ProgressEvent) => {
        if (mounted.current) dispatch({ type: 'progress', ev });
      },
      signal: ac.signal,
    };
    engine.create(name, opts).then(
      () => {
        abort.current = null;
        if (quitAfter.current) return props.onQuit('interrupt');
        if (!mounted.current) return;
        dispatch({ type: 'outcome', outcome: { kind: 'created' } });
        uiDispatch({ type: 'status', status: { kind: 'ok', message: `created ${name}` } });
      },
      (e: unknown) => {
        abort.current = null;
        if (quitAfter.current) return props.onQuit('interrupt');
        if (!mounted.current) return;
        const { message, hint } = formatError(e);
        if (ac.signal.aborted) dispatch({ type: 'outcome', outcome: { kind: 'cancelled', message } });
        else dispatch({ type: 'outcome', outcome: { kind: 'failed', message, hint } });
      },
    );
  };

  const startIt = (): void => {
    const s = get();
    if (s.starting) return;
    const name = s.values.name;
    dispatch({ type: 'starting', value: true });
    engine.start(name).then(
      () => {
        uiDispatch({ type: 'status', status: { kind: 'ok', message: `created and started ${name}` } });
        leave(name);
      },
      (e: unknown) => {
        if (!mounted.current) return;
        dispatch({ type: 'starting', value: false });
        const { message, hint } = formatError(e);
        dispatch({ type: 'error', error: { message: `created ${name}, but it did not start: ${message}`, hint } });
      },
    );
  };

  // ---- keys
  useKeys((input: string, key: Key) => {
    const s = get();
    const step = s.step;

    if (s.warnPrivileged) {
      const c = commandFor(YES_NO_COMMANDS, input, key);
      if (c?.id === 'yes') dispatch({ type: 'set-privileged', value: true });
      else if (c?.id === 'no') dispatch({ type: 'warn-privileged', open: false });
      return;
    }
    if (s.warnUnconfined) {
      const c = commandFor(YES_NO_COMMANDS, input, key);
      if (c?.id === 'yes') dispatch({ type: 'set-apparmor', value: 'unconfined' });
      else if (c?.id === 'no') dispatch({ type: 'warn-unconfined', open: false });
      return;
    }

    if (step === 'done') {
      const c = commandFor(YES_NO_COMMANDS, input, key);
      if (c?.id === 'yes') startIt();
      else if (c?.id === 'no' && !s.starting) leave(s.values.name);
      return;
    }

    if (step === 'progress') {
      const c = commandFor(WIZARD_COMMANDS, input, key);
      if (s.outcome === null) {
        if (c?.id === 'back' && !s.progress.cancelling) {
          // Ctrl+C quits once the cancel has removed what was made: never a half-made container left
          if (matchKey('ctrl+c', input, key)) quitAfter.current = true;
          dispatch({ type: 'cancelling' });
          abort.current?.abort();
        }
      } else if (c?.id === 'back' || c?.id === 'next') {
        dispatch({ type: 'goto', step: 'summary' });
      }
      return;
    }

    if (step === 'summary') {
      const v = commandFor(VIEW_COMMANDS, input, key);
      const c = commandFor(WIZARD_COMMANDS, input, key);
      if (c?.id === 'next') return create();
      if (c?.id === 'back') return goBack(s);
      const page = Math.max(1, summaryHeight - 1);
      if (v?.id === 'up') dispatch({ type: 'summary-top', top: s.summaryTop - 1 });
      else if (v?.id === 'down') dispatch({ type: 'summary-top', top: Math.min(s.summaryTop + 1, maxSummaryTop) });
      else if (v?.id === 'pageUp') dispatch({ type: 'summary-top', top: s.summaryTop - page });
      else if (v?.id === 'pageDown') dispatch({ type: 'summary-top', top: Math.min(s.summaryTop + page, maxSummaryTop) });
      return;
    }

    const c = commandFor(WIZARD_COMMANDS, input, key);
    if (step === 'template') {
      const names = env.templates.map((t) => t.name);
      const at = Math.max(0, names.indexOf(s.values.template));
      if (c?.id === 'fieldUp' || c?.id === 'choiceLeft') dispatch({ type: 'template', name: names[Math.max(0, at - 1)] });
      else if (c?.id === 'fieldDown' || c?.id === 'choiceRight') dispatch({ type: 'template', name: names[Math.min(names.length - 1, at + 1)] });
      else if (c?.id === 'next') goNext(s);
      else if (c?.id === 'back') goBack(s);
      return;
    }

    const fields = fieldsOf(step, s.values, env);
    const fi = Math.min(s.focus[step] ?? 0, Math.max(0, fields.length - 1));
    const f = fields[fi];
    switch (c?.id) {
      case 'next':
        return goNext(s);
      case 'back':
        return goBack(s);
      case 'fieldUp':
        return dispatch({ type: 'focus', step, index: Math.max(0, fi - 1) });
      case 'fieldDown':
        return dispatch({ type: 'focus', step, index: Math.min(fields.length - 1, fi + 1) });
      case 'choiceLeft':
      case 'choiceRight':
        if (f?.kind === 'choice') cycle(f, c.id === 'choiceLeft' ? -1 : 1);
        return;
      case 'erase':
        if (f?.kind === 'text') dispatch({ type: 'set', id: f.id, value: eraseText(f.value, eraseHowOf(input, key)) });
        return;
      default:
        break;
    }
    const text = textOf(input, key);
    if (!text || !f) return;
    if (f.kind === 'choice') {
      if (text === ' ') cycle(f, 1);
      return;
    }
    dispatch({ type: 'set', id: f.id, value: f.value + text });
  }, true, props.takePendingKeys);

  function cycle(f: Field, dir: 1 | -1): void {
    const choices = f.choices ?? [];
    if (choices.length === 0) return;
    const i = choices.indexOf(f.value);
    const next = choices[(Math.max(0, i) + dir + choices.length) % choices.length];
    if (f.id === 'privileged') {
      if (next === 'privileged') dispatch({ type: 'warn-privileged', open: true });
      else dispatch({ type: 'set-privileged', value: false });
      return;
    }
    if (f.id === 'apparmor' && next === 'unconfined') {
      dispatch({ type: 'warn-unconfined', open: true });
      return;
    }
    dispatch({ type: 'set', id: f.id, value: next });
  }

  function goNext(s: WizardState): void {
    const checked = checkStep(s.step, s.values, env, taken());
    if ('error' in checked) {
      dispatch({ type: 'error', error: checked.error });
      return;
    }
    dispatch({ type: 'goto', step: nextStep(s.step, s.values, env.templates, env.backings) });
  }

  function goBack(s: WizardState): void {
    const prev = prevStep(s.step, s.values, env.templates, env.backings);
    if (prev === null) leave();
    else dispatch({ type: 'goto', step: prev });
  }

  // ---- layout
  const step = w.step;
  let hints: Hint[];
  if (w.warnPrivileged || w.warnUnconfined || step === 'done') hints = hintsFor(YES_NO_COMMANDS, theme.ascii);
  else if (step === 'progress')
    hints = w.outcome === null ? [{ keys: 'Esc', label: 'cancel (removes what was made)' }, { keys: 'Ctrl+C', label: 'cancel, then quit' }] : [{ keys: 'Enter/Esc', label: 'back to the summary' }];
  else if (step === 'summary')
    hints = [
      { keys: 'Enter', label: 'create' },
      { keys: 'Esc', label: 'back' },
      { keys: theme.ascii ? 'up/dn' : '↑↓', label: 'scroll' },
    ];
  else if (step === 'template')
    hints = [
      { keys: 'Enter', label: 'next' },
      { keys: 'Esc', label: 'back' },
      { keys: theme.ascii ? 'up/dn' : '↑↓', label: 'choose' },
    ];
  else hints = hintsFor(WIZARD_COMMANDS, theme.ascii).map((h) => (h.label === 'back' && step === 'name' ? { ...h, label: 'leave' } : h));
  const bodyHeight = frameBodyHeight(height, width, hints, theme.ascii);

  const counted = COUNTED.filter((x) => stepShown(x, w.values, env));
  const at = counted.indexOf(step);
  const stepText = at >= 0 ? `step ${at + 1} of ${counted.length}: ${STEP_TITLES[step]}` : STEP_TITLES[step];
  const title = `Create a container ${g.rule} ${stepText}`;
  const right = w.values.name && step !== 'name' ? w.values.name : '';

  // error lines under the step's body
  const errorLines: ViewLine[] = [];
  if (w.error) {
    const message = step === 'name' ? w.error.message.replace(`: ${CONTAINER_NAME_RULE}`, '') : w.error.message;
    errorLines.push({ text: `${g.error} ${message}`, color: 'red' });
    if (w.error.hint) errorLines.push({ text: `  hint: ${w.error.hint}`, color: 'yellow' });
  }
  const errWrapped = wrapViewLines(errorLines, width, theme.ascii);

  let summaryHeight = bodyHeight;
  let maxSummaryTop = 0;
  let body: React.JSX.Element;

  if (step === 'template') {
    const head = wrapViewLines([{ text: 'Choose the template that builds the rootfs:', bold: true }], width, theme.ascii);
    const nameWidth = Math.min(16, Math.max(...env.templates.map((t) => t.name.length)) + 1);
    const at = Math.max(0, env.templates.findIndex((t) => t.name === w.values.template));
    const list: ViewLine[] = env.templates.map((t, i) => ({
      text: `${i === at ? g.pointer : ' '} ${fitToWidth(t.name, nameWidth)} ${t.description}${t.offline ? '' : ' (needs the network)'}`,
      selected: i === at,
      bold: i === at,
      nowrap: true,
    }));
    const m = manifestOf(w.values, env.templates);
    const about = wrapViewLines(
      m ? [{ text: m.description, dim: true }, { text: m.options.length ? `options: ${m.options.map((o) => o.name).join(', ')}` : 'no options', dim: true }] : [],
      width,
      theme.ascii,
    );
    // the list scrolls to keep the chosen template in view (the host's lxc-* scripts make it long)
    const listH = Math.max(1, bodyHeight - head.length - about.length - errWrapped.length - 1);
    const top = scrollTop(Math.max(0, at - listH + 1), at, listH, list.length);
    body = (
      <Box flexDirection="column" width={width} height={bodyHeight}>
        <LineView lines={head} top={0} height={head.length} width={width} theme={theme} />
        <LineView lines={list} top={top} height={listH} width={width} theme={theme} />
        <LineView lines={[{ text: '' }, ...about]} top={0} height={about.length + 1} width={width} theme={theme} />
        {errWrapped.length ? <LineView lines={errWrapped} top={0} height={errWrapped.length} width={width} theme={theme} /> : null}
      </Box>
    );
  } else if (step === 'summary') {
    const checked = checkStep('summary', w.values, env, []);
    const lines: ViewLine[] = [];
    if ('plan' in checked) {
      let sum: { config: string[]; command: string } | null = null;
      try {
        sum = summaryOf(checked.plan, w.values, env, engine.lxcpath);
      } catch (e) {
        lines.push({ text: formatError(e).message, color: 'red' });
      }
      if (sum) {
        lines.push({ text: `${engine.lxcpath.replace(/\/+$/, '')}/${w.values.name}/config will hold:`, bold: true });
        for (const l of sum.config) lines.push({ text: `  ${l}`, color: l.startsWith('#') ? undefined : 'green', dim: l.startsWith('#'), indent: 4 });
        lines.push({ text: '' }, { text: 'The same from the command line:', bold: true }, { text: `  ${sum.command}`, color: 'cyan', indent: 4 });
        for (const warning of checked.plan.warnings) lines.push({ text: '' }, { text: `${g.error} ${warning}`, color: 'yellow' });
      }
    }
    const wrapped = wrapViewLines(lines, width, theme.ascii);
    summaryHeight = Math.max(1, bodyHeight - errWrapped.length);
    maxSummaryTop = Math.max(0, wrapped.length - summaryHeight);
    body = (
      <Box flexDirection="column" width={width} height={bodyHeight}>
        <LineView lines={wrapped} top={clampTop(w.summaryTop, wrapped.length, summaryHeight)} height={summaryHeight} width={width} theme={theme} />
        {errWrapped.length ? <LineView lines={errWrapped} top={0} height={bodyHeight - summaryHeight} width={width} theme={theme} /> : null}
      </Box>
    );
  } else if (step === 'progress') {
    const p = w.progress;
    const head: ViewLine[] = [];
    let label = `${p.phase}${p.cancelling ? ` (cancelling: removing what was made${quitAfter.current ? ', then quitting' : ''})` : ''}`;
    if (w.outcome?.kind === 'cancelled') label = 'cancelled';
    if (w.outcome?.kind === 'failed') label = 'failed';
    const tail: ViewLine[] = [];
    if (w.outcome?.kind === 'cancelled') tail.push({ text: `${g.error} ${w.outcome.message}`, color: 'yellow' });
    if (w.outcome?.kind === 'failed') {
      tail.push({ text: `${g.error} ${w.outcome.message}`, color: 'red' });
      if (w.outcome.hint) tail.push({ text: `  hint: ${w.outcome.hint}`, color: 'yellow' });
      tail.push({ text: '  Nothing was left behind; go back to change the values.', dim: true });
    }
    const tailWrapped = wrapViewLines(tail, width, theme.ascii);
    const logHeight = Math.max(1, bodyHeight - 2 - tailWrapped.length);
    const logLines = wrapViewLines(
      p.lines.map((l) => ({ text: `  ${l}`, dim: true })),
      width,
      theme.ascii,
    );
    body = (
      <Box flexDirection="column" width={width} height={bodyHeight}>
        <ProgressBar fraction={p.fraction} label={label} width={width} theme={theme} />
        <LineView lines={head} top={0} height={1} width={width} theme={theme} />
        <LineView lines={logLines} top={Math.max(0, logLines.length - logHeight)} height={logHeight} width={width} theme={theme} />
        {tailWrapped.length ? <LineView lines={tailWrapped} top={0} height={tailWrapped.length} width={width} theme={theme} /> : null}
      </Box>
    );
  } else if (step === 'done') {
    const lines: ViewLine[] = [
      { text: `${g.ok} Created ${w.values.name}.`, color: 'green', bold: true },
      { text: '' },
      { text: w.starting ? `starting ${w.values.name}${theme.ascii ? '...' : '…'}` : `Start ${w.values.name} now? y: start it, n or Esc: back to the list` },
    ];
    body = stepBody(wrapViewLines(lines, width, theme.ascii), errWrapped);
  } else {
    const fields = fieldsOf(step, w.values, env);
    const fi = Math.min(w.focus[step] ?? 0, Math.max(0, fields.length - 1));
    const intro: ViewLine[] = [];
    if (step === 'name') intro.push({ text: 'Name of the new container:', bold: true });
    if (step === 'options') intro.push({ text: `Options of the ${w.values.template} template (defaults filled in):`, bold: true });
    if (step === 'network') intro.push({ text: 'How the container joins the network (a veth on a host bridge):', bold: true });
    if (step === 'resources') intro.push({ text: 'Limits (leave empty for none; all may be changed later):', bold: true });
    if (step === 'storage') intro.push({ text: 'Where the rootfs is stored (lxc-create -B; what this host can do):', bold: true });
    if (step === 'security') intro.push({ text: SECURITY_INTRO, bold: true });
    const views: FormFieldView[] = fields.map((f, i) => ({
      label: f.label,
      kind: f.kind,
      value: shownValue(f),
      focused: i === fi,
      placeholder: f.placeholder,
      masked: f.masked,
    }));
    const after: ViewLine[] = [{ text: '' }];
    const focused = fields[fi];
    if (step === 'name') {
      // checked as typed: the rule, and whether the name follows it
      let ok = w.values.name !== '';
      let why = '';
      try {
        if (w.values.name) validateContainerName(w.values.name);
      } catch (e) {
        ok = false;
        why = formatError(e).message.replace(`: ${CONTAINER_NAME_RULE}`, '');
      }
      if (w.values.name && !w.error) after.push(ok ? { text: `${g.ok} a valid name`, color: 'green' } : { text: `${g.error} ${why}`, color: 'red' });
      after.push({ text: `Rule: ${CONTAINER_NAME_RULE}`, dim: true });
    } else if (focused?.help) {
      after.push({ text: focused.help, dim: true });
    }
    if (step === 'resources') after.push({ text: `Sizes: ${SIZE_GRAMMAR}`, dim: true });
    if (step === 'security') {
      if (!apparmorEnabled(env)) after.push({ text: 'AppArmor: not enabled on this host (LXC runs containers without an AppArmor profile)', dim: true });
      if (env.security?.seccomp === false) after.push({ text: 'seccomp: this kernel has no seccomp filters; LXC cannot load a profile', color: 'yellow' });
      if (w.values.privileged) after.push({ text: `${g.error} ${PRIVILEGED_WARNING}`, color: 'yellow' });
      if (apparmorEnabled(env) && w.values.apparmor === 'unconfined') after.push({ text: `${g.error} ${UNCONFINED_WARNING}`, color: 'yellow' });
      if (w.values.seccomp === 'none') after.push({ text: `${g.error} ${SECCOMP_NONE_WARNING}`, color: 'yellow' });
    }
    const introW = wrapViewLines(intro, width, theme.ascii);
    const afterW = wrapViewLines(after, width, theme.ascii);
    const formH = Math.min(fields.length, Math.max(0, bodyHeight - introW.length - errWrapped.length));
    // keep the focused field in view when there are more fields than lines
    const ftop = Math.max(0, Math.min(fi - formH + 1, fields.length - formH));
    const restH = Math.max(0, bodyHeight - introW.length - formH - errWrapped.length);
    body = (
      <Box flexDirection="column" width={width} height={bodyHeight}>
        {introW.length ? <LineView lines={introW} top={0} height={introW.length} width={width} theme={theme} /> : null}
        <Form fields={views.slice(ftop, ftop + formH)} width={width} theme={theme} />
        {errWrapped.length ? <LineView lines={errWrapped} top={0} height={errWrapped.length} width={width} theme={theme} /> : null}
        {restH > 0 ? <LineView lines={afterW} top={0} height={restH} width={width} theme={theme} /> : null}
      </Box>
    );
  }

  function stepBody(lines: ViewLine[], errs: ViewLine[]): React.JSX.Element {
    const top = Math.max(0, bodyHeight - errs.length);
    return (
      <Box flexDirection="column" width={width} height={bodyHeight}>
        <LineView lines={lines} top={0} height={top} width={width} theme={theme} />
        {errs.length ? <LineView lines={errs} top={0} height={bodyHeight - top} width={width} theme={theme} /> : null}
      </Box>
    );
  }

  if (w.warnPrivileged || w.warnUnconfined) {
    const dlgTitle = w.warnPrivileged ? 'Root in the container is root on the host' : 'No AppArmor profile';
    const dl: DialogLine[] = w.warnPrivileged
      ? [{ text: PRIVILEGED_WARNING }, { text: 'Make it privileged? y: yes, privileged; n or Esc: keep it unprivileged', color: 'yellow' }]
      : [{ text: UNCONFINED_WARNING }, { text: `Run it unconfined? y: yes, unconfined; n or Esc: keep ${w.values.apparmor === 'default' ? "LXC's default profile" : `the ${w.values.apparmor} profile`}`, color: 'yellow' }];
    const dh = dialogHeight(dlgTitle, dl, width, theme.ascii);
    const above = wrapViewLines(
      [
        { text: SECURITY_INTRO, bold: true },
        { text: `  mode       ${w.values.privileged ? 'privileged' : 'unprivileged'}` },
        ...(w.warnUnconfined ? [{ text: `  AppArmor   ${w.values.apparmor}` }] : []),
      ],
      width,
      theme.ascii,
    );
    body = (
      <Box flexDirection="column" width={width} height={bodyHeight}>
        <LineView lines={above} top={0} height={Math.max(0, bodyHeight - dh)} width={width} theme={theme} />
        <Dialog title={dlgTitle} lines={dl} width={width} theme={theme} accent="red" />
      </Box>
    );
  }

  return (
    <Frame title={title} right={right} width={width} height={height} theme={theme} status={step === 'progress' || step === 'done' ? props.state.status : null} hints={hints}>
      {body}
    </Frame>
  );
}

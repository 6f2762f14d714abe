/**
 * The console's first-time setup screen as one pure reducer (issue 5): the
 * phase it is at (report → packages → network choices → network and first
 * container → summary), the plan, the user's network choices, the step
 * waiting for a yes/no, the live output log, and each step's outcome.
 * src/screens/SetupScreen.tsx turns keys and core/setup callbacks into
 * these actions; nothing here runs anything.
 */
import { formatCommand, routeClash, type RouteEntry, type SetupLine, type SetupPlan, type SetupResult, type SetupStep, type StepId, type StepOutcome } from '../../../core/setup/index.js';
import { formatCidr, networkOf, parseCidr } from '../../../core/network/ipv4.js';
import { STEP_IDS } from '../../../core/setup/types.js';

/**
 * loading: the first plan is being made; report: step 1; packages: step 2
 * (asked, then run); network: the choices of steps 3-6 (a form); apply: steps 3
 * to 7 (bridge, NAT, DHCP, persistence, first container), each asked, then
 * run; summary: after the last step (not numbered).
 */
export type SetupPhase = 'loading' | 'report' | 'packages' | 'network' | 'apply' | 'summary';

/** The steps the apply phase runs (after the network choices). */
export const NETWORK_STEPS: readonly StepId[] = ['bridge', 'nat', 'dhcp', 'persist', 'container'];

/** The network choices of step 3 and the first container's name ('' for none). */
export interface NetworkForm {
  bridge: string;
  /** '' lets planSetup take the first free /24 */
  subnet: string;
  nat: boolean;
  dhcp: boolean;
  persist: boolean;
  container: string;
}

export const FORM_FIELDS = ['bridge', 'subnet', 'nat', 'dhcp', 'persist', 'container'] as const;
export type FormField = (typeof FORM_FIELDS)[number];

/** How a log line is drawn. */
export type LogKind = 'head' | 'detail' | 'command' | 'stdout' | 'stderr' | 'info' | 'ok' | 'fail' | 'note';

export interface LogLine {
  kind: LogKind;
  text: string;
}

export interface SetupUi {
  phase: SetupPhase;
  /** the plan in effect: the first one, then the one made with the network choices */
  plan: SetupPlan | null;
  /** why the last plan could not be made (shown under the form, or alone when the first plan failed) */
  error: { message: string; hint?: string } | null;
  /** a plan is being made */
  planning: boolean;
  form: NetworkForm;
  /** the focused form field */
  focus: number;
  /** the step waiting for yes/no, its commands shown */
  asking: StepId | null;
  /** the step being applied */
  running: StepId | null;
  /** Esc was pressed while a step ran: its command is being stopped */
  cancelling: boolean;
  /** the apply of the current phase has ended */
  phaseDone: boolean;
  /** everything shown while steps are asked and applied: headings, commands, output, outcomes */
  log: LogLine[];
  /** index in `log` where the step being asked for begins (the view opens there) */
  askAt: number;
  /** steps whose heading is in the log */
  heads: StepId[];
  /** each step's outcome, in the order they ended */
  outcomes: SetupResult['steps'];
  /** first line drawn; null follows the tail (or the asked step) */
  top: number | null;
}

/** The log keeps at most this many lines (a package install prints thousands). */
export const LOG_LIMIT = 2000;

export type SetupAction =
  | { type: 'planning' }
  | { type: 'planned'; plan: SetupPlan }
  | { type: 'plan-failed'; error: { message: string; hint?: string } }
  | { type: 'phase'; phase: SetupPhase }
  | { type: 'ask'; step: SetupStep }
  | { type: 'answered' }
  | { type: 'step'; step: SetupStep; phase: 'start' | StepOutcome; error?: { message: string; hint?: string } }
  | { type: 'line'; line: SetupLine }
  | { type: 'phase-done' }
  | { type: 'cancelling' }
  | { type: 'form'; field: FormField; value: string | boolean }
  | { type: 'focus'; index: number }
  | { type: 'scroll'; top: number | null };

export const initialSetup: SetupUi = {
  phase: 'loading',
  plan: null,
  error: null,
  planning: true,
  form: { bridge: '', subnet: '', nat: true, dhcp: true, persist: true, container: '' },
  focus: 0,
  asking: null,
  running: null,
  cancelling: false,
  phaseDone: false,
  log: [],
  askAt: 0,
  heads: [],
  outcomes: [],
  top: null,
};

/** "10.0.4.1/24" (the bridge's address) → "10.0.4.0/24" (its network), as the form shows it. */
export function subnetOfGateway(gateway: string): string {
  const c = parseCidr(gateway);
  return formatCidr({ addr: networkOf(c), prefix: c.prefix });
}

/** The network choices a plan stands for (the form's defaults). */
export function formOfPlan(plan: SetupPlan): NetworkForm {
  const o = plan.options;
  return { bridge: o.bridge, subnet: subnetOfGateway(plan.gateway), nat: o.nat, dhcp: o.dhcp, persist: o.persist, container: o.container ?? '' };
}

/**
 * The outcome a step of a plan has without being applied: done → already in
 * place, skipped → skipped, blocked → blocked; todo has none (null).
 */
export function outcomeOfStatus(s: SetupStep): StepOutcome | null {
  return s.status === 'done' ? 'already-done' : s.status === 'skipped' ? 'skipped' : s.status === 'blocked' ? 'blocked' : null;
}

/**
 * Checks a subnet as it is typed: '' (the first free /24 is taken), a
 * parse error, or the route it overlaps. Routes through `bridge` itself are
 * not counted (an existing bridge keeps its subnet; planSetup checks that).
 * Returns null when it is fine.
 */
export function subnetProblem(text: string, routes: readonly RouteEntry[] | null, bridge: string): string | null {
  const t = text.trim();
  if (t === '') return null;
  if (!t.includes('/')) return 'give a prefix, e.g. 10.0.3.0/24';
  let c;
  try {
    c = parseCidr(t);
  } catch {
    return `not an IPv4 subnet: ${t}`;
  }
  if (c.prefix < 8 || c.prefix > 30) return `a bridge subnet must be /8 to /30, not /${c.prefix}`;
  if (!routes) return null;
  const own = new RegExp(`\\bdev ${bridge.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\s|$)`);
  const clash = routeClash(
    routes.filter((r) => !own.test(r.text)),
    c,
  );
  return clash ? `overlaps the route ${clash.text} already on this host` : null;
}

const OUTCOME_TEXT: Record<StepOutcome, string> = {
  applied: 'done',
  'already-done': 'already in place: nothing to do',
  skipped: 'skipped',
  blocked: 'blocked: cannot be done automatically',
  declined: 'skipped (you said no)',
  failed: 'FAILED',
  'not-reached': 'not reached',
};

function withLines(s: SetupUi, add: LogLine[]): LogLine[] {
  const log = s.log.concat(add);
  return log.length > LOG_LIMIT ? log.slice(log.length - LOG_LIMIT) : log;
}

/** A step's heading and detail, as the log shows them before it is asked or reported. */
function headLines(step: SetupStep): LogLine[] {
  return [{ kind: 'head', text: `${step.number}. ${step.title}` }, ...step.detail.map((d) => ({ kind: 'detail' as const, text: `   ${d}` }))];
}

/** The reducer. Pure: returns `s` itself when nothing changes. */
export function setupReducer(s: SetupUi, a: SetupAction): SetupUi {
  switch (a.type) {
    case 'planning':
      return { ...s, planning: true, error: null };
    case 'planned': {
      const first = s.phase === 'loading';
      const report = a.plan.steps.find((x) => x.id === 'report');
      // the report step needs no applying: it is in place once read
      const outcomes = first && report ? [{ id: report.id, title: report.title, outcome: 'already-done' as const }] : s.outcomes;
      return {
        ...s,
        plan: a.plan,
        planning: false,
        error: null,
        phase: first ? 'report' : s.phase,
        form: first ? formOfPlan(a.plan) : s.form,
        outcomes,
        top: null,
      };
    }
    case 'plan-failed':
      return { ...s, planning: false, error: a.error };
    case 'phase':
      return { ...s, phase: a.phase, phaseDone: false, asking: null, running: null, top: null, log: a.phase === 'summary' ? s.log : [], heads: [], askAt: 0 };
    case 'ask': {
      const blank: LogLine[] = s.log.length ? [{ kind: 'note', text: '' }] : [];
      const lines: LogLine[] = [...blank, ...headLines(a.step), { kind: 'note', text: '   These commands run, in this order:' }];
      for (const act of a.step.actions) for (const l of formatCommand(act.display, '   ')) lines.push({ kind: 'command', text: l });
      const log = withLines(s, lines);
      return { ...s, asking: a.step.id, askAt: log.length - lines.length + blank.length, log, heads: [...s.heads, a.step.id], top: null };
    }
    case 'answered':
      return s.asking === null ? s : { ...s, asking: null };
    case 'step': {
      if (a.phase === 'start') return { ...s, running: a.step.id, top: null };
      const add: LogLine[] = [];
      if (!s.heads.includes(a.step.id)) add.push(...(s.log.length ? [{ kind: 'note' as const, text: '' }] : []), ...headLines(a.step));
      const bad = a.phase === 'failed' || a.phase === 'blocked';
      add.push({ kind: bad ? 'fail' : a.phase === 'applied' ? 'ok' : 'note', text: `   ${a.step.number}. ${a.step.title}: ${OUTCOME_TEXT[a.phase]}${a.error ? `: ${a.error.message}` : ''}` });
      if (a.error?.hint) add.push({ kind: 'fail', text: `   hint: ${a.error.hint}` });
      const outcomes = [...s.outcomes.filter((o) => o.id !== a.step.id), { id: a.step.id, title: a.step.title, outcome: a.phase, ...(a.error ? { error: a.error } : {}) }];
      return { ...s, running: s.running === a.step.id ? null : s.running, log: withLines(s, add), heads: s.heads.includes(a.step.id) ? s.heads : [...s.heads, a.step.id], outcomes, top: null };
    }
    case 'line': {
      const l = a.line;
      let add: LogLine[];
      if (l.stream === 'command') {
        // the whole command was shown when the step was asked; a heredoc is named by its first line here
        const [first, ...rest] = l.line.split('\n');
        add = [{ kind: 'command', text: `   $ ${first}${rest.length ? ` (${rest.length} more lines)` : ''}` }];
      } else add = [{ kind: l.stream, text: `     ${l.line}` }];
      return { ...s, log: withLines(s, add) };
    }
    case 'phase-done':
      return { ...s, phaseDone: true, running: null, asking: null, cancelling: false, top: null };
    case 'cancelling':
      return s.cancelling ? s : { ...s, cancelling: true };
    case 'form':
      return { ...s, form: { ...s.form, [a.field]: a.value }, error: null };
    case 'focus': {
      const index = Math.max(0, Math.min(FORM_FIELDS.length - 1, a.index));
      return index === s.focus ? s : { ...s, focus: index };
    }
    case 'scroll':
      return a.top === s.top ? s : { ...s, top: a.top };
    default:
      return s;
  }
}

/**
 * The whole run as one SetupResult, in plan order: each step's outcome as
 * it ended, or the outcome its status gives (done, skipped) when it was
 * never applied, or `not-reached`. `ok` is false when a step failed or is blocked.
 */
export function resultOf(plan: SetupPlan, outcomes: SetupResult['steps']): SetupResult {
  const steps = STEP_IDS.map((id) => plan.steps.find((x) => x.id === id))
    .filter((x): x is SetupStep => x !== undefined)
    .map((st) => outcomes.find((o) => o.id === st.id) ?? { id: st.id, title: st.title, outcome: outcomeOfStatus(st) ?? 'not-reached' });
  return { steps, ok: steps.every((x) => x.outcome !== 'failed' && x.outcome !== 'blocked') };
}

/**
 * The one status line the list shows to offer setup (src/screens/ContainerList.tsx),
 * from core/setup's SetupSuggestion.reason, e.g. "no bridge lxdeckbr0 and no
 * container yet: press S for the first-time setup".
 */
export function setupOfferText(reason: string): string {
  return `${reason.replace(/:\s*run the first-time setup\?$/, '')}: press S for the first-time setup`;
}

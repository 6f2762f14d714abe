/**
 * Text forms of a setup plan and its result: the plan with every command
 * (for `--dry-run` and the confirmation of each step) and step 5, the summary
 * of what was done with the commands that undo each part.
 */
import type { SetupPlan, SetupResult, SetupStep, StepOutcome, StepStatus } from './types.js';

const STATUS_MARK: Record<StepStatus, string> = { done: '[done]', todo: '[todo]', skipped: '[skip]', blocked: '[FAIL]' };

/** A command's display as lines: `$ ` before the first, the rest (a heredoc) indented to match; `indent` goes before each. */
export function formatCommand(display: string, indent = ''): string[] {
  const [first, ...rest] = display.split('\n');
  return [`${indent}$ ${first}`, ...rest.map((r) => `${indent}  ${r}`)];
}

/** One step as lines: `N. [status] Title`, its detail, then (unless `commands` is false) each action's exact command. */
export function formatStep(s: SetupStep, opts: { commands?: boolean } = {}): string[] {
  const lines = [`${s.number}. ${STATUS_MARK[s.status]} ${s.title}`];
  for (const d of s.detail) lines.push(`     ${d}`);
  if (opts.commands !== false) for (const a of s.actions) lines.push(...formatCommand(a.display, '     '));
  return lines;
}

/**
 * The steps of `plan` that applying it will run (each asked for first): the
 * `todo` steps before the first blocked one that ends the run, as applySetup
 * does (a blocked packages step does not end it; any other blocked step does).
 */
export function stepsToApply(plan: SetupPlan): SetupStep[] {
  const out: SetupStep[] = [];
  for (const s of plan.steps) {
    if (s.status === 'blocked' && s.id !== 'packages') break;
    if (s.status === 'todo') out.push(s);
  }
  return out;
}

/** The line under the plan: which numbered steps will be applied, or that nothing changes. */
export function planCountLine(plan: SetupPlan): string {
  if (plan.nothingToDo) return 'Every step is already done: setup changes nothing.';
  const todo = stepsToApply(plan);
  if (todo.length === 0) return 'No step can be applied: see the [FAIL] step.';
  return `${todo.length} step(s) to apply: ${todo.map((s) => s.number).join(', ')}.`;
}

/**
 * The whole plan as text: each step with its commands (only the overview when
 * `commands` is false), and a last line saying either how many steps have
 * work to do or that everything is already set up.
 */
export function formatPlan(plan: SetupPlan, opts: { commands?: boolean } = {}): string {
  const lines: string[] = [];
  for (const s of plan.steps) lines.push(...formatStep(s, opts));
  lines.push('');
  lines.push(planCountLine(plan));
  return lines.join('\n');
}

export interface SetupSummary {
  /** one line per step: what happened */
  done: string[];
  /** per step that is in place (applied now or before): the commands that undo it, in the order to run them (last step first) */
  undo: { step: SetupStep['id']; title: string; commands: string[] }[];
}

const OUTCOME_TEXT: Record<StepOutcome, string> = {
  applied: 'done now',
  'already-done': 'already in place',
  skipped: 'skipped',
  blocked: 'blocked',
  declined: 'declined',
  failed: 'FAILED',
  'not-reached': 'not reached',
};

/** Step 5: what each step did, and the undo commands of every step now in place (the container first, the packages last). */
export function summarizeSetup(plan: SetupPlan, result: SetupResult): SetupSummary {
  const done = result.steps.map((r) => {
    const s = plan.steps.find((x) => x.id === r.id)!;
    return `${s.number}. ${s.title}: ${OUTCOME_TEXT[r.outcome]}${r.error ? ` (${r.error.message})` : ''}`;
  });
  const inPlace = result.steps.filter((r) => r.outcome === 'applied' || (r.outcome === 'already-done' && r.id !== 'report' && r.id !== 'packages'));
  const undo = inPlace
    .map((r) => plan.steps.find((x) => x.id === r.id)!)
    .filter((s) => s.undo.length > 0)
    .reverse()
    .map((s) => ({ step: s.id, title: s.title, commands: s.undo }));
  return { done, undo };
}

/** The summary as text: what was done, then `To undo:` and the commands. */
export function formatSummary(sum: SetupSummary): string {
  const lines = ['Summary:', ...sum.done.map((d) => `  ${d}`)];
  if (sum.undo.length) {
    lines.push('', 'To undo (in this order):');
    for (const u of sum.undo) {
      lines.push(`  # ${u.title}`);
      for (const c of u.commands) lines.push(`  ${c}`);
    }
  }
  return lines.join('\n');
}

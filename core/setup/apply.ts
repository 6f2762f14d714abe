/**
 * Applying a setup plan (core/setup/plan.ts): each action of each step, in
 * order, through the Runner (commands), the file system (files written to a
 * temporary file then renamed) or the engine (create, start), with every
 * command's display text and output lines handed to `onLine` as they come.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { atomicWrite } from '../engine.js';
import { LxdeckError, formatError } from '../errors.js';
import type { SetupAction, SetupDeps, SetupLine, SetupPlan, SetupResult, SetupStep, StepOutcome } from './types.js';

export interface ApplyCallbacks {
  /** each action's display text (stream `command`, one event; a heredoc display holds newlines) just before it runs, then its output lines as they arrive */
  onLine?: (line: SetupLine) => void;
  /** a step begins, ends, or is passed over */
  onStep?: (step: SetupStep, phase: 'start' | StepOutcome, error?: { message: string; hint?: string }) => void;
  /** asked before each step that has actions; false skips that step (outcome `declined`) and the steps after still run */
  confirm?: (step: SetupStep) => boolean | Promise<boolean>;
  /** aborting stops the running command (its process group is killed) and the steps after it */
  signal?: AbortSignal;
}

/** True when /proc/PID/cmdline names `program` (so a pid file's reused pid is never signalled). */
function isProgram(deps: SetupDeps, pid: number, program: string): boolean {
  try {
    const argv0 = (deps.fs.readTextOrNull(`/proc/${pid}/cmdline`) ?? '').split('\0')[0] ?? '';
    return argv0 === program || argv0.endsWith(`/${program}`);
  } catch {
    return false;
  }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/**
 * Runs one action.
 * @throws LxdeckError E_COMMAND when a command exits non-zero (message holds its last stderr line),
 *   E_MISSING_PROGRAM, E_CANCELLED, and whatever the engine's create/start throw.
 */
export async function applyAction(deps: SetupDeps, stepId: SetupStep['id'], a: SetupAction, cb: ApplyCallbacks = {}): Promise<void> {
  const emit = (stream: SetupLine['stream'], line: string) => cb.onLine?.({ step: stepId, stream, line });
  emit('command', a.display);
  switch (a.kind) {
    case 'run': {
      const r = await deps.runner.run(a.file, a.args, {
        timeoutMs: a.timeoutMs,
        input: a.input,
        env: a.env,
        output: a.output,
        signal: cb.signal,
        onLine: a.output === 'pipe' ? (line, stream) => emit(stream, line) : undefined,
      });
      if (a.output === 'file') {
        for (const l of `${r.stdout}${r.stderr}`.split('\n')) if (l.trim()) emit('stdout', l);
      }
      if (r.timedOut) throw new LxdeckError('E_TIMEOUT', `${a.file} did not finish within ${Math.round(a.timeoutMs / 1000)} s`);
      if (r.exitCode !== 0) {
        const last = (r.stderr || r.stdout).trim().split('\n').filter(Boolean).pop() ?? '';
        throw new LxdeckError('E_COMMAND', `${a.file} ${a.args.slice(0, 3).join(' ')}… exited ${r.exitCode}${last ? `: ${last}` : ''}`, {
          hint: `the command was: ${a.display.split('\n')[0]}`,
        });
      }
      return;
    }
    case 'mkdir':
      mkdirSync(a.path, { recursive: true, mode: 0o755 });
      return;
    case 'write':
      mkdirSync(dirname(a.path), { recursive: true, mode: 0o755 });
      await atomicWrite(a.path, a.content, a.mode);
      return;
    case 'kill': {
      if (!isProgram(deps, a.pid, a.program)) {
        emit('info', `pid ${a.pid} is no longer ${a.program}; nothing to stop`);
        return;
      }
      process.kill(a.pid, 'SIGTERM');
      if (!(await waitGone(a.pid, 5000))) throw new LxdeckError('E_TIMEOUT', `${a.program} (pid ${a.pid}) did not exit within 5 s of SIGTERM`);
      return;
    }
    case 'create':
      await deps.engine.create(a.name, {
        ...a.options,
        signal: cb.signal,
        onProgress: (ev) => {
          if (ev.line) emit('stdout', `${ev.phase}: ${ev.line}`);
        },
      });
      return;
    case 'start':
      await deps.engine.start(a.name);
      emit('info', `${a.name} is RUNNING`);
      return;
  }
}

/**
 * Applies every action of one step in order; stops at the first failure.
 * A step whose status is not `todo` does nothing.
 * @throws what {@link applyAction} throws.
 */
export async function applyStep(deps: SetupDeps, s: SetupStep, cb: ApplyCallbacks = {}): Promise<void> {
  if (s.status !== 'todo') return;
  for (const a of s.actions) {
    if (cb.signal?.aborted) throw new LxdeckError('E_CANCELLED', 'setup was cancelled');
    await applyAction(deps, s.id, a, cb);
  }
}

/** Steps that cannot run when another was declined: dnsmasq binds to the bridge, and the first container joins it. */
const STEP_NEEDS: Partial<Record<SetupStep['id'], SetupStep['id'][]>> = { dhcp: ['bridge'], container: ['bridge'] };

/**
 * Applies a whole plan: steps that are done or skipped are reported and passed
 * over; each `todo` step is confirmed (when `cb.confirm` is given) and applied;
 * when the bridge step is declined, DHCP and the container (which need the
 * bridge) are skipped with a note.
 * The first failing or blocked step ends the run (later steps need the earlier
 * ones: a container needs its bridge); the rest are `not-reached`. Never throws
 * for a step's failure: it is in the result, with the error's message and hint.
 */
export async function applySetup(deps: SetupDeps, plan: SetupPlan, cb: ApplyCallbacks = {}): Promise<SetupResult> {
  const out: SetupResult = { steps: [], ok: true };
  let stopped = false;
  for (const s of plan.steps) {
    const entry = (outcome: StepOutcome, error?: { message: string; hint?: string }) => {
      out.steps.push({ id: s.id, title: s.title, outcome, ...(error ? { error } : {}) });
      cb.onStep?.(s, outcome, error);
    };
    if (stopped) {
      entry('not-reached');
      continue;
    }
    const declinedNeed = s.status === 'todo' ? (STEP_NEEDS[s.id] ?? []).find((n) => out.steps.some((r) => r.id === n && r.outcome === 'declined')) : undefined;
    if (declinedNeed) {
      const need = plan.steps.find((x) => x.id === declinedNeed)!;
      entry('skipped', { message: `needs step ${need.number} (${need.title}), which was declined` });
      continue;
    }
    if (s.status === 'done') entry('already-done');
    else if (s.status === 'skipped') entry('skipped');
    else if (s.status === 'blocked') {
      // a blocked package step leaves the user to install by hand; the network steps can still run
      if (s.id === 'packages') entry('blocked');
      else {
        entry('blocked');
        stopped = true;
      }
      out.ok = false;
    } else {
      if (cb.signal?.aborted) {
        entry('not-reached');
        out.ok = false;
        stopped = true;
        continue;
      }
      if (cb.confirm && !(await cb.confirm(s))) {
        if (cb.signal?.aborted) {
          entry('not-reached');
          out.ok = false;
          stopped = true;
          continue;
        }
        entry('declined');
        continue;
      }
      cb.onStep?.(s, 'start');
      try {
        await applyStep(deps, s, cb);
        entry('applied');
      } catch (e) {
        entry('failed', formatError(e));
        out.ok = false;
        stopped = true;
      }
    }
  }
  return out;
}

/**
 * The guided first-time setup (issue 5): plan → show the exact commands →
 * apply step by step with live output → summary with undo commands.
 *
 *   const plan = await planSetup(deps, opts);         // reads only
 *   print(formatPlan(plan));                           // every command
 *   const result = await applySetup(deps, plan, { onLine, confirm });
 *   print(formatSummary(summarizeSetup(plan, result)));
 */
export * from './types.js';
export { planSetup, resolveSetupOptions, setupPaths, readRoutes, routeClash, packagesToInstall, needsKernel, installActions, DEFAULT_FIRST_CONTAINER, INSTALL_TIMEOUT_MS, type RouteEntry } from './plan.js';
export { applySetup, applyStep, applyAction, type ApplyCallbacks } from './apply.js';
export { formatPlan, formatStep, stepsToApply, planCountLine, formatCommand, summarizeSetup, formatSummary, type SetupSummary } from './summary.js';
export { setupSuggestion, type SetupSuggestion } from './suggest.js';

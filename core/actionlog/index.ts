/**
 * The action log (issue 6): what lxdeck did, when, for whom, with the
 * equivalent `lxc-*` command line. See log.ts (the file) and record.ts
 * (recording an engine's actions).
 */
export { ActionLog, DEFAULT_ACTION_LOG, actingUser, actionLogPath, matchesAction, normalizeLxcpath, parseActionLog, readRecentActions, type ActionEntry, type ActionFilter, type ActionLogOptions } from './log.js';
export { ACTION_SPECS, recordActions, renderEquivalent, type ActionSpecs, type Equivalent, type RecordOptions, type Spec } from './record.js';

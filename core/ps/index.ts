/**
 * Processes of a container (like lxc-ps) and what the info view reads about a
 * running container from the host. See procs.ts and inspect.ts.
 */
export * from './procs.js';
export * from './inspect.js';

import type { Runner } from '../exec/runner.js';
import type { ProgressEvent } from '../types.js';

/** One option a template takes (`--option KEY=VALUE`). */
export interface TemplateOption {
  name: string;
  type: 'string' | 'boolean' | 'number';
  default?: string;
  description: string;
}

/** What `lxdeck templates` lists. */
export interface TemplateManifest {
  name: string;
  /** one line */
  description: string;
  /** true when building needs no network */
  offline: boolean;
  /** when only some uses need the network, which (shown instead of "needs network"), e.g. "network for docker:// only" */
  network?: string;
  options: TemplateOption[];
}

/** What a builder gets: the staging rootfs to fill and the means to report. */
export interface TemplateContext {
  /** container name (already validated) */
  name: string;
  /** absolute path of the empty staging rootfs directory to fill */
  rootfs: string;
  options: Record<string, string>;
  runner: Runner;
  onProgress: (ev: ProgressEvent) => void;
  signal?: AbortSignal;
}

/** What a builder returns: config keys the template needs (e.g. lxc.signal.halt), in order. */
export interface TemplateResult {
  config: [key: string, value: string][];
}

export interface Template {
  manifest: TemplateManifest;
  build(ctx: TemplateContext): Promise<TemplateResult>;
}

/**
 * Where the engine finds a template by name (the `--template` value). The caller hands one to
 * the engine (src/local-engine.ts hands templates/'s registry), so core never imports templates/.
 * @throws LxdeckError E_TEMPLATE for a name it does not know (the known ones in the hint)
 */
export type TemplateSource = (name: string) => Template;

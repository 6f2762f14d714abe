/**
 * The local LXC backend as the CLI, the console, the tests and the benchmarks make it: the
 * engine of core/engine.ts with templates/'s registry handed in (core never imports templates/).
 */
import { Engine, type EngineOptions } from '../core/engine.js';
import type { Template } from '../core/rootfs/template.js';
import { getTemplate } from '../templates/index.js';

/**
 * A local engine (see {@link EngineOptions}) whose `create` knows every template of
 * templates/index.ts (busybox, debootstrap, download, oci, tarball, lxc:NAME), and first the
 * `extra` ones by name (tests hand in templates of their own).
 * @throws LxdeckError E_NETWORK for an invalid bridge name (as `new Engine` does)
 */
export function localEngine(opts: Omit<EngineOptions, 'templates'> = {}, extra: Record<string, Template> = {}): Engine {
  return new Engine({ ...opts, templates: (name) => (Object.hasOwn(extra, name) ? extra[name] : getTemplate(name)) });
}

/**
 * The local LXC backend as the CLI, the console, the tests and the benchmarks make it: the
 * engine of core/engine.ts with templates/'s registry handed in (core never imports templates/).
 *
 * templates/ (the template builders and the tar library: about 25 ms to load) is imported on the
 * first `create`, not when the engine is made: `lxdeck ls` and the other verbs never load it.
 */
import { Engine, type EngineOptions } from '../core/engine.js';
import type { ContainerInfo, CreateOptions } from '../core/types.js';
import type { Template } from '../core/rootfs/template.js';

type Registry = typeof import('../templates/index.js');
let registry: Registry | undefined;

/**
 * templates/index.ts, imported once (a dynamic import: its own chunk in the bundle).
 * @returns the module: getTemplate, listTemplates, TEMPLATES
 */
export async function loadTemplates(): Promise<Registry> {
  registry ??= await import('../templates/index.js');
  return registry;
}

/** The local engine: templates/ loaded before the first create looks one up. */
class LocalEngine extends Engine {
  override async create(name: string, opts?: CreateOptions): Promise<ContainerInfo> {
    await loadTemplates();
    return super.create(name, opts);
  }
}

/**
 * A local engine (see {@link EngineOptions}) whose `create` knows every template of
 * templates/index.ts (busybox, debootstrap, download, oci, tarball, lxc:NAME), and first the
 * `extra` ones by name (tests hand in templates of their own).
 * @throws LxdeckError E_NETWORK for an invalid bridge name (as `new Engine` does)
 */
export function localEngine(opts: Omit<EngineOptions, 'templates'> = {}, extra: Record<string, Template> = {}): Engine {
  return new LocalEngine({
    ...opts,
    // create() has loaded the registry before it looks a template up
    templates: (name) => (Object.hasOwn(extra, name) ? extra[name] : registry!.getTemplate(name)),
  });
}

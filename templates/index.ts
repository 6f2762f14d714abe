import { LxdeckError } from '../core/errors.js';
import type { Template, TemplateManifest } from '../core/rootfs/template.js';
import { busyboxTemplate } from './busybox/template.js';
import { debootstrapTemplate } from './debootstrap/template.js';
import { downloadTemplate } from './download/template.js';
import { ociTemplate } from './oci/template.js';
import { LXC_TEMPLATE_DIR, LXC_TEMPLATE_PREFIX, hostLxcTemplates, lxcTemplate } from './lxc/template.js';
import { tarballTemplate } from './tarball/template.js';

/** Every template lxdeck ships, by name (`lxc:NAME` templates are made on demand by {@link getTemplate}). */
export const TEMPLATES: Record<string, Template> = {
  busybox: busyboxTemplate,
  debootstrap: debootstrapTemplate,
  download: downloadTemplate,
  oci: ociTemplate,
  tarball: tarballTemplate,
};

/**
 * The template named `name`: one of {@link TEMPLATES}, or `lxc:NAME` for the
 * host's LXC template script /usr/share/lxc/templates/lxc-NAME.
 * @throws LxdeckError E_TEMPLATE with the list of known templates.
 */
export function getTemplate(name: string): Template {
  if (Object.hasOwn(TEMPLATES, name)) return TEMPLATES[name];
  if (name.startsWith(LXC_TEMPLATE_PREFIX) && hostLxcTemplates().includes(name)) return lxcTemplate(name.slice(LXC_TEMPLATE_PREFIX.length));
  throw new LxdeckError('E_TEMPLATE', `unknown template ${JSON.stringify(name)}`, {
    hint: `known templates: ${Object.keys(TEMPLATES).join(', ')}${name.startsWith(LXC_TEMPLATE_PREFIX) ? `; LXC's scripts here: ${hostLxcTemplates().join(', ') || `none in ${LXC_TEMPLATE_DIR}`}` : ', or lxc:NAME for a script in ' + LXC_TEMPLATE_DIR}`,
    exitCode: 2,
  });
}

/**
 * What `lxdeck templates [--json]` lists: lxdeck's own templates, then one
 * `lxc:NAME` entry for each LXC template script on this host (unless `withHost` is false).
 * Reads only the template directory; runs nothing.
 */
export function listTemplates(opts: { withHost?: boolean; lxcTemplateDir?: string } = {}): TemplateManifest[] {
  const own = Object.values(TEMPLATES).map((t) => t.manifest);
  if (opts.withHost === false) return own;
  const dir = opts.lxcTemplateDir ?? LXC_TEMPLATE_DIR;
  return [...own, ...hostLxcTemplates(dir).map((n) => lxcTemplate(n.slice(LXC_TEMPLATE_PREFIX.length), dir).manifest)];
}

import { LxdeckError } from '../core/errors.js';
import type { Template, TemplateManifest } from '../core/rootfs/template.js';
import { busyboxTemplate } from './busybox/template.js';
import { debootstrapTemplate } from './debootstrap/template.js';
import { downloadTemplate } from './download/template.js';
import { tarballTemplate } from './tarball/template.js';

/** Every template lxdeck ships, by name (`lxc:NAME` templates are made on demand by {@link getTemplate}). */
export const TEMPLATES: Record<string, Template> = {
  busybox: busyboxTemplate,
  debootstrap: debootstrapTemplate,
  download: downloadTemplate,
  tarball: tarballTemplate,
};

/**
 * The template named `name`: one of {@link TEMPLATES}, or `lxc:NAME` for the
 * host's LXC template script /usr/share/lxc/templates/lxc-NAME.
 * @throws LxdeckError E_TEMPLATE with the list of known templates.
 */
export function getTemplate(name: string): Template {
  if (Object.hasOwn(TEMPLATES, name)) return TEMPLATES[name];
  throw new LxdeckError('E_TEMPLATE', `unknown template ${JSON.stringify(name)}`, {
    hint: `known templates: ${Object.keys(TEMPLATES).join(', ')}`,
    exitCode: 2,
  });
}

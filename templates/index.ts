import { LxdeckError } from '../core/errors.js';
import type { Template } from '../core/rootfs/template.js';
import { busyboxTemplate } from './busybox/template.js';
import { downloadTemplate } from './download/template.js';
import { tarballTemplate } from './tarball/template.js';

/** Every template lxdeck ships, by name. */
export const TEMPLATES: Record<string, Template> = {
  busybox: busyboxTemplate,
  download: downloadTemplate,
  tarball: tarballTemplate,
};

/** The template named `name`. @throws LxdeckError E_TEMPLATE with the list of known templates. */
export function getTemplate(name: string): Template {
  const t = TEMPLATES[name];
  if (!t)
    throw new LxdeckError('E_TEMPLATE', `unknown template ${JSON.stringify(name)}`, {
      hint: `known templates: ${Object.keys(TEMPLATES).join(', ')}`,
      exitCode: 2,
    });
  return t;
}

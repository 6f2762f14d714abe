/**
 * Resolving a template's options (manifest defaults overlaid with the given ones, each checked
 * against its type). The engine checks options before writing anything, so this lives in core;
 * templates/ imports it from here.
 */
import { LxdeckError } from '../errors.js';
import type { TemplateManifest } from './template.js';

/**
 * The options a builder runs with: the manifest's defaults overlaid with the
 * given ones, each checked against its type.
 * @returns every option of the manifest that has a value (given or default), as strings.
 * @throws LxdeckError E_USAGE for an option the manifest does not have (the known ones in the hint),
 *   E_INVALID_VALUE for a boolean that is not true/false/yes/no/1/0 or a number that is not one.
 */
export function resolveOptions(manifest: TemplateManifest, given: Record<string, string>): Record<string, string> {
  const known = new Map(manifest.options.map((o) => [o.name, o]));
  const out: Record<string, string> = {};
  for (const o of manifest.options) if (o.default !== undefined) out[o.name] = o.default;
  for (const [k, v] of Object.entries(given)) {
    const o = known.get(k);
    if (!o)
      throw new LxdeckError('E_USAGE', `template ${manifest.name} has no option ${JSON.stringify(k)}`, {
        hint: manifest.options.length ? `its options: ${manifest.options.map((x) => x.name).join(', ')}` : 'it takes no options',
      });
    if (o.type === 'boolean') out[k] = String(parseBool(k, v));
    else if (o.type === 'number') {
      if (!/^-?\d+(\.\d+)?$/.test(v.trim())) throw new LxdeckError('E_INVALID_VALUE', `option ${k} must be a number, not ${JSON.stringify(v)}`);
      out[k] = v.trim();
    } else out[k] = v;
  }
  return out;
}

/** true/false from `true|false|yes|no|1|0|on|off` (any case). @throws LxdeckError E_INVALID_VALUE otherwise. */
export function parseBool(name: string, v: string): boolean {
  const s = v.trim().toLowerCase();
  if (['true', 'yes', '1', 'on'].includes(s)) return true;
  if (['false', 'no', '0', 'off'].includes(s)) return false;
  throw new LxdeckError('E_INVALID_VALUE', `option ${name} must be true or false, not ${JSON.stringify(v)}`);
}

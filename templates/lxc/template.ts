import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LxdeckError } from '../../core/errors.js';
import type { Template, TemplateContext, TemplateManifest, TemplateResult } from '../../core/rootfs/template.js';
import { resolveOptions } from '../common/options.js';
import { checkBootable } from '../common/rootfs-files.js';

/**
 * `lxc:NAME`: the host's own LXC template script `/usr/share/lxc/templates/lxc-NAME`,
 * run the way lxc-create runs it (LXC's src/lxc/lxccontainer.c, create_run_template):
 * `lxc-NAME --path=<container dir> --name=<name> --rootfs=<rootfs> [template args]`,
 * after a first `<container dir>/config` holding lxc.rootfs.path and lxc.uts.name
 * (lxc-create saves the config before it runs the template; scripts append to it).
 */

/** Where LXC installs its template scripts. */
export const LXC_TEMPLATE_DIR = '/usr/share/lxc/templates';
export const LXC_TEMPLATE_PREFIX = 'lxc:';

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;

/** Keys the engine writes itself (name, rootfs, network, arch) and legacy spellings of them: never taken from a script. */
const ENGINE_KEYS = [/^lxc\.uts\.?name$/, /^lxc\.utsname$/, /^lxc\.rootfs(\.path)?$/, /^lxc\.net\./, /^lxc\.network\./, /^lxc\.arch$/];

/** The script behind `lxc:NAME`. @throws LxdeckError E_TEMPLATE for a name that is not one file name. */
export function lxcScriptPath(name: string, dir = LXC_TEMPLATE_DIR): string {
  if (!NAME_RE.test(name)) throw new LxdeckError('E_TEMPLATE', `invalid LXC template name ${JSON.stringify(name)}`);
  return join(dir, `lxc-${name}`);
}

/** The LXC template scripts installed on this host, as `lxc:NAME` names, sorted. */
export function hostLxcTemplates(dir = LXC_TEMPLATE_DIR): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith('lxc-') && NAME_RE.test(n.slice(4)))
    .filter((n) => {
      try {
        const st = statSync(join(dir, n));
        return st.isFile() && (st.mode & 0o111) !== 0;
      } catch {
        return false;
      }
    })
    .map((n) => `${LXC_TEMPLATE_PREFIX}${n.slice(4)}`)
    .sort();
}

/**
 * Splits the `args` option into argv words: white space separates, single or
 * double quotes keep spaces (no other shell syntax; nothing is run by a shell).
 * @throws LxdeckError E_INVALID_VALUE for an unclosed quote.
 */
export function splitArgs(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | null = null;
  let has = false;
  for (const ch of s) {
    if (quote) {
      if (ch === quote) quote = null;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      has = true;
    } else if (/\s/.test(ch)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else cur += ch;
  }
  if (quote) throw new LxdeckError('E_INVALID_VALUE', `unclosed ${quote} in args`);
  if (has || cur) out.push(cur);
  return out;
}

/**
 * The config keys a script appended to `<path>/config`, less those the engine
 * writes itself; values naming the staging directory are dropped (they would
 * be wrong after the container is renamed into place) and reported.
 */
export function scriptConfigKeys(text: string, stagingDir: string): { keys: [string, string][]; dropped: string[] } {
  const keys: [string, string][] = [];
  const dropped: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf('=');
    if (i < 0) continue;
    const key = line.slice(0, i).trim();
    const value = line.slice(i + 1).trim();
    if (ENGINE_KEYS.some((re) => re.test(key))) continue;
    if (value.includes(stagingDir)) {
      dropped.push(`${key} = ${value}`);
      continue;
    }
    keys.push([key, value]);
  }
  return { keys, dropped };
}

/**
 * A release each distribution's LXC template script takes with --release (its own names: Debian and
 * Devuan codenames, Ubuntu series); a script not listed gets no example, only its --help.
 */
const RELEASE_EXAMPLE: Record<string, string> = {
  debian: 'bookworm',
  devuan: 'chimaera',
  ubuntu: 'noble',
  'ubuntu-cloud': 'noble',
};

/**
 * The template `lxc:NAME`, built on demand (see getTemplate in templates/index.ts).
 * The script gets the staging container directory as --path (the parent of the
 * staging rootfs); the config it leaves there is read back for its keys and
 * removed (the engine writes the container's config). Its output is reported
 * live. The rootfs must then pass the sanity check (an init and a shell).
 * Not supported yet: unprivileged runs through lxc-usernsexec (--mapped-uid).
 * @throws LxdeckError E_TEMPLATE when the script is missing, fails, or leaves no bootable rootfs.
 */
export function lxcTemplate(name: string, dir = LXC_TEMPLATE_DIR): Template {
  const script = lxcScriptPath(name, dir);
  const manifest: TemplateManifest = {
    name: `${LXC_TEMPLATE_PREFIX}${name}`,
    description: `the host's LXC template ${script}`,
    offline: false,
    network: 'network as the script needs it',
    options: [{ name: 'args', type: 'string', default: '', description: `arguments for the script after --path/--name/--rootfs (see ${script} --help)${RELEASE_EXAMPLE[name] ? `, e.g. "--release ${RELEASE_EXAMPLE[name]}"` : ''}` }],
  };
  return {
    manifest,
    async build(ctx: TemplateContext): Promise<TemplateResult> {
      const o = resolveOptions(manifest, ctx.options);
      if (!existsSync(script))
        throw new LxdeckError('E_TEMPLATE', `no LXC template ${script} on this host`, { hint: `installed: ${hostLxcTemplates(dir).join(', ') || 'none (apt-get install lxc-templates)'}` });
      const path = dirname(ctx.rootfs);
      const configPath = join(path, 'config');
      writeFileSync(configPath, `lxc.uts.name = ${ctx.name}\nlxc.rootfs.path = dir:${ctx.rootfs}\n`, { mode: 0o640 });
      try {
        const argv = [`--path=${path}`, `--name=${ctx.name}`, `--rootfs=${ctx.rootfs}`, ...splitArgs(o.args ?? '')];
        ctx.onProgress({ phase: 'template', line: `${script} ${argv.join(' ')}`, fraction: 0 });
        const r = await ctx.runner.run(script, argv, {
          timeoutMs: 60 * 60_000,
          signal: ctx.signal,
          onLine: (line) => ctx.onProgress({ phase: 'template', line }),
        });
        if (r.exitCode !== 0) {
          const last = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-3).join(' | ');
          throw new LxdeckError('E_TEMPLATE', `${script} failed (exit ${r.exitCode}): ${last || 'no output'}`, { hint: `run ${script} --help for its options` });
        }
        const { keys, dropped } = scriptConfigKeys(readFileSync(configPath, 'utf8'), path);
        for (const d of dropped) ctx.onProgress({ phase: 'template', line: `not kept (names the staging directory): ${d}` });
        checkBootable(ctx.rootfs);
        ctx.onProgress({ phase: 'template', fraction: 1 });
        return { config: keys };
      } finally {
        rmSync(configPath, { force: true });
      }
    },
  };
}

/**
 * The package's bin (dist/src/cli.cjs, src/cli-fast.ts) opening the real console in a real
 * terminal (tmux, 80x24), as root, on an empty lxcpath of its own: straight to the module build
 * when the argv names no verb, and through the hand-over (src/console-handoff.ts) when the
 * argv went to a script build first (`--` before nothing: the script build's console action
 * hands it over). Either way the console draws its list, and q leaves it with status 0.
 * Needs root and tmux; under CI=true a host without them FAILS.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { RUN_LXC, requireLxc, uniq } from '../helpers/lxc-env.js';
import { TmuxTerm, haveTmux, sh } from './tmux.js';

const bin = resolve(import.meta.dirname, '../../dist/src/cli.cjs');
const lxcpath = mkdtempSync(join(tmpdir(), 'lxdeck-handoff-'));
const bridge = `lxdh${uniq(3)}`; // never made: the console only names it
afterAll(() => rmSync(lxcpath, { recursive: true, force: true }));

let term: TmuxTerm | undefined;
afterEach(() => {
  term?.close();
  term = undefined;
});

describe.runIf(RUN_LXC)('the bin opens the console (module build)', () => {
  requireLxc();

  for (const [how, extra] of [
    ['no verb: straight to the module build', ''],
    ['`--`: the script build hands it over', ' --'],
  ] as const)
    it(how, async () => {
      expect(haveTmux(), 'tmux is needed (scripts/install-deps.sh --test installs it)').toBe(true);
      expect(existsSync(bin), 'dist/src/cli.cjs is missing: run npm run build first').toBe(true);
      const t = new TmuxTerm();
      term = t;
      t.start(`${sh(bin)} --lxcpath ${sh(lxcpath)} --bridge ${bridge}${extra}`, {});
      const s = await t.waitForScreen('the console list', (x) => x.includes('0 containers, 0 running') && x.includes('q quit'));
      expect(s).toContain(`no containers in ${lxcpath}`);
      expect(t.format('#{alternate_on}')).toBe('1');
      t.keys('q');
      expect(await t.waitForExit()).toBe(0);
    });
});

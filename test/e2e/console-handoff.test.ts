/**
 * The package's bin (dist/src/cli.cjs, src/cli-fast.ts) opening the real console in a real
 * terminal (tmux, 80x24), as root, on an empty lxcpath of its own: straight to the console's
 * script build (src/console-script.ts, through V8's code cache) when the argv names no verb, and
 * through the hand-over (src/console-handoff.ts) when the argv went to a verb's script build
 * first (`--` before nothing: that build's console action hands it over). Either way the console
 * draws its list, and q leaves it with status 0. The console's code cache: written after a run
 * that drew the console and had none, then taken as it is (not written again); not written by a
 * run that failed before the console opened.
 * Needs root and tmux; under CI=true a host without them FAILS.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { RUN_LXC, requireLxc, uniq } from '../helpers/lxc-env.js';
import { TmuxTerm, haveTmux, sh } from './tmux.js';

const bin = resolve(import.meta.dirname, '../../dist/src/cli.cjs');
const lxcpath = mkdtempSync(join(tmpdir(), 'lxdeck-handoff-'));
const bridge = `lxdh${uniq(3)}`; // never made: the console only names it
const cacheDir = mkdtempSync(join(tmpdir(), 'lxdeck-handoff-cache-'));
afterAll(() => {
  rmSync(lxcpath, { recursive: true, force: true });
  rmSync(cacheDir, { recursive: true, force: true });
});

let term: TmuxTerm | undefined;
afterEach(() => {
  term?.close();
  term = undefined;
});

describe.runIf(RUN_LXC)('the bin opens the console (its script build)', () => {
  requireLxc();

  for (const [how, extra] of [
    ['no verb: straight to the console script build', ''],
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

  it("writes the console's code cache after a run that drew the console, and takes it as it is on the next", async () => {
    expect(haveTmux(), 'tmux is needed (scripts/install-deps.sh --test installs it)').toBe(true);
    const env = { LXDECK_CODE_CACHE_DIR: cacheDir };
    const consoleCaches = () => readdirSync(cacheDir).filter((f) => /^console-.*\.cjs\..*\.v8cache$/.test(f));
    // a run that fails before the console opens (the lxcpath is a file) leaves no cache
    let t = new TmuxTerm();
    term = t;
    t.start(`${sh(bin)} --lxcpath /etc/hostname --bridge ${bridge}`, env);
    expect(await t.waitForExit()).not.toBe(0);
    t.close();
    expect(consoleCaches()).toEqual([]);
    // the first run that draws the console writes it (only the console's: no verb ran)
    const mtimes: number[] = [];
    for (let run = 0; run < 2; run++) {
      t = new TmuxTerm();
      term = t;
      t.start(`${sh(bin)} --lxcpath ${sh(lxcpath)} --bridge ${bridge}`, env);
      await t.waitForScreen('the console list', (x) => x.includes('0 containers, 0 running') && x.includes('q quit'));
      t.keys('q');
      expect(await t.waitForExit()).toBe(0);
      t.close();
      const files = consoleCaches();
      expect(files).toHaveLength(1);
      expect(readdirSync(cacheDir)).toEqual(files);
      // with the first frame's functions compiled in it, not only the script's top level (about 1.6 MB on Node 20)
      expect(statSync(join(cacheDir, files[0])).size).toBeGreaterThan(1_000_000);
      mtimes.push(statSync(join(cacheDir, files[0])).mtimeMs);
    }
    // V8 accepted the cache on the second run: it was not written again
    expect(mtimes[1]).toBe(mtimes[0]);
  });
});

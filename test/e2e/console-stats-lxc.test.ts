/**
 * The built console in a real terminal (tmux, 80x24) against a real running
 * container: the list shows its CPU and memory from the stats stream, and a
 * memory limit set from the slider shows in the container's cgroup file at
 * once and again after a restart (issue 4's done-when). The cgroup file is
 * found from the init PID (/proc/PID/cgroup, core/cgroup/paths.ts), on v1
 * `memory.limit_in_bytes`, on v2 `memory.max`. A temporary lxcpath and a
 * net-less busybox container; everything removed in afterAll even on failure.
 * Needs root and LXC: under CI=true a host without them FAILS (requireLxc).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import { RUN_LXC, createNetlessContainer, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';
import { HostFs } from '../../core/host/host-fs.js';
import { detectCgroupLayout, joinPath } from '../../core/cgroup/layout.js';
import { readCgroupPaths } from '../../core/cgroup/paths.js';
import { TmuxTerm, delay, haveTmux, sh } from './tmux.js';

const id = uniq(3);
const name = `st${id}`;
const env = tempLxcpath();
const cliEnv = { LXDECK_LXCPATH: env.lxcpath };

function row(screen: string): string | undefined {
  return screen.split('\n').find((l) => l.includes(` ${name} `));
}

function initPid(): number {
  return Number(execFileSync('lxc-info', ['-P', env.lxcpath, '-n', name, '-p', '-H'], { encoding: 'utf8' }).trim());
}

/** The memory limit file of the running container, found from its init PID, and its value. */
function memoryLimit(): { file: string; value: string } {
  const fs = new HostFs('/');
  const layout = detectCgroupLayout(fs);
  const p = readCgroupPaths(fs, initPid(), layout, { name });
  const file = p.v1.memory ? joinPath(p.v1.memory, 'memory.limit_in_bytes') : joinPath(p.v2!, 'memory.max');
  return { file, value: readFileSync(file, 'utf8').trim() };
}

async function until<T>(what: string, f: () => T | undefined, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await delay(100);
  }
}

describe.runIf(RUN_LXC)('console stats and sliders against real LXC', () => {
  requireLxc();
  let term: TmuxTerm | undefined;

  beforeAll(async () => {
    expect(haveTmux(), 'tmux is needed (scripts/install-deps.sh --test installs it)').toBe(true);
    await createNetlessContainer(env.lxcpath, name);
    const r = runCli(['start', name], cliEnv);
    expect(r.status, r.stderr).toBe(0);
  }, 120_000);

  afterAll(() => {
    term?.close();
    env.cleanup();
  });

  it('live CPU and memory in the list; a memory limit from the slider is in the cgroup file at once and after a restart', { timeout: 180_000 }, async () => {
    const t = new TmuxTerm();
    term = t;
    t.start(`${sh(process.execPath)} ${sh(CLI)}`, cliEnv, 80, 24);

    let screen = await t.waitForScreen(`${name} with its memory`, (s) => /RUNNING\s+\d+\.\d\s+\S+\/unlimited/.test(row(s) ?? ''), 30_000);
    expect(screen.split('\n').some((l) => /CPU%\s+MEM USED\/LIMIT/.test(l))).toBe(true);
    for (const l of screen.split('\n')) expect(l.length).toBeLessThanOrEqual(80);

    t.keys('L');
    await t.waitForScreen('the sliders', (s) => s.includes(`limits: ${name}`) && s.includes('in effect now'), 15_000);
    t.literal('96M');
    await t.waitForScreen('the typed value with the grammar', (s) => s.includes('new value: 96M') && s.includes('accepted:'));
    t.keys('Enter');
    screen = await t.waitForScreen('the limit applied', (s) => /^\s+set live and saved/m.test(s) && /memory\s.*96M/.test(s), 20_000);
    expect(memoryLimit().value).toBe(String(96 * 1024 * 1024));

    // one step to the right: the cgroup follows the slider
    t.keys('Right');
    const moved = await until('the cgroup file to change', () => {
      const v = memoryLimit().value;
      return v !== String(96 * 1024 * 1024) ? v : undefined;
    });
    expect(Number(moved)).toBeGreaterThan(96 * 1024 * 1024);
    screen = await t.waitForScreen('the slider to show it', (s) => !s.includes('…') && /memory\s.*\d+(\.\d)?[MG]/.test(s), 10_000);
    const config = readFileSync(join(env.lxcpath, name, 'config'), 'utf8');
    const saved = /^lxc\.cgroup2?\.memory\.(limit_in_bytes|max)\s*=\s*(\S+)/m.exec(config);
    expect(saved, config).not.toBeNull();

    t.keys('Escape');
    await t.waitForScreen('the list again', (s) => row(s) !== undefined);
    t.keys('q');

    // after a restart the saved key sets it again
    expect(runCli(['stop', name, '--timeout', '0'], cliEnv).status).toBe(0);
    expect(runCli(['start', name], cliEnv).status).toBe(0);
    expect(memoryLimit().value).toBe(moved);
  });
});

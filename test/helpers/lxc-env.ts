import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll } from 'vitest';

/**
 * Whether this host can run real LXC containers: root, the lxc-* tools and a
 * static busybox. Under CI=true a test that needs them FAILS when they are
 * missing (DEVELOPERS.md: a skipped test is never counted as passing).
 */
export function lxcAvailable(): { ok: boolean; reason: string } {
  if (process.getuid?.() !== 0) return { ok: false, reason: 'needs root' };
  for (const t of ['lxc-start', 'lxc-create', 'lxc-info']) {
    try {
      execFileSync('which', [t], { stdio: 'ignore' });
    } catch {
      return { ok: false, reason: `${t} is not installed (apt-get install lxc)` };
    }
  }
  if (!existsSync('/bin/busybox')) return { ok: false, reason: 'busybox-static is not installed' };
  return { ok: true, reason: '' };
}

/** true when real-LXC tests must run: the host can, or CI demands it (then they fail loudly). */
export const RUN_LXC = lxcAvailable().ok || process.env.CI === 'true';

/** Call inside a describe: fails every test of it when the host cannot run LXC. */
export function requireLxc(): void {
  beforeAll(() => {
    const a = lxcAvailable();
    if (!a.ok) throw new Error(`this test needs real LXC: ${a.reason}`);
  });
}

/** A unique short suffix for container and bridge names. */
export function uniq(n = 4): string {
  return randomBytes(n).toString('hex');
}

/** A temporary lxcpath, and a cleanup that kills and destroys everything in it, deletes `bridges`, and removes it. */
export function tempLxcpath(bridges: string[] = []): { lxcpath: string; cleanup: () => void } {
  const lxcpath = mkdtempSync(join(tmpdir(), 'lxdeck-it-'));
  const cleanup = () => {
    let names: string[] = [];
    try {
      names = readdirSync(lxcpath).filter((n) => !n.startsWith('.') && existsSync(join(lxcpath, n, 'config')));
    } catch {
      /* gone */
    }
    for (const n of names) {
      try {
        execFileSync('lxc-stop', ['-P', lxcpath, '-n', n, '-k'], { stdio: 'ignore', timeout: 30_000 });
      } catch {
        /* not running */
      }
      try {
        execFileSync('lxc-destroy', ['-P', lxcpath, '-n', n], { stdio: 'ignore', timeout: 30_000 });
      } catch {
        /* best effort; the rm below removes what is left */
      }
    }
    for (const b of bridges) {
      try {
        execFileSync('ip', ['link', 'delete', 'dev', b], { stdio: 'ignore' });
      } catch {
        /* not there */
      }
    }
    rmSync(lxcpath, { recursive: true, force: true });
  };
  return { lxcpath, cleanup };
}

/** True when a network link exists. */
export function linkExists(dev: string): boolean {
  try {
    execFileSync('ip', ['link', 'show', 'dev', dev], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes a privileged busybox container with no network (`lxc.net.0.type = empty`) in
 * `lxcpath`, from the project's own busybox template (writing its ~400 applet links from
 * node, which is fast even under emulation in the v2 lane, unlike `lxc-create -t busybox`).
 * `extra` config lines are appended. It is not started.
 */
export async function createNetlessContainer(lxcpath: string, name: string, extra: string[] = []): Promise<void> {
  const { ExecaRunner } = await import('../../core/exec/runner.js');
  const { busyboxTemplate } = await import('../../templates/busybox/template.js');
  const { LXC_COMMON_CONF } = await import('../../core/engine.js');
  const dir = join(lxcpath, name);
  mkdirSync(join(dir, 'rootfs'), { recursive: true });
  const built = await busyboxTemplate.build({ name, rootfs: join(dir, 'rootfs'), options: {}, runner: new ExecaRunner(), onProgress: () => {} });
  const lines = [
    ...(existsSync(LXC_COMMON_CONF) ? [`lxc.include = ${LXC_COMMON_CONF}`] : []),
    `lxc.uts.name = ${name}`,
    `lxc.rootfs.path = dir:${join(dir, 'rootfs')}`,
    ...built.config.map(([k, v]) => `${k} = ${v}`),
    'lxc.net.0.type = empty',
    ...extra,
  ];
  writeFileSync(join(dir, 'config'), `${lines.join('\n')}\n`);
}

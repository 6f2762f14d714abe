/**
 * scripts/needs-build.sh (console.sh builds only when a source is newer than the last build) and
 * scripts/link-bin.sh (the /usr/local/bin/lxdeck link: ours updated, another checkout's left),
 * both run for real by bash on temporary trees; scripts/install-deps.sh calls them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const scripts = join(import.meta.dirname, '../scripts');
const tmp = mkdtempSync(join(tmpdir(), 'lxdeck-scripts-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function sh(script: string, ...args: string[]) {
  const r = spawnSync('bash', [join(scripts, script), ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A checkout-like tree: sources, a built dist with both entries. */
function checkout(name: string): string {
  const root = join(tmp, name);
  for (const d of ['src', 'core', 'dist/src', 'node_modules']) mkdirSync(join(root, d), { recursive: true });
  for (const f of ['src/cli.ts', 'core/engine.ts', 'package.json', 'tsconfig.json', 'node_modules/.package-lock.json', 'dist/src/cli.cjs', 'dist/src/cli.js']) writeFileSync(join(root, f), '');
  return root;
}

const at = (p: string, sec: number) => utimesSync(p, sec, sec);

describe('scripts/needs-build.sh', () => {
  it('says build (0) without a stamp or an entry, or with a source newer than the stamp; up to date (1) otherwise', () => {
    const root = checkout('nb');
    const t = Math.floor(Date.now() / 1000) - 1000;
    for (const f of ['src/cli.ts', 'core/engine.ts', 'package.json', 'tsconfig.json', 'node_modules/.package-lock.json']) at(join(root, f), t);
    expect(sh('needs-build.sh', root).status).toBe(0); // never built by install-deps: no stamp
    const stamp = join(root, 'dist/.build-stamp');
    writeFileSync(stamp, '');
    at(stamp, t + 10);
    expect(sh('needs-build.sh', root).status).toBe(1);
    at(join(root, 'core/engine.ts'), t + 20); // a source saved after the build
    expect(sh('needs-build.sh', root).status).toBe(0);
    at(join(root, 'core/engine.ts'), t);
    at(join(root, 'node_modules/.package-lock.json'), t + 20); // npm ci after the build
    expect(sh('needs-build.sh', root).status).toBe(0);
    at(join(root, 'node_modules/.package-lock.json'), t);
    expect(sh('needs-build.sh', root).status).toBe(1);
    rmSync(join(root, 'dist/src/cli.cjs')); // the bin itself missing
    expect(sh('needs-build.sh', root).status).toBe(0);
  });

  it('install-deps.sh builds through it and stamps the build', () => {
    const text = readFileSync(join(scripts, 'install-deps.sh'), 'utf8');
    expect(text).toMatch(/scripts\/needs-build\.sh/);
    expect(text).toMatch(/dist\/\.build-stamp/);
    expect(text).toMatch(/scripts\/link-bin\.sh/);
    expect(readFileSync(join(scripts, 'console.sh'), 'utf8')).not.toMatch(/npm run build/);
  });
});

describe('scripts/link-bin.sh', () => {
  it('makes a free link, updates ours to an older entry (said on stdout), replaces a dangling one, leaves another checkout\'s (said on stderr)', () => {
    const mine = checkout('mine');
    const other = checkout('other');
    const entry = join(mine, 'dist/src/cli.cjs');
    const bin = join(tmp, 'bin');
    mkdirSync(bin);
    const link = join(bin, 'lxdeck');

    let r = sh('link-bin.sh', entry, link);
    expect(r.status).toBe(0);
    expect(readlinkSync(link)).toBe(entry);

    r = sh('link-bin.sh', entry, link); // already ours: nothing said
    expect(r).toMatchObject({ status: 0, stdout: '', stderr: '' });

    rmSync(link);
    symlinkSync(join(mine, 'dist/src/cli.js'), link); // the entry an older build's bin was
    r = sh('link-bin.sh', entry, link);
    expect(r.status).toBe(0);
    expect(readlinkSync(link)).toBe(entry);
    expect(r.stdout).toContain(`pointed to ${join(mine, 'dist/src/cli.js')}, an older entry of this checkout; now -> ${entry}`);

    rmSync(link);
    symlinkSync(join(other, 'dist/src/cli.cjs'), link); // another checkout's
    r = sh('link-bin.sh', entry, link);
    expect(r.status).toBe(0);
    expect(readlinkSync(link)).toBe(join(other, 'dist/src/cli.cjs'));
    expect(r.stderr).toContain(`already points to ${join(other, 'dist/src/cli.cjs')}; left as it is`);

    rmSync(link);
    symlinkSync(join(tmp, 'gone/dist/src/cli.js'), link); // dangling
    r = sh('link-bin.sh', entry, link);
    expect(readlinkSync(link)).toBe(entry);
    expect(r.stdout).toContain('which is gone');

    rmSync(link);
    writeFileSync(link, '#!/bin/sh\n'); // not a link: never replaced
    r = sh('link-bin.sh', entry, link);
    expect(lstatSync(link).isSymbolicLink()).toBe(false);
    expect(r.stderr).toContain('left as it is');
    expect(existsSync(entry)).toBe(true);
  });
});

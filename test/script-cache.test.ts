/**
 * The binary's entries and script builds (src/cli-fast.ts, src/entry.ts, src/script-cache.ts,
 * src/console-handoff.ts, scripts/bundle.mjs): V8's code cache written, accepted, and rewritten
 * when refused; Node's modules loaded on first use; which argv may open the console. The last
 * part runs the built binary (dist/, `npm run build` first) on an empty lxcpath of its own.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mayOpenConsole } from '../src/console-handoff.js';
import { codeCacheDirs, codeCacheName, loadScript } from '../src/script-cache.js';

const root = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'lxdeck-scriptcache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadScript: a script build through V8 code cache', () => {
  const file = join(dir, 'prog.cjs');
  writeFileSync(
    file,
    [
      '(function (exports, require, module, __filename, __dirname) {',
      "const { join } = require('node:path');",
      'function square(n) { return n * n; }',
      "module.exports = { square, where: join(__dirname, 'x'), file: __filename };",
      '})',
    ].join('\n'),
  );
  const cacheDir = join(dir, 'cache');

  // each load in a process of its own: within one, V8 answers a second compile of the same source from memory
  const load = (): { cache: string; square: number; where: string; file: string } => {
    const code = `
      const { loadScript } = await import(${JSON.stringify(join(root, 'dist/src/script-cache.js'))});
      const s = loadScript(${JSON.stringify(file)}, { LXDECK_CODE_CACHE_DIR: ${JSON.stringify(cacheDir)} });
      s.saveCache();
      console.log(JSON.stringify({ cache: s.cache, square: s.exports.square(7), where: s.exports.where, file: s.exports.file }));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    expect(r.stderr).toBe('');
    return JSON.parse(r.stdout);
  };

  it('no cache at first: runs from source and writes one; the next load is compiled from it and writes nothing', () => {
    const a = load();
    expect(a).toEqual({ cache: 'none', square: 49, where: join(dir, 'x'), file });
    const cacheFile = join(cacheDir, readdirSync(cacheDir)[0]);
    const before = readFileSync(cacheFile);
    expect(before.length).toBeGreaterThan(0);
    expect(load().cache).toBe('accepted');
    expect(readFileSync(cacheFile).equals(before)).toBe(true);
  });

  it('a cache V8 refuses (garbage) is ignored and written anew', () => {
    const cacheFile = join(cacheDir, readdirSync(cacheDir)[0]);
    writeFileSync(cacheFile, Buffer.alloc(2048, 7));
    expect(load()).toMatchObject({ cache: 'rejected', square: 49 });
    expect(readFileSync(cacheFile).equals(Buffer.alloc(2048, 7))).toBe(false);
    expect(load().cache).toBe('accepted');
  });

  it('looks beside the script, then in the user cache; a directory it cannot write fails nothing', () => {
    expect(codeCacheDirs(file, { XDG_CACHE_HOME: '/x/cache' })).toEqual([dir, '/x/cache/lxdeck']);
    expect(codeCacheDirs(file, { HOME: '/home/u' })).toEqual([dir, '/home/u/.cache/lxdeck']);
    expect(codeCacheDirs(file, { LXDECK_CODE_CACHE_DIR: '/only', XDG_CACHE_HOME: '/x/cache' })).toEqual(['/only']);
    const notDir = join(dir, 'a-file');
    writeFileSync(notDir, 'not a directory');
    const e = loadScript<{ square: (n: number) => number }>(file, { LXDECK_CODE_CACHE_DIR: join(notDir, 'sub') });
    expect(e.cache).toBe('none');
    expect(e.exports.square(2)).toBe(4);
    expect(() => e.saveCache()).not.toThrow();
    expect(readFileSync(notDir, 'utf8')).toBe('not a directory');
  });

  it('the cache name follows Node options (V8 refuses a cache made with other flags)', () => {
    const plain = codeCacheName(file, [], '');
    expect(plain).toBe(`prog.cjs.${process.versions.v8}-${process.arch}.v8cache`);
    expect(codeCacheName(file, ['--max-semi-space-size=4'], '')).not.toBe(plain);
    expect(codeCacheName(file, [], '--max-old-space-size=100')).not.toBe(plain);
    expect(codeCacheName(file, ['--max-semi-space-size=4'], '')).toBe(codeCacheName(file, ['--max-semi-space-size=4'], ''));
  });
});

describe('lazyBuiltin: a Node module loaded on first use', () => {
  it('zlib is not loaded until a property is read, then works as the module', () => {
    const code = `
      const { lazyBuiltin } = await import(${JSON.stringify(join(root, 'dist/src/script-cache.js'))});
      const { createRequire } = await import('node:module');
      const loaded = () => process.moduleLoadList.includes('NativeModule zlib');
      const before = loaded();
      const z = lazyBuiltin('zlib', createRequire(import.meta.url));
      const afterMake = loaded();
      const out = z.gunzipSync(z.gzipSync(Buffer.from('lxdeck'))).toString();
      console.log(JSON.stringify({ before, afterMake, after: loaded(), out, hasKey: 'gzipSync' in z, keys: Object.keys(z).includes('gzipSync') }));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ before: false, afterMake: false, after: true, out: 'lxdeck', hasKey: true, keys: true });
  });
});

describe('mayOpenConsole: which argv goes straight to the module build', () => {
  it('no verb on a terminal: the console', () => {
    expect(mayOpenConsole([], true)).toBe(true);
    expect(mayOpenConsole(['--lxcpath', '/x', '--bridge', 'br0', '--read-only'], true)).toBe(true);
    expect(mayOpenConsole(['--backend', 'lxd', '--all', '--remote', 'r1', '--lxd-socket', '/s'], true)).toBe(true);
    expect(mayOpenConsole(['--lxcpath=/x'], true)).toBe(true);
  });
  it('a verb, no terminal, or `--`: the script build (which hands the console over if it comes to that)', () => {
    expect(mayOpenConsole(['ls'], true)).toBe(false);
    expect(mayOpenConsole(['--lxcpath', '/x', 'ls', '--json'], true)).toBe(false);
    expect(mayOpenConsole([], false)).toBe(false);
    expect(mayOpenConsole(['--'], true)).toBe(false);
  });
});

describe('the built binary: dist/src/cli.cjs (the bin) and dist/src/cli.js', () => {
  const bin = join(root, 'dist/src/cli.cjs');
  const lxcpath = join(dir, 'lxcpath');
  mkdirSync(lxcpath, { recursive: true });
  const cacheDir = join(dir, 'bin-cache');
  const env = { ...process.env, LXDECK_CODE_CACHE_DIR: cacheDir, NODE_OPTIONS: '' };
  delete env.LXDECK_BACKEND;
  const run = (cmd: string[], extra: Record<string, string> = {}) => spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
  const caches = () => (existsSync(cacheDir) ? readdirSync(cacheDir).filter((f) => f.endsWith('.v8cache')).sort() : []);

  it('is built with its script builds and their code caches (npm run build)', () => {
    expect(existsSync(bin), 'dist/src/cli.cjs is missing: run npm run build first').toBe(true);
    expect(readFileSync(bin, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    const scripts = readdirSync(join(root, 'dist/src/script'));
    expect(scripts.filter((f) => /^cli-(local|lxd)-[A-Z0-9]+\.cjs$/.test(f))).toHaveLength(2);
    // each script build has its cache beside it: the verbs' from their cache run, the console's from
    // its run in a pty, which needs root (the console does) and node-pty; CI builds as root
    const wanted = process.getuid?.() === 0 || process.env.CI === 'true' ? ['cli-local', 'cli-lxd', 'console'] : ['cli-local', 'cli-lxd'];
    for (const name of wanted) expect(scripts.some((f) => new RegExp(`^${name}-[A-Z0-9]+\\.cjs\\..*\\.v8cache$`).test(f)), `no code cache for ${name} in dist/src/script`).toBe(true);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: { lxdeck: string } };
    expect(pkg.bin.lxdeck).toBe('dist/src/cli.cjs');
  });

  it('a verb writes its cache once, then runs from it; a refused cache is rewritten; the output is the same each time', () => {
    // --timeout (read with --all only): an ls the bin's small ls build does not take, so the local
    // program runs it (the small build's own cache: test/integration/ls-fast.test.ts)
    const ls = [process.execPath, bin, '--lxcpath', lxcpath, 'ls', '--json', '--timeout', '5'];
    const a = run(ls);
    expect(a.stderr).toBe('');
    expect(a.status).toBe(0);
    expect(JSON.parse(a.stdout)).toEqual([]);
    const [name] = caches();
    expect(name).toMatch(/^cli-local-[A-Z0-9]+\.cjs\..*\.v8cache$/);
    const file = join(cacheDir, name);
    const m1 = statSync(file).mtimeMs;
    const b = run(ls);
    expect(b.stdout).toBe(a.stdout);
    expect(statSync(file).mtimeMs).toBe(m1); // accepted: not written again
    writeFileSync(file, Buffer.alloc(4096, 1));
    const c = run(ls);
    expect(c.status).toBe(0);
    expect(c.stdout).toBe(a.stdout);
    expect(readFileSync(file).equals(Buffer.alloc(4096, 1))).toBe(false);
    // run as a command (#! line): the same cache, accepted
    const m2 = statSync(file).mtimeMs;
    const d = run([bin, '--lxcpath', lxcpath, 'ls', '--json', '--timeout', '5']);
    expect(d.stdout).toBe(a.stdout);
    expect(caches().filter((f) => f.startsWith('cli-local-'))).toEqual([name]);
    expect(statSync(file).mtimeMs).toBe(m2);
    // with a V8 flag: a cache of its own beside the first (V8 would refuse the other)
    const e = run([process.execPath, '--max-semi-space-size=4', bin, '--lxcpath', lxcpath, 'ls', '--json', '--timeout', '5']);
    expect(e.stdout).toBe(a.stdout);
    expect(caches().filter((f) => f.startsWith('cli-local-'))).toHaveLength(2);
  });

  it('the LXD program and the ES module entry run the same verbs; errors keep their exit status', () => {
    const h = run([process.execPath, bin, '--backend', 'lxd', '--help']);
    expect(h.status).toBe(0);
    expect(h.stdout).toContain('LXD');
    expect(caches().some((f) => f.startsWith('cli-lxd-'))).toBe(true);
    const viaModule = run([process.execPath, join(root, 'dist/src/cli.js'), '--lxcpath', lxcpath, 'ls']);
    expect(viaModule.status).toBe(0);
    expect(viaModule.stdout).toBe(`no containers in ${lxcpath}\n`);
    const bad = run([process.execPath, bin, '--lxcpath', lxcpath, 'nosuchverb']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('unknown command "nosuchverb"');
    // no terminal: the console action answers from the script build itself
    const noTty = run([process.execPath, bin, '--lxcpath', lxcpath]);
    expect(noTty.status).toBe(2);
    expect(noTty.stderr).toContain('the console needs a terminal');
  });

  it('without its script builds the bin still runs every verb (the module build)', () => {
    const copy = join(dir, 'dist-copy');
    spawnSync('cp', ['-r', join(root, 'dist'), copy]);
    rmSync(join(copy, 'src/script'), { recursive: true, force: true });
    // package.json two levels up from dist/src, for the version
    writeFileSync(join(dir, 'package.json'), readFileSync(join(root, 'package.json')));
    spawnSync('ln', ['-s', join(root, 'node_modules'), join(dir, 'node_modules')]);
    const r = run([process.execPath, join(copy, 'src/cli.cjs'), '--lxcpath', lxcpath, 'ls']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`no containers in ${lxcpath}\n`);
    const v = run([process.execPath, join(copy, 'src/cli.cjs'), '--version']);
    expect(v.stdout.trim()).toBe(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
  });
});

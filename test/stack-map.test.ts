import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { mapStack } from '../src/stack-map.js';

const dir = mkdtempSync(join(tmpdir(), 'lxdeck-stackmap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mapStack: a bundled stack trace back to the TypeScript source', () => {
  it('names the .ts file and line of the throw, as scripts/bundle.mjs builds (minified whitespace, linked map, no sources content)', async () => {
    writeFileSync(join(dir, 'thrower.ts'), ['// line 1', 'export function boom(n: number): never {', '  const why: string = `boom ${n}`;', '  throw new Error(why);', '}', ''].join('\n'));
    writeFileSync(join(dir, 'main.ts'), "import { boom } from './thrower.js';\nexport function run(): void {\n  boom(1);\n}\n");
    await build({ entryPoints: [join(dir, 'main.ts')], bundle: true, format: 'esm', platform: 'node', outfile: join(dir, 'out/main.js'), sourcemap: 'linked', sourcesContent: false, minifyWhitespace: true, minifySyntax: true, logLevel: 'silent' });
    // the stack as a plain node prints it (vitest maps stacks itself, so it is made in a child)
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `import { run } from ${JSON.stringify(pathToFileURL(join(dir, 'out/main.js')).href)};\ntry { run(); } catch (e) { process.stdout.write(e.stack); }`], {
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    const stack = r.stdout;
    expect(stack).toContain('out/main.js:1:');
    const mapped = mapStack(stack);
    expect(mapped).toContain(`${join(dir, 'thrower.ts')}:4:`);
    expect(mapped).toContain(`${join(dir, 'main.ts')}:3:`);
    expect(mapped).not.toContain('out/main.js');
  });

  it('maps a script build too (CommonJS in a function, .cjs, run through src/script-cache.ts as scripts/bundle.mjs builds it)', async () => {
    await build({
      entryPoints: [join(dir, 'main.ts')],
      bundle: true,
      format: 'cjs',
      platform: 'node',
      outfile: join(dir, 'out/main.cjs'),
      sourcemap: 'linked',
      sourcesContent: false,
      minifyWhitespace: true,
      minifySyntax: true,
      banner: { js: '(function (exports, require, module, __filename, __dirname) {' },
      footer: { js: '})' },
      logLevel: 'silent',
    });
    const loader = pathToFileURL(join(import.meta.dirname, '../dist/src/script-cache.js')).href;
    const code = `import { loadScript } from ${JSON.stringify(loader)};\nconst s = loadScript(${JSON.stringify(join(dir, 'out/main.cjs'))}, { LXDECK_CODE_CACHE_DIR: ${JSON.stringify(join(dir, 'cache'))} });\ntry { s.exports.run(); } catch (e) { process.stdout.write(e.stack); }`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    expect(r.stdout).toContain('out/main.cjs:');
    const mapped = mapStack(r.stdout);
    expect(mapped).toContain(`${join(dir, 'thrower.ts')}:4:`);
    expect(mapped).toContain(`${join(dir, 'main.ts')}:3:`);
    expect(mapped).not.toContain('out/main.cjs');
  });

  it("maps frames of the built console's script build (dist/src/script/console-*.cjs) to the console's sources", () => {
    const scriptDir = join(import.meta.dirname, '../dist/src/script');
    const file = existsSync(scriptDir) ? readdirSync(scriptDir).find((f) => /^console-.*\.cjs$/.test(f)) : undefined;
    expect(file, 'no console script build in dist/src/script: run npm run build first').toBeDefined();
    const built = readFileSync(join(scriptDir, file!), 'utf8').split('\n');
    // a frame at each function's declaration in the build, as V8 would print it (1-based line and column)
    for (const [fn, source] of [
      ['runConsole', '../src/console/run-console.tsx'],
      ['loadLayoutEngine', '../src/console/yoga-script.ts'],
      ['consoleMain', '../src/console-script.ts'],
    ] as const) {
      const line = built.findIndex((l) => l.includes(`function ${fn}(`));
      expect(line, `function ${fn} in ${file}`).toBeGreaterThanOrEqual(0);
      const col = built[line].indexOf(`function ${fn}(`);
      const srcLines = readFileSync(join(import.meta.dirname, source), 'utf8').split('\n');
      const want = srcLines.findIndex((l) => l.includes(`function ${fn}(`)) + 1;
      const frame = `    at ${fn} (${join(scriptDir, file!)}:${line + 1}:${col + 1})`;
      expect(mapStack(frame)).toMatch(new RegExp(`${join(import.meta.dirname, source).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${want}:\\d+\\)$`));
    }
  });

  it('leaves frames without a map, and text that is not a frame, as they are', () => {
    const s = 'Error: x\n    at f (file:///nowhere/a.js:1:2)\n    at node:internal/x:3:4\n    at /tmp/nothing-here.js:5:6';
    expect(mapStack(s)).toBe(s);
  });
});

/**
 * Maps a stack trace of the bundled binary (dist/src/bundle/, scripts/bundle.mjs) back to the
 * TypeScript sources, on demand: each `FILE.js:LINE:COLUMN` whose `FILE.js.map` exists becomes
 * `SOURCE.ts:LINE:COLUMN`. Node's own mapping (`process.setSourceMapsEnabled`, `--enable-source-maps`)
 * reads every loaded file's map at start-up, about 10 ms for `ls` and more for the console;
 * lxdeck prints a stack only for an unexpected error, so it reads a map only then.
 * Source Map Revision 3 (the `sources` resolved against the map's directory), through Node's
 * `module.SourceMap`. A frame without a map, or one already mapped, is left as it is.
 */
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const maps = new Map<string, { map: SourceMap; dir: string } | null>();

function mapOf(file: string): { map: SourceMap; dir: string } | null {
  if (!maps.has(file)) {
    let m: { map: SourceMap; dir: string } | null = null;
    try {
      m = { map: new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8'))), dir: dirname(file) };
    } catch {
      // no map (not a bundle file) or an unreadable one: the frame stays as it is
    }
    maps.set(file, m);
  }
  return maps.get(file)!;
}

/**
 * The stack with every frame position in a mapped .js file replaced by its source position.
 * @param stack an Error's `stack` (V8's format: `at fn (file:///…/x.js:12:34)` or `at /…/x.js:12:34`)
 * @returns the same text with positions mapped (1-based lines and columns, as V8 prints them); never throws
 */
export function mapStack(stack: string): string {
  return stack.replace(/((?:file:\/\/)?\/[^\s()]*?\.[cm]?js):(\d+):(\d+)/g, (all, loc: string, line: string, col: string) => {
    try {
      const file = loc.startsWith('file:') ? fileURLToPath(loc) : loc;
      const m = mapOf(file);
      if (!m) return all;
      const e = m.map.findEntry(Number(line) - 1, Number(col) - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number };
      if (!e.originalSource || e.originalLine === undefined || e.originalColumn === undefined) return all;
      const src = e.originalSource.startsWith('file:') ? fileURLToPath(e.originalSource) : resolve(m.dir, e.originalSource);
      return `${src}:${e.originalLine + 1}:${e.originalColumn + 1}`;
    } catch {
      return all;
    }
  });
}

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

function files(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(root, dir))) {
    const p = join(dir, e);
    if (statSync(join(root, p)).isDirectory()) out.push(...files(p));
    else if (/\.(ts|tsx)$/.test(e)) out.push(p);
  }
  return out;
}

/** Every module specifier a file imports (static, dynamic and re-exports). */
function imports(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const specs: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g))
    specs.push(m[1] ?? m[2] ?? m[3]);
  return specs;
}

function layerOf(file: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  const target = relative(root, join(root, file, '..', spec));
  return target.split('/')[0];
}

describe('DESIGN.md layers: imports point one way (src → components, src → core)', () => {
  it('core/ imports no React, no Ink, nothing from src/ or components/', () => {
    const bad: string[] = [];
    for (const f of files('core'))
      for (const s of imports(f)) {
        if (/^(react|ink|ink-[a-z-]+)(\/|$)/.test(s) || ['src', 'components'].includes(layerOf(f, s) ?? '')) bad.push(`${f}: ${s}`);
      }
    expect(bad).toEqual([]);
  });

  it('core/ imports nothing from templates/: templates are handed to the engine (src/local-engine.ts)', () => {
    const bad: string[] = [];
    for (const f of files('core')) for (const s of imports(f)) if (layerOf(f, s) === 'templates') bad.push(`${f}: ${s}`);
    expect(bad).toEqual([]);
  });

  it('core/types.ts imports no module: every module can take its shapes without a cycle', () => {
    expect(imports('core/types.ts')).toEqual([]);
  });

  it('limits live with cgroups: core/stats/ holds no limit, resource or cgroup-key module', () => {
    const bad = files('core/stats').filter((f) => /(limit|resources|cgroup-key)/.test(f));
    expect(bad).toEqual([]);
  });

  it('components/ imports nothing from core/ or src/', () => {
    const bad: string[] = [];
    for (const f of files('components'))
      for (const s of imports(f)) if (['src', 'core'].includes(layerOf(f, s) ?? '')) bad.push(`${f}: ${s}`);
    expect(bad).toEqual([]);
  });

  it('templates/ import no UI', () => {
    const bad: string[] = [];
    for (const f of files('templates'))
      for (const s of imports(f)) if (/^(react|ink)/.test(s) || ['src', 'components'].includes(layerOf(f, s) ?? '')) bad.push(`${f}: ${s}`);
    expect(bad).toEqual([]);
  });

  it('the checker itself sees imports (it can fail)', () => {
    expect(imports('core/engine.ts')).toContain('./errors.js');
    expect(layerOf('components/x.tsx', '../core/errors.js')).toBe('core');
  });
});

import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** test/fixtures/checkconfig/ */
export const FIXTURES = join(import.meta.dirname, '../../fixtures/checkconfig');

export interface Expected {
  layout: string;
  v2Mount?: string;
  errors: number;
  /** finding ids that must not be in the report */
  absent?: string[];
  severities: Record<string, 'ok' | 'warning' | 'error'>;
}

const made: string[] = [];
afterAll(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

/**
 * A copy of fixture tree `name` in a temporary directory, with the modes of
 * its MODES file applied (git keeps no setuid bit), and its expected.json.
 * Removed after the test file.
 */
export function fixtureTree(name: string): { root: string; expected: Expected } {
  const src = join(FIXTURES, name);
  const root = mkdtempSync(join(tmpdir(), `lxdeck-cc-${name}-`));
  made.push(root);
  cpSync(src, root, { recursive: true });
  for (const line of readFileSync(join(src, 'MODES'), 'utf8').split('\n')) {
    const m = /^([0-7]+) (.+)$/.exec(line.trim());
    if (m) chmodSync(join(root, m[2]), parseInt(m[1], 8));
  }
  const expected = JSON.parse(readFileSync(join(src, 'expected.json'), 'utf8')) as Expected;
  return { root, expected };
}

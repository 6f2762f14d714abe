import { describe, expect, it } from 'vitest';
import {
  CONTAINER_NAME_RULE,
  IFNAMSIZ,
  suggestContainerName,
  validateContainerName,
  validateIfName,
  vethName,
} from '../../core/names.js';
import { LxdeckError } from '../../core/errors.js';

function thrown(fn: () => void): LxdeckError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(LxdeckError);
    return e as LxdeckError;
  }
  throw new Error('expected a throw');
}

describe('container names', () => {
  const bad = [
    'a/b',
    '../x',
    '-rf',
    'x\0y',
    '',
    '.',
    '..',
    'x'.repeat(200),
    'x'.repeat(64),
    'has space',
    'new\nline',
    'tab\tname',
    'ends-',
    'dot.name',
    'under_score',
    '数据库',
    '/abs',
    '--help',
  ];
  it.each(bad.map((n) => [JSON.stringify(n), n]))('N1: refuses %s with the rule in the message', (_shown, name) => {
    const e = thrown(() => validateContainerName(name));
    expect(e.code).toBe('E_NAME_INVALID');
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain(CONTAINER_NAME_RULE);
    // the rule names the allowed characters and the length
    expect(e.message).toMatch(/letters/);
    expect(e.message).toMatch(/digits/);
    expect(e.message).toContain("'-'");
    expect(e.message).toMatch(/1 to 63 characters/);
    // one line, no raw control characters from the input
    expect(e.message).not.toMatch(/[\0\n\t]/);
    expect(e.hint).toBeTruthy();
  });

  it('N1: the message says what is wrong with this name', () => {
    expect(thrown(() => validateContainerName('')).message).toMatch(/empty/);
    expect(thrown(() => validateContainerName('x'.repeat(200))).message).toMatch(/200 characters long/);
    expect(thrown(() => validateContainerName('-rf')).message).toMatch(/starts with '-'/);
    expect(thrown(() => validateContainerName('a/b')).message).toContain('"/"');
    expect(thrown(() => validateContainerName('x\0y')).message).toContain('"\\u0000"');
  });

  it.each(['a', 'web-01', 'A1', '0', 'helloabcdef1', 'x'.repeat(63), 'a-b-c'])('N1: accepts %s', (name) => {
    expect(() => validateContainerName(name)).not.toThrow();
  });

  it('N1: hints a corrected name that itself passes', () => {
    for (const n of ['a/b', '../x', 'my web', 'x'.repeat(200), '-rf', 'under_score']) {
      const s = suggestContainerName(n);
      expect(s).toBeDefined();
      expect(() => validateContainerName(s!)).not.toThrow();
      expect(thrown(() => validateContainerName(n)).hint).toContain(s!);
    }
    expect(suggestContainerName('..')).toBeUndefined();
  });
});

describe('interface names', () => {
  it('N2: IFNAMSIZ is the kernel value', () => {
    expect(IFNAMSIZ).toBe(16);
  });

  it('N2: names that truncation would merge stay distinct', () => {
    const a = vethName('helloabcdef1', 0);
    const b = vethName('helloabcdef2', 0);
    expect(a).not.toBe(b);
    expect(Buffer.byteLength(a)).toBeLessThanOrEqual(15);
    expect(Buffer.byteLength(b)).toBeLessThanOrEqual(15);
    expect(a.slice(0, 15)).not.toBe(b.slice(0, 15));
  });

  it('N2: deterministic, readable, valid for the kernel', () => {
    expect(vethName('web-01', 0)).toBe(vethName('web-01', 0));
    expect(vethName('web-01', 0)).toMatch(/^vlweb-01-[0-9a-z]{6}$/);
    expect(vethName('web-01', 0)).not.toBe(vethName('web-01', 1));
    expect(() => validateIfName(vethName('web-01', 3), 'veth')).not.toThrow();
  });

  it('N2: every result fits in 15 bytes, including long and multibyte names and index 9999', () => {
    const names = ['a', 'x'.repeat(63), '数据库-01', '⚠️⚠️⚠️⚠️⚠️⚠️⚠️⚠️', 'é'.repeat(40), '', 'a/b c'];
    for (const n of names) {
      for (const i of [0, 1, 9, 10, 99, 999, 9999]) {
        const v = vethName(n, i);
        expect(Buffer.byteLength(v, 'utf8')).toBeLessThanOrEqual(15);
        expect(() => validateIfName(v, 'vethName')).not.toThrow();
      }
    }
  });

  it('N2: distinct for distinct (name, index) pairs across a large set', () => {
    const seen = new Map<string, string>();
    for (let c = 0; c < 500; c++) {
      const name = `helloabcdef${c}`; // same first 6 characters for all
      for (let i = 0; i < 20; i++) {
        const v = vethName(name, i);
        const key = `${name}/${i}`;
        expect(seen.get(v), `${key} collides with ${seen.get(v)}`).toBeUndefined();
        seen.set(v, key);
      }
    }
    expect(seen.size).toBe(10000);
  });

  it('N2: refuses a bad index', () => {
    expect(thrown(() => vethName('a', -1)).code).toBe('E_INVALID_VALUE');
    expect(thrown(() => vethName('a', 1.5)).code).toBe('E_INVALID_VALUE');
  });

  it('N2: a user-given veth.pair of 16 bytes is refused with the limit named', () => {
    const e = thrown(() => validateIfName('a'.repeat(16), 'lxc.net.0.veth.pair'));
    expect(e.code).toBe('E_INVALID_VALUE');
    expect(e.message).toContain('lxc.net.0.veth.pair');
    expect(e.message).toMatch(/16 bytes/);
    expect(e.message).toMatch(/at most 15 bytes/);
    expect(e.message).toContain('IFNAMSIZ');
    expect(() => validateIfName('a'.repeat(15), 'lxc.net.0.veth.pair')).not.toThrow();
  });

  it('N2: counts bytes, not characters', () => {
    // 8 characters, 16 bytes
    const e = thrown(() => validateIfName('é'.repeat(8), 'lxc.net.0.link'));
    expect(e.message).toMatch(/16 bytes/);
    expect(() => validateIfName('é'.repeat(7), 'lxc.net.0.link')).not.toThrow();
  });

  it.each(['', '.', '..', 'a/b', 'a:b', 'a b', 'a\tb'])('N2: refuses interface name %j as the kernel does', (n) => {
    expect(thrown(() => validateIfName(n, 'lxc.net.0.link')).code).toBe('E_INVALID_VALUE');
  });
});

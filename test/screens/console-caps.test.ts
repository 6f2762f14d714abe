import { describe, expect, it } from 'vitest';
import { detectTheme } from '../../src/console/terminal-caps.js';
import { NON_INTERACTIVE_VERBS, isInteractive, nonInteractiveMessage } from '../../src/console/tty.js';

describe('terminal capabilities', () => {
  it('R1: the console needs a terminal on stdin and stdout', () => {
    expect(isInteractive({ isTTY: true }, { isTTY: true })).toBe(true);
    expect(isInteractive({ isTTY: true }, { isTTY: false })).toBe(false); // lxdeck | cat
    expect(isInteractive({}, { isTTY: true })).toBe(false); // lxdeck < /dev/null
    expect(isInteractive({}, {})).toBe(false); // ssh host lxdeck
  });

  it('R1: the message is one plain line naming every non-interactive verb', () => {
    const m = nonInteractiveMessage();
    expect(m).not.toContain('\n');
    expect(m).toMatch(/^[\x20-\x7e]+$/);
    for (const v of NON_INTERACTIVE_VERBS) expect(m).toContain(v);
    expect(m).toContain('ls|info|create|start|stop|freeze|unfreeze|destroy');
  });

  it('R5: ASCII unless the locale is UTF-8, LC_ALL over LC_CTYPE over LANG', () => {
    expect(detectTheme({ LANG: 'C', LC_ALL: 'C' }).ascii).toBe(true);
    expect(detectTheme({}).ascii).toBe(true);
    expect(detectTheme({ LANG: 'en_US.UTF-8' }).ascii).toBe(false);
    expect(detectTheme({ LANG: 'de_DE.utf8' }).ascii).toBe(false);
    expect(detectTheme({ LANG: 'en_US.UTF-8', LC_ALL: 'C' }).ascii).toBe(true);
    expect(detectTheme({ LANG: 'C', LC_CTYPE: 'C.UTF-8' }).ascii).toBe(false);
  });

  it('R1: colour off with NO_COLOR (non-empty) or TERM=dumb; an unknown TERM is fine', () => {
    expect(detectTheme({ LANG: 'C.UTF-8', TERM: 'xterm-256color' }).color).toBe(true);
    expect(detectTheme({ NO_COLOR: '1' }).color).toBe(false);
    expect(detectTheme({ NO_COLOR: '' }).color).toBe(true);
    expect(detectTheme({ TERM: 'dumb' }).color).toBe(false);
    expect(detectTheme({ TERM: 'xterm-unknown', LANG: 'C.UTF-8' })).toEqual({ ascii: false, color: true });
  });
});

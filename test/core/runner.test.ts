import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ExecaRunner, shellQuote } from '../../core/exec/runner.js';
import { isLxdeckError } from '../../core/errors.js';

/** Running, not a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('P1: the runner supervises children', () => {
  const runner = new ExecaRunner();

  it('collects output and exit status of an argv (no shell: metacharacters are plain text)', async () => {
    const r = await runner.run('echo', ['a;b', '$(x)']);
    expect(r).toMatchObject({ exitCode: 0, stdout: 'a;b $(x)\n', timedOut: false });
    expect((await runner.run('false', [])).exitCode).toBe(1);
  });

  it('a timeout kills the whole process group, grandchildren included', async () => {
    // sh starts a grandchild sleep that would outlive a plain kill of sh
    const r = await runner.run('sh', ['-c', 'sleep 30 & echo $!; wait'], { timeoutMs: 500 });
    expect(r.timedOut).toBe(true);
    const grandchild = Number(r.stdout.trim());
    expect(grandchild).toBeGreaterThan(1);
    await new Promise((res) => setTimeout(res, 200));
    expect(alive(grandchild)).toBe(false);
  });

  it('a daemonising child in file mode returns at once though its daemon holds stdout (like lxc-start -d)', async () => {
    const t0 = Date.now();
    const r = await runner.run('sh', ['-c', '(setsid sleep 5 &) ; echo started'], { output: 'file', timeoutMs: 4000 });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('started\n');
    expect(Date.now() - t0).toBeLessThan(3000);
    // the same command through pipes would wait for the daemon: file mode exists for this
  });

  it('a missing program is E_MISSING_PROGRAM with an install hint', async () => {
    await expect(runner.run('lxdeck-no-such-program', [])).rejects.toSatisfy((e) => isLxdeckError(e, 'E_MISSING_PROGRAM'));
  });

  it('aborting kills the child and reports E_CANCELLED', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    await expect(runner.run('sleep', ['10'], { signal: ac.signal })).rejects.toSatisfy((e) => isLxdeckError(e, 'E_CANCELLED'));
  });

  it('shellQuote renders an argv for logs and hints', () => {
    expect(shellQuote(['lxc-start', '-P', '/var/lib/lxc', '-n', "it's"])).toBe(`lxc-start -P /var/lib/lxc -n 'it'\\''s'`);
    expect(existsSync('/bin/sh')).toBe(true);
  });
});

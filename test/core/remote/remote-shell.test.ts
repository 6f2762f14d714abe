/**
 * The remote's long-lived shell (core/remote/shell.ts SHELL_SCRIPT, RemoteShell, ShellRunner),
 * run against a real `sh` on this host through its stdio instead of an SSH channel: arguments
 * and output exact, stderr and exit status per request, requests one after another, a shell
 * that dies or stops answering, and no temporary file left behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RemoteShell, SHELL_SCRIPT, ShellRunner, parseShellReply } from '../../../core/remote/shell.js';
import type { ReaderChannel } from '../../../core/remote/stats.js';

const dirs: string[] = [];
const procs: ChildProcess[] = [];
afterEach(() => {
  // each shell leads a process group of its own: its children (a sleep) go with it
  for (const p of procs.splice(0)) killGroup(p);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function killGroup(p: ChildProcess): void {
  try {
    process.kill(-p.pid!, 'SIGKILL');
  } catch {
    /* gone */
  }
}

/** SHELL_SCRIPT in a local sh (TMPDIR a new directory), as the channel RemoteShell opens; counts opens. */
function localShell(): { shell: RemoteShell; opened: () => number; procs: ChildProcess[]; tmp: string } {
  const tmp = mkdtempSync(join(tmpdir(), 'lxdeck-shell-'));
  dirs.push(tmp);
  const mine: ChildProcess[] = [];
  const open = async (): Promise<ReaderChannel> => {
    const proc = spawn('sh', ['-c', SHELL_SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: tmp }, detached: true });
    procs.push(proc);
    mine.push(proc);
    proc.stdin!.on('error', () => undefined);
    return {
      write: (d) => proc.stdin!.write(d),
      onData: (fn) => proc.stdout!.on('data', fn),
      onStderr: (fn) => proc.stderr!.on('data', fn),
      onClose: (fn) => proc.on('close', (code) => fn(code)),
      close: () => proc.stdin!.end(),
    };
  };
  return { shell: new RemoteShell(open, 'the test host'), opened: () => mine.length, procs: mine, tmp };
}

describe('RemoteShell over a local sh', () => {
  it('runs a script with exact arguments; stdout, stderr and exit status per request; one shell for all', async () => {
    const { shell, opened, tmp } = localShell();
    const nasty = ["it's $HOME", '`id`', 'a\nb', '', '*', '-n', '\\', 'x\x01y END 0'];
    const a = await shell.run(`printf '%s\\0' "$@"`, nasty);
    expect(a).toEqual({ exitCode: 0, stdout: `${nasty.join('\0')}\0`, stderr: '' });
    const b = await shell.run('echo out; echo err >&2; exit 7');
    expect(b).toEqual({ exitCode: 7, stdout: 'out\n', stderr: 'err\n' });
    // the next request's stderr is its own
    const c = await shell.run('echo again >&2');
    expect(c).toEqual({ exitCode: 0, stdout: '', stderr: 'again\n' });
    // stdin is /dev/null: a reader of stdin cannot eat the requests that follow
    const d = await shell.run('cat; echo after');
    expect(d.stdout).toBe('after\n');
    // several at once: one after another, each its own answer
    const many = await Promise.all(Array.from({ length: 20 }, (_, i) => shell.run('echo "$1"', [String(i)])));
    expect(many.map((r) => r.stdout)).toEqual(Array.from({ length: 20 }, (_, i) => `${i}\n`));
    // large output (the copies of many files)
    const big = await shell.run("head -c 300000 /dev/zero | tr '\\0' a");
    expect(big.stdout.length).toBe(300000);
    expect(opened()).toBe(1);
    // its stderr file was unlinked at once: nothing in TMPDIR
    expect(readdirSync(tmp)).toEqual([]);
    shell.close();
  });

  it('a shell that dies fails the request with E_UNREACHABLE; the next request starts another', async () => {
    const { shell, opened, procs: ps } = localShell();
    expect((await shell.run('echo $$')).exitCode).toBe(0);
    const dying = shell.run('sleep 5');
    await new Promise((r) => setTimeout(r, 100));
    killGroup(ps[0]);
    await expect(dying).rejects.toMatchObject({ code: 'E_UNREACHABLE', message: expect.stringContaining('the shell on the test host ended') });
    expect((await shell.run('echo back')).stdout).toBe('back\n');
    expect(opened()).toBe(2);
    shell.close();
  });

  it('one that stops answering: E_TIMEOUT after the timeout, the shell closed, and the next request works', async () => {
    const { shell, opened } = localShell();
    await expect(shell.run('sleep 10', [], 300)).rejects.toMatchObject({ code: 'E_TIMEOUT' });
    expect((await shell.run('echo ok')).stdout).toBe('ok\n');
    expect(opened()).toBe(2);
    shell.close();
    await expect(shell.run('echo closed', [], 2000).then((r) => r.stdout)).resolves.toBe('closed\n');
    shell.close();
  });

  it('ShellRunner runs an argv as "$@" and gives its result as a Runner does', async () => {
    const { shell } = localShell();
    const r = await new ShellRunner(shell).run('sh', ['-c', 'echo "$0|$1"; echo e >&2; exit 3', 'a b', "c'd"]);
    expect(r).toMatchObject({ argv: ['sh', '-c', 'echo "$0|$1"; echo e >&2; exit 3', 'a b', "c'd"], exitCode: 3, stdout: "a b|c'd\n", stderr: 'e\n', timedOut: false });
    const missing = await new ShellRunner(shell).run('no-such-program-here', []);
    expect(missing.exitCode).toBe(127);
    shell.close();
  });

  it('parseShellReply: only the END line of its own mark ends a reply', () => {
    expect(parseShellReply('\x01m1 OUT\nx\n\x01m1 ERR\n\n\x01m1 END 0\n', 'm1')).toEqual({ exitCode: 0, stdout: 'x', stderr: '' });
    expect(parseShellReply('\x01m1 OUT\nx\n\x01m2 END 0\n', 'm1')).toBeNull();
    expect(parseShellReply('\x01m1 OUT\n', 'm1')).toBeNull();
  });
});

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExecaRunner } from '../../core/exec/runner.js';
import type { TemplateContext } from '../../core/rootfs/template.js';
import type { ProgressEvent } from '../../core/types.js';
import { busyboxTemplate } from '../../templates/busybox/template.js';

/** A builder context over the real runner; progress events are collected in `events`. */
export function makeCtx(name: string, rootfs: string, options: Record<string, string> = {}, signal?: AbortSignal): TemplateContext & { events: ProgressEvent[] } {
  const events: ProgressEvent[] = [];
  return { name, rootfs, options, runner: new ExecaRunner(), onProgress: (e) => events.push(e), signal, events };
}

/** Builds the busybox template's rootfs into `dir` (created). */
export async function busyboxRootfs(dir: string, name = 'bb'): Promise<[string, string][]> {
  mkdirSync(dir, { recursive: true });
  const r = await busyboxTemplate.build(makeCtx(name, dir));
  return r.config;
}

/** `tar` as a test fixture maker (not the code under test). */
export function tar(args: string[]): void {
  execFileSync('tar', args, { stdio: 'pipe' });
}

/**
 * Writes the minimal config of a container `<lxcpath>/<name>` whose rootfs is
 * `rootfs`: LXC's common.conf, the rootfs, the name, no network (or the given
 * net keys), then the builder's keys.
 */
export function writeMinimalConfig(lxcpath: string, name: string, rootfs: string, builderKeys: [string, string][], net: [string, string][] = [['lxc.net.0.type', 'empty']]): string {
  const dir = join(lxcpath, name);
  mkdirSync(dir, { recursive: true });
  const lines = [
    'lxc.include = /usr/share/lxc/config/common.conf',
    `lxc.rootfs.path = dir:${rootfs}`,
    `lxc.uts.name = ${name}`,
    ...net.map(([k, v]) => `${k} = ${v}`),
    ...builderKeys.map(([k, v]) => `${k} = ${v}`),
  ];
  const p = join(dir, 'config');
  writeFileSync(p, `${lines.join('\n')}\n`);
  return p;
}

function lxc(tool: string, args: string[], timeout = 60_000): string {
  return execFileSync(tool, args, { encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Starts the container, waits for RUNNING, runs `cmd` through lxc-attach, returns its stdout. */
export function startAndAttach(lxcpath: string, name: string, cmd: string[], logFile?: string): string {
  const logArgs = logFile ? ['-o', logFile, '-l', 'INFO'] : [];
  lxc('lxc-start', ['-P', lxcpath, '-n', name, '-d', ...logArgs]);
  lxc('lxc-wait', ['-P', lxcpath, '-n', name, '-s', 'RUNNING', '-t', '30']);
  return lxc('lxc-attach', ['-P', lxcpath, '-n', name, '--clear-env', '--', ...cmd]);
}

/** Runs one more command in a running container. */
export function attach(lxcpath: string, name: string, cmd: string[]): string {
  return lxc('lxc-attach', ['-P', lxcpath, '-n', name, '--clear-env', '--', ...cmd]);
}

/** Stops (clean shutdown, killed after `timeoutSec`) and destroys the container. */
export function stopAndDestroy(lxcpath: string, name: string, timeoutSec = 20): void {
  try {
    lxc('lxc-stop', ['-P', lxcpath, '-n', name, '-t', String(timeoutSec)], (timeoutSec + 20) * 1000);
  } catch {
    lxc('lxc-stop', ['-P', lxcpath, '-n', name, '-k']);
  }
  lxc('lxc-destroy', ['-P', lxcpath, '-n', name]);
}

/** The container's state as lxc-info prints it. */
export function state(lxcpath: string, name: string): string {
  return lxc('lxc-info', ['-P', lxcpath, '-n', name, '-sH']).trim();
}

/**
 * Application containers, as lxc-execute(1) runs them: one command in namespaces of its own
 * (uts, ipc, pid, mount, net, cgroup) with lxc-init as its init, seeing the host's file system
 * read-only, with cgroup limits, and gone when the command ends. Nothing is built: there is no
 * rootfs of its own (lxc.rootfs.path = dir:/ with lxc.rootfs.options = ro, a tmpfs on /tmp and
 * /run so programs that need scratch space still work).
 *
 * Its config and a record (`NAME.conf`, `NAME.json` with the command) live in lxdeck's own state
 * directory of the lxcpath, `<lxcpath>/.lxdeck/run/`, never as `<lxcpath>/NAME/config`: a config
 * there with `lxc.rootfs.path = dir:/` would let `lxc-destroy NAME` remove the host's root file
 * system. `lxc-ls` still lists it while it runs (LXC finds it by its command socket) and
 * `lxdeck ls` shows it as an application row; both files are removed when the command ends, on
 * SIGTERM and SIGHUP too. Files left by a SIGKILL are swept by the next `run` (the container is
 * no longer RUNNING).
 *
 * Sources: lxc-execute(1); lxc.container.conf(5) keys lxc.rootfs.path, lxc.rootfs.options,
 * lxc.mount.auto, lxc.mount.entry, lxc.autodev, lxc.net.0.type (empty: a network namespace with
 * only lo; none: the host's), lxc.cgroup.* / lxc.cgroup2.*.
 */
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Runner } from '../exec/runner.js';
import { LxdeckError } from '../errors.js';
import { limitToConfigKeys } from '../cgroup/limits.js';
import type { CgroupLayout } from '../cgroup/layout.js';
import { parseLimitsInput, type LimitsInput } from '../cgroup/limit-input.js';
import { validateContainerName } from '../names.js';
import { runInteractive } from './attach.js';

/** What `lxdeck run` takes. */
export interface RunOptions {
  /** the container's name; default `run-<command's base name>-<6 hex digits>` (N1 rules) */
  name?: string;
  /** limits as typed on the command line (memory, swap, cpus, cpuWeight, pids: core/cgroup/limit-input.ts) */
  limits?: LimitsInput;
  /**
   * `empty` (default): a network namespace of its own with only lo (lxc.net.0.type = empty);
   * `host`: the host's network (lxc.net.0.type = none)
   */
  net?: 'empty' | 'host';
}

/** What {@link runApplication} did. */
export interface RunResult {
  name: string;
  /** the argv run on the host (lxc-execute ...) */
  argv: string[];
  /** the command's exit status as lxc-execute passes it on */
  exitCode: number;
}

/**
 * The config of an application container (pure; see the module comment).
 * @param limitKeys lxc.cgroup(2).* keys for the limits (core/cgroup/limits.ts limitToConfigKeys)
 * @returns the config text, one `key = value` a line
 */
export function applicationConfig(name: string, net: 'empty' | 'host', limitKeys: readonly { key: string; value: string }[]): string {
  return [
    `# Application container ${name}, made by lxdeck run for as long as its command runs (lxc-execute)`,
    `lxc.uts.name = ${name}`,
    '# the host\'s file system, read-only; scratch space on tmpfs',
    'lxc.rootfs.path = dir:/',
    'lxc.rootfs.options = ro',
    'lxc.mount.auto = proc:mixed sys:ro cgroup:ro',
    'lxc.autodev = 1',
    'lxc.mount.entry = tmpfs tmp tmpfs rw,nosuid,nodev,create=dir 0 0',
    'lxc.mount.entry = tmpfs run tmpfs rw,nosuid,nodev,mode=755,create=dir 0 0',
    `lxc.net.0.type = ${net === 'host' ? 'none' : 'empty'}`,
    ...limitKeys.map((k) => `${k.key} = ${k.value}`),
    '',
  ].join('\n');
}

/** `lxc-execute -P LXCPATH -n NAME -f CONFIG -- COMMAND...` */
export function executeArgv(lxcpath: string, name: string, config: string, command: readonly string[]): string[] {
  return ['lxc-execute', '-P', lxcpath, '-n', name, '-f', config, '--', ...command];
}

/** `<lxcpath>/.lxdeck/run`: where application containers' configs and records are kept while they run. */
export function runDir(lxcpath: string): string {
  return join(lxcpath, '.lxdeck', 'run');
}

/** The record of a running application container (`<runDir>/NAME.json`). */
export interface ApplicationRecord {
  name: string;
  command: string[];
  /** ISO 8601 */
  created: string;
  /** the lxdeck process that runs it */
  pid: number;
}

/**
 * The records of the application containers of `lxcpath` (those running, and any a SIGKILL left).
 * Unreadable records are left out.
 */
export async function listApplicationRecords(lxcpath: string): Promise<ApplicationRecord[]> {
  let entries: string[];
  try {
    // synchronous: every listing asks, and the directory is usually not there
    entries = readdirSync(runDir(lxcpath));
  } catch {
    return [];
  }
  const out: ApplicationRecord[] = [];
  for (const e of entries.filter((x) => x.endsWith('.json')).sort()) {
    try {
      const r = JSON.parse(await readFile(join(runDir(lxcpath), e), 'utf8')) as ApplicationRecord;
      if (typeof r.name === 'string' && `${r.name}.json` === e) out.push(r);
    } catch {
      /* half-written or foreign: left out */
    }
  }
  return out;
}

/** A default name for `command`: `run-<base name, letters and digits only, at most 16>-<6 hex>`. */
export function defaultRunName(command: readonly string[]): string {
  const base = (command[0] ?? 'app').split('/').pop()!.replace(/[^A-Za-z0-9]/g, '').slice(0, 16) || 'app';
  return `run-${base}-${randomBytes(3).toString('hex')}`;
}

/** What {@link runApplication} needs from the engine. */
export interface ExecuteHost {
  lxcpath: string;
  runner: Runner;
  layout: CgroupLayout;
  /** the container's state as LXC reports it (lxc-info -s) */
  state(name: string): Promise<string>;
}

/**
 * Runs `command` as an application container on the real terminal (stdin, stdout and stderr are
 * the caller's) and removes it when the command ends. `beforeHandover` runs after every check,
 * right before lxc-execute starts.
 * @returns the name, the argv and the command's exit status (lxc-execute passes it on)
 * @throws LxdeckError E_USAGE (no command), E_NAME_INVALID (N1), E_EXISTS (a container of that
 *   name), E_INVALID_VALUE (a limit, with the accepted grammar), E_MISSING_PROGRAM (no lxc-execute)
 */
export async function runApplication(
  host: ExecuteHost,
  command: readonly string[],
  opts: RunOptions = {},
  hooks: { beforeHandover?: (name: string) => void; signal?: AbortSignal } = {},
): Promise<RunResult> {
  if (!command.length) throw new LxdeckError('E_USAGE', 'lxdeck run needs a command', { hint: 'e.g. lxdeck run --memory 64M -- sh -c "free -m"', exitCode: 2 });
  const name = opts.name ?? defaultRunName(command);
  validateContainerName(name);
  requireHostCommand(command[0]);
  const { limits } = parseLimitsInput(opts.limits ?? {});
  const keys = limitToConfigKeys(limits, host.layout);
  await sweepStale(host);
  if (existsSync(join(host.lxcpath, name, 'config')) || (await host.state(name)) !== 'STOPPED')
    throw new LxdeckError('E_EXISTS', `a container named ${name} already exists in ${host.lxcpath}`, { hint: 'choose another --name' });
  const dir = runDir(host.lxcpath);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const conf = join(dir, `${name}.conf`);
  const rec = join(dir, `${name}.json`);
  const remove = async () => {
    await rm(conf, { force: true });
    await rm(rec, { force: true });
  };
  // SIGTERM or SIGHUP to lxdeck alone: stop the container (lxc-stop -k), so lxc-execute returns,
  // the files are removed below and lxdeck ends with 128 + the signal's number
  let signalled = 0;
  const stopOn = (sig: number) => () => {
    signalled = sig;
    void host.runner.run('lxc-stop', ['-P', host.lxcpath, '-n', name, '-k'], { timeoutMs: 30_000 }).catch(() => undefined);
  };
  const onTerm = stopOn(15);
  const onHup = stopOn(1);
  try {
    await writeFile(conf, applicationConfig(name, opts.net ?? 'empty', keys), { mode: 0o600 });
    const record: ApplicationRecord = { name, command: [...command], created: new Date().toISOString(), pid: process.pid };
    await writeFile(rec, `${JSON.stringify(record)}\n`, { mode: 0o600 });
    // `on`, not `once`: execa's signal-exit re-raises a signal that only its own listener is left to hear
    process.on('SIGTERM', onTerm);
    process.on('SIGHUP', onHup);
    const argv = executeArgv(host.lxcpath, name, conf, command);
    hooks.beforeHandover?.(name);
    const exitCode = await runInteractive(host.runner, argv);
    return { name, argv, exitCode: signalled ? 128 + signalled : exitCode };
  } finally {
    process.off('SIGTERM', onTerm);
    process.off('SIGHUP', onHup);
    await remove();
  }
}

/** Removes the files of application containers whose lxdeck died (SIGKILL) before removing them: no longer RUNNING. */
async function sweepStale(host: ExecuteHost): Promise<void> {
  for (const r of await listApplicationRecords(host.lxcpath)) {
    if ((await host.state(r.name)) !== 'STOPPED') continue;
    await rm(join(runDir(host.lxcpath), `${r.name}.conf`), { force: true });
    await rm(join(runDir(host.lxcpath), `${r.name}.json`), { force: true });
  }
}

/**
 * The command must be there: the container runs it from the host's file system (a path as
 * given, else found in PATH as execvp(3) does).
 * @throws LxdeckError E_NOT_FOUND naming the command
 */
export function requireHostCommand(cmd: string, env: NodeJS.ProcessEnv = process.env): void {
  const runnable = (p: string) => {
    try {
      accessSync(p, constants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  const ok = cmd.includes('/') ? runnable(cmd) : (env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':').some((d) => d !== '' && runnable(join(d, cmd)));
  if (!ok) throw new LxdeckError('E_NOT_FOUND', `no command ${cmd} on this host: an application container runs the host's programs`, { hint: 'give a program installed here, e.g. lxdeck run -- sh -c "..."' });
}

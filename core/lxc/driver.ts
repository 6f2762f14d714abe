import type { Runner, RunResult } from '../exec/runner.js';
import { shellQuote } from '../exec/runner.js';
import { LxdeckError } from '../errors.js';
import { noContainerError } from '../lxcpath.js';
import { CONTAINER_STATES, type ContainerState } from '../types.js';

/**
 * The runtime driver: liblxc's `lxc-*` tools, always with `-P <lxcpath>`.
 * Every call goes through the Runner with a timeout that kills the whole
 * process group. Functions take the lxcpath and a validated container name.
 */

/** State, init PID and IPv4 addresses, as `lxc-info -s -p -i` reports them. */
export interface LxcInfo {
  state: ContainerState;
  pid: number | null;
  ipv4: string[];
  ipv6: string[];
}

/** Called with every argv the driver runs and its result: the action log's source. */
export type CommandListener = (argv: string[], result: RunResult) => void;

export class LxcDriver {
  constructor(
    private readonly runner: Runner,
    readonly lxcpath: string,
    private readonly onCommand?: CommandListener,
  ) {}

  private async lxc(tool: string, name: string, args: string[], timeoutMs: number, output: 'pipe' | 'file' = 'pipe'): Promise<RunResult> {
    const r = await this.runner.run(tool, ['-P', this.lxcpath, '-n', name, ...args], { timeoutMs, output });
    this.onCommand?.(r.argv, r);
    return r;
  }

  private fail(what: string, name: string, r: RunResult, hint?: string): never {
    if (r.timedOut)
      throw new LxdeckError('E_TIMEOUT', `${what} ${name} timed out after ${Math.round(r.durationMs / 1000)} s (${shellQuote(r.argv)})`, {
        hint: hint ?? `see the container's log: lxc-info -P ${this.lxcpath} -n ${name}`,
      });
    const msg = lastLxcError(r.stderr) ?? `exit status ${r.exitCode}`;
    throw new LxdeckError('E_COMMAND', `${what} ${name} failed: ${msg}`, { hint: hint ?? `the command was: ${shellQuote(r.argv)}` });
  }

  /**
   * `lxc-info -s -p -i`: state, init PID and addresses.
   * @throws LxdeckError E_NOT_FOUND when LXC does not know the container, E_COMMAND otherwise.
   */
  async info(name: string): Promise<LxcInfo> {
    const r = await this.lxc('lxc-info', name, ['-s', '-p', '-i'], 10_000);
    if (r.exitCode !== 0) {
      if (/doesn't exist|does not exist/i.test(r.stderr))
        throw noContainerError(name, this.lxcpath);
      this.fail('reading the state of', name, r);
    }
    return parseLxcInfo(r.stdout);
  }

  /**
   * `lxc-start -d`, then `lxc-wait -s RUNNING`. Output goes to files so the
   * daemonised monitor cannot keep our pipes open (case P1); returns once RUNNING.
   * A log file (`<lxcpath>/<name>/lxdeck-start.log`, level ERROR) gives the reason of a failure.
   * @throws LxdeckError E_COMMAND with LXC's last error line, E_TIMEOUT.
   */
  async start(name: string, timeoutSec = 30): Promise<void> {
    const log = `${this.lxcpath}/${name}/lxdeck-start.log`;
    const r = await this.lxc('lxc-start', name, ['-d', '-o', log, '-l', 'ERROR'], timeoutSec * 1000, 'file');
    if (r.exitCode !== 0) {
      const reason = await readStartLog(log);
      const hint = /bridge interface doesn't exist|Failed to attach .* to bridge/i.test(reason ?? '')
        ? 'the bridge in lxc.net.0.link does not exist: create it (lxdeck creates its own bridge on create) or change the link'
        : `run it in the foreground to see why: lxc-start -P ${this.lxcpath} -n ${name} -F -l DEBUG`;
      throw new LxdeckError('E_COMMAND', `starting ${name} failed${reason ? `: ${reason}` : ''}`, { hint });
    }
    // RUNNING or STOPPED: an init that exits at once must not leave us waiting the whole timeout
    const w = await this.lxc('lxc-wait', name, ['-s', 'RUNNING|STOPPED', '-t', String(timeoutSec)], (timeoutSec + 5) * 1000);
    if (w.exitCode !== 0) this.fail('waiting for RUNNING of', name, w);
    const now = await this.info(name);
    if (now.state === 'STOPPED') {
      const reason = await readStartLog(log);
      throw new LxdeckError('E_COMMAND', `${name} stopped right after it started${reason ? `: ${reason}` : ' (its init exited)'}`, {
        hint: `run it in the foreground to see why: lxc-start -P ${this.lxcpath} -n ${name} -F -l DEBUG`,
      });
    }
  }

  /**
   * `lxc-stop`: clean shutdown (lxc.signal.halt) waiting `timeoutSec`, after which LXC kills it;
   * `kill` or a timeout of 0 sends SIGKILL at once (`lxc-stop -k`). Returns once `lxc-wait` sees STOPPED.
   * @throws LxdeckError E_COMMAND, E_TIMEOUT.
   */
  async stop(name: string, opts: { kill?: boolean; timeoutSec?: number } = {}): Promise<void> {
    const t = opts.timeoutSec ?? 30;
    // lxc-stop -t 0 would only send the halt signal and return; here 0 means no grace: kill
    const args = opts.kill || t === 0 ? ['-k'] : ['-t', String(t)];
    const r = await this.lxc('lxc-stop', name, args, (t + 15) * 1000);
    // exit 2 = "not running", which is what we want
    if (r.exitCode !== 0 && !/not running/i.test(r.stderr)) this.fail('stopping', name, r);
    // return only once LXC itself says STOPPED, so `stop && destroy` holds
    const w = await this.lxc('lxc-wait', name, ['-s', 'STOPPED', '-t', '10'], 15_000);
    if (w.exitCode !== 0) this.fail('waiting for STOPPED of', name, w);
  }

  /** `lxc-freeze` (waits for FROZEN). @throws LxdeckError E_COMMAND */
  async freeze(name: string): Promise<void> {
    const r = await this.lxc('lxc-freeze', name, [], 30_000);
    if (r.exitCode !== 0) this.fail('freezing', name, r);
  }

  /** `lxc-unfreeze` (thaws from FROZEN or FREEZING). @throws LxdeckError E_COMMAND */
  async unfreeze(name: string): Promise<void> {
    const r = await this.lxc('lxc-unfreeze', name, [], 30_000);
    if (r.exitCode !== 0) this.fail('thawing', name, r);
  }

  /**
   * `lxc-stop -r -t T`: sends lxc.signal.reboot to init and waits up to `timeoutSec` for the
   * container to come back; then `lxc-wait -s RUNNING`. lxc-stop(1).
   * @throws LxdeckError E_COMMAND (LXC refused, or the reboot did not finish in time), E_TIMEOUT.
   */
  async reboot(name: string, timeoutSec = 30): Promise<void> {
    const r = await this.lxc('lxc-stop', name, ['-r', '-t', String(timeoutSec)], (timeoutSec + 15) * 1000, 'file');
    if (r.exitCode !== 0) this.fail('rebooting', name, r, 'its init may not reboot on lxc.signal.reboot (busybox init reboots on SIGTERM, systemd on SIGINT, LXC\'s default)');
    const w = await this.lxc('lxc-wait', name, ['-s', 'RUNNING', '-t', String(timeoutSec)], (timeoutSec + 5) * 1000);
    if (w.exitCode !== 0) this.fail('waiting for RUNNING after the reboot of', name, w);
  }

  /**
   * `lxc-snapshot [-c COMMENTFILE]`: a snapshot in `<lxcpath>/<name>/snaps/snapN` (lxc-snapshot(1)).
   * A copy of the whole rootfs for a dir-backed container, so the timeout is long (30 minutes).
   * @throws LxdeckError E_COMMAND with LXC's last error line, E_TIMEOUT.
   */
  async snapshot(name: string, commentFile?: string): Promise<void> {
    const r = await this.lxc('lxc-snapshot', name, commentFile ? ['-c', commentFile] : [], 30 * 60_000);
    if (r.exitCode !== 0) this.fail('snapshotting', name, r);
  }

  /**
   * `lxc-snapshot -r SNAP [-N NEWNAME]`: without a new name LXC destroys the container (all but
   * `snaps/`) and clones the snapshot in its place (lxc-snapshot(1)).
   * @throws LxdeckError E_COMMAND, E_TIMEOUT.
   */
  async snapshotRestore(name: string, snap: string, newName?: string): Promise<void> {
    const r = await this.lxc('lxc-snapshot', name, ['-r', snap, ...(newName ? ['-N', newName] : [])], 30 * 60_000);
    if (r.exitCode !== 0) this.fail(`restoring ${snap} of`, name, r);
  }

  /** `lxc-snapshot -d SNAP`. @throws LxdeckError E_COMMAND, E_TIMEOUT. */
  async snapshotDestroy(name: string, snap: string): Promise<void> {
    const r = await this.lxc('lxc-snapshot', name, ['-d', snap], 10 * 60_000);
    if (r.exitCode !== 0) this.fail(`deleting snapshot ${snap} of`, name, r);
  }

  /** `lxc-destroy` (with `-f`: stops it first). @throws LxdeckError E_STATE (it has snapshots or snapshot clones, lxc-destroy refuses), E_COMMAND */
  async destroy(name: string, force = false): Promise<void> {
    const r = await this.lxc('lxc-destroy', name, force ? ['-f'] : [], 120_000);
    if (r.exitCode !== 0 && /has snapshots/.test(r.stderr))
      throw new LxdeckError('E_STATE', `${name} has snapshots; LXC does not destroy a container that has them`, {
        hint: `lxdeck destroy --snapshots ${name} destroys them with it (lxc-destroy -s); lxdeck snapshots ${name} lists them`,
      });
    if (r.exitCode !== 0 && /has clones/.test(r.stderr))
      throw new LxdeckError('E_STATE', `${name} has snapshot clones (copy --snapshot, lxc-copy -s) that use its rootfs; LXC does not destroy it while they exist`, {
        hint: `destroy the clones first (lxc-ls -P ${this.lxcpath} -f --fancy-format NAME and the clones' lxc.rootfs.path name ${name}), or make full copies of them before`,
      });
    if (r.exitCode !== 0) this.fail('destroying', name, r);
  }
}

/**
 * Parses `lxc-info -s -p -i` output ("State:   RUNNING", "PID:  1234", "IP:  10.0.3.5", one IP line each).
 * @throws LxdeckError E_COMMAND when there is no State line or it is not one of LXC's states.
 */
export function parseLxcInfo(text: string): LxcInfo {
  let state: ContainerState | undefined;
  let pid: number | null = null;
  const ipv4: string[] = [];
  const ipv6: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z ]+):\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    const [, k, v] = m;
    if (k === 'State') {
      const s = v.trim().toUpperCase();
      if ((CONTAINER_STATES as readonly string[]).includes(s)) state = s as ContainerState;
    } else if (k === 'PID') {
      const n = Number(v.trim());
      pid = Number.isInteger(n) && n > 0 ? n : null;
    } else if (k === 'IP') {
      const ip = v.trim();
      if (ip.includes(':')) ipv6.push(ip);
      else if (ip) ipv4.push(ip);
    }
  }
  if (!state) throw new LxdeckError('E_COMMAND', `lxc-info printed no state: ${JSON.stringify(text.slice(0, 200))}`);
  return { state, pid: state === 'STOPPED' ? null : pid, ipv4, ipv6 };
}

/** The most useful line of LXC's error output: the last "ERROR" line's message, else the last non-empty line. */
export function lastLxcError(stderr: string): string | undefined {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const errs = lines.filter((l) => /\bERROR\b/.test(l) && !/Unsupported config key "?lxc\.seccomp/.test(l));
  const pick = errs.length ? errs[errs.length - 1] : lines[lines.length - 1];
  if (!pick) return undefined;
  // "lxc-start c1 20241101 ERROR network - network.c:... - Message" → "Message"
  const parts = pick.split(' - ');
  return parts[parts.length - 1].trim();
}

async function readStartLog(path: string): Promise<string | undefined> {
  try {
    const { readFile } = await import('node:fs/promises');
    const text = await readFile(path, 'utf8');
    // the first real error explains more than the cascade that follows it
    const lines = text.split('\n').filter((l) => /\bERROR\b/.test(l) && !/Unsupported config key "?lxc\.seccomp/.test(l));
    if (!lines.length) return undefined;
    const parts = lines[0].split(' - ');
    return parts[parts.length - 1].trim();
  } catch {
    return undefined;
  }
}

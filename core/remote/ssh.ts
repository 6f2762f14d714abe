/**
 * The SSH transport of a remote (issue 10): one `ssh2` Client per host, opened on first use and
 * again on demand after it dropped, with every command a separate channel multiplexed on it
 * (RFC 4254 section 6.5 "exec"). Commands go as one string the remote user's shell parses, so
 * every argv element is quoted for a POSIX shell ({@link quoteArgv}, shell-quote) and nothing
 * else reaches that string. The host key is checked against known_hosts (known-hosts.ts) and
 * an unknown or different key is refused with its fingerprint, never accepted. Keys come from
 * the ssh-agent (SSH_AUTH_SOCK) and a private key file.
 *
 * Failures are typed: E_UNREACHABLE (refused, no route, connection or command timeout, the
 * connection lost mid-command), E_HOST_KEY, E_AUTH. Nothing here hangs: the connection has a
 * ready timeout and keepalives, every command a timeout.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Client, ClientChannel, ConnectConfig, PseudoTtyOptions, ServerHostKeyAlgorithm } from 'ssh2';
import shellQuote from 'shell-quote';
import { LxdeckError } from '../errors.js';
import type { Runner, RunOptions, RunResult } from '../exec/runner.js';
import { checkHostKey, hostKeyError, knownHostsName, knownKeyTypes, parseKnownHosts, type KnownHostEntry } from './known-hosts.js';

/**
 * One command line for a POSIX shell whose words are exactly `argv` (shell-quote's quote:
 * single or double quotes, or backslashes, so `$`, backquotes, globs, `;` and newlines stay literal).
 */
export function quoteArgv(argv: readonly string[]): string {
  return shellQuote.quote([...argv]);
}

/** Where and how to connect. */
export interface SshTarget {
  host: string;
  port: number;
  user: string;
  /** private key file; unset: ~/.ssh/id_ed25519, else ~/.ssh/id_rsa, when they exist */
  identity?: string;
  /** known_hosts file; unset: env LXDECK_KNOWN_HOSTS, else ~/.ssh/known_hosts */
  knownHosts?: string;
  /** milliseconds to wait for the connection and the SSH handshake; default 10 000 */
  connectTimeoutMs?: number;
}

/** The known_hosts file a target uses (see {@link SshTarget.knownHosts}). */
export function knownHostsPath(t: Pick<SshTarget, 'knownHosts'>, env: NodeJS.ProcessEnv = process.env): string {
  return t.knownHosts ?? env.LXDECK_KNOWN_HOSTS ?? join(env.HOME || homedir(), '.ssh', 'known_hosts');
}

/** Output of one remote command. */
export interface RemoteResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Host key types ssh2 can verify, in OpenSSH's default preference order. */
const HOST_KEY_ALGOS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] as const;
/** known_hosts key type to the algorithms that use such a key. */
function algosFor(keyType: string): string[] {
  return keyType === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : HOST_KEY_ALGOS.includes(keyType as never) ? [keyType] : [];
}

function unreachable(t: SshTarget, why: string, cause?: unknown): LxdeckError {
  return new LxdeckError('E_UNREACHABLE', `${t.user}@${knownHostsName(t.host, t.port)} is unreachable: ${why}`, {
    hint: `check that the host is up and sshd listens there (ssh -p ${t.port} ${t.user}@${t.host} true)`,
    cause,
  });
}

/**
 * One connection to one host, shared by every command. Not connected until the first
 * {@link run}; a dropped connection is noticed (close, keepalive) and the next call reconnects.
 */
export class SshTransport {
  private client: Client | null = null;
  private connecting: Promise<Client> | null = null;
  /** channels in flight, failed when the connection drops */
  private readonly pending = new Set<(e: LxdeckError) => void>();

  constructor(readonly target: SshTarget) {}

  /** The private keys to offer: the identity file, else the default ones present. @throws LxdeckError E_AUTH when a given identity file cannot be read */
  private privateKey(): Buffer | undefined {
    const t = this.target;
    if (t.identity) {
      try {
        return readFileSync(t.identity);
      } catch (e) {
        throw new LxdeckError('E_AUTH', `cannot read the identity file ${t.identity}: ${(e as Error).message}`, { hint: 'give a readable private key with --identity FILE, or use ssh-agent (SSH_AUTH_SOCK)' });
      }
    }
    for (const f of ['id_ed25519', 'id_rsa']) {
      const p = join(process.env.HOME || homedir(), '.ssh', f);
      if (existsSync(p)) {
        try {
          return readFileSync(p);
        } catch {
          /* unreadable: try the next */
        }
      }
    }
    return undefined;
  }

  /**
   * The connected client, connecting first when needed.
   * @throws LxdeckError E_UNREACHABLE, E_HOST_KEY, E_AUTH
   */
  connect(): Promise<Client> {
    if (this.client) return Promise.resolve(this.client);
    if (this.connecting) return this.connecting;
    const t = this.target;
    const khFile = knownHostsPath(t);
    let entries: KnownHostEntry[] = [];
    try {
      entries = parseKnownHosts(readFileSync(khFile, 'utf8'));
    } catch {
      /* no file: every key is unknown, and refused */
    }
    const key = this.privateKey();
    const agent = process.env.SSH_AUTH_SOCK || undefined;
    if (!key && !agent)
      return Promise.reject(new LxdeckError('E_AUTH', `no key to offer ${t.user}@${t.host}: no ssh-agent (SSH_AUTH_SOCK) and no ~/.ssh/id_ed25519 or id_rsa`, { hint: 'start ssh-agent and ssh-add a key, or give --identity FILE' }));
    let refusal: LxdeckError | null = null;
    const known = knownKeyTypes(entries, t.host, t.port).flatMap(algosFor);
    const order = [...new Set([...known, ...HOST_KEY_ALGOS])];
    const cfg: ConnectConfig = {
      host: t.host,
      port: t.port,
      username: t.user,
      readyTimeout: t.connectTimeoutMs ?? 10_000,
      keepaliveInterval: 5000,
      keepaliveCountMax: 3,
      agent,
      privateKey: key,
      algorithms: { serverHostKey: order as ServerHostKeyAlgorithm[] },
      hostVerifier: (hostKey: Buffer) => {
        const v = checkHostKey(entries, t.host, t.port, hostKey);
        if (v.ok) return true;
        refusal = hostKeyError(v, t.host, t.port, khFile);
        return false;
      },
    };
    // ssh2 is loaded on the first connection only: every local verb starts without it (and its native crypto)
    const p = import('ssh2').then((m) => new Promise<Client>((resolve, reject) => {
      const c = new m.default.Client();
      let ready = false;
      c.on('ready', () => {
        ready = true;
        // no Nagle: a request written while a window adjust is unacknowledged would wait for the
        // server's delayed ACK (about 40 ms), which a stats tick on a long-lived channel would pay
        c.setNoDelay(true);
        this.client = c;
        this.connecting = null;
        resolve(c);
      });
      c.on('error', (e: Error & { level?: string; code?: string }) => {
        if (ready) return; // 'close' follows and fails what is in flight
        this.connecting = null;
        if (refusal) return reject(refusal);
        if (e.level === 'client-authentication')
          return reject(new LxdeckError('E_AUTH', `${t.user}@${knownHostsName(t.host, t.port)} refused every key offered (${[agent ? 'the ssh-agent' : '', key ? 'the key file' : ''].filter(Boolean).join(' and ')})`, { hint: `add your public key to ~${t.user}/.ssh/authorized_keys there, or give --identity FILE`, cause: e }));
        if (/Encrypted private|passphrase/i.test(e.message))
          return reject(new LxdeckError('E_AUTH', `the private key is encrypted: ${e.message}`, { hint: 'ssh-add it to ssh-agent (SSH_AUTH_SOCK), or give an unencrypted key with --identity FILE', cause: e }));
        reject(unreachable(t, e.code ? `${e.code} (${e.message})` : e.message, e));
      });
      c.on('close', () => {
        if (this.client === c) this.client = null;
        if (!ready) {
          this.connecting = null;
          reject(refusal ?? unreachable(t, 'the connection closed during the handshake'));
          return;
        }
        const err = unreachable(t, 'the connection was lost');
        for (const f of [...this.pending]) f(err);
      });
      try {
        c.connect(cfg);
      } catch (e) {
        this.connecting = null;
        reject(new LxdeckError('E_AUTH', `cannot use the private key: ${(e as Error).message}`, { hint: 'give a valid unencrypted key with --identity FILE, or use ssh-agent', cause: e }));
      }
    }));
    this.connecting = p;
    return p;
  }

  /**
   * Opens an exec channel for argv (quoted), with a pty when asked.
   * @throws LxdeckError E_UNREACHABLE (the server refuses the channel, does not open it within the
   *   connect timeout, or the connection drops meanwhile), E_HOST_KEY, E_AUTH
   */
  async exec(argv: readonly string[], opts: { pty?: PseudoTtyOptions | boolean } = {}): Promise<ClientChannel> {
    const c = await this.connect();
    return new Promise<ClientChannel>((resolve, reject) => {
      // a server that stops answering must not leave the channel request waiting forever:
      // the connection dropping fails it (pending), and so does the open timeout
      let settled = false;
      const settle = (f: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.pending.delete(fail);
        f();
      };
      const fail = (e: LxdeckError) => settle(() => reject(e));
      const openMs = this.target.connectTimeoutMs ?? 10_000;
      const timer = setTimeout(() => fail(unreachable(this.target, `no channel opened within ${Math.round(openMs / 1000)} s`)), openMs);
      this.pending.add(fail);
      try {
        c.exec(quoteArgv(argv), opts.pty ? { pty: opts.pty } : {}, (err, ch) => {
          if (err) return fail(unreachable(this.target, `cannot open a channel: ${err.message}`, err));
          if (settled) return ch.close(); // too late: nobody waits for it
          settle(() => resolve(ch));
        });
      } catch (e) {
        this.client = null;
        fail(unreachable(this.target, (e as Error).message, e));
      }
    });
  }

  /**
   * Runs `argv` on the host and collects its output. The exit status is the command's (it does
   * not throw for a non-zero one); a command killed by a signal gives 128 + its number, or 255.
   * @param opts.timeoutMs milliseconds; after it the remote command is sent KILL, its channel closed and E_TIMEOUT thrown; default 60 000
   * @param opts.input written to the command's stdin, then EOF (default: EOF at once)
   * @throws LxdeckError E_UNREACHABLE (connection failed or lost), E_HOST_KEY, E_AUTH, E_TIMEOUT
   */
  async run(argv: readonly string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<RemoteResult> {
    const ch = await this.exec(argv);
    const timeoutMs = opts.timeoutMs ?? 60_000;
    return new Promise<RemoteResult>((resolve, reject) => {
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let done = false;
      const finish = (f: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.pending.delete(fail);
        f();
      };
      const fail = (e: LxdeckError) => finish(() => reject(e));
      this.pending.add(fail);
      const timer = setTimeout(() => {
        try {
          ch.signal('KILL');
        } catch {
          /* the server may not take signals */
        }
        ch.close();
        fail(new LxdeckError('E_TIMEOUT', `${argv[0]} on ${this.target.host} did not finish in ${Math.round(timeoutMs / 1000)} s`, { hint: `the command was: ${quoteArgv(argv)}` }));
      }, timeoutMs);
      ch.on('data', (d: Buffer) => out.push(d));
      ch.stderr.on('data', (d: Buffer) => err.push(d));
      ch.on('close', (code: number | null | undefined, signal?: string) => {
        finish(() => {
          if (code === null || code === undefined) {
            if (signal) return resolve({ exitCode: 128 + (SIGNALS[signal] ?? 127), stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
            return reject(unreachable(this.target, 'the connection was lost'));
          }
          resolve({ exitCode: code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
        });
      });
      if (opts.input !== undefined) ch.end(opts.input);
      else ch.end();
    });
  }

  /**
   * Calls `fn` with an E_UNREACHABLE error when the connection drops, for a long-lived channel
   * ({@link exec}) whose own 'close' does not say why it closed.
   * @returns the function that stops the calls
   */
  onDrop(fn: (e: LxdeckError) => void): () => void {
    this.pending.add(fn);
    return () => this.pending.delete(fn);
  }

  /** Closes the connection (commands in flight fail with E_UNREACHABLE). Idempotent. */
  close(): void {
    const c = this.client;
    this.client = null;
    this.connecting = null;
    c?.end();
  }
}

const SIGNALS: Record<string, number> = { HUP: 1, INT: 2, QUIT: 3, KILL: 9, SEGV: 11, PIPE: 13, ALRM: 14, TERM: 15 };

/**
 * A {@link Runner} that runs argv on a remote host through an {@link SshTransport}, so the
 * lxc-* driver (core/lxc/driver.ts) works unchanged there. Output mode `file` (a daemonising
 * child such as `lxc-start -d`) sends the command's output to temporary files on the remote
 * and prints them after, so the daemon cannot hold the channel open. `signal`, `env`, `cwd`,
 * `onLine` and `inherit` are not supported (the driver's non-interactive calls do not use them).
 */
export class SshRunner implements Runner {
  constructor(readonly transport: SshTransport) {}

  /** @throws LxdeckError E_UNREACHABLE, E_HOST_KEY, E_AUTH (a non-zero exit or a timeout is a result, as with ExecaRunner) */
  async run(file: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
    const argv = [file, ...args];
    const started = Date.now();
    const wrapped =
      opts.output === 'file'
        ? ['sh', '-c', 'o=$(mktemp) && e=$(mktemp) || exit 125; "$@" </dev/null >"$o" 2>"$e"; r=$?; cat "$o"; cat "$e" >&2; rm -f "$o" "$e"; exit $r', 'sh', ...argv]
        : argv;
    try {
      const r = await this.transport.run(wrapped, { timeoutMs: opts.timeoutMs ?? 30_000, input: opts.input });
      return { argv, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, timedOut: false, durationMs: Date.now() - started };
    } catch (e) {
      if (e instanceof LxdeckError && e.code === 'E_TIMEOUT') return { argv, exitCode: 124, stdout: '', stderr: e.message, timedOut: true, durationMs: Date.now() - started };
      throw e;
    }
  }
}

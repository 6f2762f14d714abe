/**
 * The remotes store (issue 10): named SSH remotes in one JSON file,
 * `$LXDECK_CONFIG_DIR/remotes.json`, else `$XDG_CONFIG_HOME/lxdeck/remotes.json`, else
 * `~/.config/lxdeck/remotes.json` (XDG Base Directory Specification). The file is written
 * mode 0600 through a temporary file and a rename, so a reader never sees half a file.
 *
 * Shape: `{"version": 1, "remotes": {"NAME": {"url": "ssh://user@host:port", "lxcpath": "/var/lib/lxc", ...}}}`.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { LxdeckError } from '../errors.js';

/** One remote as stored. */
export interface RemoteConfig {
  name: string;
  /** user name on the remote host */
  user: string;
  host: string;
  /** TCP port, default 22 */
  port: number;
  /** the lxcpath on the remote host (`-P` of every lxc-* call), default /var/lib/lxc */
  lxcpath: string;
  /** private key file to offer (besides the agent); unset: ~/.ssh/id_ed25519, ~/.ssh/id_rsa */
  identity?: string;
  /** known_hosts file to check the host key against; unset: LXDECK_KNOWN_HOSTS, else ~/.ssh/known_hosts */
  knownHosts?: string;
}

/** Remote names: like incus remote names, a letter then letters, digits and '-', at most 32 characters (no ':' so NAME:container parses). */
export const REMOTE_NAME_RULE = "a remote name is 1 to 32 characters of lower-case letters, digits and '-', starting with a letter";
const REMOTE_NAME_RE = /^[a-z][a-z0-9-]{0,31}$/;

/** True when `name` follows {@link REMOTE_NAME_RULE}. */
export function isRemoteName(name: string): boolean {
  return REMOTE_NAME_RE.test(name);
}

/**
 * Checks a remote name.
 * @throws LxdeckError E_NAME_INVALID (exit 2) stating the rule
 */
export function validateRemoteName(name: string): void {
  if (!isRemoteName(name)) throw new LxdeckError('E_NAME_INVALID', `${JSON.stringify(name)} is not a remote name: ${REMOTE_NAME_RULE}`, { hint: 'for example "lab1"' });
}

/**
 * Parses `ssh://user@host[:port]` (RFC 3986 authority; an IPv6 host in brackets).
 * @returns user, host (without brackets) and port (22 when absent)
 * @throws LxdeckError E_USAGE for another scheme, a missing user or host, a path, or a port outside 1..65535
 */
export function parseSshUrl(url: string): { user: string; host: string; port: number } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new LxdeckError('E_USAGE', `${JSON.stringify(url)} is not an ssh:// URL`, { hint: 'e.g. ssh://root@host1 or ssh://root@192.0.2.10:2222' });
  }
  if (u.protocol !== 'ssh:') throw new LxdeckError('E_USAGE', `remote URL ${JSON.stringify(url)} must start with ssh://`, { hint: 'e.g. ssh://root@host1' });
  if (!u.username) throw new LxdeckError('E_USAGE', `remote URL ${JSON.stringify(url)} names no user`, { hint: 'e.g. ssh://root@host1 (LXC on the remote needs root)' });
  if (u.password) throw new LxdeckError('E_USAGE', 'a password in the remote URL is not supported', { hint: 'use ssh-agent or --identity FILE' });
  if (!u.hostname) throw new LxdeckError('E_USAGE', `remote URL ${JSON.stringify(url)} names no host`);
  if (u.pathname && u.pathname !== '/') throw new LxdeckError('E_USAGE', `remote URL ${JSON.stringify(url)} has a path; the lxcpath goes in --lxcpath`);
  const port = u.port ? Number(u.port) : 22;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new LxdeckError('E_USAGE', `bad port in ${JSON.stringify(url)}`);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  return { user: decodeURIComponent(u.username), host, port };
}

/** The URL form of a remote: `ssh://user@host` (`:port` when not 22; an IPv6 host in brackets). */
export function remoteUrl(r: Pick<RemoteConfig, 'user' | 'host' | 'port'>): string {
  const h = r.host.includes(':') ? `[${r.host}]` : r.host;
  return `ssh://${encodeURIComponent(r.user)}@${h}${r.port === 22 ? '' : `:${r.port}`}`;
}

/** The config directory: LXDECK_CONFIG_DIR, else $XDG_CONFIG_HOME/lxdeck, else ~/.config/lxdeck. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LXDECK_CONFIG_DIR) return env.LXDECK_CONFIG_DIR;
  const xdg = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(env.HOME || homedir(), '.config');
  return join(xdg, 'lxdeck');
}

interface StoreFile {
  version: 1;
  remotes: Record<string, Omit<RemoteConfig, 'name' | 'user' | 'host' | 'port'> & { url: string }>;
}

/** The remotes file: read on each call (small), written whole with temp file + rename, mode 0600. */
export class RemoteStore {
  readonly path: string;

  /** @param path the JSON file; default `configDir()/remotes.json` */
  constructor(path = join(configDir(), 'remotes.json')) {
    this.path = path;
  }

  /**
   * Every remote, sorted by name; none when the file does not exist.
   * @throws LxdeckError E_CONFIG when the file is not valid JSON of the shape above
   */
  list(): RemoteConfig[] {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new LxdeckError('E_CONFIG', `cannot read ${this.path}: ${(e as Error).message}`);
    }
    let f: StoreFile;
    try {
      f = JSON.parse(text) as StoreFile;
      if (typeof f !== 'object' || f === null || typeof f.remotes !== 'object' || f.remotes === null) throw new Error('no "remotes" object');
    } catch (e) {
      throw new LxdeckError('E_CONFIG', `${this.path} is not a remotes file: ${(e as Error).message}`, { hint: 'fix or remove it, then lxdeck remote add again' });
    }
    const out: RemoteConfig[] = [];
    for (const [name, r] of Object.entries(f.remotes)) {
      if (!isRemoteName(name) || typeof r?.url !== 'string') continue;
      out.push({ name, ...parseSshUrl(r.url), lxcpath: typeof r.lxcpath === 'string' ? r.lxcpath : '/var/lib/lxc', ...(r.identity ? { identity: r.identity } : {}), ...(r.knownHosts ? { knownHosts: r.knownHosts } : {}) });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * The remote `name`.
   * @throws LxdeckError E_NOT_FOUND (hint: lxdeck remote ls), E_NAME_INVALID
   */
  get(name: string): RemoteConfig {
    validateRemoteName(name);
    const r = this.list().find((x) => x.name === name);
    if (!r) throw new LxdeckError('E_NOT_FOUND', `no remote named ${name}`, { hint: `lxdeck remote ls lists them; lxdeck remote add ${name} ssh://root@HOST adds one` });
    return r;
  }

  /**
   * Adds a remote.
   * @throws LxdeckError E_NAME_INVALID, E_EXISTS when the name is taken, E_USAGE for a relative lxcpath
   */
  add(r: RemoteConfig): void {
    validateRemoteName(r.name);
    if (!isAbsolute(r.lxcpath)) throw new LxdeckError('E_USAGE', `--lxcpath must be an absolute path, not ${JSON.stringify(r.lxcpath)}`);
    const all = this.list();
    if (all.some((x) => x.name === r.name)) throw new LxdeckError('E_EXISTS', `a remote named ${r.name} exists`, { hint: `lxdeck remote rm ${r.name} first` });
    this.write([...all, r]);
  }

  /**
   * Removes a remote.
   * @throws LxdeckError E_NOT_FOUND, E_NAME_INVALID
   */
  remove(name: string): void {
    this.get(name);
    this.write(this.list().filter((x) => x.name !== name));
  }

  private write(list: RemoteConfig[]): void {
    const f: StoreFile = { version: 1, remotes: {} };
    for (const r of list)
      f.remotes[r.name] = { url: remoteUrl(r), lxcpath: r.lxcpath, ...(r.identity ? { identity: r.identity } : {}), ...(r.knownHosts ? { knownHosts: r.knownHosts } : {}) };
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(f, null, 2)}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600); // the umask cannot widen it, but an existing tmp file keeps its mode
    renameSync(tmp, this.path);
  }
}

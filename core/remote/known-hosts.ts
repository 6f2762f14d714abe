/**
 * Host key checking against an OpenSSH known_hosts file (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"):
 * lines `[@marker] hostpatterns keytype base64key [comment]`, where hostpatterns is a comma
 * list of names, `[name]:port` for a port other than 22, `*`/`?` wildcards and `!` negations, or
 * one hashed entry `|1|base64(salt)|base64(HMAC-SHA1(salt, name))` (HashKnownHosts yes) where
 * name is `host` or `[host]:port` as above. `@revoked` keys are refused; `@cert-authority`
 * lines are skipped (certificates are not supported). An unknown or different key is never
 * accepted: the caller refuses with the key's SHA256 fingerprint (as ssh(1) shows it).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { LxdeckError } from '../errors.js';

/** One key line of a known_hosts file. */
export interface KnownHostEntry {
  marker: 'revoked' | 'cert-authority' | null;
  /** the host patterns as written (a hashed entry is one `|1|...` string) */
  patterns: string[];
  /** e.g. ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa */
  keyType: string;
  /** the public key blob (base64-decoded) */
  key: Buffer;
  /** 1-based line number */
  line: number;
}

/**
 * Parses known_hosts text; malformed lines are skipped (as ssh does).
 * @returns the entries in file order
 */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const l = raw.trim();
    if (!l || l.startsWith('#')) return;
    const f = l.split(/\s+/);
    let marker: KnownHostEntry['marker'] = null;
    if (f[0].startsWith('@')) {
      const m = f.shift()!;
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else return;
    }
    if (f.length < 3) return;
    const [hosts, keyType, b64] = f;
    if (!/^[A-Za-z0-9+/]+=*$/.test(b64)) return;
    out.push({ marker, patterns: hosts.split(','), keyType, key: Buffer.from(b64, 'base64'), line: i + 1 });
  });
  return out;
}

/** The name known_hosts uses for a host and port: `host` on port 22, else `[host]:port`. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** ssh's wildcard match: `*` any run of characters, `?` one character, case-insensitive (match.c match_pattern). */
function wildcard(pattern: string, s: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(s);
}

/** True when one hashed pattern `|1|salt|hash` is HMAC-SHA1(salt, name). */
function hashedMatch(pattern: string, name: string): boolean {
  const m = /^\|1\|([A-Za-z0-9+/=]+)\|([A-Za-z0-9+/=]+)$/.exec(pattern);
  if (!m) return false;
  const want = Buffer.from(m[2], 'base64');
  const got = createHmac('sha1', Buffer.from(m[1], 'base64')).update(name).digest();
  return want.length === got.length && timingSafeEqual(want, got);
}

/**
 * True when an entry's patterns name `host` on `port` (a negated pattern that matches wins, as in
 * sshd(8)). A hashed entry matches only the exact name; a plain one without brackets only port 22.
 */
export function entryMatches(e: Pick<KnownHostEntry, 'patterns'>, host: string, port: number): boolean {
  const name = knownHostsName(host, port);
  let hit = false;
  for (const p of e.patterns) {
    if (p.startsWith('|1|')) {
      if (hashedMatch(p, name)) hit = true;
      continue;
    }
    const neg = p.startsWith('!');
    const pat = neg ? p.slice(1) : p;
    if (wildcard(pat, name)) {
      if (neg) return false;
      hit = true;
    }
  }
  return hit;
}

/** The key's fingerprint as ssh-keygen -l prints it: `SHA256:` and unpadded base64 of SHA-256 over the blob. */
export function sha256Fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside an SSH public key blob (RFC 4253 section 6.6: a string, then the key's fields). */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return 'unknown';
  const n = key.readUInt32BE(0);
  return n > 0 && n < 64 && key.length >= 4 + n ? key.subarray(4, 4 + n).toString('latin1') : 'unknown';
}

/** What {@link checkHostKey} decided: accepted, or refused and why, with the key's type and fingerprint. */
export type HostKeyVerdict =
  | { ok: true }
  | { ok: false; reason: 'unknown' | 'changed' | 'revoked'; fingerprint: string; keyType: string };

/**
 * Checks the key a server showed against the entries for host and port.
 * @returns ok when a (non-revoked) entry for the host has exactly this key; else why not
 */
export function checkHostKey(entries: KnownHostEntry[], host: string, port: number, key: Buffer): HostKeyVerdict {
  const fingerprint = sha256Fingerprint(key);
  const keyType = keyTypeOf(key);
  const mine = entries.filter((e) => e.marker !== 'cert-authority' && entryMatches(e, host, port));
  if (mine.some((e) => e.marker === 'revoked' && e.key.equals(key))) return { ok: false, reason: 'revoked', fingerprint, keyType };
  if (mine.some((e) => e.marker === null && e.key.equals(key))) return { ok: true };
  return { ok: false, reason: mine.some((e) => e.marker === null) ? 'changed' : 'unknown', fingerprint, keyType };
}

/** The key types known for host and port, in file order (to offer the server those host key algorithms first, as ssh does). */
export function knownKeyTypes(entries: KnownHostEntry[], host: string, port: number): string[] {
  const out: string[] = [];
  for (const e of entries) if (e.marker === null && entryMatches(e, host, port) && !out.includes(e.keyType)) out.push(e.keyType);
  return out;
}

/**
 * The typed refusal for a key that is not accepted: E_HOST_KEY naming the fingerprint, with
 * the ssh-keyscan line to run once the fingerprint was checked on the host (`ssh-keygen -lf
 * /etc/ssh/ssh_host_*_key.pub` there).
 */
export function hostKeyError(v: Exclude<HostKeyVerdict, { ok: true }>, host: string, port: number, knownHostsFile: string): LxdeckError {
  const scan = `ssh-keyscan ${port === 22 ? '' : `-p ${port} `}${host.includes(':') ? `'${host}'` : host} >> ${knownHostsFile}`;
  const what =
    v.reason === 'unknown'
      ? `the host key of ${knownHostsName(host, port)} is not in ${knownHostsFile}`
      : v.reason === 'changed'
        ? `the host key of ${knownHostsName(host, port)} DIFFERS from the one in ${knownHostsFile} (someone may be intercepting the connection, or the host was reinstalled)`
        : `the host key of ${knownHostsName(host, port)} is marked @revoked in ${knownHostsFile}`;
  return new LxdeckError('E_HOST_KEY', `${what}: ${v.keyType} ${v.fingerprint}; refused`, {
    hint:
      v.reason === 'unknown'
        ? `check the fingerprint on the host (ssh-keygen -lf /etc/ssh/ssh_host_${v.keyType.replace(/^ssh-|-.*$/g, '')}_key.pub), then: ${scan}`
        : `check the fingerprint on the host; if the new key is right, remove the old line (ssh-keygen -R '${knownHostsName(host, port)}' -f ${knownHostsFile}), then: ${scan}`,
  });
}

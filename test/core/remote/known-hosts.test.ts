import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHostKey, entryMatches, hostKeyError, knownKeyTypes, parseKnownHosts, sha256Fingerprint } from '../../../core/remote/known-hosts.js';

// real keys and real hashed lines from OpenSSH's own ssh-keygen, not computed by the code under test
let dir: string;
let k1: { line: string; blob: Buffer; fp: string };
let k2: { line: string; blob: Buffer; fp: string };

function key(name: string) {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', join(dir, name)]);
  const line = readFileSync(join(dir, `${name}.pub`), 'utf8').trim();
  const fp = execFileSync('ssh-keygen', ['-lf', join(dir, `${name}.pub`)]).toString().split(/\s+/)[1];
  return { line, blob: Buffer.from(line.split(' ')[1], 'base64'), fp };
}

/** known_hosts text hashed by `ssh-keygen -H`. */
function hashed(text: string): string {
  const f = join(dir, `kh-${Math.random().toString(36).slice(2)}`);
  writeFileSync(f, text);
  execFileSync('ssh-keygen', ['-H', '-f', f], { stdio: 'ignore' });
  return readFileSync(f, 'utf8');
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lxdeck-kh-'));
  k1 = key('k1');
  k2 = key('k2');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('known_hosts (sshd(8) SSH_KNOWN_HOSTS FILE FORMAT)', () => {
  it('the fingerprint is the one ssh-keygen -l prints', () => {
    expect(sha256Fingerprint(k1.blob)).toBe(k1.fp);
  });

  it('plain entries: a name on port 22, [name]:port on another port, comma lists', () => {
    const e = parseKnownHosts(`# comment\n\nhost1,10.0.0.1 ${k1.line}\n[host2]:2222 ${k2.line}\n`);
    expect(e).toHaveLength(2);
    expect(checkHostKey(e, 'host1', 22, k1.blob)).toEqual({ ok: true });
    expect(checkHostKey(e, '10.0.0.1', 22, k1.blob)).toEqual({ ok: true });
    expect(checkHostKey(e, 'host1', 2222, k1.blob)).toMatchObject({ ok: false, reason: 'unknown' });
    expect(checkHostKey(e, 'host2', 2222, k2.blob)).toEqual({ ok: true });
    expect(checkHostKey(e, 'host2', 22, k2.blob)).toMatchObject({ ok: false, reason: 'unknown' });
  });

  it('hashed entries written by ssh-keygen -H match only their exact name and port', () => {
    const e = parseKnownHosts(hashed(`10.9.8.7 ${k1.line}\n[10.9.8.7]:2200 ${k2.line}\n`));
    expect(e.every((x) => x.patterns[0].startsWith('|1|'))).toBe(true);
    expect(checkHostKey(e, '10.9.8.7', 22, k1.blob)).toEqual({ ok: true });
    expect(checkHostKey(e, '10.9.8.7', 2200, k2.blob)).toEqual({ ok: true });
    expect(checkHostKey(e, '10.9.8.6', 22, k1.blob)).toMatchObject({ ok: false, reason: 'unknown' });
    expect(knownKeyTypes(e, '10.9.8.7', 2200)).toEqual(['ssh-ed25519']);
  });

  it('a different key for a known host is "changed", with the new key\'s fingerprint', () => {
    const e = parseKnownHosts(`host1 ${k1.line}\n`);
    const v = checkHostKey(e, 'host1', 22, k2.blob);
    expect(v).toEqual({ ok: false, reason: 'changed', fingerprint: k2.fp, keyType: 'ssh-ed25519' });
  });

  it('wildcards and negations; @revoked refuses; @cert-authority is not a host key', () => {
    const e = parseKnownHosts(`*.lab,!bad.lab ${k1.line}\n@revoked * ${k2.line}\n@cert-authority *.lab ${k2.line}\n`);
    expect(checkHostKey(e, 'a.lab', 22, k1.blob)).toEqual({ ok: true });
    expect(entryMatches(e[0], 'bad.lab', 22)).toBe(false);
    expect(checkHostKey(e, 'a.lab', 22, k2.blob)).toMatchObject({ ok: false, reason: 'revoked' });
  });

  it('the refusal names the fingerprint and the ssh-keyscan line to run after checking it', () => {
    const v = checkHostKey([], '192.0.2.5', 2222, k1.blob);
    if (v.ok) throw new Error('accepted');
    const err = hostKeyError(v, '192.0.2.5', 2222, '/tmp/kh');
    expect(err.code).toBe('E_HOST_KEY');
    expect(err.message).toContain(k1.fp);
    expect(err.message).toContain('[192.0.2.5]:2222');
    expect(err.hint).toContain('ssh-keyscan -p 2222 192.0.2.5 >> /tmp/kh');
  });
});

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshTransport } from '../../../core/remote/ssh.js';

// loopback only: a port nothing listens on, and a TCP server that never speaks SSH
let dir: string;
let silent: Server;
let silentPort = 0;
let closedPort = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lxdeck-ssh-'));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', join(dir, 'id')]);
  silent = createServer(() => {
    /* accept, say nothing */
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  silentPort = (silent.address() as { port: number }).port;
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  closedPort = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
});
afterAll(() => {
  silent.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SshTransport failures are typed, never a crash or a hang', () => {
  it('connection refused: E_UNREACHABLE naming the host and port', async () => {
    const t = new SshTransport({ host: '127.0.0.1', port: closedPort, user: 'root', identity: join(dir, 'id'), knownHosts: join(dir, 'kh') });
    await expect(t.run(['true'])).rejects.toMatchObject({ code: 'E_UNREACHABLE', message: expect.stringContaining(`[127.0.0.1]:${closedPort}`) });
    t.close();
  });

  it('a peer that never answers the handshake: E_UNREACHABLE after the connect timeout', async () => {
    const t = new SshTransport({ host: '127.0.0.1', port: silentPort, user: 'root', identity: join(dir, 'id'), knownHosts: join(dir, 'kh'), connectTimeoutMs: 500 });
    await expect(t.run(['true'])).rejects.toMatchObject({ code: 'E_UNREACHABLE' });
    t.close();
  });

  it('no key at all (no agent, no identity, no default key): E_AUTH before any connection', async () => {
    const home = process.env.HOME;
    const sock = process.env.SSH_AUTH_SOCK;
    process.env.HOME = dir;
    delete process.env.SSH_AUTH_SOCK;
    try {
      const t = new SshTransport({ host: '127.0.0.1', port: closedPort, user: 'root' });
      await expect(t.run(['true'])).rejects.toMatchObject({ code: 'E_AUTH' });
    } finally {
      process.env.HOME = home;
      if (sock !== undefined) process.env.SSH_AUTH_SOCK = sock;
    }
  });

  it('an identity file that cannot be read: E_AUTH', async () => {
    const t = new SshTransport({ host: '127.0.0.1', port: closedPort, user: 'root', identity: join(dir, 'nope') });
    await expect(t.run(['true'])).rejects.toMatchObject({ code: 'E_AUTH' });
  });
});

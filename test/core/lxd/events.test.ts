/**
 * LxdEvents against a websocket server on a unix socket of the test's own (the `ws` package's
 * server, speaking LXD's /1.0/events message shape): events delivered, an operation followed to
 * its end, a dropped stream reported as E_UNREACHABLE and opened again.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { isLxdeckError } from '../../../core/errors.js';
import { LxdEvents, lifecycleChange, type LxdEvent } from '../../../core/lxd/events.js';

const dir = mkdtempSync(join(tmpdir(), 'lxdeck-ev-'));
const made: { server: Server; wss: WebSocketServer }[] = [];

/** A fake daemon: an HTTP server on `sock` upgrading /1.0/events; `clients` are the open streams; `urls` what was asked. */
function fakeDaemon(sock: string) {
  const clients: WebSocket[] = [];
  const urls: string[] = [];
  const server = createServer((_q, r) => r.end());
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    urls.push(req.url ?? '');
    wss.handleUpgrade(req, socket, head, (ws) => clients.push(ws));
  });
  made.push({ server, wss });
  return new Promise<{ server: Server; clients: WebSocket[]; urls: string[]; send: (e: Partial<LxdEvent>) => void }>((resolve) =>
    server.listen(sock, () => resolve({ server, clients, urls, send: (e) => clients.filter((c) => c.readyState === 1).forEach((c) => c.send(JSON.stringify({ timestamp: '', location: 'none', ...e }))) })),
  );
}

const until = async (ok: () => boolean, what: string) => {
  for (let i = 0; i < 400 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(ok(), what).toBe(true);
};

afterEach(async () => {
  for (const m of made.splice(0)) {
    for (const c of m.wss.clients) c.terminate();
    m.wss.close();
    m.server.closeAllConnections();
    await new Promise((r) => m.server.close(r));
  }
});

describe('lifecycleChange: the instance and action of a lifecycle event (LXD REST API, Events)', () => {
  it('reads the name from source, leaves sub-paths and projects off, and nulls other sources', () => {
    expect(lifecycleChange({ type: 'lifecycle', timestamp: '', metadata: { action: 'instance-started', source: '/1.0/instances/web1' } })).toEqual({ name: 'web1', action: 'instance-started' });
    expect(lifecycleChange({ type: 'lifecycle', timestamp: '', metadata: { action: 'instance-snapshot-created', source: '/1.0/instances/web1/snapshots/s0?project=p' } })).toEqual({ name: 'web1', action: 'instance-snapshot-created' });
    expect(lifecycleChange({ type: 'lifecycle', timestamp: '', metadata: { action: 'profile-updated', source: '/1.0/profiles/default' } })).toEqual({ name: null, action: 'profile-updated' });
    expect(lifecycleChange({ type: 'operation', timestamp: '', metadata: {} })).toBeNull();
  });
});

describe('LxdEvents over a unix-socket websocket', () => {
  it('asks for the types, delivers events, follows an operation to Success and reports a Failure as E_API', async () => {
    const sock = join(dir, 'a.sock');
    const d = await fakeDaemon(sock);
    const got: LxdEvent[] = [];
    const ev = new LxdEvents({ socketPath: sock, onEvent: (e) => got.push(e) });
    try {
      await ev.start();
      expect(d.urls).toEqual(['/1.0/events?type=lifecycle%2Coperation']);
      d.send({ type: 'lifecycle', metadata: { action: 'instance-stopped', source: '/1.0/instances/db' } });
      await until(() => got.length === 1, 'the lifecycle event');
      const states: string[] = [];
      const follow = ev.followOperation('/1.0/operations/u1', 5000, (op) => states.push(op.status));
      d.send({ type: 'operation', metadata: { id: 'u2', status: 'Success', status_code: 200 } });
      d.send({ type: 'operation', metadata: { id: 'u1', status: 'Running', status_code: 103 } });
      d.send({ type: 'operation', metadata: { id: 'u1', status: 'Success', status_code: 200, err: '' } });
      expect((await follow).status).toBe('Success');
      expect(states).toEqual(['Running', 'Success']);
      // an operation that ended before the follow began is found among the recently ended
      expect((await ev.followOperation('u2', 100)).status).toBe('Success');
      const failing = ev.followOperation('u3', 5000);
      d.send({ type: 'operation', metadata: { id: 'u3', status: 'Failure', status_code: 400, err: 'no space' } });
      await expect(failing).rejects.toSatisfy((e) => isLxdeckError(e, 'E_API') && /no space/.test(e.message));
      await expect(ev.followOperation('u9', 50)).rejects.toSatisfy((e) => isLxdeckError(e, 'E_TIMEOUT'));
    } finally {
      ev.close();
    }
  });

  it('a dropped stream is one E_UNREACHABLE, then it reconnects by itself: onError(null), onOpen again, events flow', async () => {
    const sock = join(dir, 'b.sock');
    const d = await fakeDaemon(sock);
    const errors: (string | null)[] = [];
    let opens = 0;
    const got: string[] = [];
    const ev = new LxdEvents({
      socketPath: sock,
      types: ['lifecycle'],
      retryMs: 20,
      onEvent: (e) => got.push(String(e.metadata.action)),
      onOpen: () => opens++,
      onError: (e) => errors.push(e === null ? null : isLxdeckError(e, 'E_UNREACHABLE') ? 'E_UNREACHABLE' : String(e)),
    });
    try {
      await ev.start();
      // the daemon goes away: its connections close and the socket refuses for a while
      for (const c of d.clients) c.terminate();
      d.server.closeAllConnections();
      await new Promise((r) => d.server.close(r));
      rmSync(sock, { force: true });
      await until(() => errors.length === 1, 'the drop reported');
      await new Promise((r) => setTimeout(r, 150)); // several failed retries: still one report
      expect(errors).toEqual(['E_UNREACHABLE']);
      const back = await fakeDaemon(sock);
      await until(() => opens === 2, 'reconnected');
      expect(errors).toEqual(['E_UNREACHABLE', null]);
      back.send({ type: 'lifecycle', metadata: { action: 'instance-started', source: '/1.0/instances/x' } });
      await until(() => got.includes('instance-started'), 'an event after the reconnect');
    } finally {
      ev.close();
    }
  });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

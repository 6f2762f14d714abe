/**
 * The oci template (issue 11), for real: a two-layer busybox image made here (layer 2 whites out
 * a file of layer 1 and adds its own; the config has an entrypoint, command, environment and
 * working directory), served three ways: an OCI layout directory, a registry on loopback that
 * speaks the HTTP API v2 with a bearer-token challenge (a server this test starts; nothing comes
 * from the internet), and a docker-save archive. Containers are created from each and started;
 * what runs inside is checked. Hostile layers (a member through a symbolic link of a lower
 * layer, `..`) are refused before they write, the file outside is never written, nothing is
 * left. Needs root and LXC for the container part: under CI=true a host without them FAILS.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configKeys, hostOciArch, initWrapper, parseImageRef } from '../../templates/oci/template.js';
import { localEngine } from '../../src/local-engine.js';
import { RUN_LXC, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';

describe('oci template: image references and config (pure)', () => {
  it('parses docker://, oci: and docker-archive: with Docker Hub defaults; refuses the rest with the forms', () => {
    expect(parseImageRef('docker://busybox')).toEqual({ kind: 'registry', registry: 'registry-1.docker.io', repo: 'library/busybox', reference: 'latest', insecure: false });
    expect(parseImageRef('docker://127.0.0.1:5000/t/bb:1.36')).toEqual({ kind: 'registry', registry: '127.0.0.1:5000', repo: 't/bb', reference: '1.36', insecure: true });
    expect(parseImageRef(`docker://quay.io/a/b@sha256:${'a'.repeat(64)}`)).toMatchObject({ registry: 'quay.io', repo: 'a/b', reference: `sha256:${'a'.repeat(64)}`, insecure: false });
    expect(parseImageRef('oci:/srv/img:v2')).toEqual({ kind: 'oci', dir: '/srv/img', tag: 'v2' });
    expect(parseImageRef('oci:/srv/img')).toEqual({ kind: 'oci', dir: '/srv/img', tag: 'latest' });
    expect(parseImageRef('docker-archive:/tmp/x.tar')).toEqual({ kind: 'docker-archive', file: '/tmp/x.tar' });
    for (const bad of [undefined, '', 'busybox', 'docker://UPPER/x', 'docker://x@sha256:12', 'docker://a/b:bad tag'])
      expect(() => parseImageRef(bad), String(bad)).toThrow(/image|needs/);
    expect(['amd64', 'arm64', 'arm', '386', 'ppc64le', 's390x', 'riscv64']).toContain(hostOciArch());
  });

  it('turns the image config into lxc.init.cmd, lxc.init.cwd, lxc.environment, lxc.init.uid/gid', () => {
    expect(configKeys({ Entrypoint: ['/bin/busybox'], Cmd: ['sh', '-c', 'echo "hi there"'], Env: ['A=1', 'B=two words', 'bad name=x'], WorkingDir: '/app', User: '1000:100' })).toEqual([
      ['lxc.init.cmd', '/lxdeck-init'],
      ['lxc.init.cwd', '/app'],
      ['lxc.environment', 'A=1'],
      ['lxc.environment', 'B=two words'],
      ['lxc.init.uid', '1000'],
      ['lxc.init.gid', '100'],
      ['lxc.signal.halt', 'SIGTERM'],
    ]);
    expect(initWrapper(['/bin/sh', '-c', "echo \"it's\"; sleep 1"])).toBe(`#!/bin/sh\n# written by lxdeck's oci template: the image's entrypoint and command, word for word\nexec '/bin/sh' '-c' 'echo "it'\\''s"; sleep 1'\n`);
    expect(configKeys({ Cmd: ['/bin/busybox', 'sleep', '5'] })[0]).toEqual(['lxc.init.cmd', '/bin/busybox sleep 5']);
    expect(() => configKeys({})).toThrow(/nothing to run/);
    expect(() => configKeys({ Cmd: ['x'], User: 'nginx' })).toThrow(/numeric users only/);
  });
});

// ---- an image of our own
const work = mkdtempSync(join(tmpdir(), 'lxdeck-oci-'));
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
interface Blob { digest: string; size: number; data: Buffer; mediaType: string }
const blob = (data: Buffer, mediaType: string): Blob => ({ digest: sha(data), size: data.length, data, mediaType });

async function layerOf(dir: string, entries: string[]): Promise<Blob> {
  const file = join(work, `l-${Math.random().toString(16).slice(2)}.tar.gz`);
  await tar.c({ gzip: true, file, cwd: dir, portable: false }, entries);
  return blob(readFileSync(file), 'application/vnd.oci.image.layer.v1.tar+gzip');
}

let images = 0;
async function makeImage(cmd: string[]): Promise<{ layers: Blob[]; config: Blob; manifest: Blob }> {
  const n = images++;
  const l1 = join(work, `l1-${n}`);
  mkdirSync(join(l1, 'bin'), { recursive: true });
  mkdirSync(join(l1, 'etc'), { recursive: true });
  mkdirSync(join(l1, 'tmp'), { recursive: true });
  copyFileSync('/bin/busybox', join(l1, 'bin/busybox'));
  symlinkSync('busybox', join(l1, 'bin/sh'));
  writeFileSync(join(l1, 'etc/old-file'), 'from layer 1\n');
  writeFileSync(join(l1, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  const l2 = join(work, `l2-${n}`);
  mkdirSync(join(l2, 'etc'), { recursive: true });
  mkdirSync(join(l2, 'app'), { recursive: true });
  writeFileSync(join(l2, 'etc/.wh.old-file'), '');
  writeFileSync(join(l2, 'etc/new-file'), 'from layer 2\n');
  const layers = [await layerOf(l1, ['bin', 'etc', 'tmp']), await layerOf(l2, ['etc', 'app'])];
  const config = blob(
    Buffer.from(JSON.stringify({ architecture: hostOciArch(), os: 'linux', config: { Entrypoint: ['/bin/busybox'], Cmd: cmd, Env: ['PATH=/bin', 'GREETING=hello world'], WorkingDir: '/app' }, rootfs: { type: 'layers', diff_ids: [] } })),
    'application/vnd.oci.image.config.v1+json',
  );
  const desc = (b: Blob) => ({ mediaType: b.mediaType, digest: b.digest, size: b.size });
  const manifest = blob(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: desc(config), layers: layers.map(desc) })), 'application/vnd.oci.image.manifest.v1+json');
  return { layers, config, manifest };
}

function writeLayout(dir: string, img: { layers: Blob[]; config: Blob; manifest: Blob }, tag: string): void {
  mkdirSync(join(dir, 'blobs/sha256'), { recursive: true });
  for (const b of [...img.layers, img.config, img.manifest]) writeFileSync(join(dir, 'blobs/sha256', b.digest.slice(7)), b.data);
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  // an index whose entry is itself an index (multi-arch), as registries serve them
  const index = blob(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType: img.manifest.mediaType, digest: img.manifest.digest, size: img.manifest.size, platform: { architecture: hostOciArch(), os: 'linux' } }] })), 'application/vnd.oci.image.index.v1+json');
  writeFileSync(join(dir, 'blobs/sha256', index.digest.slice(7)), index.data);
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: index.mediaType, digest: index.digest, size: index.size, annotations: { 'org.opencontainers.image.ref.name': tag } }] }));
}

/** A registry on 127.0.0.1 serving one layout: /v2/ API with a bearer token from /token. */
function serveRegistry(layout: string, repo: string, tag: string): Promise<{ server: Server; port: number; hits: string[] }> {
  const hits: string[] = [];
  const token = 'tok-' + uniq(4);
  const server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/token') {
      if (url.searchParams.get('scope') !== `repository:${repo}:pull`) return void res.writeHead(403).end();
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token }));
    }
    if (req.headers.authorization !== `Bearer ${token}`) {
      const port = (server.address() as AddressInfo).port;
      return void res.writeHead(401, { 'www-authenticate': `Bearer realm="http://127.0.0.1:${port}/token",service="test-registry"` }).end();
    }
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    if (!m || m[1] !== repo) return void res.writeHead(404).end();
    const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string; mediaType: string }[] };
    let digest = m[3];
    let type = 'application/octet-stream';
    if (m[2] === 'manifests' && digest === tag) {
      digest = index.manifests[0].digest;
      type = index.manifests[0].mediaType;
    } else if (m[2] === 'manifests') type = 'application/vnd.oci.image.manifest.v1+json';
    const f = join(layout, 'blobs/sha256', digest.replace(/^sha256:/, ''));
    if (!/^sha256:[0-9a-f]{64}$/.test(digest) || !existsSync(f)) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': type }).end(readFileSync(f));
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r({ server, port: (server.address() as AddressInfo).port, hits })));
}

const id = uniq(3);
const bridge = `lxoc${id}`;
const env = tempLxcpath([bridge]);
const attach = (name: string, ...cmd: string[]) => spawnSync('lxc-attach', ['-P', env.lxcpath, '-n', name, '--', ...cmd], { encoding: 'utf8' });

describe.runIf(RUN_LXC)('integration: containers from OCI images', () => {
  requireLxc();
  const engine = localEngine({ lxcpath: env.lxcpath, bridge });
  let layout: string;
  let reg: { server: Server; port: number; hits: string[] };

  beforeAll(async () => {
    layout = join(work, 'layout');
    writeLayout(layout, await makeImage(['sleep', '3600']), '1.0');
    reg = await serveRegistry(layout, 'test/bb', '1.0');
  });
  afterAll(() => {
    reg?.server.close();
    env.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  /** What runs inside: whiteout applied, layer 2's file, init's argv, cwd and environment. */
  function checkInside(name: string): void {
    expect(attach(name, '/bin/busybox', 'cat', '/etc/new-file').stdout).toBe('from layer 2\n');
    expect(attach(name, '/bin/busybox', 'ls', '/etc/old-file').status).not.toBe(0);
    const cmdline = attach(name, '/bin/busybox', 'cat', '/proc/1/cmdline').stdout.split('\0').filter(Boolean);
    expect(cmdline.slice(-3)).toEqual(['/bin/busybox', 'sleep', '3600']);
    expect(attach(name, '/bin/busybox', 'readlink', '/proc/1/cwd').stdout.trim()).toBe('/app');
    expect(attach(name, '/bin/busybox', 'cat', '/proc/1/environ').stdout.split('\0')).toContain('GREETING=hello world');
  }

  it('from an OCI layout directory (an index of indexes, the host\'s architecture picked): unprivileged, started, the image\'s command as init', async () => {
    const name = `ol-${id}`;
    await engine.create(name, { template: 'oci', options: { image: `oci:${layout}:1.0` }, start: true });
    const cfg = readFileSync(join(env.lxcpath, name, 'config'), 'utf8');
    expect(cfg).toMatch(/^lxc\.init\.cmd = \/bin\/busybox sleep 3600$/m);
    expect(cfg).toMatch(/^lxc\.idmap = u 0 \d+ 65536$/m);
    checkInside(name);
    // sleep as PID 1 ignores SIGTERM (the kernel gives PID 1 no default action): a clean stop would wait out its timeout
    await engine.stop(name, { kill: true });
  });

  it('from a registry on loopback: the 401 challenge answered with an anonymous bearer token, every blob checked against its digest', async () => {
    const name = `or-${id}`;
    await engine.create(name, { template: 'oci', options: { image: `docker://127.0.0.1:${reg.port}/test/bb:1.0` }, start: true, privileged: true });
    checkInside(name);
    expect(reg.hits.some((h) => h.startsWith('GET /token?'))).toBe(true);
    expect(reg.hits.filter((h) => h.includes('/blobs/sha256:')).length).toBe(4); // manifest of the index, config, two layers
    await engine.stop(name, { kill: true });
  });

  it('a command with blanks and quotes in a word runs word for word (LXC 5 splits lxc.init.cmd at blanks: /lxdeck-init execs it)', async () => {
    const dir = join(work, 'quoted');
    writeLayout(dir, await makeImage(['sh', '-c', 'echo "hello world" > /started; exec /bin/busybox sleep 3600']), 'q');
    const name = `oq-${id}`;
    await engine.create(name, { template: 'oci', options: { image: `oci:${dir}:q` }, start: true, privileged: true });
    expect(readFileSync(join(env.lxcpath, name, 'config'), 'utf8')).toMatch(/^lxc\.init\.cmd = \/lxdeck-init$/m);
    for (let i = 0; i < 50 && attach(name, '/bin/busybox', 'cat', '/started').status !== 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(attach(name, '/bin/busybox', 'cat', '/started').stdout).toBe('hello world\n');
    await engine.stop(name, { kill: true });
  });

  it('a wrong tag, a damaged blob and a closed registry fail with one clear error and leave nothing', async () => {
    const before = readdirSync(env.lxcpath).filter((n) => !n.startsWith('.'));
    await expect(engine.create(`ox-${id}`, { template: 'oci', options: { image: `docker://127.0.0.1:${reg.port}/test/bb:nope` } })).rejects.toMatchObject({ code: 'E_TEMPLATE' });
    await expect(engine.create(`ox-${id}`, { template: 'oci', options: { image: `oci:${layout}:nope` } })).rejects.toMatchObject({ code: 'E_TEMPLATE', hint: expect.stringContaining('1.0') });
    const damaged = join(work, 'damaged');
    writeLayout(damaged, await makeImage(['sleep', '5']), 'x');
    const m = JSON.parse(readFileSync(join(damaged, 'blobs/sha256', (JSON.parse(readFileSync(join(damaged, 'index.json'), 'utf8')) as { manifests: { digest: string }[] }).manifests[0].digest.slice(7)), 'utf8')) as { manifests: { digest: string }[] };
    const man = JSON.parse(readFileSync(join(damaged, 'blobs/sha256', m.manifests[0].digest.slice(7)), 'utf8')) as { layers: { digest: string }[] };
    writeFileSync(join(damaged, 'blobs/sha256', man.layers[1].digest.slice(7)), 'not the layer');
    await expect(engine.create(`ox-${id}`, { template: 'oci', options: { image: `oci:${damaged}:x` } })).rejects.toMatchObject({ code: 'E_TEMPLATE', message: expect.stringMatching(/does not match its digest/) });
    await expect(engine.create(`ox-${id}`, { template: 'oci', options: { image: 'docker://127.0.0.1:9/test/bb:1.0' } })).rejects.toMatchObject({ code: 'E_NETWORK' });
    expect(readdirSync(env.lxcpath).filter((n) => !n.startsWith('.'))).toEqual(before);
  });

  it('T1: a layer writing through a symbolic link of a lower layer, or holding .., is refused before it writes; the file outside is never written', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'lxdeck-oci-outside-'));
    try {
      const a = join(work, 'evil1');
      mkdirSync(join(a, 'bin'), { recursive: true });
      copyFileSync('/bin/busybox', join(a, 'bin/busybox'));
      symlinkSync(outside, join(a, 'escape'));
      const b = join(work, 'evil2');
      mkdirSync(join(b, 'escape'), { recursive: true });
      writeFileSync(join(b, 'escape/pwned'), 'written outside\n');
      const layers = [await layerOf(a, ['bin', 'escape']), await layerOf(b, ['escape/pwned'])];
      const config = blob(Buffer.from(JSON.stringify({ config: { Cmd: ['/bin/busybox', 'sleep', '1'] } })), 'application/vnd.oci.image.config.v1+json');
      const desc = (x: Blob) => ({ mediaType: x.mediaType, digest: x.digest, size: x.size });
      const manifest = blob(Buffer.from(JSON.stringify({ schemaVersion: 2, config: desc(config), layers: layers.map(desc) })), 'application/vnd.oci.image.manifest.v1+json');
      const dir = join(work, 'evil-layout');
      mkdirSync(join(dir, 'blobs/sha256'), { recursive: true });
      for (const x of [...layers, config, manifest]) writeFileSync(join(dir, 'blobs/sha256', x.digest.slice(7)), x.data);
      writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ ...desc(manifest), annotations: { 'org.opencontainers.image.ref.name': 'latest' } }] }));
      const before = readdirSync(env.lxcpath).filter((n) => !n.startsWith('.'));
      await expect(engine.create(`oe-${id}`, { template: 'oci', options: { image: `oci:${dir}` }, privileged: true })).rejects.toMatchObject({ code: 'E_UNSAFE_PATH', message: expect.stringContaining('through the symbolic link "escape"') });
      expect(readdirSync(outside)).toEqual([]);
      expect(readdirSync(env.lxcpath).filter((n) => !n.startsWith('.'))).toEqual(before);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('from a docker save archive (manifest.json and layer tars)', async () => {
    const img = await makeImage(['sleep', '3600']);
    const d = join(work, 'docker-save');
    mkdirSync(d, { recursive: true });
    const names = img.layers.map((l, i) => `${i}/layer.tar.gz`);
    img.layers.forEach((l, i) => {
      mkdirSync(join(d, String(i)), { recursive: true });
      writeFileSync(join(d, names[i]), l.data);
    });
    writeFileSync(join(d, 'config.json'), img.config.data);
    writeFileSync(join(d, 'manifest.json'), JSON.stringify([{ Config: 'config.json', RepoTags: ['bb:1'], Layers: names }]));
    const file = join(work, 'bb.tar');
    await tar.c({ file, cwd: d }, ['manifest.json', 'config.json', '0', '1']);
    const name = `od-${id}`;
    await engine.create(name, { template: 'oci', options: { image: `docker-archive:${file}` }, start: true });
    checkInside(name);
    await engine.stop(name, { kill: true });
  });
});

import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLxdeckError } from '../../core/errors.js';
import { checkBootable } from '../../templates/common/rootfs-files.js';
import { hostDebArch } from '../../templates/common/options.js';
import { buildUrl, downloadTemplate, metaConfigKeys, parseImageIndex, pickImage } from '../../templates/download/template.js';
import { RUN_LXC, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';
import { busyboxRootfs, makeCtx, startAndAttach, stopAndDestroy, tar, writeMinimalConfig } from './helpers.js';

const arch = hostDebArch();
const work = mkdtempSync(join(tmpdir(), 'lxdeck-download-'));
const www = join(work, 'www');
const cache = join(work, 'cache');
const requests: string[] = [];
let server: Server;
let url = '';
const oldCache = process.env.LXDECK_CACHE;

function sha(p: string): string {
  return createHash('sha256').update(readFileSync(p)).digest('hex');
}

/** Writes one image build under www/<dir>: rootfs.tar.xz from a busybox rootfs, meta.tar.xz, SHA256SUMS. */
async function makeImage(dir: string, opts: { tamper?: boolean; sums?: boolean } = {}): Promise<void> {
  const out = join(www, dir);
  mkdirSync(out, { recursive: true });
  const src = mkdtempSync(join(work, 'img-'));
  await busyboxRootfs(src, 'LXC_NAME'); // the image's /etc/hostname and /etc/hosts hold LXC_NAME, as real images do
  tar(['--numeric-owner', '-cJf', join(out, 'rootfs.tar.xz'), '-C', src, '.']);
  const meta = mkdtempSync(join(work, 'meta-'));
  writeFileSync(
    join(meta, 'config'),
    [
      'lxc.include = LXC_TEMPLATE_CONFIG/common.conf',
      'lxc.arch = x86_64',
      'lxc.signal.halt = SIGUSR1',
      'lxc.signal.reboot = SIGTERM',
      'lxc.hook.pre-start = /bin/touch /tmp/lxdeck-pwned',
      'lxc.include = LXC_TEMPLATE_CONFIG/../../../etc/passwd',
      'lxc.mount.entry = / host none bind 0 0',
      '',
    ].join('\n'),
  );
  writeFileSync(join(meta, 'templates'), '/etc/hostname\n/etc/hosts\n');
  writeFileSync(join(meta, 'create-message'), 'Welcome to the test image.\n');
  tar(['-cJf', join(out, 'meta.tar.xz'), '-C', meta, '.']);
  const sums = FILES.map((f) => `${sha(join(out, f))}  ${f}`).join('\n');
  if (opts.sums !== false) writeFileSync(join(out, 'SHA256SUMS'), `${sums}\n`);
  if (opts.tamper) writeFileSync(join(out, 'rootfs.tar.xz'), Buffer.concat([readFileSync(join(out, 'rootfs.tar.xz')), Buffer.from('x')]));
}
const FILES = ['rootfs.tar.xz', 'meta.tar.xz'];

beforeAll(async () => {
  process.env.LXDECK_CACHE = cache;
  mkdirSync(join(www, 'meta/1.0'), { recursive: true });
  await makeImage('images/bb/1.36/amd64/default/20240102_00:00');
  await makeImage('images/bb/bad/amd64/default/20240101_00:00', { tamper: true });
  await makeImage('images/bb/nosums/amd64/default/20240101_00:00', { sums: false });
  writeFileSync(
    join(www, 'meta/1.0/index-system'),
    [
      `bb;1.36;${arch};default;20240101_00:00;/images/bb/bad/amd64/default/20240101_00:00/`, // older build of the same image: not chosen
      `bb;1.36;${arch};default;20240102_00:00;/images/bb/1.36/amd64/default/20240102_00:00/`,
      `bb;bad;${arch};default;20240101_00:00;/images/bb/bad/amd64/default/20240101_00:00/`,
      `bb;nosums;${arch};default;20240101_00:00;/images/bb/nosums/amd64/default/20240101_00:00/`,
      `bb;escape;${arch};default;20240101_00:00;/images/../../etc/`,
      'not;a;line',
      '',
    ].join('\n'),
  );
  server = createServer((req, res) => {
    const p = normalize(decodeURIComponent((req.url ?? '/').split('?')[0]));
    requests.push(p);
    const f = join(www, p);
    if (!f.startsWith(www) || !existsSync(f) || !statSync(f).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': statSync(f).size });
    createReadStream(f).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => server?.close(() => r()));
  if (oldCache === undefined) delete process.env.LXDECK_CACHE;
  else process.env.LXDECK_CACHE = oldCache;
  rmSync(work, { recursive: true, force: true });
});

function opts(release: string, extra: Record<string, string> = {}): Record<string, string> {
  return { server: url, distro: 'bb', release, arch, ...extra };
}

describe('download: index and meta parsing (pure)', () => {
  it('parses index-system lines and picks the newest build of the wanted image', () => {
    const e = parseImageIndex('debian;bookworm;amd64;default;20240101_05:24;/images/a/\ndebian;bookworm;amd64;default;20240103_05:24;/images/b/\nbroken\n');
    expect(e).toHaveLength(2);
    expect(pickImage(e, { distro: 'debian', release: 'bookworm', arch: 'amd64', variant: 'default' }).path).toBe('/images/b/');
  });
  it('names what the server has when the image is not there', () => {
    const e = parseImageIndex('debian;bookworm;amd64;default;1;/a/\ndebian;trixie;amd64;default;1;/b/\n');
    expect(() => pickImage(e, { distro: 'debian', release: 'sid', arch: 'amd64', variant: 'default' })).toThrow(/no debian sid amd64/);
    try {
      pickImage(e, { distro: 'debian', release: 'sid', arch: 'amd64', variant: 'default' });
    } catch (err) {
      expect((err as { hint: string }).hint).toMatch(/bookworm\/default, trixie\/default/);
    }
  });
  it('keeps build paths below the server', () => {
    expect(buildUrl('http://h:1/base/', '/images/x/')).toBe('http://h:1/base/images/x/');
    expect(() => buildUrl('http://h:1', '/images/../../etc/')).toThrow(/index names the path/);
  });
  it('takes only harmless config keys from an image: no hooks, mounts, or includes outside LXC_TEMPLATE_CONFIG', () => {
    const m = metaConfigKeys('lxc.include = LXC_TEMPLATE_CONFIG/common.conf\nlxc.arch = x86_64\nlxc.hook.pre-start = /bin/sh -c x\nlxc.mount.entry = / host none bind 0 0\nlxc.include = /etc/passwd\nlxc.include = LXC_TEMPLATE_CONFIG/nope.conf\n');
    expect(m.keys).toEqual([
      ['lxc.include', '/usr/share/lxc/config/common.conf'],
      ['lxc.arch', 'x86_64'],
    ]);
    expect(m.ignored).toHaveLength(4);
    expect(m.ignored.join('\n')).toMatch(/lxc\.hook\.pre-start/);
  });
});

describe('download: builds from a local image server on loopback', () => {
  it('downloads, verifies, extracts, templates the hostname and filters the image config', async () => {
    const rootfs = mkdtempSync(join(work, 'rootfs-'));
    const ctx = makeCtx('dl-one', rootfs, opts('1.36'));
    const r = await downloadTemplate.build(ctx);
    expect(checkBootable(rootfs).init).toBe('/sbin/init');
    expect(readFileSync(join(rootfs, 'etc/hostname'), 'utf8')).toBe('dl-one\n');
    expect(readFileSync(join(rootfs, 'etc/hosts'), 'utf8')).toMatch(/127\.0\.1\.1\s+dl-one/);
    expect(readFileSync(join(rootfs, 'etc/hosts'), 'utf8')).not.toContain('LXC_NAME');
    expect(r.config).toContainEqual(['lxc.signal.halt', 'SIGUSR1']);
    expect(r.config.map(([k]) => k)).not.toContain('lxc.hook.pre-start');
    expect(r.config.map(([k]) => k)).not.toContain('lxc.mount.entry');
    expect(r.config.filter(([k]) => k === 'lxc.include')).toEqual([['lxc.include', '/usr/share/lxc/config/common.conf']]);
    const lines = ctx.events.map((e) => e.line ?? '');
    expect(lines).toContain('checksums verified (SHA-256)');
    expect(lines).toContain('Welcome to the test image.');
    expect(requests).toContain('/images/bb/1.36/amd64/default/20240102_00:00/rootfs.tar.xz');
    expect(requests).not.toContain('/images/bb/bad/amd64/default/20240101_00:00/rootfs.tar.xz');
    const entries = readdirSync(join(cache, 'download'));
    expect(entries.filter((n) => !n.endsWith('.lock'))).toEqual([`bb-1.36-${arch}-default-20240102_00_00`]);
  });

  it('a second container of the same image comes from the cache, without downloading again', async () => {
    const before = requests.filter((p) => p.endsWith('rootfs.tar.xz')).length;
    const rootfs = mkdtempSync(join(work, 'rootfs-'));
    const ctx = makeCtx('dl-two', rootfs, opts('1.36'));
    await downloadTemplate.build(ctx);
    expect(requests.filter((p) => p.endsWith('rootfs.tar.xz')).length).toBe(before);
    expect(ctx.events.some((e) => /using the cached build/.test(e.line ?? ''))).toBe(true);
    expect(readFileSync(join(rootfs, 'etc/hostname'), 'utf8')).toBe('dl-two\n');
  });

  it('refuses an image whose rootfs does not match SHA256SUMS, and caches nothing of it', async () => {
    const rootfs = mkdtempSync(join(work, 'rootfs-'));
    await expect(downloadTemplate.build(makeCtx('dl', rootfs, opts('bad')))).rejects.toThrow(/checksum mismatch for .*rootfs\.tar\.xz/);
    expect(readdirSync(rootfs)).toEqual([]);
    expect(readdirSync(join(cache, 'download')).filter((n) => n.startsWith('bb-bad') && !n.endsWith('.lock'))).toEqual([]);
  });

  it('refuses an image without SHA256SUMS unless verify=false', async () => {
    const rootfs = mkdtempSync(join(work, 'rootfs-'));
    await expect(downloadTemplate.build(makeCtx('dl', rootfs, opts('nosums')))).rejects.toThrow(/publishes no SHA256SUMS/);
    const ctx = makeCtx('dl', rootfs, opts('nosums', { verify: 'false' }));
    await downloadTemplate.build(ctx);
    expect(ctx.events.some((e) => /NOT verified/.test(e.line ?? ''))).toBe(true);
    expect(checkBootable(rootfs).shell).toBe('/bin/sh');
  });

  it('refuses an index path that leaves the server, an unknown release, and a non-http server', async () => {
    const rootfs = mkdtempSync(join(work, 'rootfs-'));
    await expect(downloadTemplate.build(makeCtx('dl', rootfs, opts('escape')))).rejects.toSatisfy((e) => isLxdeckError(e, 'E_UNSAFE_PATH'));
    await expect(downloadTemplate.build(makeCtx('dl', rootfs, opts('9.99')))).rejects.toSatisfy((e) => isLxdeckError(e, 'E_NOT_FOUND'));
    await expect(downloadTemplate.build(makeCtx('dl', rootfs, { ...opts('1.36'), server: 'file:///etc' }))).rejects.toSatisfy((e) => isLxdeckError(e, 'E_INVALID_VALUE'));
    expect(readdirSync(rootfs)).toEqual([]);
  });

  it('uses the newest cached build when the server cannot be reached', async () => {
    const rootfs = mkdtempSync(join(work, 'rootfs-'));
    // a loopback port nothing listens on: bind one, learn its number, close it
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const dead = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    await new Promise<void>((r) => s.close(() => r()));
    const ctx = makeCtx('dl-off', rootfs, { ...opts('1.36'), server: dead });
    await downloadTemplate.build(ctx);
    expect(ctx.events.some((e) => /using the newest cached build/.test(e.line ?? ''))).toBe(true);
    expect(readFileSync(join(rootfs, 'etc/hostname'), 'utf8')).toBe('dl-off\n');
  });
});

describe.runIf(RUN_LXC)('download: a real container from the served image starts and answers lxc-attach', () => {
  requireLxc();
  const env = tempLxcpath();
  afterAll(() => {
    env.cleanup();
    expect(existsSync(env.lxcpath)).toBe(false);
  });
  it('starts, answers with its templated hostname, stops and is destroyed', async () => {
    const name = `dl-${uniq(3)}`;
    const rootfs = join(env.lxcpath, name, 'rootfs');
    mkdirSync(rootfs, { recursive: true });
    const r = await downloadTemplate.build(makeCtx(name, rootfs, opts('1.36')));
    writeMinimalConfig(env.lxcpath, name, rootfs, r.config);
    expect(startAndAttach(env.lxcpath, name, ['/bin/cat', '/etc/hostname'])).toBe(`${name}\n`);
    expect(existsSync('/tmp/lxdeck-pwned')).toBe(false);
    stopAndDestroy(env.lxcpath, name);
    expect(existsSync(join(env.lxcpath, name))).toBe(false);
  });
});

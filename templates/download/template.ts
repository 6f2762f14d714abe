import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { LxdeckError, isLxdeckError } from '../../core/errors.js';
import { cacheEntryDir, cacheRoot, ensureCached } from '../../core/rootfs/cache.js';
import { checkHttpUrl, downloadFile, fetchText, parseSha256Sums, sha256File } from '../../core/rootfs/http.js';
import { writeFileInRootfs } from '../../core/rootfs/safe-write.js';
import type { Template, TemplateContext, TemplateManifest, TemplateResult } from '../../core/rootfs/template.js';
import { extractArchive, listAndCheckArchive } from '../common/archive.js';
import { IDENTITY_OPTIONS, hostDebArch, parseBool, resolveOptions } from '../common/options.js';
import { applyIdentityOptions, checkBootable, initSignalConfig, readFileInRootfs, writeHostname } from '../common/rootfs-files.js';

/**
 * The LXC image server format, as LXC's own `lxc-download` template reads it:
 * `<server>/meta/1.0/index-system` lists one image build a line,
 * `distro;release;arch;variant;timestamp;path`, and `<server>/<path>` holds
 * `rootfs.tar.xz` (the root file system), `meta.tar.xz` (`config`: lxc.* keys
 * for the container, `templates`: rootfs files in which LXC_NAME and friends
 * are substituted, `create-message`, ...) and `SHA256SUMS`.
 */

export const DEFAULT_IMAGE_SERVER = 'https://images.linuxcontainers.org';
/** Where LXC keeps the config snippets that `LXC_TEMPLATE_CONFIG` stands for. */
export const LXC_TEMPLATE_CONFIG = '/usr/share/lxc/config';
/** Where LXC keeps its hooks (`LXC_HOOK_DIR`). */
export const LXC_HOOK_DIR = '/usr/share/lxc/hooks';

export const downloadManifest: TemplateManifest = {
  name: 'download',
  description: 'a prebuilt image from an LXC image server (index-system, rootfs.tar.xz, meta.tar.xz), checksum-verified and cached',
  offline: false,
  options: [
    { name: 'server', type: 'string', default: DEFAULT_IMAGE_SERVER, description: 'base URL of the image server (http or https)' },
    { name: 'distro', type: 'string', default: 'debian', description: 'distribution, as the server names it (debian, ubuntu, alpine, ...)' },
    { name: 'release', type: 'string', default: 'bookworm', description: 'release, as the server names it' },
    { name: 'arch', type: 'string', default: hostDebArch(), description: "architecture, in the server's (Debian's) names: amd64, arm64, ..." },
    { name: 'variant', type: 'string', default: 'default', description: 'image variant (default, cloud, ...)' },
    { name: 'verify', type: 'boolean', default: 'true', description: 'refuse an image the server publishes no SHA256SUMS for' },
    { name: 'refresh', type: 'boolean', default: 'false', description: 'download again even when the build is cached' },
    ...IDENTITY_OPTIONS,
  ],
};

/** One line of `meta/1.0/index-system`. */
export interface ImageEntry {
  distro: string;
  release: string;
  arch: string;
  variant: string;
  /** build stamp, e.g. `20240101_05:24`; later builds sort later */
  timestamp: string;
  /** directory on the server, e.g. `/images/debian/bookworm/amd64/default/20240101_05:24/` */
  path: string;
}

/**
 * Parses `meta/1.0/index-system`: `distro;release;arch;variant;timestamp;path`
 * a line; lines with another field count are skipped.
 */
export function parseImageIndex(text: string): ImageEntry[] {
  const out: ImageEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(';');
    if (f.length !== 6 || f.some((x) => !x)) continue;
    const [distro, release, arch, variant, timestamp, path] = f;
    out.push({ distro, release, arch, variant, timestamp, path });
  }
  return out;
}

/**
 * The newest build of the wanted image.
 * @throws LxdeckError E_NOT_FOUND naming what the server does have for that distro and arch.
 */
export function pickImage(entries: ImageEntry[], want: Pick<ImageEntry, 'distro' | 'release' | 'arch' | 'variant'>): ImageEntry {
  const m = entries.filter((e) => e.distro === want.distro && e.release === want.release && e.arch === want.arch && e.variant === want.variant);
  if (!m.length) {
    const same = entries.filter((e) => e.distro === want.distro && e.arch === want.arch);
    const have = [...new Set(same.map((e) => `${e.release}/${e.variant}`))].sort();
    throw new LxdeckError('E_NOT_FOUND', `the image server has no ${want.distro} ${want.release} ${want.arch} (${want.variant})`, {
      hint: have.length ? `${want.distro} ${want.arch} there: ${have.join(', ')}` : `it has no ${want.distro} for ${want.arch}; distros: ${[...new Set(entries.map((e) => e.distro))].sort().join(', ') || 'none'}`,
    });
  }
  return m.sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0))[m.length - 1];
}

/**
 * The URL of a build directory: the server's base URL and the index's path,
 * which must stay below the server (no `..`, same origin).
 * @throws LxdeckError E_UNSAFE_PATH otherwise.
 */
export function buildUrl(server: string, path: string): string {
  const clean = normalize(`/${path}`);
  if (path.split('/').includes('..') || /[?#\\]/.test(path)) throw new LxdeckError('E_UNSAFE_PATH', `the image index names the path ${JSON.stringify(path)}`);
  const base = server.replace(/\/+$/, '');
  const url = `${base}${clean.endsWith('/') ? clean : `${clean}/`}`;
  if (new URL(url).origin !== new URL(base).origin) throw new LxdeckError('E_UNSAFE_PATH', `the image index points outside the server: ${path}`);
  return url;
}

/** Config keys from an image's `config` that lxdeck writes into the container's config. */
const META_KEYS_ALLOWED = [/^lxc\.arch$/, /^lxc\.include$/, /^lxc\.signal\.(halt|reboot|stop)$/, /^lxc\.tty\.(max|dir)$/, /^lxc\.pty\.max$/, /^lxc\.cap\.(drop|keep)$/, /^lxc\.autodev$/, /^lxc\.mount\.auto$/, /^lxc\.environment$/, /^lxc\.init\.(cmd|cwd)$/];

/**
 * The lxc.* keys of an image's meta `config` that a container may take from a
 * server: LXC_TEMPLATE_CONFIG substituted (as lxc-download does), and only
 * harmless keys kept. Hooks, mounts, cgroup and device rules, idmaps, network
 * and rootfs keys are never taken from a server (a hook runs as root on the
 * host); an lxc.include must name an existing file under /usr/share/lxc/config.
 * @returns `keys` to write and `ignored` lines (with a reason) to report.
 */
export function metaConfigKeys(text: string): { keys: [string, string][]; ignored: string[] } {
  const keys: [string, string][] = [];
  const ignored: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf('=');
    if (i < 0) {
      ignored.push(`${line} (not key = value)`);
      continue;
    }
    const key = line.slice(0, i).trim();
    const value = line.slice(i + 1).trim().replaceAll('LXC_TEMPLATE_CONFIG', LXC_TEMPLATE_CONFIG).replaceAll('LXC_HOOK_DIR', LXC_HOOK_DIR);
    if (!META_KEYS_ALLOWED.some((re) => re.test(key))) {
      ignored.push(`${key} (not taken from an image server)`);
      continue;
    }
    if (key === 'lxc.include') {
      const n = normalize(value);
      if (!n.startsWith(`${LXC_TEMPLATE_CONFIG}/`) || value.split('/').includes('..')) {
        ignored.push(`${key} = ${value} (outside ${LXC_TEMPLATE_CONFIG})`);
        continue;
      }
      if (!existsSync(n)) {
        ignored.push(`${key} = ${value} (not on this host)`);
        continue;
      }
    }
    keys.push([key, value]);
  }
  return { keys, ignored };
}

/**
 * Substitutes the names lxc-download substitutes in the files an image's
 * `templates` lists: LXC_NAME (the container name), LXC_TEMPLATE_CONFIG and
 * LXC_HOOK_DIR. LXC_PATH and LXC_ROOTFS_PATH are the staging paths at build
 * time, not the final ones, so they are left and reported. Files are read and
 * written without following symlinks (case T1).
 * @returns report lines
 */
export function applyMetaTemplates(rootfs: string, list: string, name: string): string[] {
  const report: string[] = [];
  for (const raw of list.split('\n')) {
    const rel = raw.trim();
    if (!rel || rel.startsWith('#')) continue;
    const content = readFileInRootfs(rootfs, rel);
    if (content === null) {
      report.push(`template file ${rel} is not in the rootfs`);
      continue;
    }
    const next = content.replaceAll('LXC_NAME', name).replaceAll('LXC_TEMPLATE_CONFIG', LXC_TEMPLATE_CONFIG).replaceAll('LXC_HOOK_DIR', LXC_HOOK_DIR);
    if (/LXC_PATH|LXC_ROOTFS_PATH/.test(next)) report.push(`${rel} names LXC_PATH or LXC_ROOTFS_PATH, left as is`);
    if (next !== content) writeFileInRootfs(rootfs, rel, next);
    report.push(`templated ${rel}`);
  }
  return report;
}

function cacheKey(e: Pick<ImageEntry, 'distro' | 'release' | 'arch' | 'variant'>, timestamp: string): string {
  return `${e.distro}-${e.release}-${e.arch}-${e.variant}-${timestamp}`.replace(/[^A-Za-z0-9._+-]/g, '_');
}

const FILES = ['rootfs.tar.xz', 'meta.tar.xz'];

/**
 * A container from an LXC image server: the newest build of distro/release/arch/variant
 * in the server's index, its rootfs.tar.xz and meta.tar.xz downloaded into the
 * cache (`<cache>/download/<image>-<timestamp>/`, under a lock) and checked against
 * the server's SHA256SUMS before use (also on every reuse from the cache); both
 * archives listed and refused like a tarball's (absolute or `..` members) before
 * extraction. From meta.tar.xz: `config` keys (filtered, see {@link metaConfigKeys}),
 * `templates` substitution, `create-message` reported. When the server cannot be
 * reached, the newest cached build of the image is used.
 * @throws LxdeckError E_NETWORK, E_NOT_FOUND, E_TEMPLATE (checksum mismatch, no SHA256SUMS with verify=true), E_UNSAFE_PATH, E_CANCELLED.
 */
export const downloadTemplate: Template = {
  manifest: downloadManifest,
  async build(ctx: TemplateContext): Promise<TemplateResult> {
    const o = resolveOptions(downloadManifest, ctx.options);
    const server = checkHttpUrl(o.server).toString().replace(/\/+$/, '');
    const want = { distro: o.distro, release: o.release, arch: o.arch, variant: o.variant };
    const verify = parseBool('verify', o.verify);
    const say = (line: string, fraction?: number, phase = 'download') => ctx.onProgress({ phase, line, fraction });
    const root = cacheRoot();

    say(`index ${server}/meta/1.0/index-system`, 0);
    let entryDir: string;
    let expected: Record<string, string> | null = null;
    try {
      const index = await fetchText(`${server}/meta/1.0/index-system`, { signal: ctx.signal });
      if (index === null) throw new LxdeckError('E_NOT_FOUND', `${server} has no meta/1.0/index-system: not an LXC image server`, { hint: 'check the server option' });
      const img = pickImage(parseImageIndex(index), want);
      const base = buildUrl(server, img.path);
      say(`${img.distro} ${img.release} ${img.arch} ${img.variant}, build ${img.timestamp}`, 0.02);
      const entry = await ensureCached(
        cacheEntryDir('download', cacheKey(img, img.timestamp), root),
        async (partial) => {
          const sumsText = await fetchText(`${base}SHA256SUMS`, { signal: ctx.signal });
          const sums = sumsText === null ? null : parseSha256Sums(sumsText);
          if (!sums && verify)
            throw new LxdeckError('E_TEMPLATE', `${base} publishes no SHA256SUMS: refusing an image that cannot be verified`, { hint: 'use another server, or --option verify=false to take it unchecked' });
          if (!sums) say('the server publishes no SHA256SUMS: the image is NOT verified');
          const got: Record<string, string> = {};
          for (const [i, f] of FILES.entries()) {
            let last = 0;
            const r = await downloadFile(`${base}${f}`, join(partial, f), {
              signal: ctx.signal,
              onBytes: (n, total) => {
                if (total && n - last < total / 20 && n !== total) return;
                last = n;
                say(`${f}: ${Math.round(n / 1024)} KiB${total ? ` of ${Math.round(total / 1024)} KiB` : ''}`, 0.05 + (0.8 * (i + (total ? n / total : 0))) / FILES.length);
              },
            });
            const want256 = sums?.get(f);
            if (sums && !want256) throw new LxdeckError('E_TEMPLATE', `SHA256SUMS of ${base} has no line for ${f}`);
            if (want256 && want256 !== r.sha256)
              throw new LxdeckError('E_TEMPLATE', `checksum mismatch for ${base}${f}: expected ${want256}, got ${r.sha256}`, { hint: 'the download was corrupted or the image was tampered with; nothing was kept' });
            got[f] = r.sha256;
          }
          say(sums ? 'checksums verified (SHA-256)' : 'downloaded (unverified)', 0.85);
          return { url: base, timestamp: img.timestamp, sha256: got, verified: !!sums };
        },
        { refresh: parseBool('refresh', o.refresh), signal: ctx.signal, runner: ctx.runner, onWait: (l) => say(`waiting for another download of this image (${l})`) },
      );
      if (entry.hit) say(`using the cached build ${entry.dir}`, 0.85);
      entryDir = entry.dir;
      expected = (entry.info.sha256 as Record<string, string> | undefined) ?? null;
    } catch (e) {
      if (!isLxdeckError(e, 'E_NETWORK')) throw e;
      const cached = newestCached(root, want);
      if (!cached) throw e;
      say(`${e.message}; using the newest cached build ${cached}`);
      entryDir = cached;
      expected = (readMarker(cached).sha256 as Record<string, string> | undefined) ?? null;
    }

    // a cached file is checked again against the checksums it was verified with
    if (expected)
      for (const f of FILES) {
        const h = await sha256File(join(entryDir, f));
        if (expected[f] && h !== expected[f])
          throw new LxdeckError('E_TEMPLATE', `the cached ${f} in ${entryDir} no longer matches its checksum`, { hint: `remove ${entryDir}, or use --option refresh=true` });
      }

    const rootfsTar = join(entryDir, 'rootfs.tar.xz');
    const listed = await listAndCheckArchive(ctx.runner, rootfsTar, { signal: ctx.signal, what: 'image rootfs.tar.xz' });
    say(`extracting ${listed.count} members`, 0.88, 'rootfs');
    await extractArchive(ctx.runner, rootfsTar, ctx.rootfs, { signal: ctx.signal, onLine: (l) => say(l, undefined, 'rootfs') });

    const metaDir = mkdtempSync(join(tmpdir(), 'lxdeck-meta-'));
    const config: [string, string][] = [];
    try {
      const metaTar = join(entryDir, 'meta.tar.xz');
      await listAndCheckArchive(ctx.runner, metaTar, { signal: ctx.signal, what: 'image meta.tar.xz', requireBootable: false });
      await extractArchive(ctx.runner, metaTar, metaDir, { signal: ctx.signal });
      const metaConfig = readFileInRootfs(metaDir, 'config');
      if (metaConfig !== null) {
        const m = metaConfigKeys(metaConfig);
        config.push(...m.keys);
        for (const i of m.ignored) say(`image config: ignored ${i}`, undefined, 'configure');
      }
      const templates = readFileInRootfs(metaDir, 'templates');
      if (templates !== null) for (const l of applyMetaTemplates(ctx.rootfs, templates, ctx.name)) say(l, undefined, 'configure');
      const msg = readFileInRootfs(metaDir, 'create-message');
      if (msg) for (const l of msg.trim().split('\n')) say(l, undefined, 'configure');
    } finally {
      rmSync(metaDir, { recursive: true, force: true });
    }

    checkBootable(ctx.rootfs);
    writeHostname(ctx.rootfs, ctx.name);
    for (const l of await applyIdentityOptions(ctx.runner, ctx.rootfs, o, ctx.signal)) say(l, undefined, 'configure');
    for (const [k, v] of initSignalConfig(ctx.rootfs)) if (!config.some(([ck]) => ck === k)) config.push([k, v]);
    ctx.onProgress({ phase: 'configure', fraction: 1 });
    return { config };
  },
};

function readMarker(dir: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileInRootfs(dir, '.complete') ?? '{}') as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** The newest complete cached build of the image, or null. */
function newestCached(root: string, want: Pick<ImageEntry, 'distro' | 'release' | 'arch' | 'variant'>): string | null {
  const prefix = cacheKey(want, '');
  let names: string[];
  try {
    names = readdirSync(join(root, 'download'));
  } catch {
    return null;
  }
  const ok = names
    .filter((n) => n.startsWith(prefix) && !n.includes('.partial-') && !n.endsWith('.lock') && existsSync(join(root, 'download', n, '.complete')))
    .sort();
  return ok.length ? join(root, 'download', ok[ok.length - 1]) : null;
}

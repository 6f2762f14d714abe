/**
 * The `oci` template: a container's rootfs from an OCI or Docker image, as LXC's own `oci`
 * template and umoci do, without their tools: the image's layers applied in order with their
 * whiteouts, and its config's entrypoint, command, environment, working directory and user
 * kept as lxc.init.cmd, lxc.environment, lxc.init.cwd and lxc.init.uid/gid.
 *
 * Where the image comes from (`--option image=...`):
 * - `docker://[REGISTRY[:PORT]/]REPO[:TAG|@sha256:DIGEST]`: a registry's HTTP API v2 (the
 *   Docker Hub's `library/` and registry-1.docker.io when no registry is named; the bearer token
 *   of the registry's WWW-Authenticate challenge fetched anonymously; plain HTTP only for a
 *   registry on a loopback address);
 * - `oci:DIR[:TAG]`: an OCI image layout directory (index.json, blobs/sha256/...);
 * - `docker-archive:FILE`: the tarball `docker save` writes (manifest.json, layer tars).
 *
 * The host writes into an untrusted tree here (case T1), so every layer is listed before it is
 * applied: a member with an absolute path or `..`, or one whose parent is a symbolic link
 * (already in the rootfs, or made by the same layer) stops the build with E_UNSAFE_PATH before
 * the layer writes anything; whiteouts remove without following links. Every blob's digest is
 * checked. Sources: OCI image-spec (image-layout.md, manifest.md, image-index.md, config.md,
 * layer.md "Whiteouts"), the Docker Registry HTTP API v2 and its token authentication.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, lstatSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { dirname, join, posix, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import { LxdeckError } from '../../core/errors.js';
import type { Template, TemplateContext, TemplateManifest, TemplateResult } from '../../core/rootfs/template.js';
import { hostDebArch, resolveOptions } from '../common/options.js';
import { writeFileInRootfs } from '../../core/rootfs/safe-write.js';

export const ociManifest: TemplateManifest = {
  name: 'oci',
  description: 'an OCI or Docker image: docker://REPO[:TAG] from a registry, oci:DIR[:TAG] or docker-archive:FILE on disk',
  offline: false,
  network: 'network for docker:// only',
  options: [
    { name: 'image', type: 'string', description: 'docker://[REGISTRY/]REPO[:TAG], oci:DIR[:TAG] or docker-archive:FILE' },
    { name: 'arch', type: 'string', description: "the image's architecture in an index (default: this host's, e.g. amd64)" },
  ],
};

/** Where an image comes from (see the module comment). */
export type ImageRef =
  | { kind: 'registry'; registry: string; repo: string; reference: string; insecure: boolean }
  | { kind: 'oci'; dir: string; tag: string }
  | { kind: 'docker-archive'; file: string };

const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;
const REPO_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * Parses `--option image=...`.
 * @throws LxdeckError E_USAGE (missing or of no known kind), E_INVALID_VALUE (a repository, tag or digest that is not one)
 */
export function parseImageRef(image: string | undefined): ImageRef {
  const usage = (msg: string) => new LxdeckError('E_USAGE', msg, { hint: 'e.g. --option image=docker://busybox:latest, image=oci:/srv/images/bb:1.36 or image=docker-archive:/tmp/bb.tar', exitCode: 2 });
  if (!image) throw usage('the oci template needs --option image=IMAGE');
  const bad = (what: string) => new LxdeckError('E_INVALID_VALUE', `image ${JSON.stringify(image)}: ${what}`, { hint: 'a repository is lower case letters, digits and . _ - separated by /; a tag at most 128 of letters, digits, . _ -', exitCode: 2 });
  if (image.startsWith('oci:')) {
    const rest = image.slice(4);
    const m = /^(.*?)(?::([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?$/.exec(rest)!;
    if (!m[1]) throw usage('oci: needs the layout directory');
    return { kind: 'oci', dir: resolve(m[1]), tag: m[2] ?? 'latest' };
  }
  if (image.startsWith('docker-archive:')) {
    const file = image.slice('docker-archive:'.length);
    if (!file) throw usage('docker-archive: needs the file');
    return { kind: 'docker-archive', file: resolve(file) };
  }
  if (!image.startsWith('docker://')) throw usage(`image ${JSON.stringify(image)} is not docker://..., oci:... or docker-archive:...`);
  let rest = image.slice('docker://'.length);
  let registry = 'registry-1.docker.io';
  const first = rest.split('/')[0];
  if (rest.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = first;
    rest = rest.slice(first.length + 1);
  }
  let reference = 'latest';
  const at = rest.indexOf('@');
  if (at >= 0) {
    reference = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(reference)) throw bad('a digest is sha256: and 64 hex digits');
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon >= 0) {
      reference = rest.slice(colon + 1);
      rest = rest.slice(0, colon);
      if (!TAG_RE.test(reference)) throw bad(`${JSON.stringify(reference)} is not a tag`);
    }
  }
  if (registry === 'registry-1.docker.io' && !rest.includes('/')) rest = `library/${rest}`;
  if (!REPO_RE.test(rest)) throw bad(`${JSON.stringify(rest)} is not a repository name`);
  const host = registry.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  const insecure = host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1';
  return { kind: 'registry', registry, repo: rest, reference, insecure };
}

/** The OCI platform architecture of this host (Go's GOARCH names, as images use them). */
export function hostOciArch(): string {
  const deb = hostDebArch();
  return ({ armhf: 'arm', i386: '386', ppc64el: 'ppc64le' } as Record<string, string>)[deb] ?? deb;
}

const MT = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
};

interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  platform?: { architecture?: string; os?: string };
  annotations?: Record<string, string>;
}
interface ImageManifest {
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  manifests?: Descriptor[];
}
/** The parts of an image config (config.md) lxdeck keeps. */
export interface ImageConfig {
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Env?: string[] | null;
  WorkingDir?: string;
  User?: string;
}

/** A source of blobs by digest, and the manifest to start from. */
interface BlobSource {
  manifest(): Promise<unknown>;
  /** writes the blob to `file`, checking its digest */
  fetch(d: Descriptor, file: string): Promise<void>;
}

function checkDigest(d: Descriptor): void {
  if (!DIGEST_RE.test(d.digest)) throw new LxdeckError('E_TEMPLATE', `the image names a blob ${JSON.stringify(d.digest)} that is not a sha256 digest`);
}

async function sha256OfFile(file: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(file), h);
  return `sha256:${h.digest('hex')}`;
}

async function verified(file: string, d: Descriptor): Promise<void> {
  const got = await sha256OfFile(file);
  if (got !== d.digest) throw new LxdeckError('E_TEMPLATE', `blob ${d.digest} of the image does not match its digest (got ${got})`, { hint: 'the image is damaged or was changed; fetch it again' });
}

/** A registry (HTTP API v2) with anonymous bearer tokens. */
function registrySource(ref: Extract<ImageRef, { kind: 'registry' }>, signal?: AbortSignal): BlobSource {
  const base = `${ref.insecure ? 'http' : 'https'}://${ref.registry}/v2/${ref.repo}`;
  let token: string | undefined;
  const get = async (url: string, accept?: string): Promise<Response> => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const headers: Record<string, string> = {};
      if (accept) headers.accept = accept;
      if (token) headers.authorization = `Bearer ${token}`;
      let res: Response;
      try {
        res = await fetch(url, { headers, signal, redirect: 'follow' });
      } catch (e) {
        if (signal?.aborted) throw e;
        throw new LxdeckError('E_NETWORK', `cannot reach the registry ${ref.registry}: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`, { hint: 'check the name and that this host reaches it (a proxy, DNS)' });
      }
      if (res.status === 401 && !token && attempt === 0) {
        token = await bearerToken(res.headers.get('www-authenticate'), ref, signal);
        continue;
      }
      if (!res.ok) {
        const what = res.status === 404 ? `${ref.repo}:${ref.reference} is not in ${ref.registry}` : `the registry ${ref.registry} answered ${res.status} ${res.statusText}`;
        throw new LxdeckError('E_TEMPLATE', what, { hint: 'check the repository and tag (docker://REGISTRY/REPO:TAG)' });
      }
      return res;
    }
    throw new LxdeckError('E_TEMPLATE', `the registry ${ref.registry} refused the anonymous token`, { hint: 'lxdeck pulls public images only' });
  };
  return {
    async manifest() {
      const res = await get(`${base}/manifests/${ref.reference}`, [MT.ociIndex, MT.ociManifest, MT.dockerList, MT.dockerManifest].join(', '));
      return res.json();
    },
    async fetch(d, file) {
      checkDigest(d);
      const res = await get(`${base}/blobs/${d.digest}`);
      if (!res.body) throw new LxdeckError('E_TEMPLATE', `blob ${d.digest} came with no body`);
      await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), createWriteStream(file));
      await verified(file, d);
    },
  };
}

/** The token of a `Bearer realm="...",service="...",scope="..."` challenge, fetched anonymously. */
async function bearerToken(challenge: string | null, ref: Extract<ImageRef, { kind: 'registry' }>, signal?: AbortSignal): Promise<string> {
  const m = /^Bearer\s+(.*)$/i.exec(challenge ?? '');
  if (!m) throw new LxdeckError('E_TEMPLATE', `the registry ${ref.registry} wants a login lxdeck does not do (${challenge ?? 'no challenge'})`, { hint: 'lxdeck pulls public images only' });
  const params: Record<string, string> = {};
  for (const p of m[1].matchAll(/(\w+)="([^"]*)"/g)) params[p[1]] = p[2];
  if (!params.realm) throw new LxdeckError('E_TEMPLATE', `the registry ${ref.registry} sent a token challenge without a realm`);
  const url = new URL(params.realm);
  if (params.service) url.searchParams.set('service', params.service);
  url.searchParams.set('scope', params.scope ?? `repository:${ref.repo}:pull`);
  const res = await fetch(url, { signal });
  if (!res.ok) throw new LxdeckError('E_TEMPLATE', `the token service of ${ref.registry} answered ${res.status}`, { hint: 'lxdeck pulls public images only' });
  const body = (await res.json()) as { token?: string; access_token?: string };
  const t = body.token ?? body.access_token;
  if (!t) throw new LxdeckError('E_TEMPLATE', `the token service of ${ref.registry} sent no token`);
  return t;
}

/** An OCI image layout directory. */
function layoutSource(ref: Extract<ImageRef, { kind: 'oci' }>): BlobSource {
  const blob = (d: Descriptor) => {
    checkDigest(d);
    return join(ref.dir, 'blobs', 'sha256', d.digest.slice(7));
  };
  return {
    async manifest() {
      let index: { manifests?: Descriptor[] };
      try {
        index = JSON.parse(readFileSync(join(ref.dir, 'index.json'), 'utf8')) as { manifests?: Descriptor[] };
      } catch {
        throw new LxdeckError('E_TEMPLATE', `${ref.dir} is not an OCI image layout (no readable index.json)`, { hint: 'an OCI layout has oci-layout, index.json and blobs/sha256/' });
      }
      const all = index.manifests ?? [];
      const pick = all.find((d) => d.annotations?.['org.opencontainers.image.ref.name'] === ref.tag) ?? (all.length === 1 && ref.tag === 'latest' ? all[0] : undefined);
      if (!pick) throw new LxdeckError('E_TEMPLATE', `no image tagged ${ref.tag} in ${ref.dir}`, { hint: `tags there: ${all.map((d) => d.annotations?.['org.opencontainers.image.ref.name']).filter(Boolean).join(', ') || 'none'}` });
      return JSON.parse(readFileSync(blob(pick), 'utf8'));
    },
    async fetch(d, file) {
      await pipeline(createReadStream(blob(d)), createWriteStream(file));
      await verified(file, d);
    },
  };
}

/** `docker save`'s tarball, unpacked into `work` first (its members checked like a layer's). */
async function dockerArchiveSource(ref: Extract<ImageRef, { kind: 'docker-archive' }>, work: string): Promise<{ config: ImageConfig; layers: string[] }> {
  if (!existsSync(ref.file)) throw new LxdeckError('E_INVALID_VALUE', `no file ${ref.file}`, { hint: 'docker save -o FILE IMAGE writes one' });
  const dir = join(work, 'archive');
  await mkdir(dir);
  await checkLayer(ref.file, dir);
  await applyLayer(ref.file, dir);
  let manifest: { Config: string; Layers: string[] }[];
  try {
    manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { Config: string; Layers: string[] }[];
  } catch {
    throw new LxdeckError('E_TEMPLATE', `${ref.file} is not a docker save archive (no manifest.json)`);
  }
  const inside = (p: string) => {
    const abs = resolve(dir, p);
    if (!abs.startsWith(`${dir}/`)) throw new LxdeckError('E_UNSAFE_PATH', `${ref.file} names ${JSON.stringify(p)} outside itself`);
    return abs;
  };
  const m = manifest[0];
  if (!m?.Config || !Array.isArray(m.Layers)) throw new LxdeckError('E_TEMPLATE', `${ref.file}: manifest.json has no image`);
  const config = (JSON.parse(readFileSync(inside(m.Config), 'utf8')) as { config?: ImageConfig }).config ?? {};
  return { config, layers: m.Layers.map(inside) };
}

/** Picks the image manifest for `arch`/linux from an index, or takes a manifest as it is. */
async function resolveManifest(src: BlobSource, arch: string, work: string): Promise<ImageManifest> {
  let m = (await src.manifest()) as ImageManifest;
  if (m.manifests) {
    const pick = m.manifests.find((d) => (d.platform?.os ?? 'linux') === 'linux' && d.platform?.architecture === arch);
    if (!pick) throw new LxdeckError('E_TEMPLATE', `the image has no linux/${arch} variant`, { hint: `it has: ${m.manifests.map((d) => `${d.platform?.os}/${d.platform?.architecture}`).join(', ')}; --option arch=ARCH picks another` });
    const f = join(work, 'manifest.json');
    await src.fetch(pick, f);
    m = JSON.parse(readFileSync(f, 'utf8')) as ImageManifest;
  }
  if (!m.config || !Array.isArray(m.layers)) throw new LxdeckError('E_TEMPLATE', 'the image manifest has no config or layers');
  return m;
}

/** True for a whiteout member name (layer.md "Whiteouts"). */
function whiteoutOf(path: string): { opaque: boolean; dir: string; name: string } | null {
  const base = posix.basename(path);
  if (!base.startsWith('.wh.')) return null;
  const dir = posix.dirname(path);
  if (base === '.wh..wh..opq') return { opaque: true, dir, name: '' };
  return { opaque: false, dir, name: base.slice(4) };
}

/** A member path without `./` and trailing `/`; null when it is the top itself. */
function normalMember(p: string): string | null {
  const n = posix.normalize(p.replace(/^\.\//, '')).replace(/\/+$/, '');
  return n === '.' || n === '' ? null : n;
}

/**
 * Lists a layer and checks it against `rootfs` (see the module comment).
 * @returns the whiteouts it holds
 * @throws LxdeckError E_UNSAFE_PATH naming the member
 */
export async function checkLayer(file: string, rootfs: string): Promise<{ path: string; opaque: boolean; dir: string; name: string }[]> {
  const links = new Set<string>();
  const members: string[] = [];
  let unsafe: LxdeckError | undefined;
  await tar.t({
    file,
    onReadEntry: (e) => {
      if (unsafe) return;
      const raw = e.path;
      if (raw.startsWith('/') || raw.split('/').includes('..')) {
        unsafe = new LxdeckError('E_UNSAFE_PATH', `layer ${posix.basename(file)} holds ${JSON.stringify(raw)}, a path outside the rootfs`, { hint: 'the image is not safe to unpack' });
        return;
      }
      const n = normalMember(raw);
      if (n === null) return;
      members.push(n);
      if (e.type === 'SymbolicLink') links.add(n);
      if (e.type === 'Link' && e.linkpath && (e.linkpath.startsWith('/') || e.linkpath.split('/').includes('..')))
        unsafe = new LxdeckError('E_UNSAFE_PATH', `layer ${posix.basename(file)} holds a hard link ${JSON.stringify(raw)} to ${JSON.stringify(e.linkpath)}, outside the rootfs`, { hint: 'the image is not safe to unpack' });
    },
  });
  if (unsafe) throw unsafe;
  const whiteouts = [];
  for (const m of members) {
    const parts = m.split('/');
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      let isLink = links.has(parent);
      if (!isLink) {
        try {
          isLink = lstatSync(join(rootfs, parent)).isSymbolicLink();
        } catch {
          isLink = false;
        }
      }
      if (isLink) throw new LxdeckError('E_UNSAFE_PATH', `layer ${posix.basename(file)} writes ${JSON.stringify(m)} through the symbolic link ${JSON.stringify(parent)}`, { hint: 'a layer must not write through a link: it could reach outside the rootfs' });
    }
    const w = whiteoutOf(m);
    if (w) whiteouts.push({ path: m, ...w });
  }
  return whiteouts;
}

/** Applies whiteouts: removes the named entry (or, opaque, every entry of the directory) without following links. */
function applyWhiteouts(rootfs: string, whiteouts: { opaque: boolean; dir: string; name: string }[]): void {
  for (const w of whiteouts) {
    const dir = w.dir === '.' ? rootfs : join(rootfs, w.dir);
    if (!existsSync(dir) || lstatSync(dir).isSymbolicLink() || !lstatSync(dir).isDirectory()) continue;
    const names = w.opaque ? readdirSync(dir) : [w.name];
    for (const n of names) rmSync(join(dir, n), { recursive: true, force: true });
  }
}

/**
 * Extracts a layer into `dir` (checked first by {@link checkLayer}), owners and modes kept,
 * whiteout members left out. Symbolic links are kept exactly as the image has them
 * (`preservePaths`: node-tar would otherwise rewrite `/bin/sh -> /usr/bin/dash` into a link
 * relative to the extraction directory, which breaks the image); what preservePaths would let
 * through (absolute or `..` member paths, writes through links, hard links out) is what
 * checkLayer refuses before this runs.
 */
async function applyLayer(file: string, dir: string): Promise<void> {
  await tar.x({ file, cwd: dir, preserveOwner: true, preservePaths: true, strict: true, filter: (p) => whiteoutOf(normalMember(p) ?? '.') === null });
}

/** A word lxc.init.cmd can hold as it is: LXC 5 splits the value at blanks and does not honour quotes. */
function plainWord(w: string): boolean {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(w);
}

/** The init script lxdeck writes into the rootfs when the command has a word LXC cannot split right. */
export const INIT_WRAPPER = 'lxdeck-init';

/** `/bin/sh` script that execs `argv` exactly (each word single-quoted). */
export function initWrapper(argv: readonly string[]): string {
  return `#!/bin/sh\n# written by lxdeck's oci template: the image's entrypoint and command, word for word\nexec ${argv.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ')}\n`;
}

/**
 * The LXC keys for an image config: lxc.init.cmd (entrypoint then command; when a word holds a
 * blank or a quote, `/lxdeck-init`, a script the build writes: LXC 5 splits lxc.init.cmd at
 * blanks and ignores quotes), lxc.init.cwd,
 * lxc.environment for each variable, lxc.init.uid/gid for a numeric user, and SIGTERM to halt
 * (an application as PID 1 does not know SIGPWR, LXC's default).
 * @throws LxdeckError E_TEMPLATE when there is nothing to run, E_UNSUPPORTED for a user given by name
 */
export function configKeys(c: ImageConfig): [string, string][] {
  const argv = [...(c.Entrypoint ?? []), ...(c.Cmd ?? [])];
  if (!argv.length) throw new LxdeckError('E_TEMPLATE', 'the image config has no Entrypoint and no Cmd: nothing to run as init');
  const out: [string, string][] = [['lxc.init.cmd', argv.every(plainWord) ? argv.join(' ') : `/${INIT_WRAPPER}`]];
  if (c.WorkingDir) out.push(['lxc.init.cwd', c.WorkingDir]);
  for (const e of c.Env ?? []) if (/^[A-Za-z_][A-Za-z0-9_]*=[^\n]*$/.test(e)) out.push(['lxc.environment', e]);
  if (c.User) {
    const m = /^(\d+)(?::(\d+))?$/.exec(c.User);
    if (!m) throw new LxdeckError('E_UNSUPPORTED', `the image runs as user ${JSON.stringify(c.User)}; lxdeck takes numeric users only (uid[:gid])`);
    out.push(['lxc.init.uid', m[1]], ['lxc.init.gid', m[2] ?? m[1]]);
  }
  out.push(['lxc.signal.halt', 'SIGTERM']);
  return out;
}

/**
 * Builds the rootfs from the image (see the module comment); blobs are kept in a directory
 * beside the staging rootfs and removed after.
 * @throws LxdeckError E_USAGE, E_INVALID_VALUE, E_NETWORK, E_TEMPLATE, E_UNSAFE_PATH, E_UNSUPPORTED
 */
export const ociTemplate: Template = {
  manifest: ociManifest,
  async build(ctx: TemplateContext): Promise<TemplateResult> {
    const o = resolveOptions(ociManifest, ctx.options);
    const ref = parseImageRef(o.image);
    const work = await mkdtemp(join(dirname(ctx.rootfs), 'oci-'));
    try {
      let config: ImageConfig;
      let layers: string[];
      if (ref.kind === 'docker-archive') {
        ctx.onProgress({ phase: 'rootfs', fraction: 0.05, line: `reading ${ref.file}` });
        ({ config, layers } = await dockerArchiveSource(ref, work));
      } else {
        const src = ref.kind === 'oci' ? layoutSource(ref) : registrySource(ref, ctx.signal);
        ctx.onProgress({ phase: 'rootfs', fraction: 0.02, line: ref.kind === 'oci' ? `image ${ref.dir}:${ref.tag}` : `image ${ref.registry}/${ref.repo}:${ref.reference}` });
        const m = await resolveManifest(src, o.arch || hostOciArch(), work);
        const cf = join(work, 'config.json');
        await src.fetch(m.config, cf);
        config = (JSON.parse(readFileSync(cf, 'utf8')) as { config?: ImageConfig }).config ?? {};
        layers = [];
        for (const [i, d] of m.layers.entries()) {
          const f = join(work, `layer-${i}`);
          ctx.onProgress({ phase: 'rootfs', fraction: 0.05 + (0.5 * i) / m.layers.length, line: `layer ${i + 1}/${m.layers.length} ${d.digest.slice(7, 19)}${d.size ? ` (${d.size} bytes)` : ''}` });
          await src.fetch(d, f);
          layers.push(f);
        }
      }
      for (const [i, f] of layers.entries()) {
        if (ctx.signal?.aborted) throw new LxdeckError('E_CANCELLED', 'cancelled');
        ctx.onProgress({ phase: 'rootfs', fraction: 0.55 + (0.4 * i) / layers.length, line: `applying layer ${i + 1}/${layers.length}` });
        const whiteouts = await checkLayer(f, ctx.rootfs);
        applyWhiteouts(ctx.rootfs, whiteouts);
        await applyLayer(f, ctx.rootfs);
        await rm(f, { force: true });
      }
      const keys = configKeys(config);
      if (keys[0][1] === `/${INIT_WRAPPER}`) {
        const argv = [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
        let sh = false;
        try {
          sh = lstatSync(join(ctx.rootfs, 'bin/sh')) !== undefined;
        } catch {
          sh = false;
        }
        if (!sh)
          throw new LxdeckError('E_UNSUPPORTED', `the image's command ${JSON.stringify(argv)} has a word with blanks or quotes, and the image has no /bin/sh to run it word for word`, {
            hint: 'LXC 5 splits lxc.init.cmd at blanks; an image with a shell, or a command without blanks in its words, works',
          });
        writeFileInRootfs(ctx.rootfs, INIT_WRAPPER, initWrapper(argv), 0o755);
      }
      ctx.onProgress({ phase: 'configure', fraction: 1, line: `init: ${keys[0][1]}` });
      return { config: keys };
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  },
};

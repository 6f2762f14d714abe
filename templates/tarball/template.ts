import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { LxdeckError } from '../../core/errors.js';
import type { Template, TemplateContext, TemplateManifest, TemplateResult } from '../../core/rootfs/template.js';
import { ARCHIVE_SUFFIXES, extractArchive, listAndCheckArchive } from '../common/archive.js';
import { IDENTITY_OPTIONS, resolveOptions } from '../common/options.js';
import { applyIdentityOptions, checkBootable, initSignalConfig, writeHostname } from '../common/rootfs-files.js';

export const tarballManifest: TemplateManifest = {
  name: 'tarball',
  description: 'a local rootfs archive (.tar.gz, .tar.xz, .tar.zst), checked before it is extracted',
  offline: true,
  options: [
    { name: 'path', type: 'string', description: 'the archive on this host: a whole root file system, paths relative to its top (tar -C ROOTFS -czf FILE .)' },
    ...IDENTITY_OPTIONS,
  ],
};

/**
 * The archive `path` names, checked to be a regular file with a known suffix.
 * @throws LxdeckError E_USAGE without a path, E_INVALID_VALUE for a missing file or an unknown suffix.
 */
export function checkArchivePath(path: string | undefined): string {
  if (!path) throw new LxdeckError('E_USAGE', 'the tarball template needs --option path=ARCHIVE', { hint: `an archive ending in ${ARCHIVE_SUFFIXES.join(', ')}` });
  const abs = resolve(path);
  let st;
  try {
    st = statSync(abs);
  } catch {
    throw new LxdeckError('E_INVALID_VALUE', `no file ${abs}`, { hint: 'give the path of a rootfs archive on this host' });
  }
  if (!st.isFile()) throw new LxdeckError('E_INVALID_VALUE', `${abs} is not a regular file`);
  if (!ARCHIVE_SUFFIXES.some((s) => abs.endsWith(s)))
    throw new LxdeckError('E_INVALID_VALUE', `${abs} is not a tar archive lxdeck knows`, { hint: `names end in ${ARCHIVE_SUFFIXES.join(', ')}` });
  return abs;
}

/**
 * A container from a local rootfs archive: `tar -tf` lists it first and the
 * build stops before writing anything when a member is absolute or holds `..`,
 * or when there is no /sbin/init nor /bin/sh; then `tar --numeric-owner -xpf`
 * extracts it into the staging rootfs, which must then hold an executable init
 * and shell (resolved inside the rootfs). /etc/hostname and /etc/hosts are
 * written symlink-safely (case T1), and the root password / SSH key options applied.
 * Returns lxc.signal.halt/reboot for a busybox or systemd init.
 * @throws LxdeckError E_USAGE, E_INVALID_VALUE, E_UNSAFE_PATH, E_TEMPLATE.
 */
export const tarballTemplate: Template = {
  manifest: tarballManifest,
  async build(ctx: TemplateContext): Promise<TemplateResult> {
    const o = resolveOptions(tarballManifest, ctx.options);
    const file = checkArchivePath(o.path);
    ctx.onProgress({ phase: 'rootfs', fraction: 0.05, line: `checking ${file}` });
    const listed = await listAndCheckArchive(ctx.runner, file, { signal: ctx.signal, what: `archive ${file}` });
    ctx.onProgress({ phase: 'rootfs', fraction: 0.3, line: `${listed.count} members, ${listed.bootables.join(' ')}; extracting` });
    await extractArchive(ctx.runner, file, ctx.rootfs, { signal: ctx.signal, onLine: (line) => ctx.onProgress({ phase: 'rootfs', line }) });
    const boot = checkBootable(ctx.rootfs);
    ctx.onProgress({ phase: 'configure', fraction: 0.9, line: `init ${boot.init}, shell ${boot.shell}` });
    writeHostname(ctx.rootfs, ctx.name);
    for (const line of await applyIdentityOptions(ctx.runner, ctx.rootfs, o, ctx.signal)) ctx.onProgress({ phase: 'configure', line });
    ctx.onProgress({ phase: 'configure', fraction: 1 });
    return { config: initSignalConfig(ctx.rootfs) };
  },
};

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isLxdeckError } from '../../core/errors.js';
import { checkBootable } from '../../templates/common/rootfs-files.js';
import { getTemplate, listTemplates } from '../../templates/index.js';
import { hostLxcTemplates, lxcScriptPath, lxcTemplate, scriptConfigKeys, splitArgs } from '../../templates/lxc/template.js';
import { RUN_LXC, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';
import { makeCtx, startAndAttach, stopAndDestroy, writeMinimalConfig } from './helpers.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/templates/lxc');
const work = mkdtempSync(join(tmpdir(), 'lxdeck-lxctpl-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function stagingRootfs(): string {
  const d = join(mkdtempSync(join(work, 'staging-')), 'rootfs');
  mkdirSync(d);
  return d;
}

describe('lxc:NAME (pure parts)', () => {
  it('splits args on white space, keeping quoted words', () => {
    expect(splitArgs('--release bookworm  --packages "a b" \'\'')).toEqual(['--release', 'bookworm', '--packages', 'a b', '']);
    expect(splitArgs('')).toEqual([]);
    expect(() => splitArgs('--x "open')).toThrow(/unclosed/);
  });
  it('keeps the keys a script wrote, less the engine’s own and values that name the staging directory', () => {
    const r = scriptConfigKeys('lxc.uts.name = "x"\nlxc.rootfs.path = dir:/s/rootfs\nlxc.signal.halt = SIGUSR1\n# c\nlxc.net.0.type = veth\nlxc.network.type = veth\nlxc.mount.fstab = /s/fstab\n', '/s');
    expect(r.keys).toEqual([['lxc.signal.halt', 'SIGUSR1']]);
    expect(r.dropped).toEqual(['lxc.mount.fstab = /s/fstab']);
  });
  it("suggests a release of the script's own distribution (ubuntu: a series, not a Debian codename)", () => {
    const args = (n: string) => lxcTemplate(n, fixtures).manifest.options[0].description;
    expect(args('ubuntu')).toContain('"--release noble"');
    expect(args('debian')).toContain('"--release bookworm"');
    expect(args('busybox')).not.toContain('--release');
  });

  it('refuses a template name that is not one file name', () => {
    expect(() => lxcScriptPath('../../bin/sh')).toThrow(/invalid LXC template name/);
    expect(lxcScriptPath('busybox')).toBe('/usr/share/lxc/templates/lxc-busybox');
  });
});

describe('template registry', () => {
  it('lists lxdeck’s templates with their options, then the host’s LXC scripts as lxc:NAME', () => {
    const all = listTemplates({ lxcTemplateDir: fixtures });
    expect(all.map((m) => m.name)).toEqual(['busybox', 'debootstrap', 'download', 'oci', 'tarball', 'lxc:fake']);
    const deb = all.find((m) => m.name === 'debootstrap')!;
    expect(deb.options.map((o) => o.name)).toEqual(expect.arrayContaining(['release', 'arch', 'mirror', 'packages', 'root-password', 'ssh-key']));
    expect(deb.options.find((o) => o.name === 'release')!.default).toBe('bookworm');
    for (const m of all) {
      expect(m.description.length).toBeGreaterThan(10);
      expect(m.description).not.toContain('\n');
      for (const o of m.options) expect(o.description.length).toBeGreaterThan(5);
    }
    expect(listTemplates({ withHost: false }).map((m) => m.name)).toEqual(['busybox', 'debootstrap', 'download', 'oci', 'tarball']);
    // JSON-able for `lxdeck templates --json`
    expect(JSON.parse(JSON.stringify(all))).toEqual(all);
  });
  it('getTemplate gives lxc:NAME for an installed LXC script and names what exists otherwise', () => {
    if (existsSync('/usr/share/lxc/templates/lxc-busybox')) {
      expect(hostLxcTemplates()).toContain('lxc:busybox');
      expect(getTemplate('lxc:busybox').manifest.name).toBe('lxc:busybox');
    }
    expect(() => getTemplate('lxc:no-such-thing')).toSatisfy((f: () => void) => {
      try {
        f();
        return false;
      } catch (e) {
        return isLxdeckError(e, 'E_TEMPLATE');
      }
    });
    expect(() => getTemplate('lxc:../../x')).toThrow(/unknown template/);
    try {
      getTemplate('nope');
      expect.unreachable();
    } catch (e) {
      expect((e as { hint: string }).hint).toMatch(/^known templates: busybox, debootstrap, download, oci, tarball, or lxc:NAME/);
    }
  });
});

describe('lxc:NAME runs the script as lxc-create does', () => {
  it('passes --path (the staging container dir), --name, --rootfs, then args; keeps its config keys; leaves no config behind', async () => {
    const rootfs = stagingRootfs();
    const ctx = makeCtx('lx-one', rootfs, { args: '--release "x y"' });
    const r = await lxcTemplate('fake', fixtures).build(ctx);
    expect(readFileSync(join(rootfs, 'args'), 'utf8')).toBe(`--path=${dirname(rootfs)}\n--name=lx-one\n--rootfs=${rootfs}\n--release\nx y\n`);
    expect(r.config).toEqual([['lxc.signal.halt', 'SIGUSR1']]);
    expect(checkBootable(rootfs).init).toBe('/sbin/init');
    const lines = ctx.events.map((e) => e.line ?? '');
    expect(lines).toContain('fake: building lx-one');
    expect(lines.some((l) => /not kept .*lxc\.mount\.fstab/.test(l))).toBe(true);
    expect(existsSync(join(dirname(rootfs), 'config'))).toBe(false);
  });
  it('reports a failing script with its last output lines', async () => {
    const rootfs = stagingRootfs();
    await expect(lxcTemplate('fake', fixtures).build(makeCtx('lx', rootfs, { args: '--fail' }))).rejects.toThrow(/failed \(exit 3\): fake: asked to fail/);
  });
});

describe.runIf(RUN_LXC)('lxc:busybox: a real container from LXC’s own script starts and answers lxc-attach', () => {
  requireLxc();
  const env = tempLxcpath();
  afterAll(() => {
    env.cleanup();
    expect(existsSync(env.lxcpath)).toBe(false);
  });
  it('starts, answers, stops and is destroyed', async () => {
    const name = `lx-${uniq(3)}`;
    const rootfs = join(env.lxcpath, name, 'rootfs');
    mkdirSync(rootfs, { recursive: true });
    const r = await getTemplate('lxc:busybox').build(makeCtx(name, rootfs));
    expect(r.config).toContainEqual(['lxc.signal.halt', 'SIGUSR1']);
    writeMinimalConfig(env.lxcpath, name, rootfs, r.config);
    expect(startAndAttach(env.lxcpath, name, ['/bin/hostname'])).toBe(`${name}\n`);
    stopAndDestroy(env.lxcpath, name);
    expect(existsSync(join(env.lxcpath, name))).toBe(false);
  });
});

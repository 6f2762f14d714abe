/**
 * Whether the host itself runs in a container or a virtual machine, from
 * structured sources only (the same ones systemd-detect-virt reads):
 *  - container: `/run/systemd/container`, `container=` in `/proc/1/environ`,
 *    `/run/.containerenv` (podman), `/.dockerenv` (docker);
 *  - vm: DMI `/sys/class/dmi/id/sys_vendor` and `product_name`,
 *    `/sys/hypervisor/type` (Xen), the `hypervisor` CPU flag in `/proc/cpuinfo`.
 * Unreadable files (EACCES on /proc/1/environ in a sandbox) are skipped.
 */
import type { HostFs } from '../host/host-fs.js';
import type { Virtualization } from './types.js';

function read(fs: HostFs, path: string): string | null {
  try {
    return fs.readTextOrNull(path);
  } catch {
    return null;
  }
}

/** DMI vendor or product text to a hypervisor name (systemd's src/basic/virt.c table, the common ones). */
const DMI_VENDORS: readonly [RegExp, string][] = [
  [/^KVM/, 'kvm'],
  [/^OpenStack/, 'kvm'],
  [/^QEMU/, 'qemu'],
  [/^VMware/, 'vmware'],
  [/^VMW/, 'vmware'],
  [/^innotek GmbH/, 'oracle'],
  [/^VirtualBox/, 'oracle'],
  [/^Xen/, 'xen'],
  [/^Bochs/, 'bochs'],
  [/^Parallels/, 'parallels'],
  [/^BHYVE/, 'bhyve'],
  [/^Amazon EC2/, 'amazon'],
  [/^Google Compute Engine/, 'google'],
  [/^Google/, 'google'],
  [/^Firecracker/, 'firecracker'],
];

/**
 * Detects the host's virtualization through `fs`. Never throws.
 * @returns `{ kind: 'none' }` when no source says container or VM
 */
export function detectVirtualization(fs: HostFs): Virtualization {
  const sdc = read(fs, '/run/systemd/container');
  if (sdc !== null && sdc.trim()) return { kind: 'container', name: sdc.trim(), source: '/run/systemd/container' };
  const env = read(fs, '/proc/1/environ');
  if (env !== null) {
    const v = env.split('\0').find((e) => e.startsWith('container='));
    if (v && v.length > 'container='.length) return { kind: 'container', name: v.slice('container='.length), source: '/proc/1/environ' };
  }
  if (read(fs, '/run/.containerenv') !== null) return { kind: 'container', name: 'podman', source: '/run/.containerenv' };
  if (read(fs, '/.dockerenv') !== null) return { kind: 'container', name: 'docker', source: '/.dockerenv' };

  for (const f of ['/sys/class/dmi/id/sys_vendor', '/sys/class/dmi/id/product_name', '/sys/class/dmi/id/board_vendor', '/sys/class/dmi/id/bios_vendor']) {
    const t = read(fs, f)?.trim();
    if (!t) continue;
    if (/^Microsoft Corporation/.test(t)) {
      const product = read(fs, '/sys/class/dmi/id/product_name')?.trim() ?? '';
      if (/Virtual Machine/.test(product)) return { kind: 'vm', name: 'microsoft', source: f };
      continue;
    }
    const hit = DMI_VENDORS.find(([re]) => re.test(t));
    if (hit) return { kind: 'vm', name: hit[1], source: f };
  }
  const xen = read(fs, '/sys/hypervisor/type')?.trim();
  if (xen) return { kind: 'vm', name: xen, source: '/sys/hypervisor/type' };
  const cpuinfo = read(fs, '/proc/cpuinfo');
  if (cpuinfo !== null && /^flags\s*:.*\bhypervisor\b/m.test(cpuinfo)) return { kind: 'vm', name: null, source: '/proc/cpuinfo' };
  return { kind: 'none', name: null, source: null };
}

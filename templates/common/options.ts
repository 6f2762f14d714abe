import type { TemplateOption } from '../../core/rootfs/template.js';

export { parseBool, resolveOptions } from '../../core/rootfs/template-options.js';

/** Options every template that configures a full system takes (root password, SSH key). */
export const IDENTITY_OPTIONS: TemplateOption[] = [
  {
    name: 'root-password',
    type: 'string',
    description: 'password for root, stored only as a SHA-512 crypt hash in /etc/shadow (empty: root password left as the image has it)',
  },
  {
    name: 'ssh-key',
    type: 'string',
    description: "an SSH public key line (or the path of a .pub file on the host) put in root's ~/.ssh/authorized_keys",
  },
];

/** Debian's name for the host architecture (dpkg --print-architecture) from Node's `process.arch`. */
export function hostDebArch(arch: string = process.arch): string {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'armhf', ia32: 'i386', ppc64: 'ppc64el', s390x: 's390x', riscv64: 'riscv64' };
  return map[arch] ?? arch;
}

/**
 * Parsers shared by the cgroup modules, for the kernel's file formats
 * (Documentation/admin-guide/cgroup-v2.rst "Interface Files").
 */

/**
 * Parses a flat-keyed file (`cgroup.events`, `memory.stat`, `cpu.stat`,
 * v1 `memory.stat`): `key value` lines; lines whose value is not an integer are skipped.
 */
export function parseFlatKeyed(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+(-?\d+)\s*$/.exec(line.trim());
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

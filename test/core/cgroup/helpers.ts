import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostFs } from '../../../core/host/host-fs.js';
import { detectCgroupLayout, type CgroupLayout } from '../../../core/cgroup/layout.js';
import { readCgroupPaths, type CgroupPaths } from '../../../core/cgroup/paths.js';

export const FIX = new URL('../../fixtures/host/', import.meta.url).pathname;

export interface Tree {
  fs: HostFs;
  layout: CgroupLayout;
  paths: CgroupPaths;
  root: string;
  done(): void;
}

/** A fixture tree (read-only unless `copy`: then a temporary copy to write into). */
export function openTree(name: 'v1' | 'v2' | 'hybrid' | 'h1', copy = false): Tree {
  let root = join(FIX, name);
  let tmp: string | undefined;
  if (copy) {
    tmp = mkdtempSync(join(tmpdir(), `cgfix-${name}-`));
    cpSync(root, tmp, { recursive: true });
    root = tmp;
  }
  const fs = new HostFs(root);
  const layout = detectCgroupLayout(fs);
  const paths = readCgroupPaths(fs, 4242, layout, { name: 'web1' });
  return { fs, layout, paths, root, done: () => tmp && rmSync(tmp, { recursive: true, force: true }) };
}

/**
 * The run's part of test/helpers/state-dir-setup.ts: a name for this vitest run, which every
 * test file's state directory carries (`lxdeck-state-RUN-XXXXXX` in the temp dir), and, after
 * the run, the removal of those left: vitest runs no afterAll in a file whose tests were all
 * skipped (create-lvm on a host without device-mapper left an empty directory per run).
 * Directories of another run going on at the same time carry another name and are left alone.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    lxdeckStateRun: string;
  }
}

export default function setup(project: TestProject): () => void {
  const run = randomBytes(4).toString('hex');
  project.provide('lxdeckStateRun', run);
  return () => {
    for (const name of readdirSync(tmpdir())) if (name.startsWith(`lxdeck-state-${run}-`)) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  };
}

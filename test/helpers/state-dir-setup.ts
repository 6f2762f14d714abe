/**
 * Every test file gets a host state directory of its own (core/hoststate: the host-wide
 * address and idmap records), unless LXDECK_STATE_DIR is set already, so tests never write
 * the host's /var/lib/lxdeck, and an action log of its own (LXDECK_LOG) so tests never append to
 * /var/log/lxdeck/actions.log. CLI runs (and consoles in tmux, test/e2e/tmux.ts) inherit them
 * through the environment. Removed after the file; one a file's afterAll never removed (all its
 * tests skipped) goes after the run (test/helpers/state-dir-global.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, inject } from 'vitest';

if (!process.env.LXDECK_STATE_DIR) {
  const dir = mkdtempSync(join(tmpdir(), `lxdeck-state-${inject('lxdeckStateRun')}-`));
  process.env.LXDECK_STATE_DIR = dir;
  // and an action log of its own, unless the file names one: the host's /var/log/lxdeck stays the admin's
  const ownLog = !process.env.LXDECK_LOG;
  if (ownLog) process.env.LXDECK_LOG = join(dir, 'actions.log');
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    delete process.env.LXDECK_STATE_DIR;
    if (ownLog) delete process.env.LXDECK_LOG;
  });
}

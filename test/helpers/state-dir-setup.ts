/**
 * Every test file gets a host state directory of its own (core/hoststate: the host-wide
 * address and idmap records), unless LXDECK_STATE_DIR is set already, so tests never write
 * the host's /var/lib/lxdeck. CLI runs inherit it through the environment. Removed after the file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

if (!process.env.LXDECK_STATE_DIR) {
  const dir = mkdtempSync(join(tmpdir(), 'lxdeck-state-'));
  process.env.LXDECK_STATE_DIR = dir;
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    delete process.env.LXDECK_STATE_DIR;
  });
}

/**
 * Delete protection, kept in the sidecar beside the config (`<lxcpath>/<name>/lxdeck.json`,
 * `"protected": true`): LXC's format has no key for it. Every other field of the sidecar
 * (template, creation time, idmap base...) is kept as it is; a container lxc-create made gets
 * a sidecar holding only the flag.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LxdeckError } from '../errors.js';

const SIDECAR_FILE = 'lxdeck.json';

async function readRaw(containerDir: string): Promise<Record<string, unknown> | null> {
  let text: string;
  try {
    text = await readFile(join(containerDir, SIDECAR_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    throw new LxdeckError('E_CONFIG', `${join(containerDir, SIDECAR_FILE)} is not valid JSON`, { hint: 'fix or remove the file (it holds lxdeck\'s notes on the container: template, creation time, protection)' });
  }
}

/** True when the sidecar says `"protected": true`; false when there is none or it is unreadable. */
export async function isProtected(containerDir: string): Promise<boolean> {
  try {
    return (await readRaw(containerDir))?.protected === true;
  } catch {
    return false;
  }
}

/** {@link isProtected} with one synchronous read (a listing of many containers). */
export function isProtectedSync(containerDir: string): boolean {
  try {
    const v = JSON.parse(readFileSync(join(containerDir, SIDECAR_FILE), 'utf8')) as unknown;
    return !!v && typeof v === 'object' && (v as Record<string, unknown>).protected === true;
  } catch {
    return false;
  }
}

/**
 * Sets or clears the flag, written through `atomicWrite` (temporary file + rename).
 * Turning it off where there is no sidecar writes nothing.
 * @throws LxdeckError E_CONFIG when the sidecar is not JSON (it is not overwritten).
 */
export async function writeProtected(containerDir: string, on: boolean, atomicWrite: (path: string, content: string) => Promise<void>): Promise<void> {
  const side = await readRaw(containerDir);
  if (!on && (side === null || !('protected' in side))) return;
  const next = { ...(side ?? {}) };
  if (on) next.protected = true;
  else delete next.protected;
  await atomicWrite(join(containerDir, SIDECAR_FILE), `${JSON.stringify(next, null, 2)}\n`);
}

/**
 * @throws LxdeckError E_PROTECTED ("NAME is protected against deletion", hint `lxdeck protect NAME off`);
 *   E_CONFIG when the sidecar is not JSON (it might say protected: fail safe).
 */
export async function assertNotProtected(containerDir: string, name: string): Promise<void> {
  if ((await readRaw(containerDir))?.protected === true)
    throw new LxdeckError('E_PROTECTED', `${name} is protected against deletion`, { hint: `lxdeck protect ${name} off` });
}

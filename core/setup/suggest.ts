/**
 * Whether the console should offer the first-time setup (issue 5: "offered by
 * the console when no bridge or container exists yet"). Cheap: one
 * `ip -j -d link show dev BRIDGE` and one directory listing; no checkconfig.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Runner } from '../exec/runner.js';
import { linkShowDetailsArgv } from '../network/ip-argv.js';

export interface SetupSuggestion {
  /** true when the bridge is missing or the lxcpath holds no container */
  suggest: boolean;
  bridgeExists: boolean;
  /** containers in the lxcpath (directories with a `config`, as lxc-ls counts them) */
  containers: number;
  /** one line for the console, e.g. "no bridge lxdeckbr0 and no container yet: run the first-time setup?" */
  reason: string;
}

/**
 * Reads whether `bridge` exists (any link of that name) and how many
 * containers `lxcpath` holds. Never throws for a missing lxcpath (0 containers).
 */
export async function setupSuggestion(runner: Runner, lxcpath: string, bridge: string): Promise<SetupSuggestion> {
  const bridgeExists = (await runner.run('ip', linkShowDetailsArgv(bridge), { timeoutMs: 10_000 })).exitCode === 0;
  let containers = 0;
  try {
    containers = readdirSync(lxcpath).filter((n) => !n.startsWith('.') && existsSync(join(lxcpath, n, 'config'))).length;
  } catch {
    containers = 0;
  }
  const missing = [!bridgeExists ? `no bridge ${bridge}` : '', containers === 0 ? 'no container' : ''].filter(Boolean);
  return {
    suggest: missing.length > 0,
    bridgeExists,
    containers,
    reason: missing.length ? `${missing.join(' and ')} yet: run the first-time setup?` : `bridge ${bridge} and ${containers} container(s) exist`,
  };
}

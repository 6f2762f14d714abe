import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Tests never write the host's real action log: the test file's own (LXDECK_LOG from
 * test/helpers/state-dir-setup.ts, removed after the file), else one temporary log per test
 * process, unless a test names its own.
 */
const TEST_LOG = process.env.LXDECK_LOG || join(mkdtempSync(join(tmpdir(), 'lxdeck-log-')), 'actions.log');

/** The built binary, the package's bin: the CommonJS entry (npm test builds it first: `pretest`). dist/src/cli.js, the ES module entry, runs the same verbs. */
export const CLI = join(import.meta.dirname, '../../dist/src/cli.cjs');

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/src/cli.cjs ...args` with stdin from /dev/null and piped output (not a terminal). */
export function runCli(args: string[], env: Record<string, string | undefined> = {}, opts: { user?: string; cwd?: string } = {}): CliResult {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const cmd = opts.user ? 'runuser' : process.execPath;
  const argv = opts.user ? ['-u', opts.user, '--', process.execPath, CLI, ...args] : [CLI, ...args];
  const r = spawnSync(cmd, argv, { encoding: 'utf8', env: { ...process.env, LXDECK_LOG: TEST_LOG, ...env }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000, ...(opts.cwd ? { cwd: opts.cwd } : {}) });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

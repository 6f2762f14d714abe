import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { RUN_LXC, requireLxc, tempLxcpath, uniq } from '../helpers/lxc-env.js';

const id = uniq(3);
const bridge = `lxdq${id}`;
const env = tempLxcpath([bridge]);
const cli = (args: string[]) => runCli(args, { LXDECK_LXCPATH: env.lxcpath, LXDECK_BRIDGE: bridge });

describe.runIf(RUN_LXC)('integration: lxdeck copy (CLI)', () => {
  requireLxc();
  afterAll(() => env.cleanup());
  it('copies a stopped container (exit 0, --json); a missing SRC exits 1 with one line and a hint; N1 names exit 2', () => {
    expect(cli(['create', `c-${id}`, '--privileged']).status).toBe(0);
    const r = cli(['copy', `c-${id}`, `d-${id}`, '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).name).toBe(`d-${id}`);
    const miss = cli(['copy', `nope-${id}`, `e-${id}`]);
    expect(miss.status).toBe(1);
    expect(miss.stderr).toMatch(/^lxdeck: no container named nope-\S+ in .+\nhint: /);
    const bad = cli(['copy', `c-${id}`, 'a/b']);
    expect(bad.status).toBe(2);
    expect(bad.stderr.split('\n')[0]).toMatch(/^lxdeck: .*container name/);
    expect(existsSync(join(env.lxcpath, 'a'))).toBe(false);
  });
});

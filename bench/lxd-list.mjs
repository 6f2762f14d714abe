#!/usr/bin/env node
// LXD's list through lxdeck (`lxdeck --backend lxd ls` and `ls --json`, a new process each: Node's
// start, the REST requests over the unix socket, the table) against LXD's own Go client (`lxc list`
// and `lxc list --format csv`), on N running busybox instances of a daemon of the benchmark's own
// (test/helpers/lxd-host.mjs: the integration tests' daemon, preseed and image). Wall time from
// exec to exit, interleaved rounds, medians; peak RSS (GNU time's %M), medians. Figures side by
// side, not assertions. Target (issue 10): lxdeck at most 1.0x `lxc list`.
//
//   npm run build && sudo flock /tmp/lxdeck-heavy.lock node bench/lxd-list.mjs [--instances 20] [--rounds 11] [--also LABEL=CLI.js]
//   (--also times another build's dist/src/cli.js in the same rounds)
//   --keep-env  keep NODE_EXTRA_CA_CERTS in the runs' environment: Node 20 parses that CA file at
//               start-up (about 70 ms here), a setting of this machine's sessions, not of lxdeck nor
//               of an administrator's shell; left out of every run (lxc's too) unless --keep-env,
//               as in bench/ls-vs-lxc-ls.mjs
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { argValue, median, timed } from './lib.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = resolve(process.env.LXDECK_BIN ?? join(root, JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).bin.lxdeck));
const count = Number(argValue('--instances', '20'));
const rounds = Number(argValue('--rounds', '11'));
const memRounds = Number(argValue('--mem-rounds', '5'));

const { startTestLxd, importBusyboxImage, lxdAvailable } = await import('../test/helpers/lxd-host.mjs');
const why = lxdAvailable();
if (!why.ok) {
  console.error(`the LXD benchmark needs: ${why.reason}`);
  process.exit(2);
}

/** peak RSS in KiB of one run (GNU time's %M: ru_maxrss of the process, children waited for included) */
function peakKiB(file, args, env) {
  const r = spawnSync('/usr/bin/time', ['-f', '%M', file, ...args], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000, env: { ...process.env, ...env } });
  const lines = String(r.stderr).trim().split('\n');
  return Number(lines[lines.length - 1]);
}

const id = Math.random().toString(16).slice(2, 6);
const lxd = await startTestLxd(`lxdb${id}`);
let exiting = false;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'])
  process.once(sig, () => {
    if (exiting) return;
    exiting = true;
    lxd.cleanup().finally(() => process.exit(130));
  });
try {
  const t0 = Date.now();
  await importBusyboxImage(lxd, 'bench-bb');
  const names = Array.from({ length: count }, (_, i) => `ll${String(i).padStart(2, '0')}`);
  for (const n of names) await lxd.lxc(['init', 'bench-bb', n]);
  try {
    await lxd.lxc(['start', ...names], { timeoutMs: 300_000 });
  } catch (e) {
    const log = await lxd.lxc(['info', '--show-log', names[0]]).catch((x) => ({ stdout: String(x) }));
    throw new Error(`${e.message}\n-- lxc info --show-log ${names[0]}:\n${log.stdout}\n-- daemon log:\n${lxd.logTail(15)}`);
  }
  // every instance RUNNING with its DHCP address on the bridge: both lists print the same rows
  const keepEnv = process.argv.includes('--keep-env');
  const env = { LXD_DIR: lxd.lxdDir };
  if (!keepEnv) {
    // timed() spreads process.env under env: take the CA file out of this process's own
    delete process.env.NODE_EXTRA_CA_CERTS;
  }
  for (let i = 0; ; i++) {
    const csv = timed('lxc', ['list', '--format', 'csv', '-c', 'ns4'], env).stdout.trim().split('\n');
    const up = csv.filter((l) => /,RUNNING,\d+\.\d+\.\d+\.\d+/.test(l)).length;
    if (up === count) break;
    if (i > 240) throw new Error(`only ${up} of ${count} instances running with an address:\n${csv.join('\n')}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  console.error(`lxd: ${count} running busybox instances on ${lxd.bridge} (${((Date.now() - t0) / 1000).toFixed(1)} s to make)`);

  const cmds = [
    ['lxdeck --backend lxd ls', process.execPath, [bin, '--backend', 'lxd', 'ls']],
    ['lxdeck --backend lxd ls --json', process.execPath, [bin, '--backend', 'lxd', 'ls', '--json']],
    ['lxc list', 'lxc', ['list']],
    ['lxc list --format csv', 'lxc', ['list', '--format', 'csv']],
  ];
  // where the floor is: Node's own start, and Node's start plus the one request lxdeck makes (no
  // lxdeck code, no table): what any Node client of LXD's API pays
  const oneGet = `import{request}from'node:http';const r=request({socketPath:process.env.LXD_DIR+'/unix.socket',path:'/1.0/instances?recursion=2',agent:false,headers:{Host:'lxd'}},(m)=>{m.resume()});r.end()`;
  cmds.push(['node -e 0 (reference)', process.execPath, ['-e', '0']]);
  cmds.push(['node + GET recursion=2 (reference)', process.execPath, ['--input-type=module', '-e', oneGet]]);
  process.argv.forEach((a, i) => {
    if (a !== '--also') return;
    const [label, file] = process.argv[i + 1].split(/=(.*)/s);
    cmds.push([`ls (${label})`, process.execPath, [resolve(file), '--backend', 'lxd', 'ls']]);
    cmds.push([`ls --json (${label})`, process.execPath, [resolve(file), '--backend', 'lxd', 'ls', '--json']]);
  });
  // check what lxdeck reports before timing: every instance RUNNING with a PID and an address
  const rows = JSON.parse(timed(cmds[1][1], cmds[1][2], env).stdout);
  const ok = rows.filter((r) => r.state === 'RUNNING' && r.pid > 0 && r.ipv4.length === 1).length;
  if (ok !== count) throw new Error(`lxdeck ls --json: ${ok} of ${count} RUNNING with a PID and an address`);
  for (const [, f, a] of cmds) timed(f, a, env); // warm the page cache
  const ms = cmds.map(() => []);
  const load0 = loadavg();
  for (let r = 0; r < rounds; r++) cmds.forEach(([, f, a], i) => ms[i].push(timed(f, a, env).ms)); // interleaved: same load for each
  const kib = cmds.map(() => []);
  for (let r = 0; r < memRounds; r++) cmds.forEach(([, f, a], i) => kib[i].push(peakKiB(f, a, env)));
  const load1 = loadavg();
  const base = median(ms[2]);
  const baseKiB = median(kib[2]);
  console.log(`\n${count} running instances: median of ${rounds} runs (wall, exec to exit), peak RSS median of ${memRounds}; load average ${load0.map((x) => x.toFixed(2)).join(' ')} -> ${load1.map((x) => x.toFixed(2)).join(' ')}; NODE_EXTRA_CA_CERTS ${keepEnv ? 'kept' : 'left out of the runs'}`);
  console.log(`${'what'.padEnd(34)} ${'wall ms'.padStart(9)} ${'min ms'.padStart(8)} ${'vs lxc list'.padStart(12)} ${'peak MiB'.padStart(9)} ${'vs lxc list'.padStart(12)}`);
  cmds.forEach(([label], i) => {
    const m = median(ms[i]);
    const k = median(kib[i]);
    console.log(`${label.padEnd(34)} ${m.toFixed(1).padStart(9)} ${Math.min(...ms[i]).toFixed(1).padStart(8)} ${`${(m / base).toFixed(2)}x`.padStart(12)} ${(k / 1024).toFixed(1).padStart(9)} ${`${(k / baseKiB).toFixed(2)}x`.padStart(12)}`);
  });
  console.log(`\nlxdeck --backend lxd ls / lxc list = ${(median(ms[0]) / base).toFixed(2)}x (target <= 1.0x); --json ${(median(ms[1]) / base).toFixed(2)}x`);
} finally {
  if (!exiting) await lxd.cleanup();
}

#!/usr/bin/env node
// `lxdeck ls --remote X` (a new process: start-up, one SSH connection, one lxc-ls there) against
// `ssh X lxc-ls -f` (OpenSSH's client, a new connection each), on N running containers of a
// remote host (this machine through an sshd of its own on loopback, bench/lib.mjs
// makeRemote). Wall time from exec to exit, median. Figures side by side, not assertions.
// Target (issue 10): lxdeck ls --remote X at most 1.5x ssh X lxc-ls -f.
//
//   npm run build && sudo flock /tmp/lxdeck-heavy.lock node bench/remote-ls.mjs [--containers 50] [--rounds 11]
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { argValue, makeFleet, makeRemote, median, timed } from './lib.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = resolve(process.env.LXDECK_BIN ?? join(root, JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).bin.lxdeck));
const count = Number(argValue('--containers', '50'));
const rounds = Number(argValue('--rounds', '11'));

const { lxcpath, names, cleanup } = makeFleet(count, 'rl');
const remote = await makeRemote(lxcpath);
const env = { LXDECK_CONFIG_DIR: join(remote.dir, 'config'), LXDECK_KNOWN_HOSTS: remote.knownHosts, SSH_AUTH_SOCK: '' };
try {
  timed(process.execPath, [bin, 'remote', 'add', 'bench', `ssh://root@${remote.addr}:${remote.port}`, '--lxcpath', lxcpath, '--identity', remote.identity], env);
  const runs = {
    'lxdeck ls --remote X': () => timed(process.execPath, [bin, 'ls', '--remote', 'bench'], env),
    'lxdeck ls --remote X --json': () => timed(process.execPath, [bin, 'ls', '--remote', 'bench', '--json'], env),
    'ssh X lxc-ls -f': () => timed('ssh', [...remote.sshArgs, 'lxc-ls', '-P', lxcpath, '-f'], {}),
  };
  // warm the page cache, and check both see every container
  const a = runs['lxdeck ls --remote X --json']();
  const seen = JSON.parse(a.stdout).filter((c) => c.state === 'RUNNING').length;
  if (seen !== names.length) throw new Error(`lxdeck ls --remote saw ${seen} of ${names.length} running`);
  runs['ssh X lxc-ls -f']();
  const ms = Object.fromEntries(Object.keys(runs).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) for (const [k, f] of Object.entries(runs)) ms[k].push(f().ms);
  console.log(`\n${names.length} running containers on the remote, ${rounds} rounds (median, interleaved), load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  for (const [k, v] of Object.entries(ms)) console.log(`${k.padEnd(32)} ${median(v).toFixed(1).padStart(8)} ms`);
  const l = median(ms['lxdeck ls --remote X']);
  const s = median(ms['ssh X lxc-ls -f']);
  console.log(`\nlxdeck ls --remote X / ssh X lxc-ls -f = ${(l / s).toFixed(2)}x (target <= 1.5x); --json: ${(median(ms['lxdeck ls --remote X --json']) / s).toFixed(2)}x`);
} finally {
  remote.cleanup();
  cleanup();
}

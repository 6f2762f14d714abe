#!/usr/bin/env node
// Limits of a container on a remote host, lxdeck against LXC's own tool over OpenSSH:
//  - the CLI (a new process each: start-up, one SSH connection, lxc-info, two reads of files;
//    setting: one more request that writes the cgroup files and the config):
//    `lxdeck limits X:ct --json` and `lxdeck limits X:ct --memory M` against
//    `ssh X lxc-cgroup -P LP -n ct memory.*` (one value read, or written live only: not saved);
//  - on a warm connection, as the console's sliders call it (RemoteLxcBackend.limits and
//    setLimits in this process), with the requests each took;
//  - this host's own: `lxdeck limits ct --json` and `lxc-cgroup` on the same container.
// The remote is this machine through an sshd of its own on loopback (bench/lib.mjs makeRemote),
// so all read the same container. Wall time, median of interleaved rounds. Figures side by
// side, not assertions.
//
//   npm run build && sudo flock /tmp/lxdeck-heavy.lock node bench/remote-limits.mjs [--rounds 11]
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { DIST, argValue, makeFleet, makeRemote, median, requireDist, timed } from './lib.mjs';

requireDist();
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = resolve(process.env.LXDECK_BIN ?? join(root, JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).bin.lxdeck));
const rounds = Number(argValue('--rounds', '11'));
const { RemoteLxcBackend } = await import(join(DIST, 'core/remote/backend.js'));
const { HostFs } = await import(join(DIST, 'core/host/host-fs.js'));
const { detectCgroupLayout, controllerDriver } = await import(join(DIST, 'core/cgroup/layout.js'));

const { lxcpath, names, cleanup } = makeFleet(1, 'rlim');
const ct = names[0];
const remote = await makeRemote(lxcpath);
const env = { LXDECK_CONFIG_DIR: join(remote.dir, 'config'), LXDECK_KNOWN_HOSTS: remote.knownHosts, LXDECK_LXCPATH: lxcpath, SSH_AUTH_SOCK: '' };
const memFile = controllerDriver('memory', detectCgroupLayout(new HostFs('/'))) === 'v2' ? 'memory.max' : 'memory.limit_in_bytes';
const backend = new RemoteLxcBackend(remote.target);
try {
  timed(process.execPath, [bin, 'remote', 'add', 'bench', `ssh://root@${remote.addr}:${remote.port}`, '--lxcpath', lxcpath, '--identity', remote.identity], env);
  let flip = 0;
  const size = () => (++flip % 2 ? 256 : 192) * 1024 * 1024;
  const runs = {
    'lxdeck limits X:ct --json': () => timed(process.execPath, [bin, 'limits', `bench:${ct}`, '--json'], env),
    [`ssh X lxc-cgroup ${memFile}`]: () => timed('ssh', [...remote.sshArgs, 'lxc-cgroup', '-P', lxcpath, '-n', ct, memFile], {}),
    'lxdeck limits X:ct --memory M': () => timed(process.execPath, [bin, 'limits', `bench:${ct}`, '--memory', String(size())], env),
    [`ssh X lxc-cgroup ${memFile} M`]: () => timed('ssh', [...remote.sshArgs, 'lxc-cgroup', '-P', lxcpath, '-n', ct, memFile, String(size())], {}),
    'lxdeck limits ct --json (local)': () => timed(process.execPath, [bin, 'limits', ct, '--json'], env),
    [`lxc-cgroup ${memFile} (local)`]: () => timed('lxc-cgroup', ['-P', lxcpath, '-n', ct, memFile], {}),
  };
  // warm, and check what each sees
  const l = JSON.parse(runs['lxdeck limits X:ct --json']().stdout);
  if (!l.running) throw new Error(`lxdeck limits saw ${ct} not running`);
  for (const f of Object.values(runs)) f();
  const ms = Object.fromEntries(Object.keys(runs).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) for (const [k, f] of Object.entries(runs)) ms[k].push(f().ms);

  // a warm connection, as the console's sliders use it: each call's wall time and requests
  const reqs = [];
  // requests: new channels (transport.run) and requests on the long-lived shell (shell.run)
  const transport = backend.transport;
  const shell = backend.shell;
  const orig = transport.run.bind(transport);
  const origShell = shell.run.bind(shell);
  let n = 0;
  let channels = 0;
  transport.run = (...a) => (n++, channels++, orig(...a));
  shell.run = (...a) => (n++, origShell(...a));
  await backend.limits(ct);
  const warm = { 'RemoteLxcBackend.limits (warm connection)': [], 'RemoteLxcBackend.setLimits memory (warm)': [] };
  for (let r = 0; r < rounds; r++) {
    n = 0;
    let t = performance.now();
    await backend.limits(ct);
    warm['RemoteLxcBackend.limits (warm connection)'].push(performance.now() - t);
    reqs.push(['limits', n]);
    n = 0;
    t = performance.now();
    await backend.setLimits(ct, { memory: String(size()) });
    warm['RemoteLxcBackend.setLimits memory (warm)'].push(performance.now() - t);
    reqs.push(['setLimits', n]);
  }
  const chan = [];
  const onShell = [];
  for (let r = 0; r < rounds; r++) {
    let t = performance.now();
    await orig(['true']);
    chan.push(performance.now() - t);
    t = performance.now();
    await origShell('true');
    onShell.push(performance.now() - t);
  }

  console.log(`\n1 running container, ${rounds} rounds (median, interleaved), load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  for (const [k, v] of Object.entries(ms)) console.log(`${k.padEnd(42)} ${median(v).toFixed(1).padStart(8)} ms`);
  for (const [k, v] of Object.entries(warm)) console.log(`${k.padEnd(42)} ${median(v).toFixed(1).padStart(8)} ms`);
  console.log(`${'a new channel on the warm connection (true)'.padEnd(42)} ${median(chan).toFixed(1).padStart(8)} ms`);
  console.log(`${'a request on the open shell (true)'.padEnd(42)} ${median(onShell).toFixed(1).padStart(8)} ms`);
  const per = (what) => [...new Set(reqs.filter(([w]) => w === what).map(([, c]) => c))].join('/');
  console.log(`\nrequests per call on the warm connection: limits ${per('limits')} (lxc-info, reads), setLimits ${per('setLimits')} (lxc-info, reads, one write); new channels among them: ${channels}`);
  const ratio = (a, b) => (median(ms[a]) / median(ms[b])).toFixed(2);
  console.log(`lxdeck limits X:ct --json / ssh X lxc-cgroup = ${ratio('lxdeck limits X:ct --json', `ssh X lxc-cgroup ${memFile}`)}x; set: ${ratio('lxdeck limits X:ct --memory M', `ssh X lxc-cgroup ${memFile} M`)}x (lxdeck also saves the config); local: ${ratio('lxdeck limits ct --json (local)', `lxc-cgroup ${memFile} (local)`)}x`);
} finally {
  backend.close();
  remote.cleanup();
  cleanup();
}

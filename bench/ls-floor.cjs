#!/usr/bin/env node
// The floor for a Node `ls`: a bare CommonJS script (no dependency, no ES module loader, no
// argument parser, no checks) that makes the fewest reads a files-only listing of an lxcpath
// needs and prints NAME STATE PID AUTOSTART: bench/ls-vs-lxc-ls.mjs times it beside `node -e 0`,
// `lxdeck ls` and `lxc-ls -f`. Not a tool: it trusts LXC's default layout (the monitor in
// `lxc.monitor.NAME` of the pids hierarchy, a v1 freezer or a v2 cgroup.freeze) and skips what
// `lxdeck ls` checks (the monitor's lxcpath beyond its command line, a reused PID, a config LXC
// would refuse, addresses in the container's network namespace beyond counting its interfaces).
//
//   node bench/ls-floor.cjs LXCPATH
//
// Per running container (core/lxc/list-state.ts says why each): the config (lxc.start.auto),
// the monitor's cgroup.procs, its /proc/PID/cmdline (which lxcpath) and task/PID/children (the
// init), the init's /proc/PID/cgroup (its freezer cgroup), freezer.state (or cgroup.freeze), and
// /proc/PID/net/dev (interfaces besides lo).
'use strict';
const fs = require('node:fs');

const lxcpath = process.argv[2];
const read = (p) => {
  try {
    return fs.readFileSync(p, 'latin1');
  } catch {
    return null;
  }
};

// the pids hierarchy (LXC's monitor cgroup) and the freezer (v1) or the v2 mount, from mountinfo
let pidsDir = null;
let freezerDir = null;
let v2Dir = null;
for (const line of read('/proc/self/mountinfo').split('\n')) {
  const f = line.split(' ');
  const dash = f.indexOf('-');
  if (dash < 0 || f[3] !== '/') continue;
  if (f[dash + 1] === 'cgroup2') v2Dir = f[4];
  else if (f[dash + 1] === 'cgroup') {
    const opts = f[dash + 3].split(',');
    if (opts.includes('pids')) pidsDir = f[4];
    if (opts.includes('freezer')) freezerDir = f[4];
  }
}
const monitorDir = pidsDir ?? v2Dir;

let out = 'NAME STATE PID AUTOSTART\n';
for (const name of fs.readdirSync(lxcpath).sort()) {
  const cfg = read(`${lxcpath}/${name}/config`);
  if (cfg === null) continue;
  const auto = /^\s*lxc\.start\.auto\s*=\s*1\s*$/m.test(cfg) ? 'YES' : 'NO';
  let state = 'STOPPED';
  let pid = '-';
  const mon = Number((read(`${monitorDir}/lxc.monitor.${name}/cgroup.procs`) ?? '').split('\n')[0]);
  if (mon > 0 && (read(`/proc/${mon}/cmdline`) ?? '').endsWith(` ${name}\0`)) {
    const init = Number((read(`/proc/${mon}/task/${mon}/children`) ?? '').split(' ')[0]);
    if (init > 0) {
      const cg = read(`/proc/${init}/cgroup`) ?? '';
      let fz = null;
      if (freezerDir) {
        const m = /^\d+:[^:]*\bfreezer\b[^:]*:(.*)$/m.exec(cg);
        if (m) fz = (read(`${freezerDir}${m[1]}/freezer.state`) ?? '').trim();
      } else {
        const m = /^0::(.*)$/m.exec(cg);
        if (m) fz = (read(`${v2Dir}${m[1]}/cgroup.freeze`) ?? '').trim() === '1' ? 'FROZEN' : 'THAWED';
      }
      state = fz === 'FROZEN' || fz === 'FREEZING' ? fz : 'RUNNING';
      pid = String(init);
      read(`/proc/${init}/net/dev`);
    }
  }
  out += `${name} ${state} ${pid} ${auto}\n`;
}
fs.writeSync(1, out);

/**
 * Remotes on the command line (issue 10): `lxdeck remote add|ls|rm`, the global `--remote NAME`,
 * and `NAME:container` addressing as incus has it (`lxdeck start lab1:web`, `lxdeck ls lab1:`).
 * Registered by src/cli.ts, which asks {@link remoteBackend} for the backend of a remote.
 */
import type { Command } from 'commander';
import { LxdeckError } from '../core/errors.js';
import type { Backend } from '../core/backend.js';
import { RemoteLxcBackend } from '../core/remote/backend.js';
import { RemoteStore, isRemoteName, parseSshUrl, remoteUrl, type RemoteConfig } from '../core/remote/store.js';
import { knownHostsPath } from '../core/remote/ssh.js';

const ADDRESS_RE = /^([a-z][a-z0-9-]{0,31}):([A-Za-z0-9][A-Za-z0-9-]*)?$/;

/**
 * Finds `REMOTE:container` (and `REMOTE:` alone) among the arguments before `--` and strips the
 * prefix, for every REMOTE that `isRemote` knows (a configured remote; anything else is left
 * as it is, so a value such as a comment `a:b` is untouched unless `a` is a remote). A bare
 * `REMOTE:` is dropped (`lxdeck ls lab1:`).
 * @returns the arguments without the prefixes, and the one remote they named (undefined: none)
 * @throws LxdeckError E_USAGE when two different remotes are named
 */
export function splitRemoteAddressing(args: readonly string[], isRemote: (name: string) => boolean): { args: string[]; remote?: string } {
  const out: string[] = [];
  let remote: string | undefined;
  let rest = false;
  for (const a of args) {
    if (rest || a === '--') {
      rest = true;
      out.push(a);
      continue;
    }
    const m = ADDRESS_RE.exec(a);
    if (!m || !isRemote(m[1])) {
      out.push(a);
      continue;
    }
    if (remote !== undefined && remote !== m[1])
      throw new LxdeckError('E_USAGE', `one command acts on one host: ${remote} and ${m[1]} are both named`, { hint: 'run one command per remote' });
    remote = m[1];
    if (m[2]) out.push(m[2]);
  }
  return { args: out, remote };
}

/** Verbs that a remote does, besides those of the Backend methods (the rest are refused with E_USAGE). */
const NOT_ON_REMOTE_HINT = 'a remote supports ls, info, create, start, stop, restart, freeze, unfreeze, destroy, copy, rename, snapshots, autostart, attach, console, stats, limits, cgroup and the console (lxdeck --remote NAME) so far';

/**
 * The backend of remote `name` from the store: RemoteLxcBackend, behind a guard that turns a
 * call of a method the remote lacks into E_USAGE (instead of a TypeError).
 * @param lxcpath overrides the stored lxcpath (a `--lxcpath` given on the command line)
 * @throws LxdeckError E_NOT_FOUND (no such remote), E_NAME_INVALID
 */
export function remoteBackend(store: RemoteStore, name: string, lxcpath?: string): RemoteLxcBackend {
  const r = store.get(name);
  const b = new RemoteLxcBackend({ ...r, lxcpath: lxcpath ?? r.lxcpath });
  return new Proxy(b, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (v === undefined && typeof prop === 'string' && !['then', 'toJSON'].includes(prop))
        return () => {
          throw new LxdeckError('E_USAGE', `this is not supported on a remote (${name}) yet`, { hint: NOT_ON_REMOTE_HINT });
        };
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

/** Adds `remote add|ls|rm` to `program`. `globalLxcpath` gives --lxcpath when it was given on the command line. */
export function addRemoteCommands(program: Command, deps: { store: () => RemoteStore; globalLxcpath: () => string | undefined }): void {
  const remote = program.command('remote').description('remote LXC hosts reached over SSH (NAME:container addresses a container there)');

  remote
    .command('add')
    .argument('<name>', 'a name for the remote (lower-case letters, digits, -)')
    .argument('<url>', 'ssh://user@host[:port]')
    .option('--identity <file>', 'private key file to offer besides the ssh-agent (default ~/.ssh/id_ed25519, id_rsa)')
    .option('--known-hosts <file>', 'known_hosts file to check the host key against (default LXDECK_KNOWN_HOSTS, else ~/.ssh/known_hosts)')
    .description('add a remote; the host key must already be in known_hosts (checked at first use, never accepted silently). --lxcpath P: its lxcpath (default /var/lib/lxc)')
    .addHelpText('after', '\nExample: lxdeck remote add lab1 ssh://root@192.0.2.10:2222 --lxcpath /srv/lxc\nThe remotes are kept in $XDG_CONFIG_HOME/lxdeck/remotes.json (or ~/.config/lxdeck, or LXDECK_CONFIG_DIR), mode 0600.\n')
    .action((name: string, url: string, o: { identity?: string; knownHosts?: string }) => {
      if (!isRemoteName(name)) parseSshUrl(url); // a bad URL is reported even with a bad name; the store checks the name
      const r: RemoteConfig = { name, ...parseSshUrl(url), lxcpath: deps.globalLxcpath() ?? '/var/lib/lxc', ...(o.identity ? { identity: o.identity } : {}), ...(o.knownHosts ? { knownHosts: o.knownHosts } : {}) };
      deps.store().add(r);
      process.stdout.write(`added remote ${name} (${remoteUrl(r)}, lxcpath ${r.lxcpath})\n`);
    });

  remote
    .command('ls')
    .alias('list')
    .description('list the remotes')
    .option('--json', 'print a JSON array of {name, url, user, host, port, lxcpath, identity, knownHosts}')
    .action((o: { json?: boolean }) => {
      const list = deps.store().list();
      if (o.json) {
        process.stdout.write(`${JSON.stringify(list.map((r) => ({ name: r.name, url: remoteUrl(r), user: r.user, host: r.host, port: r.port, lxcpath: r.lxcpath, identity: r.identity ?? null, knownHosts: knownHostsPath(r) })), null, 2)}\n`);
        return;
      }
      if (!list.length) {
        process.stdout.write(`no remotes (${deps.store().path}); lxdeck remote add NAME ssh://root@HOST adds one\n`);
        return;
      }
      const rows = [['NAME', 'URL', 'LXCPATH'], ...list.map((r) => [r.name, remoteUrl(r), r.lxcpath])];
      const w = rows[0].map((_, i) => Math.max(...rows.map((x) => x[i].length)));
      process.stdout.write(`${rows.map((x) => x.map((c, i) => (i === x.length - 1 ? c : c.padEnd(w[i]))).join('  ')).join('\n')}\n`);
    });

  remote
    .command('rm')
    .alias('remove')
    .argument('<name>')
    .description('forget a remote (nothing on the host changes)')
    .action((name: string) => {
      deps.store().remove(name);
      process.stdout.write(`removed remote ${name}\n`);
    });
}

/** True when `b` is a remote backend (for messages that name the host). */
export function isRemote(b: Backend): b is RemoteLxcBackend {
  return b instanceof RemoteLxcBackend;
}

/**
 * The identity-allocating verbs of the command line (issue 9): `copy`, `rename`. Added to the
 * program by src/cli.ts with {@link addCloneCommands}.
 */
import type { Command } from 'commander';
import type { Engine } from '../core/engine.js';

export interface CloneCommandDeps {
  engine: () => Engine;
  requireRoot: () => void;
}

/** Adds `copy SRC DST [--snapshot] [--json]` and `rename OLD NEW` to `program`. */
export function addCloneCommands(program: Command, deps: CloneCommandDeps): void {
  program
    .command('copy')
    .argument('<src>')
    .argument('<dst>')
    .description('copy a stopped container (lxc-copy) with a new MAC, address, veth name and idmap range')
    .option('--snapshot', 'a snapshot clone instead of a full copy: a btrfs snapshot (lxc-copy -s) of a btrfs-backed SRC, or an overlay clone (lxc-copy -s -B overlay) of a privileged dir-backed SRC')
    .option('--json', 'print the new container as JSON')
    .action(async (src: string, dst: string, o: { snapshot?: boolean; json?: boolean }) => {
      deps.requireRoot();
      const info = await deps.engine().copy(src, dst, { snapshot: o.snapshot });
      process.stdout.write(o.json ? `${JSON.stringify(info, null, 2)}\n` : `copied ${src} to ${dst}\n`);
    });
  program
    .command('rename')
    .argument('<old>')
    .argument('<new>')
    .description('rename a stopped container (lxc-copy -R); its address, idmap range and protection follow')
    .action(async (oldName: string, newName: string) => {
      deps.requireRoot();
      await deps.engine().rename(oldName, newName);
      process.stdout.write(`renamed ${oldName} to ${newName}\n`);
    });
}

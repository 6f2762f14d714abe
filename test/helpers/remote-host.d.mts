/** Types of test/helpers/remote-host.mjs (see there). */
export const SSHD: string;
export function remoteHostMissing(): string | null;
export function waitFor(what: string, check: () => boolean, tries?: number): Promise<void>;
export interface RemoteHost {
  dir: string;
  lxcpath: string;
  addr: string;
  port: number;
  holderPid: number;
  url: string;
  identity: string;
  knownHostsLine: string;
  env: Record<string, string | undefined>;
  startSshd(): Promise<void>;
  killSshd(): void;
  /** the sshd processes of the namespace (and only those) */
  sshdPids(): number[];
  inRemote(args: string[]): void;
  cleanup(): void;
}
export function makeRemoteHost(opts?: { id?: string; privateMount?: boolean; hostNet?: boolean; lxcpath?: string }): Promise<RemoteHost>;

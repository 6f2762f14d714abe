/**
 * NAT for a bridge's containers with nftables: a table of lxdeck's own (default
 * `ip lxdeck`, one per host) holding one postrouting nat chain PER BRIDGE
 * ({@link natChainName}) that masquerades that bridge's subnet to every other
 * interface, as lxc-net's iptables MASQUERADE rule does. The table is host
 * state shared by every bridge: setting up one bridge replaces only its own
 * chain, so a second bridge's setup never removes the first one's NAT.
 * Sources: nft(8) "CHAINS" (type nat hook postrouting priority srcnat = 100),
 * "STATEMENTS / NAT STATEMENTS" (masquerade), libnftables-json(5) (the JSON of
 * `nft -j list table`), and the kernel's ip-sysctl.rst (net.ipv4.ip_forward).
 *
 * Builders here are pure; {@link readNatState} runs `nft -j list table` through
 * the Runner and never changes anything.
 */
import { createHash } from 'node:crypto';
import type { Runner } from '../exec/runner.js';
import { LxdeckError } from '../errors.js';
import { type Cidr, formatIpv4, networkOf } from './ipv4.js';

/** lxdeck's nftables table (family ip) when none is named. */
export const DEFAULT_NAT_TABLE = 'lxdeck';

/** nft(8) identifiers: a letter, then letters, digits, `_`; lxdeck keeps them to 32 bytes. */
const NFT_NAME = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;

/**
 * Checks an nftables table name.
 * @throws LxdeckError E_INVALID_VALUE when it is not a letter followed by up to 31 letters, digits or `_`.
 */
export function validateNftTable(name: string): void {
  if (!NFT_NAME.test(name))
    throw new LxdeckError('E_INVALID_VALUE', `nftables table name ${JSON.stringify(name)} is not allowed`, {
      hint: 'a letter, then up to 31 letters, digits or _ (e.g. lxdeck)',
    });
}

/** What NAT for one bridge is: the bridge's subnet is masqueraded when it leaves through any other interface. */
export interface NatSpec {
  /** nftables table (family ip) owned by lxdeck, e.g. `lxdeck` */
  table: string;
  /** the bridge the containers sit on, e.g. `lxdeckbr0` */
  bridge: string;
  /** the bridge's subnet (host bits ignored), e.g. 10.0.3.0/24 */
  subnet: Cidr;
}

/**
 * The postrouting chain of one bridge in lxdeck's table: `postrouting_BRIDGE`, with any byte
 * nft(8) does not take in an identifier (`-`, `.`) written as `_` and, when something was
 * replaced, 8 hex digits of the bridge name's SHA-256 added, so `br-a` and `br_a` never share one.
 */
export function natChainName(bridge: string): string {
  const safe = bridge.replace(/[^A-Za-z0-9_]/g, '_');
  return safe === bridge ? `postrouting_${bridge}` : `postrouting_${safe}_${createHash('sha256').update(bridge).digest('hex').slice(0, 8)}`;
}

/** The subnet as nft writes it: network address and prefix ("10.0.3.0/24"). */
function netText(c: Cidr): string {
  return `${formatIpv4(networkOf(c))}/${c.prefix}`;
}

/**
 * The nft script (for `nft -f`) that makes the bridge's chain in the table hold
 * exactly the NAT rule of `spec`, leaving every other chain of the table (other
 * bridges' NAT) as it is, atomically: it declares the table and the bridge's
 * base chain (a no-op when they exist), flushes that chain and adds the rule, all
 * in one nft transaction (nft(8): a file is applied as one batch).
 * Running it twice leaves the same ruleset.
 */
export function natRuleset(spec: NatSpec): string {
  validateNftTable(spec.table);
  const chain = natChainName(spec.bridge);
  return [
    `# lxdeck: masquerade the containers on ${spec.bridge} (${netText(spec.subnet)}) to the uplink`,
    `table ip ${spec.table} {`,
    `  chain ${chain} {`,
    '    type nat hook postrouting priority srcnat; policy accept;',
    '  }',
    '}',
    `flush chain ip ${spec.table} ${chain}`,
    `add rule ip ${spec.table} ${chain} ip saddr ${netText(spec.subnet)} oifname != "${spec.bridge}" masquerade`,
    '',
  ].join('\n');
}

/** `nft delete chain ip TABLE postrouting_BRIDGE`: the undo of one bridge's NAT (other bridges keep theirs). */
export function nftDeleteChainArgv(table: string, bridge: string): string[] {
  return ['delete', 'chain', 'ip', table, natChainName(bridge)];
}

/** `nft -f FILE` (FILE `-` reads the script from stdin) */
export function nftApplyArgv(file = '-'): string[] {
  return ['-f', file];
}

/** `nft -j list table ip TABLE` (JSON, libnftables-json(5)) */
export function nftListTableArgv(table: string): string[] {
  return ['-j', 'list', 'table', 'ip', table];
}

/** `nft delete table ip TABLE` */
export function nftDeleteTableArgv(table: string): string[] {
  return ['delete', 'table', 'ip', table];
}

/** `sysctl -w net.ipv4.ip_forward=1` (ip-sysctl.rst: forward packets between interfaces) */
export function ipForwardArgv(on = true): string[] {
  return ['-w', `net.ipv4.ip_forward=${on ? 1 : 0}`];
}

/** One masquerade rule found in a table: the source prefix and the output interface it excludes. */
export interface MasqueradeRule {
  chain: string;
  /** "10.0.3.0/24", or null when the rule has no `ip saddr` prefix match */
  saddr: string | null;
  /** the interface in `oifname != "BR"`, or null */
  notOifname: string | null;
}

export interface NatTableState {
  /** false when `nft list table` says there is no such table */
  exists: boolean;
  /** true when a base chain of type nat hooks postrouting */
  postroutingNat: boolean;
  masquerade: MasqueradeRule[];
}

type Json = Record<string, unknown>;

function prefixText(right: unknown): string | null {
  if (typeof right === 'string') return right.includes('/') ? right : `${right}/32`;
  const p = (right as { prefix?: { addr?: string; len?: number } } | null)?.prefix;
  return p?.addr !== undefined && p.len !== undefined ? `${p.addr}/${p.len}` : null;
}

/**
 * Reads the JSON of `nft -j list table ip TABLE` (libnftables-json(5)): whether a
 * postrouting nat base chain exists and which masquerade rules it holds.
 * @throws LxdeckError E_NETWORK when the text is not nft's JSON.
 */
export function parseNatTable(json: string): NatTableState {
  let doc: { nftables?: Json[] };
  try {
    doc = JSON.parse(json) as { nftables?: Json[] };
  } catch {
    throw new LxdeckError('E_NETWORK', 'nft -j list table printed something that is not JSON');
  }
  const items = doc.nftables ?? [];
  const state: NatTableState = { exists: items.some((i) => 'table' in i), postroutingNat: false, masquerade: [] };
  const natChains = new Set<string>();
  for (const i of items) {
    const c = i.chain as { name?: string; type?: string; hook?: string } | undefined;
    if (c?.type === 'nat' && c.hook === 'postrouting' && c.name) natChains.add(c.name);
  }
  state.postroutingNat = natChains.size > 0;
  for (const i of items) {
    const r = i.rule as { chain?: string; expr?: Json[] } | undefined;
    if (!r?.chain || !natChains.has(r.chain) || !r.expr?.some((e) => 'masquerade' in e)) continue;
    let saddr: string | null = null;
    let notOifname: string | null = null;
    for (const e of r.expr) {
      const m = e.match as { op?: string; left?: Json; right?: unknown } | undefined;
      if (!m) continue;
      const payload = m.left?.payload as { protocol?: string; field?: string } | undefined;
      const meta = m.left?.meta as { key?: string } | undefined;
      if (m.op === '==' && payload?.protocol === 'ip' && payload.field === 'saddr') saddr = prefixText(m.right);
      if (m.op === '!=' && meta?.key === 'oifname' && typeof m.right === 'string') notOifname = m.right;
    }
    state.masquerade.push({ chain: r.chain, saddr, notOifname });
  }
  return state;
}

/** True when the bridge's own chain ({@link natChainName}) already masquerades exactly `spec`'s subnet to every interface but its bridge. */
export function natSatisfied(state: NatTableState, spec: NatSpec): boolean {
  const chain = natChainName(spec.bridge);
  return state.exists && state.postroutingNat && state.masquerade.some((m) => m.chain === chain && m.saddr === netText(spec.subnet) && m.notOifname === spec.bridge);
}

/**
 * The state of lxdeck's NAT table, read with `nft -j list table ip TABLE`
 * (a read; nothing is changed). A missing table is `{exists: false}`.
 * @throws LxdeckError E_MISSING_PROGRAM when nft is not installed; E_NETWORK when nft fails otherwise (not root).
 */
export async function readNatState(runner: Runner, table: string): Promise<NatTableState> {
  validateNftTable(table);
  const r = await runner.run('nft', nftListTableArgv(table), { timeoutMs: 10_000 });
  if (r.exitCode !== 0) {
    if (/No such file or directory/i.test(r.stderr)) return { exists: false, postroutingNat: false, masquerade: [] };
    throw new LxdeckError('E_NETWORK', `nft ${nftListTableArgv(table).join(' ')} failed: ${r.stderr.trim() || `exit ${r.exitCode}`}`, {
      hint: 'nftables needs root and the nf_tables kernel module',
    });
  }
  return parseNatTable(r.stdout);
}

/** The subnet text used in rules and messages ("10.0.3.0/24"). */
export function natSubnetText(spec: NatSpec): string {
  return netText(spec.subnet);
}

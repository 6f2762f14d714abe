/**
 * Reader and writer of LXC container configs (lxc.container.conf(5)), the
 * `<lxcpath>/<name>/config` files that `lxc-create` writes and liblxc reads.
 *
 * ## Grammar: LXC's own, so what lxdeck reads is what LXC reads
 *
 * Followed from liblxc's `parse_line()` in src/lxc/confile.c (LXC 5.0) and
 * checked against LXC 5.0.2 on the host:
 *
 *  - The file is read line by line (split at `\n`).
 *  - A line that is empty or only white space is a blank line.
 *  - Leading blanks (space, tab) are skipped. **A line whose first other
 *    character is `#` is a comment. `#` anywhere else is an ordinary
 *    character of the value.** So `lxc.tty.max = 1 # one console` sets
 *    lxc.tty.max to the text `1 # one console`, which LXC refuses
 *    ("Failed to parse config file ... at line ..."); {@link validateConfig}
 *    reports it with the hint to move the comment to its own line.
 *  - Any other line is `key = value`: split at the FIRST `=`; the key and
 *    the value lose leading and trailing blanks (a trailing CR of a CRLF
 *    line too: LXC 5.0.2 reads `lxc.uts.name = ab\r\n` as `ab`); then, when the value begins
 *    and ends with the same quote character (`"` or `'`), one pair of quotes
 *    is removed (`lxc.uts.name = "fix1"` gives `fix1`). There are no escapes
 *    and no line continuations.
 *  - liblxc skips lines whose key does not start with `lxc.`; lxdeck keeps
 *    them as entries (so a round trip keeps them) and {@link validateConfig}
 *    reports them. A line with no `=` that is not blank or a comment is an
 *    error (E_CONFIG naming file:line), as it is for liblxc.
 *  - `lxc.include = PATH` is kept as an ordinary entry; it is not expanded.
 *
 * The writer uses the same rule: it never puts a comment after a value, and
 * it quotes a value (`"..."`) only where the reader would otherwise change
 * it (leading/trailing blanks, or a value that already starts and ends with
 * the same quote). Every line that is not changed is written back byte for
 * byte (spacing, comments, blank lines, CRLF endings, missing final newline).
 *
 * ## Legacy keys
 *
 * LXC 2.1 renamed many keys and LXC 3.0 removed the old names; LXC 5 refuses
 * a config holding them ("Unsupported config key"). {@link migrateLegacy}
 * converts them, following LXC's own `lxc-update-config` script
 * (src/lxc/cmd/lxc-update-config.in) and the legacy network parser
 * (src/lxc/confile_legacy.c).
 */
import { readFileSync } from 'node:fs';
import { chmod, chown, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { LxdeckError } from '../errors.js';
import type { NetInfo } from '../types.js';
import { validateIfName } from '../names.js';

/** The comment rule in one sentence, for messages and `--help`. */
export const COMMENT_RULE =
  "LXC treats '#' as a comment only at the start of a line (after blanks); elsewhere it is part of the value";

/** One line of a config file as read. `key`/`value` only for `entry` lines; `value` is what LXC sees (trimmed, one pair of quotes removed). */
export interface ConfigLine {
  kind: 'entry' | 'comment' | 'blank';
  /** the line exactly as in the file, without its `\n` */
  raw: string;
  /** 1-based line number in the current text */
  lineNo: number;
  key?: string;
  value?: string;
}

/** A value the engine or LXC cannot take, from {@link validateConfig}. */
export interface ConfigProblem {
  lineNo: number;
  key: string;
  message: string;
  file?: string;
  /** what to do about it */
  hint?: string;
}

const BLANKS = /^[ \t]*/;

/** Text shown for a config line in a message (escaped, cut to 80 characters). */
function shownLine(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}...` : s);
}

/** Splits an entry's raw text into the part before the value, the value as written, and trailing blanks. */
function splitEntry(raw: string): { head: string; written: string; tail: string } {
  const eq = raw.indexOf('=');
  const afterEq = raw.slice(eq + 1);
  const lead = BLANKS.exec(afterEq)![0];
  const rest = afterEq.slice(lead.length);
  const tail = /[ \t\r]*$/.exec(rest)![0];
  return { head: raw.slice(0, eq + 1) + lead, written: rest.slice(0, rest.length - tail.length), tail };
}

/** LXC's quote rule: one pair of matching outer quotes is removed. */
function unquote(written: string): string {
  if (written.length > 1 && (written[0] === '"' || written[0] === "'") && written[written.length - 1] === written[0]) {
    return written.slice(1, -1);
  }
  return written;
}

/** The text to write so that the reader gives back exactly `value`. */
function encodeValue(value: string, preferQuote?: string): string {
  const needsQuotes =
    value !== value.replace(/^[ \t]+|[ \t]+$/g, '') ||
    (value.length > 1 && (value[0] === '"' || value[0] === "'") && value[value.length - 1] === value[0]);
  const q = preferQuote ?? '"';
  return needsQuotes || preferQuote !== undefined ? `${q}${value}${q}` : value;
}

function checkKey(key: string): void {
  if (!/^[^\s=#][^\s=]*$/.test(key)) {
    throw new LxdeckError('E_INVALID_VALUE', `${JSON.stringify(key)} is not a config key`, {
      hint: 'config keys look like lxc.net.0.link: no blanks, no "=", not starting with "#"',
    });
  }
}

function checkValue(key: string, value: string): void {
  if (/[\n\r\0]/.test(value)) {
    throw new LxdeckError('E_INVALID_VALUE', `${key}: a config value cannot hold a newline, carriage return or NUL`, {
      hint: 'lxc.container.conf(5) has one key = value per line, with no continuation lines',
    });
  }
}

function parseLine(raw: string, lineNo: number, file: string | undefined): ConfigLine {
  const lead = BLANKS.exec(raw)![0];
  const t = raw.slice(lead.length);
  if (/^[ \t\n\v\f\r]*$/.test(t)) return { kind: 'blank', raw, lineNo };
  if (t[0] === '#') return { kind: 'comment', raw, lineNo };
  const eq = t.indexOf('=');
  const key = eq < 0 ? '' : t.slice(0, eq).replace(/[ \t]+$/, '');
  if (eq < 0 || key === '') {
    const where = `${file ?? '<config>'}:${lineNo}`;
    throw new LxdeckError(
      'E_CONFIG',
      `${where}: ${shownLine(raw)} is not "key = value", a comment or a blank line`,
      { hint: `fix or remove line ${lineNo}; comments start with '#' at the beginning of a line` },
    );
  }
  return { kind: 'entry', raw, lineNo, key, value: unquote(splitEntry(raw).written) };
}

/**
 * An LXC container config held as its lines, so that it can be changed and
 * written back with every untouched line kept byte for byte.
 * See the module comment for the grammar (LXC's).
 */
export class LxcConfig {
  readonly file?: string;
  private lines: ConfigLine[];
  private finalNewline: boolean;

  private constructor(lines: ConfigLine[], finalNewline: boolean, file?: string) {
    this.lines = lines;
    this.finalNewline = finalNewline;
    if (file !== undefined) this.file = file;
  }

  /**
   * Parses config text.
   * @param file path shown in errors and problems (not read)
   * @throws LxdeckError E_CONFIG naming `file:line` for a line that is not
   *   `key = value`, a comment or a blank line.
   */
  static parse(text: string, file?: string): LxcConfig {
    const parts = text.split('\n');
    let finalNewline = false;
    if (parts.length > 0 && parts[parts.length - 1] === '') {
      parts.pop();
      finalNewline = parts.length > 0;
    }
    const lines = parts.map((raw, i) => parseLine(raw, i + 1, file));
    return new LxcConfig(lines, finalNewline, file);
  }

  /** A copy that can be changed without touching this one. */
  clone(): LxcConfig {
    return new LxcConfig(
      this.lines.map((l) => ({ ...l })),
      this.finalNewline,
      this.file,
    );
  }

  /** Every line (copies), with kind, raw text and current line number. */
  allLines(): ConfigLine[] {
    return this.lines.map((l) => ({ ...l }));
  }

  /** Value of the last `key` line (LXC: the last one wins for single-valued keys); undefined when absent. */
  get(key: string): string | undefined {
    for (let i = this.lines.length - 1; i >= 0; i--) {
      const l = this.lines[i];
      if (l.kind === 'entry' && l.key === key) return l.value;
    }
    return undefined;
  }

  /**
   * Values of every `key` line, in file order, as written (an empty value,
   * which LXC reads as "clear the list so far", is returned as '').
   */
  getAll(key: string): string[] {
    return this.lines.filter((l) => l.kind === 'entry' && l.key === key).map((l) => l.value!);
  }

  /** True when at least one `key` line exists. */
  has(key: string): boolean {
    return this.lines.some((l) => l.kind === 'entry' && l.key === key);
  }

  /** Every `key = value` line in file order. */
  entries(): { key: string; value: string; lineNo: number }[] {
    return this.lines
      .filter((l) => l.kind === 'entry')
      .map((l) => ({ key: l.key!, value: l.value!, lineNo: l.lineNo }));
  }

  /**
   * Sets `key` to `value`. Replaces the value of the LAST `key` line in
   * place (its spacing and quoting kept; other lines untouched); when there
   * is none, adds `key = value` after the last line of the same group (same
   * key, else the longest shared dotted prefix such as `lxc.net.0.` or
   * `lxc.cgroup2.`), else at the end.
   * @throws LxdeckError E_INVALID_VALUE for a malformed key or a value with a newline, CR or NUL.
   */
  set(key: string, value: string): void {
    checkKey(key);
    checkValue(key, value);
    for (let i = this.lines.length - 1; i >= 0; i--) {
      const l = this.lines[i];
      if (l.kind === 'entry' && l.key === key) {
        const { head, written, tail } = splitEntry(l.raw);
        const wasQuoted = unquote(written) !== written ? written[0] : undefined;
        const raw = head + encodeValue(value, wasQuoted) + tail;
        this.lines[i] = { kind: 'entry', raw, lineNo: l.lineNo, key, value };
        return;
      }
    }
    this.insert(key, value);
  }

  /**
   * Adds one more `key = value` line (for keys that may repeat:
   * lxc.net.N.ipv4.address, lxc.mount.entry, lxc.idmap, lxc.cap.drop...),
   * placed after the last line of the same key or group (see {@link set}).
   * @throws LxdeckError E_INVALID_VALUE as {@link set}.
   */
  append(key: string, value: string): void {
    checkKey(key);
    checkValue(key, value);
    this.insert(key, value);
  }

  /** Removes every `key` line (exact key; subkeys stay). */
  unset(key: string): void {
    this.lines = this.lines.filter((l) => !(l.kind === 'entry' && l.key === key));
    this.renumber();
  }

  /** Removes every line whose key starts with `prefix` (e.g. `lxc.net.1.`). */
  unsetPrefix(prefix: string): void {
    this.lines = this.lines.filter((l) => !(l.kind === 'entry' && l.key!.startsWith(prefix)));
    this.renumber();
  }

  /** The text to write: byte-identical to the parsed text when nothing changed. */
  toString(): string {
    return this.lines.map((l) => l.raw).join('\n') + (this.finalNewline ? '\n' : '');
  }

  /** @internal renames the key of one line in place, keeping its spacing and value. */
  renameAt(index: number, newKey: string, newValue?: string): void {
    const l = this.lines[index];
    const lead = BLANKS.exec(l.raw)![0];
    let raw = lead + newKey + l.raw.slice(lead.length + l.key!.length);
    let value = l.value!;
    if (newValue !== undefined) {
      const { head, written, tail } = splitEntry(raw);
      const wasQuoted = unquote(written) !== written ? written[0] : undefined;
      raw = head + encodeValue(newValue, wasQuoted) + tail;
      value = newValue;
    }
    this.lines[index] = { kind: 'entry', raw, lineNo: l.lineNo, key: newKey, value };
  }

  /** @internal removes one line by index. */
  removeAt(index: number): void {
    this.lines.splice(index, 1);
    this.renumber();
  }

  private insert(key: string, value: string): void {
    const line: ConfigLine = { kind: 'entry', raw: `${key} = ${encodeValue(value)}`, lineNo: 0, key, value };
    const at = this.insertionPoint(key);
    if (at === this.lines.length) this.finalNewline = true;
    this.lines.splice(at, 0, line);
    this.renumber();
  }

  private insertionPoint(key: string): number {
    const lastIndex = (pred: (k: string) => boolean): number => {
      for (let i = this.lines.length - 1; i >= 0; i--) {
        const l = this.lines[i];
        if (l.kind === 'entry' && pred(l.key!)) return i;
      }
      return -1;
    };
    let i = lastIndex((k) => k === key);
    if (i >= 0) return i + 1;
    const parts = key.split('.');
    for (let n = parts.length - 1; n >= 2; n--) {
      const prefix = `${parts.slice(0, n).join('.')}.`;
      i = lastIndex((k) => k.startsWith(prefix));
      if (i >= 0) return i + 1;
    }
    return this.lines.length;
  }

  private renumber(): void {
    this.lines.forEach((l, i) => {
      l.lineNo = i + 1;
    });
  }
}

/**
 * Reads and parses a config file (UTF-8; a byte order mark is kept).
 * @throws LxdeckError E_NOT_FOUND when the file does not exist; E_CONFIG when
 *   it cannot be read, is not UTF-8, or has a malformed line (file:line).
 */
export async function readConfig(path: string): Promise<LxcConfig> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    throw readError(path, e);
  }
  return parseConfigBytes(path, buf);
}

/**
 * {@link readConfig} with one synchronous read: for a listing of many containers, where
 * promise-based reads cost several times more (notes/host-facts.md). Same errors.
 */
export function readConfigSync(path: string): LxcConfig {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw readError(path, e);
  }
  return parseConfigBytes(path, buf);
}

function readError(path: string, e: unknown): LxdeckError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new LxdeckError('E_NOT_FOUND', `no config file at ${path}`, { cause: e });
  return new LxdeckError('E_CONFIG', `cannot read ${path}: ${(e as Error).message}`, { cause: e });
}

/** One strict UTF-8 decoder for every config read (a listing reads one per container; decode() without `stream` keeps no state between calls). */
let utf8Strict: TextDecoder | undefined;

function parseConfigBytes(path: string, buf: Buffer): LxcConfig {
  let text: string;
  try {
    text = (utf8Strict ??= new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })).decode(buf);
  } catch (e) {
    throw new LxdeckError('E_CONFIG', `${path} is not UTF-8 text`, {
      cause: e,
      hint: 'lxdeck reads and writes configs as UTF-8; convert the file (iconv) or fix the stray bytes',
    });
  }
  return LxcConfig.parse(text, path);
}

/**
 * Writes `cfg` to `path` atomically: a temporary file in the same directory,
 * fsync, rename over `path`, fsync of the directory. Keeps the mode and owner
 * of the file it replaces (new files get 0640, as `lxc-create` makes them).
 * @throws LxdeckError E_CONFIG when the file cannot be written; the temporary
 *   file is removed.
 */
export async function writeConfig(path: string, cfg: LxcConfig): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.lxdeck-${process.pid}-${randomBytes(4).toString('hex')}`);
  let mode = 0o640;
  let owner: { uid: number; gid: number } | undefined;
  try {
    const st = await stat(path);
    mode = st.mode & 0o7777;
    owner = { uid: st.uid, gid: st.gid };
  } catch {
    /* new file */
  }
  try {
    const fh = await open(tmp, 'wx', mode);
    try {
      await fh.writeFile(cfg.toString(), 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await chmod(tmp, mode);
    if (owner !== undefined && typeof process.getuid === 'function' && process.getuid() === 0) {
      await chown(tmp, owner.uid, owner.gid);
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw new LxdeckError('E_CONFIG', `cannot write ${path}: ${(e as Error).message}`, { cause: e });
  }
  try {
    const dh = await open(dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  } catch {
    /* some file systems cannot fsync a directory; the rename is done */
  }
}

// ---------------------------------------------------------------------------
// Legacy keys

/**
 * Keys renamed in LXC 2.1 and removed in 3.0, old name to new name, as in
 * LXC's lxc-update-config script. `lxc.network*` and `lxc.rootfs` are
 * handled apart (indices, backend prefix).
 */
export const LEGACY_KEY_RENAMES: Readonly<Record<string, string>> = {
  'lxc.id_map': 'lxc.idmap',
  'lxc.pts': 'lxc.pty.max',
  'lxc.tty': 'lxc.tty.max',
  'lxc.devttydir': 'lxc.tty.dir',
  'lxc.aa_profile': 'lxc.apparmor.profile',
  'lxc.aa_allow_incomplete': 'lxc.apparmor.allow_incomplete',
  'lxc.se_context': 'lxc.selinux.context',
  'lxc.mount': 'lxc.mount.fstab',
  'lxc.utsname': 'lxc.uts.name',
  'lxc.seccomp': 'lxc.seccomp.profile',
  'lxc.console': 'lxc.console.path',
  'lxc.haltsignal': 'lxc.signal.halt',
  'lxc.rebootsignal': 'lxc.signal.reboot',
  'lxc.stopsignal': 'lxc.signal.stop',
  'lxc.syslog': 'lxc.log.syslog',
  'lxc.loglevel': 'lxc.log.level',
  'lxc.logfile': 'lxc.log.file',
  'lxc.init_cmd': 'lxc.init.cmd',
  'lxc.init_uid': 'lxc.init.uid',
  'lxc.init_gid': 'lxc.init.gid',
  'lxc.limit': 'lxc.prlimit',
  'lxc.network': 'lxc.net',
};

/** Legacy keys that LXC 3.0 dropped with no replacement (lxc-update-config deletes them). */
export const LEGACY_KEYS_DROPPED: readonly string[] = ['lxc.rootfs.backend', 'lxc.pivotdir', 'lxc.kmsg'];

/** Legacy `lxc.network.<sub>` subkeys whose new name differs (confile_legacy.c: an address list). */
const LEGACY_NET_SUBKEYS: Readonly<Record<string, string>> = { ipv4: 'ipv4.address', ipv6: 'ipv6.address' };

/** True when LXC 3.0 and later refuse `key` as a removed legacy key. */
export function isLegacyKey(key: string): boolean {
  return (
    key in LEGACY_KEY_RENAMES ||
    LEGACY_KEYS_DROPPED.includes(key) ||
    key === 'lxc.rootfs' ||
    key.startsWith('lxc.network.') ||
    key.startsWith('lxc.limit.')
  );
}

/**
 * Converts legacy keys to today's names, as LXC's lxc-update-config does:
 *  - each unindexed `lxc.network.type` starts a new interface; the
 *    `lxc.network.<sub>` lines after it become `lxc.net.<N>.<sub>` with N
 *    counting from 0 (or from one past the highest `lxc.net.N` already in the
 *    file, so nothing collides); the indexed form `lxc.network.<M>.<sub>`
 *    becomes `lxc.net.<offset+M>.<sub>` (confile_legacy.c: index M is the
 *    M-th interface defined);
 *  - `ipv4`/`ipv6` become `ipv4.address`/`ipv6.address`;
 *  - `lxc.rootfs = P` becomes `lxc.rootfs.path = BACKEND:P` with BACKEND from
 *    `lxc.rootfs.backend` (default `dir`), unless P already has a `type:` prefix;
 *  - `lxc.limit.R` becomes `lxc.prlimit.R`; the keys in
 *    {@link LEGACY_KEY_RENAMES} are renamed; `lxc.rootfs.backend`,
 *    `lxc.pivotdir` and `lxc.kmsg` lines are removed.
 * Comments are left as they are. Renamed lines keep their spacing and value.
 * Idempotent: a converted config has no legacy key left, so converting again
 * changes nothing. `cfg` itself is not changed.
 *
 * A `lxc.network.<sub>` line before any `lxc.network.type` is left as it is
 * (LXC refuses it: "network is not created"); {@link validateConfig} reports it.
 *
 * @returns the converted copy and one change per converted line, with the
 *   line number in `cfg` (`to: null` for a removed line).
 */
export function migrateLegacy(cfg: LxcConfig): {
  config: LxcConfig;
  changes: { from: string; to: string | null; lineNo: number }[];
} {
  const out = cfg.clone();
  const changes: { from: string; to: string | null; lineNo: number }[] = [];
  const lines = cfg.allLines();
  let offset = 0;
  for (const l of lines) {
    const m = l.kind === 'entry' ? /^lxc\.net\.(\d+)\./.exec(l.key!) : null;
    if (m) offset = Math.max(offset, Number(m[1]) + 1);
  }
  const backend = cfg.get('lxc.rootfs.backend');
  let created = 0;
  let removed = 0;
  for (const l of lines) {
    if (l.kind !== 'entry') continue;
    const key = l.key!;
    const at = l.lineNo - 1 - removed;
    if (LEGACY_KEYS_DROPPED.includes(key)) {
      out.removeAt(at);
      removed++;
      changes.push({ from: key, to: null, lineNo: l.lineNo });
      continue;
    }
    let to: string | undefined;
    let value: string | undefined;
    if (key === 'lxc.rootfs') {
      to = 'lxc.rootfs.path';
      const v = l.value!;
      if (v !== '' && !/^[A-Za-z0-9_-]+:/.test(v)) value = `${backend !== undefined && backend !== '' ? backend : 'dir'}:${v}`;
    } else if (key === 'lxc.network') {
      to = 'lxc.net';
      if (l.value === '') created = 0;
    } else if (key.startsWith('lxc.network.')) {
      const rest = key.slice('lxc.network.'.length);
      const idx = /^(\d+)\.(.+)$/.exec(rest);
      let n: number;
      let sub: string;
      if (idx) {
        n = offset + Number(idx[1]);
        sub = idx[2];
        if (sub === 'type') created = Math.max(created, Number(idx[1]) + 1);
      } else if (rest === 'type') {
        n = offset + created;
        created++;
        sub = rest;
      } else {
        if (created === 0) continue;
        n = offset + created - 1;
        sub = rest;
      }
      to = `lxc.net.${n}.${LEGACY_NET_SUBKEYS[sub] ?? sub}`;
    } else if (key.startsWith('lxc.limit.')) {
      to = `lxc.prlimit.${key.slice('lxc.limit.'.length)}`;
    } else if (key in LEGACY_KEY_RENAMES) {
      to = LEGACY_KEY_RENAMES[key];
    }
    if (to === undefined) continue;
    out.renameAt(at, to, value);
    changes.push({ from: key, to, lineNo: l.lineNo });
  }
  return { config: out, changes };
}

// ---------------------------------------------------------------------------
// Network interfaces

/**
 * True when the config sets `lxc.ephemeral = 1`: LXC destroys such a container when it stops
 * (lxc.container.conf(5) lxc.ephemeral; lxc-copy -e makes them), so it may be rebooted
 * (lxc-stop -r) but never stopped and started again.
 */
export function isEphemeral(cfg: LxcConfig): boolean {
  return (cfg.get('lxc.ephemeral') ?? '0').trim() === '1';
}

/**
 * The network interfaces a config defines, from `lxc.net.N.*` keys
 * (lxc.container.conf(5) "NETWORK"): type, link, veth.pair, hwaddr,
 * ipv4.address (may repeat; an empty value clears the list so far, as in
 * LXC; only the `A.B.C.D/P` part is kept, not a broadcast address after it)
 * and ipv4.gateway. A config with legacy `lxc.network.*` keys is read through
 * {@link migrateLegacy}. An empty `lxc.net =` drops the interfaces defined
 * before it. Sorted by index; `type` is '' when the config gives none.
 */
export function netInterfaces(cfg: LxcConfig): NetInfo[] {
  const src = cfg.entries().some((e) => e.key.startsWith('lxc.network')) ? migrateLegacy(cfg).config : cfg;
  const byIndex = new Map<number, NetInfo>();
  for (const { key, value } of src.entries()) {
    if (key === 'lxc.net' && value === '') {
      byIndex.clear();
      continue;
    }
    const m = /^lxc\.net\.(\d+)\.(.+)$/.exec(key);
    if (!m) continue;
    const index = Number(m[1]);
    let n = byIndex.get(index);
    if (!n) {
      n = { index, type: '', ipv4: [] };
      byIndex.set(index, n);
    }
    const v = value.trim();
    switch (m[2]) {
      case 'type':
        n.type = v;
        break;
      case 'link':
        if (v === '') delete n.link;
        else n.link = v;
        break;
      case 'veth.pair':
        if (v === '') delete n.vethPair;
        else n.vethPair = v;
        break;
      case 'hwaddr':
        if (v === '') delete n.hwaddr;
        else n.hwaddr = v;
        break;
      case 'ipv4.address':
        if (v === '') n.ipv4 = [];
        else n.ipv4.push(v.split(/[ \t]+/)[0]);
        break;
      case 'ipv4.gateway':
        if (v === '') delete n.ipv4Gateway;
        else n.ipv4Gateway = v;
        break;
      default:
        break;
    }
  }
  return [...byIndex.values()].sort((a, b) => a.index - b.index);
}

// ---------------------------------------------------------------------------
// Validation

const IPV4 = String.raw`(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}`;
const IPV4_RE = new RegExp(`^${IPV4}$`);
const IPV4_CIDR_RE = new RegExp(`^${IPV4}/(?:3[0-2]|[12]?\\d)(?:[ \\t]+${IPV4})?$`);
const UINT_RE = /^\d+$/;
const INT_RE = /^-?\d+$/;
const BOOL01_RE = /^[01]$/;
const HWADDR_RE = /^[0-9a-fA-Fx]{2}(?::[0-9a-fA-Fx]{2}){5}$/;
const NET_TYPES = ['veth', 'macvlan', 'ipvlan', 'vlan', 'phys', 'empty', 'none'];
/** Longest lxc.uts.name: struct utsname's nodename holds 64 bytes plus the NUL (liblxc set_config_uts_name). */
const UTS_NAME_MAX_BYTES = 64;

type Check = (value: string) => string | undefined;

const uint: Check = (v) => (UINT_RE.test(v) ? undefined : `${JSON.stringify(v)} is not a whole number (0, 1, 2, ...)`);
const int: Check = (v) => (INT_RE.test(v) ? undefined : `${JSON.stringify(v)} is not a whole number`);
const bool01: Check = (v) => (BOOL01_RE.test(v) ? undefined : `${JSON.stringify(v)} is not 0 or 1`);
const ifname =
  (what: string): Check =>
  (v) => {
    try {
      validateIfName(v, what);
      return undefined;
    } catch (e) {
      return (e as Error).message.replace(`${what}: `, '');
    }
  };

/** Checks of single keys: what LXC itself refuses, or what the engine cannot use. */
const KEY_CHECKS: Readonly<Record<string, Check>> = {
  'lxc.tty.max': uint,
  'lxc.pty.max': uint,
  'lxc.start.auto': bool01,
  'lxc.start.delay': uint,
  'lxc.start.order': int,
  'lxc.ephemeral': bool01,
  'lxc.no_new_privs': bool01,
  'lxc.autodev': bool01,
  'lxc.apparmor.allow_incomplete': bool01,
  'lxc.apparmor.allow_nesting': bool01,
  'lxc.rootfs.managed': bool01,
  'lxc.init.uid': uint,
  'lxc.init.gid': uint,
  'lxc.uts.name': (v) =>
    Buffer.byteLength(v) > UTS_NAME_MAX_BYTES
      ? `host name is ${Buffer.byteLength(v)} bytes; the kernel allows at most ${UTS_NAME_MAX_BYTES}`
      : undefined,
};

/** Checks of `lxc.net.N.<sub>` keys. */
const NET_CHECKS: Readonly<Record<string, (n: number) => Check>> = {
  type: () => (v) => (NET_TYPES.includes(v) ? undefined : `${JSON.stringify(v)} is not a network type (${NET_TYPES.join(', ')})`),
  flags: () => (v) => (v === '' || v === 'up' ? undefined : `${JSON.stringify(v)} is not a flag LXC knows (up)`),
  link: (n) => ifname(`lxc.net.${n}.link`),
  name: (n) => ifname(`lxc.net.${n}.name`),
  'veth.pair': (n) => ifname(`lxc.net.${n}.veth.pair`),
  hwaddr: () => (v) =>
    HWADDR_RE.test(v) ? undefined : `${JSON.stringify(v)} is not a MAC address (six hex pairs joined by ':', 'x' for a random digit)`,
  mtu: () => uint,
  'ipv4.address': () => (v) =>
    v === '' || IPV4_CIDR_RE.test(v) ? undefined : `${JSON.stringify(v)} is not an IPv4 address with prefix (A.B.C.D/N)`,
  'ipv4.gateway': () => (v) =>
    v === '' || v === 'auto' || v === 'dev' || IPV4_RE.test(v) ? undefined : `${JSON.stringify(v)} is not an IPv4 address, "auto" or "dev"`,
};

/** True when the value holds text that looks like a trailing comment (` #...`). */
function hasTrailingComment(value: string): boolean {
  return /(^|[ \t])#/.test(value);
}

const COMMENT_HINT = `move the comment to its own line: ${COMMENT_RULE}`;

/**
 * Keys liblxc knows (config_jump_table in src/lxc/confile.c, LXC 5.0/6.0):
 * an exact key, or a prefix for keys that carry a subkey. LXC refuses any
 * other `lxc.` key ("Unsupported config key") and does not start.
 */
const LXC_KEYS: ReadonlySet<string> = new Set([
  'lxc.arch', 'lxc.apparmor.profile', 'lxc.apparmor.allow_incomplete', 'lxc.apparmor.allow_nesting',
  'lxc.apparmor.raw', 'lxc.autodev.tmpfs.size', 'lxc.autodev', 'lxc.cap.drop', 'lxc.cap.keep',
  'lxc.cgroup.dir.monitor.pivot', 'lxc.cgroup.dir.monitor', 'lxc.cgroup.dir.container.inner',
  'lxc.cgroup.dir.container', 'lxc.cgroup.dir', 'lxc.cgroup.relative', 'lxc.console.buffer.size',
  'lxc.console.logfile', 'lxc.console.path', 'lxc.console.rotate', 'lxc.console.size', 'lxc.environment',
  'lxc.ephemeral', 'lxc.execute.cmd', 'lxc.group', 'lxc.hook.autodev', 'lxc.hook.clone', 'lxc.hook.destroy',
  'lxc.hook.mount', 'lxc.hook.post-stop', 'lxc.hook.pre-mount', 'lxc.hook.pre-start', 'lxc.hook.start',
  'lxc.hook.start-host', 'lxc.hook.stop', 'lxc.hook.version', 'lxc.hook', 'lxc.idmap', 'lxc.include',
  'lxc.init.cmd', 'lxc.init.gid', 'lxc.init.groups', 'lxc.init.uid', 'lxc.init.cwd', 'lxc.keyring.session',
  'lxc.log.file', 'lxc.log.level', 'lxc.log.syslog', 'lxc.monitor.unshare', 'lxc.monitor.signal.pdeath',
  'lxc.mount.auto', 'lxc.mount.entry', 'lxc.mount.fstab', 'lxc.namespace.clone', 'lxc.namespace.keep',
  'lxc.time.offset.boot', 'lxc.time.offset.monotonic', 'lxc.net', 'lxc.no_new_privs', 'lxc.pty.max',
  'lxc.rootfs.managed', 'lxc.rootfs.mount', 'lxc.rootfs.options', 'lxc.rootfs.path',
  'lxc.seccomp.allow_nesting', 'lxc.seccomp.notify.cookie', 'lxc.seccomp.notify.proxy', 'lxc.seccomp.profile',
  'lxc.selinux.context.keyring', 'lxc.selinux.context', 'lxc.signal.halt', 'lxc.signal.reboot',
  'lxc.signal.stop', 'lxc.start.auto', 'lxc.start.delay', 'lxc.start.order', 'lxc.tty.dir', 'lxc.tty.max',
  'lxc.uts.name',
]);
/** Keys liblxc matches by prefix (a subkey follows). `lxc.net.` is checked apart. */
const LXC_KEY_PREFIXES: readonly string[] = [
  'lxc.cgroup2.', 'lxc.cgroup.', 'lxc.namespace.share.', 'lxc.prlimit.', 'lxc.sysctl.', 'lxc.proc.',
];
/** Subkeys of `lxc.net.N.` (config_jump_table_net in confile.c). */
const LXC_NET_SUBKEYS: ReadonlySet<string> = new Set([
  'flags', 'hwaddr', 'ipv4.address', 'ipv4.gateway', 'ipv6.address', 'ipv6.gateway', 'link', 'l2proxy',
  'macvlan.mode', 'ipvlan.mode', 'ipvlan.isolation', 'mtu', 'name', 'script.down', 'script.up', 'type',
  'vlan.id', 'veth.mode', 'veth.pair', 'veth.ipv4.route', 'veth.ipv6.route', 'veth.vlan.id',
  'veth.vlan.tagged.id',
]);

/** True when liblxc knows `key` (see LXC_KEYS); legacy keys are not known. */
export function isKnownKey(key: string): boolean {
  if (LXC_KEYS.has(key)) return true;
  const net = /^lxc\.net\.(\d+)\.(.+)$/.exec(key);
  if (net) return LXC_NET_SUBKEYS.has(net[2]);
  if (key.startsWith('lxc.cgroup.dir') || key === 'lxc.cgroup.relative') return false;
  return LXC_KEY_PREFIXES.some((p) => key.startsWith(p) && key.length > p.length);
}

/**
 * Which cgroup controllers the host has, by hierarchy, for
 * {@link validateConfig} to flag limits the host would ignore (liblxc's
 * cgfsng: "Ignoring legacy cgroup limits on pure cgroup2 system").
 */
export interface CgroupControllers {
  /** controllers mounted as cgroup v1 hierarchies (e.g. ['cpu', 'memory', ...]); [] on a unified-only host */
  v1: readonly string[];
  /** controllers listed in the cgroup2 root's cgroup.controllers; null when no cgroup2 is mounted */
  v2: readonly string[] | null;
}

/** Today's cgroup2 name of common v1 limit files, for hints (kernel Documentation/admin-guide/cgroup-v2.rst). */
const V1_TO_V2: Readonly<Record<string, string>> = {
  'memory.limit_in_bytes': 'memory.max',
  'memory.soft_limit_in_bytes': 'memory.low',
  'memory.memsw.limit_in_bytes': 'memory.swap.max (swap only, not memory+swap)',
  'cpu.shares': 'cpu.weight (a different scale: 1..10000, default 100)',
  'cpu.cfs_quota_us': 'cpu.max ("QUOTA PERIOD")',
  'cpu.cfs_period_us': 'cpu.max ("QUOTA PERIOD")',
  'cpuset.cpus': 'cpuset.cpus',
  'cpuset.mems': 'cpuset.mems',
  'pids.max': 'pids.max',
  'blkio.weight': 'io.weight',
};

/** v2 "controllers" LXC handles without cgroup.controllers: devices (eBPF) and core cgroup.* files. */
const V2_ALWAYS = new Set(['devices', 'cgroup']);

function cgroupProblem(key: string, host: CgroupControllers): { message: string; hint?: string } | undefined {
  if (key.startsWith('lxc.cgroup.dir') || key === 'lxc.cgroup.relative') return undefined;
  let m = /^lxc\.cgroup\.([^.]+)\.(.+)$/.exec(key);
  if (m) {
    const ctrl = m[1];
    if (host.v1.includes(ctrl)) return undefined;
    const file = `${ctrl}.${m[2]}`;
    const v2 = V1_TO_V2[file];
    return {
      message:
        host.v1.length === 0
          ? `a cgroup v1 key on a host with cgroup v2 only: LXC ignores it ("Ignoring legacy cgroup limits on pure cgroup2 system")`
          : `this host has no cgroup v1 "${ctrl}" hierarchy: LXC cannot apply this key`,
      hint: v2 !== undefined ? `use lxc.cgroup2.${v2}` : 'use the matching lxc.cgroup2.* key',
    };
  }
  m = /^lxc\.cgroup2\.([^.]+)\./.exec(key);
  if (m) {
    const ctrl = m[1];
    if (V2_ALWAYS.has(ctrl)) return undefined;
    if (host.v2 === null) {
      return { message: 'a cgroup v2 key on a host with no cgroup2 mounted: LXC cannot apply it', hint: 'use the matching lxc.cgroup.* (v1) key' };
    }
    if (!host.v2.includes(ctrl)) {
      return {
        message: `the "${ctrl}" controller is not enabled in this host's cgroup2 hierarchy${host.v1.includes(ctrl) ? ` (it is bound to cgroup v1)` : ''}: LXC cannot apply this key`,
        hint: host.v1.includes(ctrl) ? `use the matching lxc.cgroup.${ctrl}.* (v1) key` : undefined,
      };
    }
  }
  return undefined;
}

/**
 * Finds values the engine or LXC cannot take, each with the file and line
 * number (the file is `cfg.file`):
 *  - numbers and 0/1 switches that are not (lxc.tty.max, lxc.pty.max,
 *    lxc.start.auto/delay/order, lxc.ephemeral, lxc.autodev, ...);
 *  - `lxc.net.N.*`: unknown type, interface names longer than 15 bytes
 *    (IFNAMSIZ) or with '/', ':' or blanks (link, name, veth.pair), a bad
 *    hwaddr or mtu, an ipv4.address that is not `A.B.C.D/N`, a bad
 *    ipv4.gateway; a non-numeric N;
 *  - lxc.uts.name longer than 64 bytes;
 *  - legacy keys LXC 5 refuses (hint: migrate), and other keys liblxc does
 *    not know ("Unsupported config key");
 *  - text after a value that looks like a comment (`1 # one console`): LXC
 *    keeps it in the value (see {@link COMMENT_RULE}); hint: move the comment
 *    to its own line;
 *  - a byte order mark before the first key (LXC then skips that line);
 *  - keys not starting with `lxc.`, which LXC silently skips;
 *  - with `opts.cgroup`: cgroup limits this host would not apply
 *    (`lxc.cgroup.*` without that v1 hierarchy, e.g. on a cgroup v2 only
 *    host, where LXC ignores them with only a warning; `lxc.cgroup2.*` for a
 *    controller the cgroup2 hierarchy lacks).
 * Returns [] for a config with nothing to report.
 */
export function validateConfig(cfg: LxcConfig, opts: { cgroup?: CgroupControllers } = {}): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (lineNo: number, key: string, message: string, hint?: string): void => {
    const p: ConfigProblem = { lineNo, key, message };
    if (cfg.file !== undefined) p.file = cfg.file;
    if (hint !== undefined) p.hint = hint;
    problems.push(p);
  };
  for (const { key, value, lineNo } of cfg.entries()) {
    if (key.startsWith('\uFEFF')) {
      add(lineNo, key, 'the file starts with a byte order mark (U+FEFF): LXC does not see the key of the first line', 'save the file as UTF-8 without a BOM');
      continue;
    }
    if (!key.startsWith('lxc.')) {
      add(lineNo, key, `LXC skips this line: its key does not start with "lxc."`, 'remove the line or turn it into a comment (# at the start of the line)');
      continue;
    }
    if (isLegacyKey(key)) {
      add(
        lineNo,
        key,
        `legacy key removed in LXC 3.0; LXC 5 refuses to load a config holding it`,
        'convert the config (lxdeck migrates legacy keys, or run lxc-update-config -c FILE)',
      );
      continue;
    }
    let check: Check | undefined = KEY_CHECKS[key];
    const net = /^lxc\.net\.([^.]+)\.(.+)$/.exec(key);
    if (net) {
      if (!/^\d+$/.test(net[1])) {
        add(lineNo, key, `network index ${JSON.stringify(net[1])} is not a number (lxc.net.N.* with N = 0, 1, ...)`);
        continue;
      }
      check = NET_CHECKS[net[2]]?.(Number(net[1]));
    }
    if (!isKnownKey(key)) {
      add(lineNo, key, 'LXC does not know this key and refuses the whole config ("Unsupported config key")', 'check the spelling against lxc.container.conf(5), or remove the line');
      continue;
    }
    const trailing = hasTrailingComment(value);
    const err = check?.(value);
    if (err !== undefined) {
      add(lineNo, key, err, trailing ? COMMENT_HINT : undefined);
    } else if (trailing) {
      add(
        lineNo,
        key,
        `the value ${JSON.stringify(value)} holds '#': LXC reads it as part of the value, not as a comment`,
        COMMENT_HINT,
      );
    }
    if (opts.cgroup !== undefined) {
      const cg = cgroupProblem(key, opts.cgroup);
      if (cg !== undefined) add(lineNo, key, cg.message, cg.hint);
    }
  }
  return problems;
}

/** One line for a problem: `FILE:LINE: KEY: MESSAGE (hint: HINT)`. */
export function formatProblem(p: ConfigProblem): string {
  return `${p.file ?? '<config>'}:${p.lineNo}: ${p.key}: ${p.message}${p.hint !== undefined ? ` (hint: ${p.hint})` : ''}`;
}

/**
 * Name rules: container names and network interface names.
 *
 * A container name ends up in four places at once, so it must be safe in all
 * of them:
 *  - a directory under the lxcpath (`<lxcpath>/<name>/config`): no `/`, no
 *    `.` or `..`, no NUL;
 *  - LXC's abstract unix socket name for the command socket;
 *  - the container's hostname (`lxc.uts.name`): an RFC 1123 host name label
 *    (letters, digits, `-`; not starting or ending with `-`; at most 63
 *    characters);
 *  - an argv element of `lxc-*` tools (`-n NAME`): must not start with `-`,
 *    or it is read as an option.
 * The one rule that satisfies all four is the host name label rule, so that
 * is lxdeck's rule ({@link CONTAINER_NAME_RULE}).
 *
 * Interface names follow the kernel: at most IFNAMSIZ - 1 = 15 bytes
 * (include/uapi/linux/if.h), and `dev_valid_name()` in net/core/dev.c refuses
 * the empty name, `.`, `..`, and names holding `/`, `:` or white space.
 */
import { createHash } from 'node:crypto';
import { LxdeckError } from './errors.js';

/** Longest container name: one host name label (RFC 1123 section 2.1). */
export const CONTAINER_NAME_MAX = 63;

/** The rule, as a sentence for error messages and `--help`. */
export const CONTAINER_NAME_RULE =
  `a container name is 1 to ${CONTAINER_NAME_MAX} characters of letters (a-z, A-Z), digits (0-9) and '-', ` +
  `starting with a letter or digit and not ending with '-' (it becomes a directory, a socket name, the hostname and a command argument)`;

const NAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;

/** Shows a user-given string safely in a one-line message (escapes NUL, newlines, control characters). */
function shown(s: string, max = 40): string {
  const cut = s.length > max ? `${s.slice(0, max)}...` : s;
  return JSON.stringify(cut);
}

/**
 * A name close to `name` that follows the rule, for the hint; undefined when
 * nothing usable is left.
 */
export function suggestContainerName(name: string): string | undefined {
  const s = name
    .replace(/[^A-Za-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+/, '')
    .slice(0, CONTAINER_NAME_MAX)
    .replace(/-+$/, '');
  return s.length > 0 && NAME_RE.test(s) ? s : undefined;
}

/**
 * Checks a container name against {@link CONTAINER_NAME_RULE}.
 * Call it before anything is written under the lxcpath or passed to a tool.
 *
 * @throws LxdeckError E_NAME_INVALID (exit status 2) whose message says what
 *   is wrong and states the rule; the hint offers a corrected name when one
 *   can be made.
 */
export function validateContainerName(name: string): void {
  let what: string | undefined;
  if (typeof name !== 'string' || name.length === 0) what = 'the container name is empty';
  else if (name.length > CONTAINER_NAME_MAX) what = `the container name ${shown(name)} is ${name.length} characters long`;
  else if (name === '.' || name === '..') what = `${shown(name)} is not a container name`;
  else if (name.startsWith('-')) what = `the container name ${shown(name)} starts with '-'`;
  else if (name.endsWith('-')) what = `the container name ${shown(name)} ends with '-'`;
  else if (!NAME_RE.test(name)) {
    const bad = [...new Set([...name].filter((c) => !/[A-Za-z0-9-]/.test(c)))];
    const list = bad.map((c) => JSON.stringify(c)).join(', ');
    what = `the container name ${shown(name)} holds characters that are not allowed (${list})`;
  }
  if (what === undefined) return;
  const suggestion = typeof name === 'string' ? suggestContainerName(name) : undefined;
  throw new LxdeckError('E_NAME_INVALID', `${what}: ${CONTAINER_NAME_RULE}`, {
    hint: suggestion !== undefined && suggestion !== name ? `try ${JSON.stringify(suggestion)}` : 'for example "web-01"',
  });
}

/** The kernel's IFNAMSIZ (include/uapi/linux/if.h): an interface name is at most 15 bytes plus the NUL. */
export const IFNAMSIZ = 16;

/** Longest interface name in bytes: IFNAMSIZ - 1. */
export const IFNAME_MAX_BYTES = IFNAMSIZ - 1;

/**
 * Checks an interface name as the kernel's `dev_valid_name()` does
 * (net/core/dev.c): 1 to 15 bytes (IFNAMSIZ 16 with the NUL), not `.` or
 * `..`, and no `/`, `:` or white space.
 *
 * @param what where the name comes from, for the message (e.g. `lxc.net.0.veth.pair`)
 * @throws LxdeckError E_INVALID_VALUE naming the 15-byte limit (IFNAMSIZ) when too long,
 *   or the character that is not allowed.
 */
export function validateIfName(name: string, what: string): void {
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes === 0) {
    throw new LxdeckError('E_INVALID_VALUE', `${what}: the interface name is empty`, {
      hint: `give a name of 1 to ${IFNAME_MAX_BYTES} bytes`,
    });
  }
  if (bytes > IFNAME_MAX_BYTES) {
    throw new LxdeckError(
      'E_INVALID_VALUE',
      `${what}: interface name ${shown(name)} is ${bytes} bytes; the kernel allows at most ${IFNAME_MAX_BYTES} bytes (IFNAMSIZ ${IFNAMSIZ} including the final NUL)`,
      { hint: `choose a name of at most ${IFNAME_MAX_BYTES} bytes, or leave ${what} unset and let lxdeck choose one` },
    );
  }
  if (name === '.' || name === '..') {
    throw new LxdeckError('E_INVALID_VALUE', `${what}: ${shown(name)} is not a valid interface name`, {
      hint: 'choose a name made of letters, digits, "-", "_" or "."',
    });
  }
  const bad = /[/:\s]/u.exec(name);
  if (bad) {
    throw new LxdeckError(
      'E_INVALID_VALUE',
      `${what}: interface name ${shown(name)} holds ${JSON.stringify(bad[0])}; the kernel refuses '/', ':' and white space in interface names`,
      { hint: 'choose a name made of letters, digits, "-", "_" or "."' },
    );
  }
}

/** Characters of the hash part of {@link vethName}. */
const VETH_HASH_LEN = 6;
/** Characters of the container name kept in {@link vethName}. */
const VETH_NAME_LEN = 6;

/**
 * The host-side veth name for `lxc.net.<index>.veth.pair` of `container`.
 *
 * Shape: `vl` + the first 6 characters of the container name that are
 * `[A-Za-z0-9-]` (others dropped) + `-` + 6 characters of base-36 hash
 * (sha1 of `<container>\0<index>`). Example: `vlhelloa-3kq9zt`.
 * At most 2 + 6 + 1 + 6 = 15 bytes, all ASCII, so always within IFNAMSIZ.
 * Deterministic; two (container, index) pairs get the same name only when
 * their first 6 name characters agree and 31 bits of hash collide, so
 * `helloabcdef1` and `helloabcdef2` (which plain truncation would merge)
 * differ. The `vl` prefix tells lxdeck's veths apart from LXC's own
 * random `vethXXXXXX` names.
 *
 * @param index the N of `lxc.net.N`, a non-negative integer
 * @throws LxdeckError E_INVALID_VALUE when index is not a non-negative integer
 */
export function vethName(container: string, index: number, lxcpath = ''): string {
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new LxdeckError('E_INVALID_VALUE', `network index ${String(index)} is not a non-negative integer`, {
      hint: 'lxc.net.N uses N = 0, 1, 2, ...',
    });
  }
  const readable = container.replace(/[^A-Za-z0-9-]/g, '').slice(0, VETH_NAME_LEN);
  // the lxcpath is part of the hash: the same name in two lxcpaths on one host gets two veths
  const digest = createHash('sha1').update(lxcpath ? `${lxcpath}\0${container}\0${index}` : `${container}\0${index}`, 'utf8').digest();
  const hash = digest
    .readBigUInt64BE(0)
    .toString(36)
    .padStart(VETH_HASH_LEN, '0')
    .slice(-VETH_HASH_LEN);
  return `vl${readable}-${hash}`;
}

/**
 * Checks the name of a container that already exists (made by lxc-create or
 * another tool, which allow more than {@link CONTAINER_NAME_RULE}): it only has
 * to be one safe path component, since it is joined to the lxcpath and passed
 * as the value of `-n`. Names for NEW containers use validateContainerName.
 * @throws LxdeckError E_NAME_INVALID for "", ".", "..", a "/", a NUL or a newline, or more than 255 bytes.
 */
export function validateExistingName(name: string): void {
  if (name === '' || name === '.' || name === '..' || /[/\0\n\r]/.test(name) || Buffer.byteLength(name) > 255)
    throw new LxdeckError('E_NAME_INVALID', `${JSON.stringify(name)} cannot be a container name: it must be one path component (no "/", not "." or "..", no control characters)`, {
      hint: 'lxdeck ls lists the containers',
    });
}

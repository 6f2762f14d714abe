/**
 * The create wizard's state as one pure reducer, and the pure rules around
 * it: which fields each step has, which step comes next, how the values
 * become CreateOptions, and each step's check with core's planCreate (the
 * same check `lxdeck create` makes, writing nothing). src/screens/CreateWizard.tsx
 * draws it and runs the create.
 */
import { resolve } from 'node:path';
import { formatError } from '../../core/errors.js';
import { CONTAINER_NAME_RULE } from '../../core/names.js';
import { planCreate, renderConfig, createCommandLine, type Backing, type CreatePlan } from '../../core/rootfs/create.js';
import type { TemplateManifest } from '../../core/rootfs/template.js';
import type { CreateOptions, ProgressEvent } from '../../core/types.js';
import type { CreateEnv } from '../console/services.js';
import { randomHwaddr } from '../../core/network/hwaddr.js';
import { contains, formatCidr, formatIpv4, networkOf, nextFreeAddress, parseCidr, parseIpv4 } from '../../core/network/ipv4.js';

/** The wizard's steps in order; `progress` and `done` follow the summary. */
export const STEPS = ['name', 'template', 'options', 'network', 'resources', 'storage', 'security', 'summary', 'progress', 'done'] as const;
export type StepId = (typeof STEPS)[number];

/** Titles shown in the wizard's header. */
export const STEP_TITLES: Record<StepId, string> = {
  name: 'Name',
  template: 'Template',
  options: 'Template options',
  network: 'Network',
  resources: 'Resources',
  storage: 'Storage',
  security: 'Security',
  summary: 'Summary',
  progress: 'Creating',
  done: 'Done',
};

/** How the container gets its IPv4 address. */
export type Addressing = 'auto' | 'static' | 'dhcp';

export interface WizardValues {
  name: string;
  template: string;
  /** per template, the option values shown (defaults filled in); kept when another template is chosen and this one again */
  options: Record<string, Record<string, string>>;
  bridge: string;
  addressing: Addressing;
  /** A.B.C.D/PREFIX when addressing is static */
  ipv4: string;
  gateway: string;
  mac: 'generated' | 'given';
  hwaddr: string;
  /** the MAC generated when the wizard opened, used unless one is given (so the summary shows the one written) */
  generatedHwaddr: string;
  /** sizes per case U1; '' for no limit */
  memory: string;
  swap: string;
  cpus: string;
  cpuWeight: string;
  /** the rootfs backing store (lxc-create -B), one of CreateEnv.backings */
  backing: string;
  /** the loop image's or LVM thin volume's size (--size), '' for lxc-create's 1G default */
  size: string;
  /** backing lvm: the thin pool as `VG/POOL`, one of CreateEnv.lvmPools; '' for the first offered */
  lvmPool: string;
  privileged: boolean;
  /** lxc.apparmor.profile: LXC's default, a keyword, or the name given in apparmorName (offered only where AppArmor is enabled) */
  apparmor: ApparmorMode;
  apparmorName: string;
  /** lxc.seccomp.profile: LXC's default, none, or the file given in seccompPath */
  seccomp: SeccompMode;
  seccompPath: string;
}

/** The AppArmor choices of the security step, in the order they cycle. */
export const APPARMOR_MODES = ['default', 'generated', 'named', 'unconfined'] as const;
export type ApparmorMode = (typeof APPARMOR_MODES)[number];
/** The seccomp choices of the security step. */
export const SECCOMP_MODES = ['default', 'none', 'file'] as const;
export type SeccompMode = (typeof SECCOMP_MODES)[number];

export interface WizardProgress {
  phase: string;
  fraction: number | null;
  /** the last log lines (at most {@link PROGRESS_LINES_KEPT}) */
  lines: string[];
  /** Esc was pressed: the create is being cancelled */
  cancelling: boolean;
}

export type WizardOutcome =
  | { kind: 'created' }
  | { kind: 'failed'; message: string; hint?: string }
  | { kind: 'cancelled'; message: string };

export interface WizardState {
  step: StepId;
  values: WizardValues;
  /** focused field per step, kept when going back and forth */
  focus: Partial<Record<StepId, number>>;
  /** the last check's error, shown under the fields; cleared by the next edit */
  error: { message: string; hint?: string } | null;
  /** the warning before making the container privileged is open */
  warnPrivileged: boolean;
  /** the warning before running it without an AppArmor profile (unconfined) is open */
  warnUnconfined: boolean;
  /** first line shown of the summary */
  summaryTop: number;
  progress: WizardProgress;
  outcome: WizardOutcome | null;
  /** the container is being started from the last step */
  starting: boolean;
}

/** Log lines the progress step keeps. */
export const PROGRESS_LINES_KEPT = 200;

/** The values a wizard starts with: template busybox, the engine's bridge, next free address, generated MAC, unprivileged. */
export function initialValues(env: Pick<CreateEnv, 'defaultBridge' | 'templates'> & { lvmPools?: string[] }): WizardValues {
  const template = env.templates.some((t) => t.name === 'busybox') ? 'busybox' : (env.templates[0]?.name ?? 'busybox');
  return {
    name: '',
    template,
    options: {},
    bridge: env.defaultBridge,
    addressing: 'auto',
    ipv4: '',
    gateway: '',
    mac: 'generated',
    hwaddr: '',
    generatedHwaddr: randomHwaddr(),
    memory: '',
    swap: '',
    cpus: '',
    cpuWeight: '',
    backing: 'dir',
    size: '',
    lvmPool: env.lvmPools?.[0] ?? '',
    privileged: false,
    apparmor: 'default',
    apparmorName: '',
    seccomp: 'default',
    seccompPath: '',
  };
}

export function initialWizard(env: Pick<CreateEnv, 'defaultBridge' | 'templates'>): WizardState {
  return {
    step: 'name',
    values: initialValues(env),
    focus: {},
    error: null,
    warnPrivileged: false,
    warnUnconfined: false,
    summaryTop: 0,
    progress: { phase: '', fraction: null, lines: [], cancelling: false },
    outcome: null,
    starting: false,
  };
}

// ------------------------------------------------------------------ fields

export interface Field {
  /** `name`, `bridge`, `opt:release`... */
  id: string;
  label: string;
  kind: 'text' | 'choice';
  value: string;
  /** for a choice: the values, in order */
  choices?: string[];
  /** how each choice is shown (same order) */
  choiceLabels?: string[];
  /** shown dim when the value is empty */
  placeholder?: string;
  /** one line about the field, shown when it has the focus */
  help?: string;
  /** drawn as stars (passwords) */
  masked?: boolean;
}

/** The manifest of the chosen template, or undefined when the list does not have it. */
export function manifestOf(values: WizardValues, templates: readonly TemplateManifest[]): TemplateManifest | undefined {
  return templates.find((t) => t.name === values.template);
}

/** The option values shown for the chosen template: what was typed, else the manifest's defaults. */
export function optionValues(values: WizardValues, m: TemplateManifest | undefined): Record<string, string> {
  const typed = values.options[values.template] ?? {};
  const out: Record<string, string> = {};
  for (const o of m?.options ?? []) out[o.name] = typed[o.name] ?? o.default ?? '';
  return out;
}

const ADDRESSING_LABELS: Record<Addressing, string> = {
  auto: 'static, next free address',
  static: 'static, given below',
  dhcp: 'DHCP',
};

/** The fields of a form step (name, options, network, resources, security); [] for the others. */
/**
 * The next free address of `bridge`'s subnet by its host-wide record (the bridge's own address
 * and every address held are taken), as `A.B.C.D/PREFIX`; null when the bridge has no record
 * with a subnet yet (it is made at create) or the subnet is full.
 */
export function nextFreeOn(bridge: string, env: Pick<CreateEnv, 'bridgeRecord'>): string | null {
  const rec = env.bridgeRecord?.(bridge);
  if (!rec?.gateway) return null;
  try {
    const gw = parseCidr(rec.gateway);
    const ip = nextFreeAddress(gw, [gw.addr, ...Object.keys(rec.addresses).map(parseIpv4)]);
    return `${formatIpv4(ip)}/${gw.prefix}`;
  } catch {
    return null;
  }
}

/**
 * What the network step can tell of a static address before the create does, from the bridge's
 * host-wide record (core/hoststate): off the bridge's subnet, the bridge's own address, or held
 * by another container (of any lxcpath). Null when fine or not known (no record yet).
 */
export function staticAddressError(bridge: string, text: string, env: Pick<CreateEnv, 'bridgeRecord'>): { message: string; hint?: string } | null {
  const rec = env.bridgeRecord?.(bridge);
  if (!rec?.gateway) return null;
  let want: ReturnType<typeof parseCidr>;
  let gw: ReturnType<typeof parseCidr>;
  try {
    want = parseCidr(text.trim());
    gw = parseCidr(rec.gateway);
  } catch {
    return null; // planCreate says what is wrong with the text
  }
  const next = nextFreeOn(bridge, env);
  const hint = next ? `the next free address of ${bridge} is ${next}` : `choose "static, next free address"`;
  const subnet = `${formatIpv4(networkOf(gw))}/${gw.prefix}`;
  if (!contains(gw, want.addr) || want.prefix !== gw.prefix)
    return { message: `${formatCidr(want)} is not on ${bridge}'s subnet ${subnet}`, hint };
  if (want.addr === gw.addr) return { message: `${formatIpv4(want.addr)} is ${bridge}'s own address (the gateway)`, hint };
  const holder = rec.addresses[formatIpv4(want.addr)];
  if (holder && holder.source !== 'bridge')
    return {
      message: `${formatIpv4(want.addr)} is in use on ${bridge}${holder.name ? ` by ${holder.name}${holder.lxcpath ? ` (${holder.lxcpath})` : ''}` : holder.source === 'neighbour' ? ' (a host answers at it)' : ''}`,
      hint,
    };
  return null;
}

export function fieldsOf(step: StepId, values: WizardValues, env: Pick<CreateEnv, 'defaultBridge' | 'templates' | 'bridges' | 'security' | 'backings' | 'lvmPools' | 'bridgeRecord'>): Field[] {
  switch (step) {
    case 'storage': {
      const bs = backingsOf(env);
      const out: Field[] = [
        {
          id: 'backing',
          label: 'backing',
          kind: 'choice',
          value: values.backing,
          choices: bs,
          choiceLabels: bs.map((b) => BACKING_LABELS[b] ?? b),
          help: 'lxc-create -B: what the rootfs is stored on; only what this host can do is offered (lxdeck checkconfig says why)',
        },
      ];
      if (values.backing === 'lvm') {
        const pools = env.lvmPools?.length ? env.lvmPools : ['lxc/lxc'];
        out.push({ id: 'lvmPool', label: 'thin pool', kind: 'choice', value: values.lvmPool || pools[0], choices: pools, help: 'VG/POOL: the volume group and thin pool the thin volume is made in (lxc-create --vgname --thinpool)' });
      }
      if (values.backing === 'loop' || values.backing === 'lvm')
        out.push({ id: 'size', label: 'size', kind: 'text', value: values.size, placeholder: '(1G, as lxc-create --fssize)', help: values.backing === 'lvm' ? 'the thin volume\'s size, at least 16M, e.g. 2G' : 'the ext4 image\'s size, at least 16M, e.g. 2G' });
      return out;
    }
    case 'name':
      return [{ id: 'name', label: 'name', kind: 'text', value: values.name, help: CONTAINER_NAME_RULE }];
    case 'options': {
      const m = manifestOf(values, env.templates);
      const vals = optionValues(values, m);
      return (m?.options ?? []).map((o) => ({
        id: `opt:${o.name}`,
        label: o.name,
        kind: o.type === 'boolean' ? 'choice' : 'text',
        value: vals[o.name],
        choices: o.type === 'boolean' ? ['true', 'false'] : undefined,
        placeholder: o.default === undefined || o.default === '' ? '(none)' : undefined,
        help: o.description,
        masked: /password/i.test(o.name),
      }));
    }
    case 'network': {
      const bridges = [...new Set([env.defaultBridge, ...env.bridges, values.bridge])];
      const out: Field[] = [
        {
          id: 'bridge',
          label: 'bridge',
          kind: 'choice',
          value: values.bridge,
          choices: bridges,
          choiceLabels: bridges.map((b) => (env.bridges.includes(b) ? b : `${b} (made when missing)`)),
          help: 'lxc.net.0.link: the host bridge the container\'s veth joins',
        },
        {
          id: 'addressing',
          label: 'IPv4',
          kind: 'choice',
          value: values.addressing,
          choices: ['auto', 'static', 'dhcp'],
          choiceLabels: ['auto', 'static', 'dhcp'].map((a) => ADDRESSING_LABELS[a as Addressing]),
          help: 'auto: the next free address of the bridge\'s subnet; DHCP needs a DHCP server on the bridge',
        },
      ];
      if (values.addressing === 'static') {
        out.push(
          {
            id: 'ipv4',
            label: 'address',
            kind: 'text',
            value: values.ipv4,
            placeholder: ((n) => (n ? `A.B.C.D/PREFIX, e.g. ${n} (the next free one)` : `A.B.C.D/PREFIX on ${values.bridge}'s subnet`))(nextFreeOn(values.bridge, env)),
            help: 'lxc.net.0.ipv4.address, with the prefix length',
          },
          { id: 'gateway', label: 'gateway', kind: 'text', value: values.gateway, placeholder: '(the bridge\'s address when on its subnet)', help: 'lxc.net.0.ipv4.gateway, inside the address\'s subnet' },
        );
      }
      out.push({
        id: 'mac',
        label: 'MAC',
        kind: 'choice',
        value: values.mac,
        choices: ['generated', 'given'],
        choiceLabels: [`generated: ${values.generatedHwaddr}`, 'given below'],
        help: 'lxc.net.0.hwaddr',
      });
      if (values.mac === 'given') out.push({ id: 'hwaddr', label: 'hwaddr', kind: 'text', value: values.hwaddr, placeholder: 'xx:xx:xx:xx:xx:xx', help: 'six hex octets, unicast (the first octet even)' });
      return out;
    }
    case 'resources':
      return [
        { id: 'memory', label: 'memory', kind: 'text', value: values.memory, placeholder: '(no limit)', help: 'memory limit, e.g. 512M, 1GiB, 1.5G; -1 or max: unlimited' },
        { id: 'swap', label: 'swap', kind: 'text', value: values.swap, placeholder: '(no limit)', help: 'swap limit (swap alone, not memory + swap), same grammar' },
        { id: 'cpus', label: 'CPUs', kind: 'text', value: values.cpus, placeholder: '(no limit)', help: 'CPU bandwidth in CPUs: 1.5 is one and a half CPUs of time per period' },
        { id: 'cpuWeight', label: 'CPU weight', kind: 'text', value: values.cpuWeight, placeholder: '(default 100)', help: 'share of CPU time under contention, 1..10000 (200 gets twice a default container\'s)' },
      ];
    case 'security': {
      const out: Field[] = [
        {
          id: 'privileged',
          label: 'mode',
          kind: 'choice',
          value: values.privileged ? 'privileged' : 'unprivileged',
          choices: ['unprivileged', 'privileged'],
          choiceLabels: ['unprivileged (lxc.idmap: root inside is an ordinary user outside)', 'privileged (root inside is root on the host)'],
          help: 'unprivileged is the safe default',
        },
      ];
      if (apparmorEnabled(env)) {
        out.push({
          id: 'apparmor',
          label: 'AppArmor',
          kind: 'choice',
          value: values.apparmor,
          choices: [...APPARMOR_MODES],
          choiceLabels: ["LXC's default (lxc-container-default-cgns)", 'generated by LXC for this container', 'a loaded profile, named below', 'unconfined (no AppArmor profile)'],
          help: 'lxc.apparmor.profile: the AppArmor profile the container runs under',
        });
        if (values.apparmor === 'named')
          out.push({ id: 'apparmorName', label: 'profile', kind: 'text', value: values.apparmorName, placeholder: 'e.g. lxc-container-default-with-nesting', help: 'the name of a profile loaded on this host (/sys/kernel/security/apparmor/profiles)' });
      }
      const dflt = env.security?.defaultSeccompProfile;
      out.push({
        id: 'seccomp',
        label: 'seccomp',
        kind: 'choice',
        value: values.seccomp,
        choices: [...SECCOMP_MODES],
        choiceLabels: [dflt ? `LXC's default (${dflt})` : "LXC's default", 'none (no system call filter)', 'a profile file, given below'],
        help: "lxc.seccomp.profile: the system calls the container may not make; LXC's default refuses kexec_load, init_module and the like",
      });
      if (values.seccomp === 'file')
        out.push({ id: 'seccompPath', label: 'file', kind: 'text', value: values.seccompPath, placeholder: '/path/to/profile.seccomp', help: 'an LXC seccomp profile: "2", "denylist", then one rule a line, e.g. "mount errno 1"' });
      return out;
    }
    default:
      return [];
  }
}

/** True when the host has AppArmor enabled (the security step then offers profiles). */
export function apparmorEnabled(env: Pick<CreateEnv, 'security'>): boolean {
  return env.security?.apparmor === true;
}

/** `values` with field `id` set to `value` (for the privileged field use {@link WizardAction} set-privileged). */
export function setField(values: WizardValues, id: string, value: string): WizardValues {
  if (id.startsWith('opt:')) {
    const name = id.slice(4);
    const per = { ...(values.options[values.template] ?? {}), [name]: value };
    return { ...values, options: { ...values.options, [values.template]: per } };
  }
  switch (id) {
    case 'name':
    case 'bridge':
    case 'ipv4':
    case 'gateway':
    case 'hwaddr':
    case 'memory':
    case 'swap':
    case 'cpus':
    case 'cpuWeight':
    case 'size':
    case 'lvmPool':
    case 'backing':
    case 'apparmorName':
    case 'seccompPath':
      return { ...values, [id]: value };
    case 'apparmor':
      return (APPARMOR_MODES as readonly string[]).includes(value) ? { ...values, apparmor: value as ApparmorMode } : values;
    case 'seccomp':
      return (SECCOMP_MODES as readonly string[]).includes(value) ? { ...values, seccomp: value as SeccompMode } : values;
    case 'addressing':
      return { ...values, addressing: value as Addressing };
    case 'mac':
      return { ...values, mac: value === 'given' ? 'given' : 'generated' };
    default:
      return values;
  }
}

// ------------------------------------------------------------------ steps

/** How the storage step names each backing store. */
export const BACKING_LABELS: Record<string, string> = {
  dir: 'dir (a directory in the lxcpath)',
  loop: 'loop (an ext4 image file, mounted at start)',
  btrfs: 'btrfs (a subvolume: instant snapshot clones)',
  lvm: 'lvm (a thin volume: instant snapshot clones)',
  zfs: 'zfs (a dataset under lxc, as lxc-create -B zfs)',
};

/** The backing stores the wizard offers: the host's (CreateEnv.backings), dir when unknown. */
export function backingsOf(env: { backings?: readonly string[] }): string[] {
  return env.backings?.length ? [...env.backings] : ['dir'];
}

/** True when the step is shown: options only for a template with options, storage only when the host offers more than dir. */
export function stepShown(step: StepId, values: WizardValues, env: { templates: readonly TemplateManifest[]; backings?: readonly string[] }): boolean {
  if (step === 'options') return hasOptions(values, env.templates);
  if (step === 'storage') return backingsOf(env).length > 1;
  return true;
}

/** True when the chosen template takes options (else the options step is skipped). */
function hasOptions(values: WizardValues, templates: readonly TemplateManifest[]): boolean {
  return (manifestOf(values, templates)?.options.length ?? 0) > 0;
}

/**
 * The step after `step` in the form (name → … → summary), skipping options when the template has
 * none and storage when the host offers dir only (`backings`, CreateEnv.backings).
 */
export function nextStep(step: StepId, values: WizardValues, templates: readonly TemplateManifest[], backings?: readonly Backing[]): StepId {
  let i = STEPS.indexOf(step) + 1;
  while (i < STEPS.length - 1 && !stepShown(STEPS[i], values, { templates, backings })) i++;
  return STEPS[Math.min(i, STEPS.length - 1)];
}

/** The step before `step`, skipping the steps not shown (see nextStep); null before the first. */
export function prevStep(step: StepId, values: WizardValues, templates: readonly TemplateManifest[], backings?: readonly Backing[]): StepId | null {
  let i = STEPS.indexOf(step) - 1;
  while (i >= 0 && !stepShown(STEPS[i], values, { templates, backings })) i--;
  return i >= 0 ? STEPS[i] : null;
}

const ORDER = (s: StepId): number => STEPS.indexOf(s);

/**
 * The CreateOptions the values stand for, with the fields of the steps up to
 * `upTo` (all when left out): template options only where they differ from
 * the manifest's default, limits only where given.
 */
export function createOptionsOf(values: WizardValues, templates: readonly TemplateManifest[], upTo: StepId = 'summary'): CreateOptions {
  const at = ORDER(upTo);
  const o: CreateOptions = { template: values.template };
  if (at >= ORDER('options')) {
    const m = manifestOf(values, templates);
    const typed = values.options[values.template] ?? {};
    const opts: Record<string, string> = {};
    for (const opt of m?.options ?? []) {
      const v = typed[opt.name];
      if (v !== undefined && v !== (opt.default ?? '')) opts[opt.name] = v;
    }
    if (Object.keys(opts).length) o.options = opts;
  }
  if (at >= ORDER('network')) {
    o.bridge = values.bridge;
    if (values.addressing === 'dhcp') o.dhcp = true;
    if (values.addressing === 'static') {
      o.ipv4 = values.ipv4.trim();
      if (values.gateway.trim()) o.gateway = values.gateway.trim();
    }
    o.hwaddr = values.mac === 'given' ? values.hwaddr.trim() : values.generatedHwaddr;
  }
  if (at >= ORDER('resources')) {
    if (values.memory.trim()) o.memory = values.memory.trim();
    if (values.swap.trim()) o.swap = values.swap.trim();
    if (values.cpus.trim()) o.cpus = values.cpus.trim();
    if (values.cpuWeight.trim()) o.cpuWeight = values.cpuWeight.trim();
  }
  if (at >= ORDER('storage')) {
    if (values.backing !== 'dir') o.backing = values.backing;
    if ((values.backing === 'loop' || values.backing === 'lvm') && values.size.trim()) o.size = values.size.trim();
    if (values.backing === 'lvm' && values.lvmPool) [o.vgname, o.thinpool] = values.lvmPool.split('/');
  }
  if (at >= ORDER('security')) {
    if (values.privileged) o.privileged = true;
    if (values.apparmor !== 'default') o.apparmorProfile = values.apparmor === 'named' ? values.apparmorName.trim() : values.apparmor;
    if (values.seccomp === 'none') o.seccompProfile = 'none';
    // absolute, so the command line in the summary works from any directory
    if (values.seccomp === 'file') o.seccompProfile = values.seccompPath.trim() ? resolve(values.seccompPath.trim()) : '';
  }
  return o;
}

/** planCreate's env from the wizard's. */
function planEnv(env: CreateEnv): Parameters<typeof planCreate>[2] {
  return { defaultBridge: env.defaultBridge, layout: env.layout, template: (t) => env.template(t), lxcpath: env.lxcpath, security: env.security };
}

/**
 * Checks the values of the steps up to `step` with planCreate (nothing is
 * written or run), plus what the plan cannot see: a name already taken in
 * the list, an empty static address or MAC.
 * @returns the plan, or the error to show with its hint
 */
export function checkStep(step: StepId, values: WizardValues, env: CreateEnv, taken: readonly string[] = []): { plan: CreatePlan } | { error: { message: string; hint?: string } } {
  if (step === 'name' && taken.includes(values.name))
    return { error: { message: `a container named ${values.name} already exists`, hint: 'choose another name' } };
  if (ORDER(step) >= ORDER('network')) {
    if (values.addressing === 'static' && !values.ipv4.trim()) return { error: { message: 'give the static address (A.B.C.D/PREFIX)', hint: 'or choose "static, next free address" or DHCP' } };
    if (values.addressing === 'static') {
      const bad = staticAddressError(values.bridge, values.ipv4, env);
      if (bad) return { error: bad };
    }
    if (values.mac === 'given' && !values.hwaddr.trim()) return { error: { message: 'give the MAC address (xx:xx:xx:xx:xx:xx)', hint: 'or choose a generated one' } };
  }
  if (ORDER(step) >= ORDER('security')) {
    if (apparmorEnabled(env) && values.apparmor === 'named' && !values.apparmorName.trim())
      return { error: { message: 'give the name of the AppArmor profile', hint: "or choose LXC's default" } };
    if (values.seccomp === 'file' && !values.seccompPath.trim())
      return { error: { message: 'give the path of the seccomp profile file', hint: "or choose LXC's default" } };
  }
  try {
    return { plan: planCreate(values.name, createOptionsOf(values, env.templates, step), planEnv(env)) };
  } catch (e) {
    const { message, hint } = formatError(e);
    return { error: { message, hint } };
  }
}

/** A marker renderConfig writes for the idmap range base, replaced in the summary by what it stands for. */
const IDMAP_MARK = 987_650_000;

/**
 * The summary: the config text the create will write (core renderConfig),
 * with what is decided only while creating said so: the address ("next
 * free"), the idmap range ("allocated") and the template's own keys; and the
 * equivalent `lxdeck create` command line.
 */
export function summaryOf(plan: CreatePlan, values: WizardValues, env: CreateEnv, lxcpath: string, now = new Date()): { config: string[]; command: string } {
  const dir = `${lxcpath.replace(/\/+$/, '')}/${plan.name}`;
  let ipv4: string | undefined;
  let gateway: string | undefined;
  if (plan.net.mode === 'static') {
    if (values.addressing === 'static') {
      ipv4 = values.ipv4.trim();
      gateway = values.gateway.trim() || `<the address of ${plan.bridge}, when on its subnet>`;
    } else {
      ipv4 = `<next free address on ${plan.bridge}>`;
      gateway = `<the address of ${plan.bridge}>`;
    }
  }
  const text = renderConfig(plan, {
    dir,
    ipv4,
    gateway,
    idmapBase: plan.privileged ? undefined : IDMAP_MARK,
    templateConfig: [],
    created: now.toISOString(),
  });
  const end = IDMAP_MARK + 65535;
  const config = text
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => l.replaceAll(String(end), 'BASE+65535').replaceAll(String(IDMAP_MARK), 'BASE'));
  const at = config.findIndex((l) => l.startsWith('# unprivileged'));
  if (at >= 0) config.splice(at + 1, 0, '# (BASE: the first host id of a free subordinate id range, allocated while creating)');
  config.push('', `# and the keys the ${plan.templateName} template adds`);
  return { config, command: createCommandLine(plan.name, createOptionsOf(values, env.templates), { lxcpath }).line };
}

// ------------------------------------------------------------------ reducer

export type WizardAction =
  | { type: 'set'; id: string; value: string }
  | { type: 'focus'; step: StepId; index: number }
  | { type: 'goto'; step: StepId }
  | { type: 'error'; error: { message: string; hint?: string } | null }
  | { type: 'warn-privileged'; open: boolean }
  | { type: 'set-privileged'; value: boolean }
  | { type: 'warn-unconfined'; open: boolean }
  | { type: 'set-apparmor'; value: ApparmorMode }
  | { type: 'template'; name: string }
  | { type: 'summary-top'; top: number }
  | { type: 'progress'; ev: ProgressEvent }
  | { type: 'cancelling' }
  | { type: 'outcome'; outcome: WizardOutcome }
  | { type: 'starting'; value: boolean };

/** The wizard's reducer. Pure. */
export function wizardReducer(s: WizardState, a: WizardAction): WizardState {
  switch (a.type) {
    case 'set':
      return { ...s, values: setField(s.values, a.id, a.value), error: null };
    case 'focus':
      return s.focus[a.step] === a.index ? s : { ...s, focus: { ...s.focus, [a.step]: a.index } };
    case 'goto':
      if (a.step === 'progress') return { ...s, step: a.step, error: null, outcome: null, progress: { phase: 'check', fraction: 0, lines: [], cancelling: false } };
      return { ...s, step: a.step, error: null, warnPrivileged: false, warnUnconfined: false, summaryTop: a.step === 'summary' ? 0 : s.summaryTop };
    case 'error':
      return { ...s, error: a.error };
    case 'warn-privileged':
      return { ...s, warnPrivileged: a.open };
    case 'set-privileged':
      return { ...s, values: { ...s.values, privileged: a.value }, warnPrivileged: false, error: null };
    case 'warn-unconfined':
      return { ...s, warnUnconfined: a.open };
    case 'set-apparmor':
      return { ...s, values: { ...s.values, apparmor: a.value }, warnUnconfined: false, error: null };
    case 'template':
      return s.values.template === a.name ? s : { ...s, values: { ...s.values, template: a.name }, error: null, focus: { ...s.focus, options: 0 } };
    case 'summary-top':
      return { ...s, summaryTop: Math.max(0, a.top) };
    case 'progress': {
      const p = s.progress;
      const lines = a.ev.line === undefined ? p.lines : [...p.lines, a.ev.line].slice(-PROGRESS_LINES_KEPT);
      return { ...s, progress: { ...p, phase: a.ev.phase || p.phase, fraction: a.ev.fraction ?? p.fraction, lines } };
    }
    case 'cancelling':
      return { ...s, progress: { ...s.progress, cancelling: true } };
    case 'outcome':
      return { ...s, outcome: a.outcome, step: a.outcome.kind === 'created' ? 'done' : s.step };
    case 'starting':
      return { ...s, starting: a.value };
    default: {
      const never: never = a;
      return never;
    }
  }
}

import { isIP } from 'node:net';
import { isSafeHostKeyAlias } from '../../shared/names.js';
import { TunnelError } from '../../shared/errors.js';
import type { Forward, Profile, StrictHostKeyChecking } from '../../shared/profile.js';
import { parseAlgorithmList } from './algorithms.js';
import { parseForwardSpec } from './forward-spec.js';
import { parseTypedJumpSpec, type TypedJumpHost } from './destination.js';
import { parseConnectPort } from './ports.js';
import { assertSafeHostname, printable } from './hostnames.js';
import { checkPathTokens } from './path-tokens.js';

/**
 * ssh_config(5) options as given with `-o` (and, later, read from ~/.ssh/config).
 * OpenSSH keeps the first value obtained for each option; `set` records which were obtained.
 */
export interface OptionState {
  profile: Profile;
  set: Set<string>;
  warnings: string[];
  /** ProxyJump as written (aliases, ports only where given): hops are resolved through ssh_config later. */
  typedJumps: TypedJumpHost[] | null;
  /** Checking a line of a block that does not apply: ssh(1) refuses bad values there too. */
  validateOnly?: boolean;
  /** Where options come from now, for IdentityFile's duplicate rule (see addIdentityFile). */
  source?: IdentitySource;
  /** IdentityFiles already added, as `source:path`. */
  identityKeys?: Set<string>;
  /** `profile.host` is final (HostName expanded, lower-cased) for ssh's second pass over the files. */
  hostExpanded?: boolean;
}

/** `-i`; `-o` and the user's files (-F included); the system file. */
export type IdentitySource = 'flag' | 'user' | 'system';

/**
 * readconf.c add_identity_file(): a path already added from the same kind of source is not
 * added again, but `-i k` and `IdentityFile k` in ~/.ssh/config are both kept.
 */
export function addIdentityFile(state: OptionState, path: string, source: IdentitySource = state.source ?? 'user'): void {
  state.identityKeys ??= new Set();
  const key = `${source}:${path}`;
  if (state.identityKeys.has(key)) return;
  state.identityKeys.add(key);
  state.profile.identityFiles.push(checkPathTokens('IdentityFile', path));
}

export function newOptionState(profile: Profile, warnings: string[] = []): OptionState {
  return { profile, set: new Set(), warnings, typedJumps: null };
}

/**
 * ProxyJump and ProxyCommand, first value wins across both, as ssh 9.x has it (checked with
 * ssh -G): a ProxyCommand (`none` included) or a real ProxyJump makes every later one of either
 * ignored; `ProxyJump none` stops later ProxyJumps but lets a later ProxyCommand through.
 */
export function setProxyJump(state: OptionState, hops: TypedJumpHost[]): void {
  state.set.add('proxyjump');
  if (hops.length > 0) state.set.add('proxycommand');
  state.typedJumps = hops;
  state.profile.jumps = hops.map((h) => ({ ...h, port: h.port ?? 22 }));
}

/** What the command line of a later hop does (`ssh -J earlier,hops hop`): no proxy from the file. */
export function markProxySet(state: OptionState): void {
  state.set.add('proxyjump');
  state.set.add('proxycommand');
}

const forwardKey = (f: Forward): string => JSON.stringify([f.kind === 'remote' ? 'R' : 'L', f.bind, f.kind === 'dynamic' ? null : (f.target ?? null)]);

/** Adds a forward unless the same one is there already (readconf.c add_local_forward/add_remote_forward). */
export function addForward(profile: Profile, forward: Forward): void {
  const key = forwardKey(forward);
  if (!profile.forwards.some((f) => forwardKey(f) === key)) profile.forwards.push(forward);
}

/** Options that change nothing for a tunnel manager: accepted so pasted commands keep working. */
export const IGNORED_OPTIONS: ReadonlySet<string> = new Set([
  'addkeystoagent',
  'canonicalizehostname',
  'checkhostip',
  'clearallforwardings',
  'connectionattempts',
  'controlmaster',
  'controlpath',
  'controlpersist',
  'escapechar',
  'kbdinteractiveauthentication',
  'loglevel',
  'numberofpasswordprompts',
  'passwordauthentication',
  'preferredauthentications',
  'pubkeyauthentication',
  'requesttty',
  'sendenv',
  'sessiontype',
  'setenv',
  'stdinnull',
  'tcpkeepalive',
  'updatehostkeys',
  'visualhostkey',
  'forkafterauthentication',
]);

/** Real ssh_config options whose behaviour we do not provide: refused rather than silently dropped. */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  certificatefile: 'OpenSSH certificates are not supported by the ssh2 library',
  pkcs11provider: 'PKCS#11 tokens are not supported',
  securitykeyprovider: 'security keys are not supported',
  localcommand: 'tunnelvision never runs local commands',
  permitlocalcommand: 'tunnelvision never runs local commands',
  remotecommand: 'tunnelvision never runs remote commands',
  tunnel: 'tun/tap forwarding (-w) is not supported',
  tunneldevice: 'tun/tap forwarding (-w) is not supported',
  hostkeyalgorithms: 'choosing host key algorithms is not supported yet',
  bindinterface: 'choosing the local source interface is not supported yet',
  match: 'Match is only valid in a configuration file',
  host: 'Host is only valid in a configuration file',
  include: 'Include is only valid in a configuration file',
  streamlocalbindunlink: 'StreamLocalBindUnlink is not supported yet',
  identityagent: 'IdentityAgent is not supported yet; set SSH_AUTH_SOCK',
};

function fail(key: string, value: string, why: string): never {
  throw new TunnelError('BAD_OPTION', `-o ${key}: '${printable(value)}' ${why}`);
}

export function parseYesNo(key: string, value: string): boolean {
  switch (value.toLowerCase()) {
    case 'yes':
    case 'true':
      return true;
    case 'no':
    case 'false':
      return false;
    default:
      return fail(key, value, 'must be yes or no');
  }
}

/** OpenSSH's convtime(): "90", "90s", "1m30s", "2h"; seconds. */
export function parseTimeSeconds(key: string, value: string): number {
  const v = value.trim().toLowerCase();
  if (!/^(\d+[smhdw]?)+$/.test(v)) fail(key, value, 'is not a time (e.g. 30, 30s, 1m30s)');
  const units: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
  let total = 0;
  for (const m of v.matchAll(/(\d+)([smhdw]?)/g)) total += Number(m[1]) * units[m[2] ?? '']!;
  if (!Number.isSafeInteger(total) || total > 2 ** 31) fail(key, value, 'is too large');
  return total;
}

function parseInteger(key: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value)) fail(key, value, 'is not a whole number');
  const n = Number(value);
  if (n < min || n > max) fail(key, value, `must be between ${min} and ${max}`);
  return n;
}

function parseStrict(key: string, value: string): StrictHostKeyChecking {
  switch (value.toLowerCase()) {
    case 'yes':
    case 'true':
      return 'yes';
    case 'no':
    case 'off':
    case 'false':
      return 'no';
    case 'ask':
      return 'ask';
    case 'accept-new':
      return 'accept-new';
    default:
      return fail(key, value, 'must be yes, no, ask or accept-new');
  }
}

/** ssh_config writes forwards as "listen target"; ssh(1) joins them with ':' before parsing. */
function parseConfigForward(kind: Forward['kind'], value: string): Forward {
  const words = value.trim().split(/\s+/);
  if (kind === 'dynamic' || words.length === 1) return parseForwardSpec(kind, words.join(':'));
  if (words.length !== 2) {
    throw new TunnelError('BAD_FORWARD_SPEC', `Bad forward '${printable(value)}': expected "[bind:]port host:hostport"`);
  }
  return parseForwardSpec(kind, `${words[0]}:${words[1]}`);
}

/** Splits "Key=Value", "Key Value" or "Key = Value" the way OpenSSH's readconf does. */
export function splitOption(text: string): { key: string; value: string } {
  const m = /^\s*([A-Za-z][A-Za-z0-9]*)\s*(?:=\s*|\s+)(.*?)\s*$/.exec(text);
  if (!m || m[2] === undefined) {
    throw new TunnelError('BAD_OPTION', `-o '${printable(text)}': expected Key=Value or "Key Value"`);
  }
  let value = m[2];
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
  if (value === '') throw new TunnelError('BAD_OPTION', `-o ${m[1]}: missing a value`);
  return { key: m[1]!, value };
}

/** Applies one option with first-value-wins; forwards and identity files accumulate. */
export function applyOption(state: OptionState, key: string, value: string): void {
  const k = key.toLowerCase();
  const p = state.profile;
  // The value is checked even when an earlier one wins: readconf.c parses before it looks.
  const first = (apply: (p: Profile) => void): void => {
    if (state.set.has(k)) return apply(structuredClone(p));
    state.set.add(k);
    apply(p);
  };
  switch (k) {
    case 'hostname':
      return first((p) => {
        // It reaches ProxyCommand's %h and every message: the same rules as a typed destination.
        assertSafeHostname(value, key);
        p.host = value;
      });
    case 'user':
      return first((p) => (p.user = value));
    case 'port':
      return first((p) => (p.port = parseConnectPort(value, '-o Port')));
    case 'identityfile':
      // Tokens are checked where a value is used, as ssh expands only those: a bad one in a
      // block for another host breaks nothing (see addIdentityFile, checkPathTokens).
      if (!state.validateOnly) addIdentityFile(state, value);
      return;
    case 'identitiesonly':
      return first((p) => (p.identitiesOnly = parseYesNo(key, value)));
    case 'globalknownhostsfile':
      return first((p) => {
        p.globalKnownHostsFiles = value.toLowerCase() === 'none' ? ['/dev/null'] : value.split(/\s+/).filter(Boolean);
      });
    case 'hashknownhosts':
      return first((p) => (p.hashKnownHosts = parseYesNo(key, value)));
    case 'userknownhostsfile': {
      const used = !state.set.has(k) && !state.validateOnly;
      return first((p) => {
        p.knownHostsFiles = value.toLowerCase() === 'none' ? ['/dev/null'] : value.split(/\s+/).filter(Boolean).map((f) => (used ? checkPathTokens(key, f) : f));
      });
    }
    case 'stricthostkeychecking':
      return first((p) => (p.strictHostKeyChecking = parseStrict(key, value)));
    case 'serveraliveinterval':
      return first((p) => {
        const seconds = parseTimeSeconds(key, value);
        if (seconds > 86400) fail(key, value, 'is longer than a day');
        p.keepalive.interval = seconds;
      });
    case 'serveralivecountmax':
      return first((p) => (p.keepalive.countMax = parseInteger(key, value, 1, 1000)));
    case 'exitonforwardfailure':
      return first((p) => (p.exitOnForwardFailure = parseYesNo(key, value)));
    case 'gatewayports':
      return first((p) => (p.gatewayPorts = parseYesNo(key, value)));
    case 'proxyjump': {
      // Every ProxyJump must be [user@]host[:port] (readconf.c parse_jump checks even unused
      // ones); host names are checked only in the one that counts: ssh keeps any text there
      // and fails only when it connects through it.
      const spec = value.replace(/#.*$/, '').trim(); // parse_jump drops a trailing comment
      if (state.set.has('proxyjump') || state.validateOnly) {
        parseTypedJumpSpec(spec, { checkNames: false });
        return;
      }
      setProxyJump(state, parseTypedJumpSpec(spec));
      return;
    }
    case 'proxycommand':
      if (state.set.has('proxycommand') || state.validateOnly) return;
      markProxySet(state);
      p.proxyCommand = value.toLowerCase() === 'none' ? null : value;
      return;
    case 'batchmode':
      return first((p) => (p.batchMode = parseYesNo(key, value)));
    case 'connecttimeout':
      return first((p) => {
        const seconds = parseTimeSeconds(key, value);
        if (seconds < 1 || seconds > 3600) fail(key, value, 'must be between 1 second and 1 hour');
        p.connectTimeout = seconds;
      });
    case 'forwardagent':
      return first((p) => (p.forwardAgent = parseYesNo(key, value)));
    case 'compression':
      return first((p) => (p.compression = parseYesNo(key, value)));
    case 'addressfamily':
      return first((p) => {
        const v = value.toLowerCase();
        if (v !== 'any' && v !== 'inet' && v !== 'inet6') fail(key, value, 'must be any, inet or inet6');
        p.addressFamily = v;
      });
    case 'hostkeyalias':
      // ssh.c lower-cases it, as it does the host name, before known_hosts sees it.
      // It is written to known_hosts as a host field: no pattern or marker characters there.
      if (!isSafeHostKeyAlias(value)) fail(key, value, 'must be a host name (no spaces, shell metacharacters, or known_hosts pattern characters such as , * ? !)');
      return first((p) => (p.hostKeyAlias = value.toLowerCase()));
    case 'bindaddress':
      return first((p) => {
        if (isIP(value) === 0) fail(key, value, 'must be an IP address of this machine');
        p.bindAddress = value;
      });
    case 'ciphers':
      return first((p) => (p.ciphers = parseAlgorithmList('Ciphers', value)));
    case 'macs':
      return first((p) => (p.macs = parseAlgorithmList('MACs', value)));
    case 'kexalgorithms':
      return first((p) => (p.kexAlgorithms = parseAlgorithmList('KexAlgorithms', value)));
    case 'forwardx11':
    case 'forwardx11trusted':
      if (parseYesNo(key, value)) throw new TunnelError('UNSUPPORTED_OPTION', `option ${key} is not supported: X11 forwarding is not supported`);
      return;
    case 'localforward':
      return addForward(p, parseConfigForward('local', value));
    case 'remoteforward':
      return addForward(p, parseConfigForward('remote', value));
    case 'dynamicforward':
      return addForward(p, parseConfigForward('dynamic', value));
  }
  if (IGNORED_OPTIONS.has(k)) {
    state.warnings.push(`option ${key} has no effect in tunnelvision and was ignored`);
    return;
  }
  const why = UNSUPPORTED[k];
  if (why !== undefined) throw new TunnelError('UNSUPPORTED_OPTION', `option ${key} is not supported: ${why}`);
  throw new TunnelError('BAD_OPTION', `Bad configuration option: ${printable(key)}`);
}

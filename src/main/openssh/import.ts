import { homedir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { TunnelError, toErrorInfo } from '../../shared/errors.js';
import { defaultProfile, type JumpHost, type Profile } from '../../shared/profile.js';
import { localUserName } from '../engine/paths.js';
import { assertSafeHostname, printable } from './hostnames.js';
import { applyOption, IGNORED_OPTIONS, type OptionState } from './options.js';
import { parseSshConfigFile, type Condition, type ConfigLine, type ConfigProblem } from './ssh-config.js';
import { globToRegExp } from './glob.js';

export interface ImportedProfile extends Profile {
  /** The Host alias. */
  name: string;
  warnings: string[];
}

export interface ImportResult {
  profiles: ImportedProfile[];
  /** Problems with the file itself (bad lines, unreadable includes), each with its line. */
  problems: ConfigProblem[];
  /** What was deliberately not done: Match exec never run, unsupported options skipped. */
  skipped: string[];
}

/** Beyond IGNORED_OPTIONS: options an importer drops silently (interactive-only, or ssh2 decides). */
const SILENT = new Set([
  'usekeychain', 'ignoreunknown', 'xauthlocation', 'canonicaldomains', 'canonicalizemaxdots',
  'canonicalizefallbacklocal', 'canonicalizepermittedcnames', 'challengeresponseauthentication',
  'pubkeyacceptedalgorithms', 'pubkeyacceptedkeytypes', 'hostbasedauthentication',
  'hostbasedacceptedalgorithms', 'gssapiauthentication', 'gssapidelegatecredentials',
  'enableescapecommandline', 'permitremoteopen', 'streamlocalbindmask', 'verifyhostkeydns',
  'obscurekeystroketiming', 'casignaturealgorithms', 'fingerprinthash', 'rekeylimit', 'ipqos',
  'nohostauthenticationforlocalhost', 'revokedhostkeys', 'requiredrsasize', 'tag', 'forwardx11timeout',
  'protocol', 'useroaming',
]);
const NEVER_RUN = new Set(['localcommand', 'permitlocalcommand', 'knownhostscommand', 'remotecommand']);

function patternMatches(pattern: string, value: string): boolean {
  return globToRegExp(pattern, 'i').test(value);
}

/** ssh_config pattern lists: a matching negated pattern excludes, else any positive match includes. */
export function patternListMatches(patterns: string[], value: string): boolean {
  let matched = false;
  for (const p of patterns.flatMap((x) => x.split(','))) {
    if (p.startsWith('!')) {
      if (patternMatches(p.slice(1), value)) return false;
    } else if (patternMatches(p, value)) matched = true;
  }
  return matched;
}

const isConcrete = (pattern: string): boolean => !/[*?!]/.test(pattern) && pattern !== '';

interface MatchContext {
  alias: string;
  hostname: string;
  user: string;
}

/** true / false, or a string saying why the block cannot be evaluated (it is then skipped). */
function conditionHolds(c: Condition, ctx: MatchContext): boolean | string {
  if (c.kind === 'host') return patternListMatches(c.patterns, ctx.alias);
  for (const crit of c.criteria) {
    let result: boolean;
    switch (crit.name) {
      case 'all':
      case 'final':
        result = true;
        break;
      case 'canonical':
        result = false;
        break;
      case 'host':
        result = patternListMatches(crit.args, ctx.hostname);
        break;
      case 'originalhost':
        result = patternListMatches(crit.args, ctx.alias);
        break;
      case 'user':
        result = patternListMatches(crit.args, ctx.user);
        break;
      case 'localuser':
        result = patternListMatches(crit.args, localUserName());
        break;
      case 'exec':
        return `Match exec at ${c.file}:${c.line} was not run (import never executes anything); its block was skipped`;
      default:
        return `Match ${crit.name} at ${c.file}:${c.line} is not supported; its block was skipped`;
    }
    if (result === crit.negated) return false;
  }
  return true;
}

/**
 * Applies the blocks of an ssh_config that match `alias` onto `state`, first value wins — so
 * whatever `state` already holds (a command line's options) stays, as in ssh(1). Lines that
 * cannot be applied become warnings; deliberately skipped things go to `skipped`.
 */
function applyConfigFor(alias: string, lines: ConfigLine[], state: OptionState, user: string | null, skipped: Set<string>): void {
  for (const l of lines) {
    if (l.condition) {
      const p = state.profile;
      const holds = conditionHolds(l.condition, { alias, hostname: state.set.has('hostname') ? p.host : alias, user: user ?? p.user ?? localUserName() });
      if (typeof holds === 'string') {
        skipped.add(holds);
        continue;
      }
      if (!holds) continue;
    }
    const where = `${l.file}:${l.line}`;
    if (NEVER_RUN.has(l.keyword)) {
      skipped.add(`${where}: ${l.name} skipped: tunnelvision never runs commands`);
      continue;
    }
    if (SILENT.has(l.keyword) || IGNORED_OPTIONS.has(l.keyword)) continue;
    const value = l.keyword === 'proxycommand' ? l.rest : l.keyword === 'hostname' ? l.args[0]!.replace(/%h/g, alias).replace(/%%/g, '%') : l.args.join(' ');
    try {
      applyOption(state, l.name, value);
    } catch (err) {
      state.warnings.push(`${where}: ${toErrorInfo(err).message}; line skipped`);
    }
  }
}

function computeFor(alias: string, lines: ConfigLine[], skipped: Set<string>): { profile: Profile; warnings: string[] } {
  const state: OptionState = { profile: defaultProfile(alias), set: new Set(), warnings: [] };
  applyConfigFor(alias, lines, state, null, skipped);
  return { profile: state.profile, warnings: state.warnings };
}

/** Jump hops written as Host aliases take that alias's HostName, User and Port. */
function resolveJumpAliases(jumps: JumpHost[], lookup: (alias: string) => Profile | undefined): JumpHost[] {
  return jumps.map((hop) => {
    const via = lookup(hop.host);
    if (!via) return hop;
    return { host: via.host, user: hop.user ?? via.user, port: hop.port === 22 ? via.port : hop.port };
  });
}

/** An ssh_config as `ssh host` consults it: see parseSshCommand's `sshConfig`. */
export interface SshConfigView {
  applyTo(alias: string, state: OptionState, user: string | null): void;
  resolveJumps(jumps: JumpHost[]): JumpHost[];
}

/**
 * ~/.ssh/config (or `path`, as with `ssh -F`) for resolving a command line's destination. A
 * missing default file is no config at all; a missing `-F` file is an error, as in ssh(1).
 */
export function loadSshConfig(path: string | null): SshConfigView {
  const file = path ?? join(homedir(), '.ssh', 'config');
  if (!existsSync(file)) {
    if (path === null) return { applyTo: () => undefined, resolveJumps: (jumps) => jumps };
    throw new TunnelError('SSH_CONFIG_UNREADABLE', `-F ${printable(path)}: no such file`);
  }
  const parsed = parseSshConfigFile(file, { includeBase: join(homedir(), '.ssh') });
  const skipped = new Set<string>();
  const known = (alias: string): Profile | undefined => {
    const isAlias = parsed.conditions.some((c) => c.kind === 'host' && c.patterns.includes(alias));
    return isAlias ? computeFor(alias, parsed.lines, skipped).profile : undefined;
  };
  return {
    applyTo: (alias, state, user) => {
      for (const p of parsed.problems) state.warnings.push(`${p.file}:${p.line}: ${p.message}`);
      applyConfigFor(alias, parsed.lines, state, user, skipped);
      state.warnings.push(...skipped);
    },
    resolveJumps: (jumps) => resolveJumpAliases(jumps, known),
  };
}

/**
 * Profiles for every concrete Host alias in an ssh_config, as `ssh <alias>` would see them:
 * first value wins, `Host *` and pattern blocks apply to each alias, ProxyJump hops named by
 * alias are resolved through the same file. Wildcard-only blocks are defaults, not profiles.
 */
export function importSshConfig(path = join(homedir(), '.ssh', 'config')): ImportResult {
  const parsed = parseSshConfigFile(path, { includeBase: join(homedir(), '.ssh') });
  const skipped = new Set<string>();
  const aliases: string[] = [];
  for (const c of parsed.conditions) {
    if (c.kind !== 'host') continue;
    for (const p of c.patterns) if (isConcrete(p) && !aliases.includes(p)) aliases.push(p);
  }
  const computed = new Map(aliases.map((a) => [a, computeFor(a, parsed.lines, skipped)]));
  const profiles: ImportedProfile[] = [];
  for (const alias of aliases) {
    const { profile, warnings } = computed.get(alias)!;
    profile.jumps = resolveJumpAliases(profile.jumps, (a) => computed.get(a)?.profile);
    try {
      assertSafeHostname(profile.host, `Host ${alias}`);
    } catch (err) {
      warnings.push(`${toErrorInfo(err).message}; not imported`);
      parsed.problems.push({ file: path, line: 0, message: `Host ${alias}: ${toErrorInfo(err).message}` });
      continue;
    }
    if (profile.jumps.length > 0 && profile.proxyCommand !== null) {
      warnings.push('both ProxyJump and ProxyCommand are set; ProxyJump was kept');
      profile.proxyCommand = null;
    }
    profiles.push({ name: alias, ...profile, warnings });
  }
  return { profiles, problems: parsed.problems, skipped: [...skipped] };
}

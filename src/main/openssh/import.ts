import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { TunnelError, toErrorInfo } from '../../shared/errors.js';
import { defaultProfile, type JumpHost, type Profile } from '../../shared/profile.js';
import { localUserName } from '../engine/paths.js';
import { assertSafeHostname, printable } from './hostnames.js';
import { applyOption, IGNORED_OPTIONS, markProxySet, newOptionState, type OptionState } from './options.js';
import { parseSshConfigFile, type Condition, type ConfigLine, type ConfigProblem, type ParsedConfig } from './ssh-config.js';
import type { TypedJumpHost } from './destination.js';
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

/** ssh_config pattern lists: a matching negated pattern excludes, else any positive match includes. */
export function patternListMatches(patterns: string[], value: string, caseInsensitive = false): boolean {
  let matched = false;
  const flags = caseInsensitive ? 'i' : '';
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (globToRegExp(p.slice(1), flags).test(value)) return false;
    } else if (globToRegExp(p, flags).test(value)) matched = true;
  }
  return matched;
}

const isConcrete = (pattern: string): boolean => !/[*?!]/.test(pattern) && pattern !== '';

interface MatchContext {
  /** The destination as typed: what `Host` and `Match originalhost` see. */
  alias: string;
  /** HostName with %h expanded, or the alias: what `Match host` sees. */
  hostname: string;
  user: string;
}

/**
 * true / false, or a string saying why the block cannot be evaluated (it is then skipped).
 * As readconf.c: `Host` patterns are case-sensitive against the name as typed; `Match host` and
 * `Match originalhost` compare without case; `Match user` and `localuser` with case.
 */
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
        result = patternListMatches(crit.args, ctx.hostname, true);
        break;
      case 'originalhost':
        result = patternListMatches(crit.args, ctx.alias, true);
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
 * HostName's tokens as ssh(1) expands them: `%h` (the name as typed) and `%%`; anything else is
 * an error there too ("percent_expand: unknown key").
 */
export function expandHostName(value: string, alias: string): string {
  return value.replace(/%(.?)/g, (_, token: string) => {
    if (token === 'h') return alias;
    if (token === '%') return '%';
    throw new TunnelError('BAD_OPTION', `HostName '${printable(value)}': unknown token %${printable(token)} (only %h and %% are allowed)`);
  });
}

/**
 * Applies the blocks of an ssh_config that match `alias` onto `state`, first value wins — so
 * whatever `state` already holds (a command line's options) stays, as in ssh(1). Lines that
 * cannot be applied become warnings; deliberately skipped things go to `skipped`.
 */
function applyConfigFor(alias: string, lines: ConfigLine[], state: OptionState, skipped: Set<string>, strict = false): void {
  // Each block header is evaluated once, when first needed: nothing is applied between a
  // header and its first line, so this is the moment ssh evaluates it too.
  const evaluated = new Map<Condition, boolean>();
  const holds = (c: Condition): boolean => {
    let result = evaluated.get(c);
    if (result === undefined) {
      const p = state.profile;
      const hostname = state.set.has('hostname') ? safeExpand(p.host, alias) : alias;
      const verdict = conditionHolds(c, { alias, hostname, user: p.user ?? localUserName() });
      if (typeof verdict === 'string') skipped.add(verdict);
      result = verdict === true;
      evaluated.set(c, result);
    }
    return result;
  };
  for (const l of lines) {
    const where = `${l.file}:${l.line}`;
    if (!l.conditions.every(holds)) {
      if (strict) validateLine(l, where);
      continue;
    }
    if (NEVER_RUN.has(l.keyword)) {
      skipped.add(`${where}: ${l.name} skipped: tunnelvision never runs commands`);
      continue;
    }
    if (SILENT.has(l.keyword) || IGNORED_OPTIONS.has(l.keyword)) continue;
    const value = optionValue(l);
    try {
      applyOption(state, l.name, value);
    } catch (err) {
      const info = toErrorInfo(err);
      // ssh(1) refuses to run with a bad line in the file; so does a command line resolved
      // through it. An option ssh has and we lack is skipped with a warning instead.
      if (strict && info.code !== 'UNSUPPORTED_OPTION') throw new TunnelError(info.code, `${where}: ${info.message}`);
      state.warnings.push(`${where}: ${info.message}; line skipped`);
    }
  }
}

/** A line of a block that does not apply: readconf.c still parses its value and refuses a bad one. */
function validateLine(l: ConfigLine, where: string): void {
  if (NEVER_RUN.has(l.keyword) || SILENT.has(l.keyword) || IGNORED_OPTIONS.has(l.keyword)) return;
  const scratch = newOptionState(defaultProfile('scratch'));
  scratch.validateOnly = true;
  try {
    applyOption(scratch, l.name, optionValue(l));
  } catch (err) {
    const info = toErrorInfo(err);
    if (info.code !== 'UNSUPPORTED_OPTION') throw new TunnelError(info.code, `${where}: ${info.message}`);
  }
}

function optionValue(l: ConfigLine): string {
  // ssh 9.x takes both from the raw line: quotes stay part of the value.
  return l.keyword === 'proxycommand' || l.keyword === 'proxyjump' ? l.raw : l.keyword === 'hostname' ? l.args[0]! : l.args.join(' ');
}

function safeExpand(value: string, alias: string): string {
  try {
    return expandHostName(value, alias);
  } catch {
    return value;
  }
}

/** The destination's final name, as ssh(1) computes it: HostName with %h expanded, lower-cased. */
export function finishHost(state: OptionState, alias: string): void {
  const host = (state.set.has('hostname') ? expandHostName(state.profile.host, alias) : alias).toLowerCase();
  assertSafeHostname(host, state.set.has('hostname') ? 'HostName' : 'destination');
  state.profile.host = host;
}

/** An ssh_config as `ssh host` consults it: the user's file, then the system's. */
export interface SshConfigView {
  /** Applies the blocks that hold for `alias` (as typed) onto `state`; first value wins. */
  applyTo(alias: string, state: OptionState): void;
}

/**
 * ssh.c refuses a chain whose last hop, as written, is the destination itself (same name after
 * HostName, same port, same user): "jumphost loop via …".
 */
export function assertNoJumpLoop(last: TypedJumpHost, target: { host: string; user: string | null; port: number }): void {
  const me = localUserName();
  if (last.host === target.host && (last.port ?? 22) === target.port && (last.user ?? target.user ?? me) === (target.user ?? me)) {
    throw new TunnelError('BAD_HOST', `jump host loop: ${printable(last.host)} is the destination itself`);
  }
}

/** The most hops a chain may have once every hop's own ProxyJump is followed. */
const MAX_HOPS = 16;

/**
 * Jump hops as ssh(1) reaches them: each hop is a destination of its own (`ssh -l user -p port
 * [-J earlier,hops] hop -W …`), so `Host *`, patterns, `Match`, `%h` in HostName, User and
 * Port apply to it. Only the first hop's own ProxyJump counts (the later ones are reached
 * with -J, which overrides it), and it extends the chain in front.
 */
export function resolveJumpChain(hops: TypedJumpHost[], view: SshConfigView | null, warnings: string[], depth = 0): JumpHost[] {
  if (depth > MAX_HOPS) throw new TunnelError('BAD_HOST', 'ProxyJump: the jump hosts lead back to each other (a ProxyJump loop)');
  const chain = hops.flatMap((hop, i) => {
    const state = newOptionState(defaultProfile(hop.host));
    if (hop.user !== null) {
      state.profile.user = hop.user;
      state.set.add('user');
    }
    if (hop.port !== null) {
      state.profile.port = hop.port;
      state.set.add('port');
    }
    if (i > 0) markProxySet(state);
    view?.applyTo(hop.host, state);
    for (const w of state.warnings) if (!warnings.includes(w)) warnings.push(w);
    finishHost(state, hop.host);
    const p = state.profile;
    if (p.proxyCommand !== null) {
      throw new TunnelError('UNSUPPORTED_OPTION', `jump host ${printable(hop.host)} is reached through a ProxyCommand, which is not supported for jump hosts`);
    }
    const earlier = i > 0 ? hops[i - 1]! : state.typedJumps?.at(-1);
    if (earlier !== undefined) assertNoJumpLoop(earlier, p);
    const before = i === 0 && state.typedJumps !== null ? resolveJumpChain(state.typedJumps, view, warnings, depth + 1) : [];
    return [...before, { host: p.host, user: p.user, port: p.port }];
  });
  if (chain.length > MAX_HOPS) throw new TunnelError('BAD_HOST', `ProxyJump: more than ${MAX_HOPS} jump hosts`);
  return chain;
}

/** Where ssh(1) reads its system-wide file; TUNNELVISION_SYSTEM_SSH_CONFIG moves it (tests), `none` turns it off. */
export function systemSshConfigPath(): string | null {
  const path = process.env.TUNNELVISION_SYSTEM_SSH_CONFIG ?? '/etc/ssh/ssh_config';
  return path.toLowerCase() === 'none' ? null : path;
}

export interface SshConfigFiles {
  /** The user's file; defaults to ~/.ssh/config. */
  user?: string;
  /** The system's file; defaults to systemSshConfigPath(); null for none. */
  system?: string | null;
}

/**
 * The configuration `ssh` reads: with `-F path` only that file (a missing one is an error);
 * otherwise ~/.ssh/config and then the system file (missing ones are no config at all),
 * each first-value-wins after the command line, as ssh(1) does.
 */
export function loadSshConfig(path: string | null, files: SshConfigFiles = {}): SshConfigView {
  const loaded: { parsed: ParsedConfig }[] = [];
  if (path !== null) {
    if (!existsSync(path)) throw new TunnelError('SSH_CONFIG_UNREADABLE', `-F ${printable(path)}: no such file`);
    loaded.push({ parsed: parseSshConfigFile(path, { includeBase: join(homedir(), '.ssh') }) });
  } else {
    const user = files.user ?? join(homedir(), '.ssh', 'config');
    if (existsSync(user)) loaded.push({ parsed: parseSshConfigFile(user, { includeBase: join(homedir(), '.ssh') }) });
    const system = files.system === undefined ? systemSshConfigPath() : files.system;
    // Relative Includes in the system file are relative to /etc/ssh (ssh_config(5)).
    if (system !== null && existsSync(system)) loaded.push({ parsed: parseSshConfigFile(system, { includeBase: dirname(resolve(system)) }) });
  }
  const skipped = new Set<string>();
  return {
    applyTo: (alias, state) => {
      for (const { parsed } of loaded) {
        for (const p of parsed.problems) state.warnings.push(`${p.file}:${p.line}: ${p.message}`);
        applyConfigFor(alias, parsed.lines, state, skipped, true);
      }
      for (const s of skipped) if (!state.warnings.includes(s)) state.warnings.push(s);
    },
  };
}

/**
 * Profiles for every concrete Host alias in an ssh_config, as `ssh <alias>` would see them:
 * first value wins, `Host *` and pattern blocks apply to each alias, ProxyJump hops named by
 * alias are resolved through the same file. Wildcard-only blocks are defaults, not profiles.
 */
export function importSshConfig(path?: string): ImportResult {
  const defaultPath = join(homedir(), '.ssh', 'config');
  path ??= defaultPath;
  const parsed = parseSshConfigFile(path, { includeBase: join(homedir(), '.ssh') });
  const skipped = new Set<string>();
  const aliases: string[] = [];
  for (const c of parsed.conditions) {
    if (c.kind !== 'host') continue;
    for (const p of c.patterns) if (isConcrete(p) && !aliases.includes(p)) aliases.push(p);
  }
  const view: SshConfigView = { applyTo: (alias, state) => applyConfigFor(alias, parsed.lines, state, skipped) };
  const profiles: ImportedProfile[] = [];
  for (const alias of aliases) {
    let computed: { profile: Profile; warnings: string[]; typedJumps: TypedJumpHost[] | null };
    try {
      const state = newOptionState(defaultProfile(alias));
      applyConfigFor(alias, parsed.lines, state, skipped);
      finishHost(state, alias);
      computed = { profile: state.profile, warnings: state.warnings, typedJumps: state.typedJumps };
    } catch (err) {
      parsed.problems.push({ file: path, line: 0, message: `Host ${alias}: ${toErrorInfo(err).message}` });
      continue;
    }
    const { profile, warnings } = computed;
    try {
      if (computed.typedJumps !== null) profile.jumps = resolveJumpChain(computed.typedJumps, view, warnings);
    } catch (err) {
      warnings.push(`${toErrorInfo(err).message}; not imported`);
      parsed.problems.push({ file: path, line: 0, message: `Host ${alias}: ${toErrorInfo(err).message}` });
      continue;
    }
    if (profile.jumps.length > 0 && profile.proxyCommand !== null) {
      warnings.push('both ProxyJump and ProxyCommand are set; ProxyJump was kept');
      profile.proxyCommand = null;
    }
    // Saved, it stays tied to its alias: resolved through ssh_config again at every connect.
    profile.typed = { host: alias, hostName: null, user: null, port: null, jumps: null, configFile: path === defaultPath ? null : path };
    profiles.push({ name: alias, ...profile, warnings });
  }
  return { profiles, problems: parsed.problems, skipped: [...skipped] };
}

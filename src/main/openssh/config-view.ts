import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { TunnelError, toErrorInfo } from '../../shared/errors.js';
import { defaultProfile } from '../../shared/profile.js';
import { localUserName } from '../engine/paths.js';
import { conditionHolds } from './config-match.js';
import { assertSafeHostname, printable } from './hostnames.js';
import { applyOption, IGNORED_OPTIONS, newOptionState, type IdentitySource, type OptionState } from './options.js';
import { parseSshConfigFile, type Condition, type ConfigLine, type ParsedConfig } from './ssh-config.js';

/**
 * ssh_config applied to one destination as `ssh` applies it: blocks in order, first value wins
 * after the command line, the user's file and then the system's.
 */

/** Beyond IGNORED_OPTIONS: options dropped without a warning (interactive-only, or ssh2 decides). */
export const SILENT = new Set([
  'usekeychain', 'ignoreunknown', 'xauthlocation', 'canonicaldomains', 'canonicalizemaxdots',
  'canonicalizefallbacklocal', 'canonicalizepermittedcnames', 'challengeresponseauthentication',
  'pubkeyacceptedalgorithms', 'pubkeyacceptedkeytypes', 'hostbasedauthentication',
  'hostbasedacceptedalgorithms', 'gssapiauthentication', 'gssapidelegatecredentials',
  'enableescapecommandline', 'permitremoteopen', 'streamlocalbindmask', 'verifyhostkeydns',
  'obscurekeystroketiming', 'casignaturealgorithms', 'fingerprinthash', 'rekeylimit', 'ipqos',
  'nohostauthenticationforlocalhost', 'revokedhostkeys', 'requiredrsasize', 'tag', 'forwardx11timeout',
  'protocol', 'useroaming',
]);
export const NEVER_RUN = new Set(['localcommand', 'permitlocalcommand', 'knownhostscommand', 'remotecommand']);

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
export function applyConfigFor(
  alias: string,
  lines: ConfigLine[],
  state: OptionState,
  skipped: Set<string>,
  strict = false,
  finalPass = false,
  originalHost = alias,
): void {
  // Each block header is evaluated once, when first needed: nothing is applied between a
  // header and its first line, so this is the moment ssh evaluates it too.
  const evaluated = new Map<Condition, boolean>();
  const holds = (c: Condition): boolean => {
    let result = evaluated.get(c);
    if (result === undefined) {
      const p = state.profile;
      // readconf.c expands HostName for every Match line (a bad token stops ssh there too);
      // Host lines only look at the alias.
      const hostname =
        c.kind === 'match' && state.set.has('hostname') ? (state.hostExpanded ? p.host : expandHostName(p.host, alias)) : alias;
      const verdict = conditionHolds(c, { alias, original: originalHost, hostname, user: p.user ?? localUserName(), finalPass });
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

/** The destination's final name, as ssh(1) computes it: HostName with %h expanded, lower-cased. */
export function finishHost(state: OptionState, alias: string): void {
  const named = state.set.has('hostname');
  const host = (named && !state.hostExpanded ? expandHostName(state.profile.host, alias) : named ? state.profile.host : alias).toLowerCase();
  assertSafeHostname(host, state.set.has('hostname') ? 'HostName' : 'destination');
  state.profile.host = host;
}

/** An ssh_config as `ssh host` consults it: the user's file, then the system's. */
export interface SshConfigView {
  /** Applies the blocks that hold for `alias` (as typed) onto `state`; first value wins. */
  applyTo(alias: string, state: OptionState): void;
  /** The files read, the user's first; what was deliberately skipped (Match exec, …). */
  readonly files: readonly ParsedConfig[];
  readonly skipped: ReadonlySet<string>;
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
 * each first-value-wins after the command line, as ssh(1) does. `strict` (a command line):
 * whatever ssh refuses is an error; otherwise (an importer) bad lines become warnings and the
 * files' own problems are left to the caller to report.
 */
export function loadSshConfig(path: string | null, files: SshConfigFiles = {}, { strict = true } = {}): SshConfigView {
  const loaded: { parsed: ParsedConfig; source: IdentitySource }[] = [];
  if (path !== null) {
    if (!existsSync(path)) throw new TunnelError('SSH_CONFIG_UNREADABLE', `-F ${printable(path)}: no such file`);
    loaded.push({ parsed: parseSshConfigFile(path, { includeBase: join(homedir(), '.ssh') }), source: 'user' });
  } else {
    const user = files.user ?? join(homedir(), '.ssh', 'config');
    if (existsSync(user)) loaded.push({ parsed: parseSshConfigFile(user, { includeBase: join(homedir(), '.ssh') }), source: 'user' });
    const system = files.system === undefined ? systemSshConfigPath() : files.system;
    // Relative Includes in the system file are relative to /etc/ssh (ssh_config(5)).
    if (system !== null && existsSync(system)) loaded.push({ parsed: parseSshConfigFile(system, { includeBase: dirname(resolve(system)) }), source: 'system' });
  }
  const skipped = new Set<string>();
  return {
    files: loaded.map((l) => l.parsed),
    skipped,
    applyTo: (alias, state) => {
      const before = state.source;
      for (const { parsed } of strict ? loaded : []) {
        for (const p of parsed.problems) {
          // ssh stops at an Include loop ("Too many recursive configuration includes").
          if (p.fatal) throw new TunnelError('BAD_OPTION', `${p.file}:${p.line}: ${p.message}`);
          state.warnings.push(`${p.file}:${p.line}: ${p.message}`);
        }
      }
      const pass = (host: string, finalPass: boolean): void => {
        for (const { parsed, source } of loaded) {
          state.source = source;
          applyConfigFor(host, parsed.lines, state, skipped, strict, finalPass, alias);
        }
      };
      pass(alias, false);
      // A `Match final` anywhere makes ssh read the files a second time, now with the final
      // host name for `Host` and `Match host` (`originalhost` stays the name typed), and with
      // `final` and `canonical` holding; first value still wins.
      if (loaded.some(({ parsed }) => parsed.conditions.some((c) => c.kind === 'match' && c.criteria.some((k) => k.name === 'final')))) {
        finishHost(state, alias);
        state.set.add('hostname');
        state.hostExpanded = true;
        pass(state.profile.host, true);
      }
      state.source = before;
      for (const s of skipped) if (!state.warnings.includes(s)) state.warnings.push(s);
    },
  };
}


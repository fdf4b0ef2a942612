import { homedir } from 'node:os';
import { join } from 'node:path';
import { toErrorInfo } from '../../shared/errors.js';
import { defaultProfile, type Profile } from '../../shared/profile.js';
import { isConcrete } from './config-match.js';
import { applyConfigFor, finishHost, type SshConfigView } from './config-view.js';
import type { TypedJumpHost } from './destination.js';
import { assertSafeHostname } from './hostnames.js';
import { resolveJumpChain } from './jump-chain.js';
import { newOptionState } from './options.js';
import { parseSshConfigFile, type ConfigProblem } from './ssh-config.js';

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

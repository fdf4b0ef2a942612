import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { toErrorInfo } from '../../shared/errors.js';
import { defaultProfile, type Profile } from '../../shared/profile.js';
import { isConcrete } from './config-match.js';
import { finishHost, loadSshConfig } from './config-view.js';
import type { TypedJumpHost } from './destination.js';
import { assertSafeHostname } from './hostnames.js';
import { resolveJumpChain } from './jump-chain.js';
import { newOptionState } from './options.js';
import type { ConfigProblem } from './ssh-config.js';

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
 * first value wins, `Host *` and pattern blocks apply to each alias, then the system file
 * (/etc/ssh/ssh_config) when the user's own ~/.ssh/config is read, as ssh does; ProxyJump hops
 * named by alias are resolved as destinations of their own. Wildcard-only blocks are defaults,
 * not profiles.
 */
export function importSshConfig(path?: string): ImportResult {
  const defaultPath = join(homedir(), '.ssh', 'config');
  path ??= defaultPath;
  if (!existsSync(path)) return { profiles: [], problems: [{ file: path, line: 0, message: 'cannot read: ENOENT' }], skipped: [] };
  // The user's own file comes with the system file, as for `ssh alias`; another file alone, as for `ssh -F file alias`.
  const view = path === defaultPath ? loadSshConfig(null, {}, { strict: false }) : loadSshConfig(path, {}, { strict: false });
  const problems = view.files.flatMap((f) => f.problems);
  const aliases: string[] = [];
  for (const c of view.files[0]?.conditions ?? []) {
    if (c.kind !== 'host') continue;
    for (const p of c.patterns) if (isConcrete(p) && !aliases.includes(p)) aliases.push(p);
  }
  const profiles: ImportedProfile[] = [];
  for (const alias of aliases) {
    let computed: { profile: Profile; warnings: string[]; typedJumps: TypedJumpHost[] | null };
    try {
      const state = newOptionState(defaultProfile(alias));
      view.applyTo(alias, state);
      finishHost(state, alias);
      computed = { profile: state.profile, warnings: state.warnings, typedJumps: state.typedJumps };
    } catch (err) {
      problems.push({ file: path, line: 0, message: `Host ${alias}: ${toErrorInfo(err).message}` });
      continue;
    }
    const { profile, warnings } = computed;
    try {
      if (computed.typedJumps !== null) profile.jumps = resolveJumpChain(computed.typedJumps, view, warnings);
    } catch (err) {
      warnings.push(`${toErrorInfo(err).message}; not imported`);
      problems.push({ file: path, line: 0, message: `Host ${alias}: ${toErrorInfo(err).message}` });
      continue;
    }
    if (profile.jumps.length > 0 && profile.proxyCommand !== null) {
      warnings.push('both ProxyJump and ProxyCommand are set; ProxyJump was kept');
      profile.proxyCommand = null;
    }
    // Saved, it stays tied to its alias: resolved through ssh_config again at every connect.
    profile.typed = { host: alias, hostName: null, user: null, port: null, jumps: null, configFile: path === defaultPath ? null : resolve(path) };
    profiles.push({ name: alias, ...profile, warnings });
  }
  return { profiles, problems, skipped: [...view.skipped] };
}

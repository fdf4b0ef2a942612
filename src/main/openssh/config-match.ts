import { localUserName } from '../engine/paths.js';
import { globToRegExp } from './glob.js';
import type { Condition } from './ssh-config.js';

/**
 * Whether a Host or Match block holds, as readconf.c decides: `Host` patterns are
 * case-sensitive against the name as typed; `Match host` and `Match originalhost` compare
 * without case; `Match user` and `localuser` with case.
 */

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

export const isConcrete = (pattern: string): boolean => !/[*?!]/.test(pattern) && pattern !== '';

export interface MatchContext {
  /** What `Host` sees: the destination as typed (the final host name in ssh's second pass). */
  alias: string;
  /** What `Match originalhost` sees: the destination as typed; `alias` when absent. */
  original?: string;
  /** HostName with %h expanded, or the alias: what `Match host` sees. */
  hostname: string;
  user: string;
  /**
   * ssh's second reading of the files, made when any `Match final` exists: only then do
   * `final` and `canonical` hold (we never canonicalize names through DNS).
   */
  finalPass?: boolean;
}

/**
 * true / false, or a string saying why the block cannot be evaluated (it is then skipped).
 * As readconf.c: `Host` patterns are case-sensitive against the name as typed; `Match host` and
 * `Match originalhost` compare without case; `Match user` and `localuser` with case.
 */
export function conditionHolds(c: Condition, ctx: MatchContext): boolean | string {
  if (c.kind === 'host') return patternListMatches(c.patterns, ctx.alias);
  for (const crit of c.criteria) {
    let result: boolean;
    switch (crit.name) {
      case 'all':
        result = true;
        break;
      case 'final':
      case 'canonical':
        result = ctx.finalPass === true;
        break;
      case 'host':
        result = patternListMatches(crit.args, ctx.hostname, true);
        break;
      case 'originalhost':
        result = patternListMatches(crit.args, ctx.original ?? ctx.alias, true);
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


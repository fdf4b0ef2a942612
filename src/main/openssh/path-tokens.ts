import { createHash } from 'node:crypto';
import { hostname, homedir } from 'node:os';
import { TunnelError } from '../../shared/errors.js';
import { localUserName } from '../engine/paths.js';
import { printable } from './hostnames.js';

/** The connection a path is expanded for: one hop, as ssh(1) sees its destination. */
export interface PathTokenHop {
  /** %n: the host as typed. */
  typed: string;
  /** %h: the host name connected to (HostName applied). */
  host: string;
  /** %p */
  port: number;
  /** %r */
  user: string;
  /** %k is HostKeyAlias when set, else the host as typed. */
  hostKeyAlias: string | null;
}

/**
 * The tokens of IdentityFile and UserKnownHostsFile in OpenSSH 9.2 (ssh_config(5) TOKENS; its
 * DEFAULT_CLIENT_PERCENT_EXPAND_ARGS). %j came in 9.3 and is an error here, as it is for `ssh -G`
 * on this machine, the oracle the tests compare with.
 */
const TOKENS = new Set(['%', 'C', 'L', 'd', 'h', 'i', 'k', 'l', 'n', 'p', 'r', 'u']);

/** Throws BAD_OPTION for a token or `${VAR}` ssh(1) would refuse in `option`'s `value`; returns it as it is. */
export function checkPathTokens(option: string, value: string): string {
  for (const m of value.matchAll(/%(.?)|\$\{([^}]*)(\}?)/g)) {
    if (m[1] !== undefined && !TOKENS.has(m[1])) {
      const what = m[1] === '' ? 'a lone % at the end (write %% for a percent sign)' : `unknown token %${printable(m[1])}`;
      throw new TunnelError('BAD_OPTION', `${option} '${printable(value)}': ${what} (allowed: %${[...TOKENS].join(' %')})`);
    }
    if (m[2] !== undefined && (m[3] !== '}' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(m[2]))) {
      throw new TunnelError('BAD_OPTION', `${option} '${printable(value)}': \${${printable(m[2])}${m[3]} is not an environment variable reference`);
    }
  }
  return value;
}

/**
 * A path from IdentityFile or UserKnownHostsFile as ssh(1) opens it: `~` first, then `%` tokens
 * and `${VAR}` (an unset variable is an error, as in ssh). Tokens are looked at once: what they
 * expand to is not expanded again.
 */
export function expandPath(option: string, value: string, hop: PathTokenHop, env: NodeJS.ProcessEnv = process.env): string {
  checkPathTokens(option, value);
  const home = homedir();
  // A lone `~` is the home directory with its slash, as ssh's tilde_expand_filename gives it.
  const tilded = value === '~' ? `${home}/` : value.startsWith('~/') ? `${home}${value.slice(1)}` : value;
  const local = hostname();
  const values: Record<string, () => string> = {
    '%': () => '%',
    C: () => createHash('sha1').update(`${local}${hop.host}${hop.port}${hop.user}`).digest('hex'),
    L: () => local.split('.')[0]!,
    d: () => home,
    h: () => hop.host,
    i: () => String(process.getuid?.() ?? 0),
    k: () => hop.hostKeyAlias ?? hop.typed,
    l: () => local,
    n: () => hop.typed,
    p: () => String(hop.port),
    r: () => hop.user,
    u: () => localUserName(),
  };
  return tilded.replace(/%(.)|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, token: string | undefined, name: string | undefined) => {
    if (token !== undefined) return values[token]!();
    const set = env[name!];
    if (set === undefined) throw new TunnelError('BAD_OPTION', `${option} '${printable(value)}': environment variable ${name} is not set`);
    return set;
  });
}


import type { ErrorInfo } from '../../shared/errors.js';
import { formatHostPort, type Profile } from '../../shared/profile.js';

export type ErrorAction = 'retry' | 'edit' | 'password' | 'passphrase';

/** An engine error turned into what a person needs: what broke, what was tried, what to do. */
export interface Explained {
  title: string;
  /** The engine's own words, for the details. */
  detail: string;
  tried: string[];
  actions: ErrorAction[];
  /** For a changed host key: what the server offered beside what known_hosts says. */
  hostKey: { offered: string; known: { where: string; key: string }[] } | null;
  /** The hop (index into jumps; jumps.length = the server) the error is about, when known. */
  hop: number | null;
  /** A key file that needs its passphrase. */
  keyFile: string | null;
}

/** Which hop a message names ("alice@bastion:22: …"): matched by host and port. */
export function hopOf(profile: Profile, message: string): number | null {
  const hops = [...profile.jumps.map((j) => ({ host: j.host, port: j.port, user: j.user })), { host: profile.host, port: profile.port, user: profile.user }];
  // user@host:port first: a jump host and the server may share host and port (a bastion that
  // forwards to itself, or a test); the user tells them apart.
  for (let i = hops.length - 1; i >= 0; i--) {
    const h = hops[i]!;
    if (h.user && message.includes(`${h.user}@${h.host}:${h.port}`)) return i;
  }
  for (let i = hops.length - 1; i >= 0; i--) {
    const h = hops[i]!;
    if (message.includes(`@${h.host}:${h.port}`) || message.startsWith(`${h.host}:${h.port}`) || message.includes(` ${h.host}:${h.port}`) || message.includes(`[${h.host}]:${h.port}`)) return i;
  }
  return null;
}

function hopName(profile: Profile, hop: number | null): string {
  if (hop === null) return profile.host;
  return hop < profile.jumps.length ? profile.jumps[hop]!.host : profile.host;
}

/** A hop as a password dialog names it: "nobody@bastion:22 (jump host)"; null for the destination. */
export function hopDisplayName(profile: Profile, hop: number | null): string | null {
  if (hop === null) return null;
  const h = hop < profile.jumps.length ? profile.jumps[hop]! : profile;
  return `${h.user ? `${h.user}@` : ''}${formatHostPort(h.host, h.port)} (${hop < profile.jumps.length ? 'jump host' : 'server'})`;
}

export function explainError(error: ErrorInfo, profile: Profile): Explained {
  const hop = hopOf(profile, error.message);
  const host = hopName(profile, hop);
  const isJump = hop !== null && hop < profile.jumps.length;
  const base: Explained = { title: error.message, detail: error.message, tried: [], actions: ['retry', 'edit'], hostKey: null, hop, keyFile: null };
  switch (error.code) {
    case 'DNS_FAILED':
      return { ...base, title: `Can't find '${host}' — typo or offline?` };
    case 'CONNECT_FAILED':
      return { ...base, title: `Nothing answers at ${host}${isJump ? ' (jump host)' : ''} — is its SSH server running, and the port right?` };
    case 'TIMEOUT':
      return { ...base, title: `${host} did not answer in time — offline, or a firewall in the way?` };
    case 'KEEPALIVE_TIMEOUT':
    case 'CONNECTION_LOST':
      return { ...base, title: `The connection to ${host} was lost` };
    case 'AUTH_FAILED': {
      const m = /\(tried (.*)\)$/.exec(error.message);
      const tried = m ? m[1]!.split(', ') : [];
      return {
        ...base,
        title: `${host}${isJump ? ' (jump host)' : ''} answered but refused the login`,
        tried,
        actions: ['retry', 'password', 'edit'],
      };
    }
    case 'KEY_UNREADABLE': {
      const file = /key '?([^' :]+)/.exec(error.message)?.[1] ?? null;
      return { ...base, title: `A key file could not be used`, actions: ['retry', 'passphrase', 'edit'], keyFile: file };
    }
    case 'HOST_KEY_MISMATCH': {
      const offered = /it offered (\S+ \S+),/.exec(error.message)?.[1] ?? '';
      const known = [...error.message.matchAll(/(\S+:\d+) \((\S+ \S+)\)/g)].map((k) => ({ where: k[1]!, key: k[2]! }));
      return {
        ...base,
        title: `${host} presented a different host key than before — possibly an attack; nothing was sent`,
        actions: ['edit'],
        hostKey: { offered, known },
      };
    }
    case 'HOST_KEY_UNKNOWN':
    case 'HOST_KEY_REJECTED':
      return { ...base, title: `${host}'s host key is not trusted yet`, actions: ['retry', 'edit'] };
    case 'HOST_KEY_REVOKED':
      return { ...base, title: `${host}'s host key is marked revoked in known_hosts`, actions: ['edit'] };
    case 'FORWARD_BIND_FAILED': {
      const where = /cannot listen on (\S+):/.exec(error.message)?.[1];
      const inUse = /already in use/.test(error.message);
      return { ...base, title: inUse ? `${where ?? 'The port'} is already in use by another program — pick another port` : `Cannot listen on ${where ?? 'the port'}`, actions: ['edit', 'retry'] };
    }
    case 'REMOTE_FORWARD_REFUSED':
      return { ...base, title: `The server refused to listen for this tunnel (port taken there, or not permitted)` };
    case 'PROXY_COMMAND_FAILED':
      return { ...base, title: 'The ProxyCommand failed' };
    case 'ALGORITHM_MISMATCH':
      return { ...base, title: `${host} shares no encryption algorithm with this profile`, actions: ['edit'] };
    default:
      return base;
  }
}

import { TunnelError } from '../../shared/errors.js';
import type { JumpHost, TypedJumpHost } from '../../shared/profile.js';

export type { TypedJumpHost };
import { assertSafeHostname, assertSafeUser, printable } from './hostnames.js';
import { parseConnectPort } from './ports.js';

export interface Destination {
  host: string;
  user: string | null;
  port: number | null;
}

/** `ssh://[user@]host[:port]` as in ssh(1); `[…]` around IPv6 addresses. */
function parseSshUri(text: string, what: string): Destination {
  const rest = text.slice('ssh://'.length).replace(/\/$/, '');
  const at = rest.lastIndexOf('@');
  const user = at >= 0 ? decodeURIComponent(rest.slice(0, at)) : null;
  const hostPort = at >= 0 ? rest.slice(at + 1) : rest;
  let host: string;
  let port: number | null = null;
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    if (close < 0) throw new TunnelError('BAD_HOST', `${what}: '${printable(text)}' has a '[' without ']'`);
    host = hostPort.slice(1, close);
    const after = hostPort.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) throw new TunnelError('BAD_HOST', `${what}: '${printable(text)}' is not a valid ssh:// address`);
      port = parseConnectPort(after.slice(1), `${what}: port`);
    }
  } else {
    const colon = hostPort.lastIndexOf(':');
    host = colon >= 0 ? hostPort.slice(0, colon) : hostPort;
    if (colon >= 0) port = parseConnectPort(hostPort.slice(colon + 1), `${what}: port`);
  }
  return { host, user, port };
}

/**
 * The destination argument of ssh(1): `[user@]hostname` or `ssh://[user@]hostname[:port]`.
 * Like OpenSSH 9.6+, names with shell metacharacters are refused on the command line.
 */
export function parseDestination(text: string, what = 'destination'): Destination {
  const dest = text.startsWith('ssh://') ? parseSshUri(text, what) : splitUserHost(text);
  assertSafeHostname(dest.host, what);
  if (dest.user !== null) assertSafeUser(dest.user, what);
  return dest;
}

function splitUserHost(text: string): Destination {
  const at = text.lastIndexOf('@');
  return at >= 0 ? { user: text.slice(0, at), host: text.slice(at + 1), port: null } : { user: null, host: text, port: null };
}

/** One hop of `-J` / ProxyJump: `[user@]host[:port]`, `[user@][v6addr]:port`, or an ssh:// URI. */
function parseJumpHop(text: string, checkNames: boolean): TypedJumpHost {
  const what = `jump host '${printable(text)}'`;
  if (text.startsWith('ssh://')) {
    const d = parseSshUri(text, what);
    if (checkNames) assertSafeHostname(d.host, what, 'BAD_HOST');
    if (checkNames && d.user !== null) assertSafeUser(d.user, what, 'BAD_HOST');
    return { host: d.host, user: d.user, port: d.port };
  }
  const { user, host: hostPort } = splitUserHost(text);
  let host = hostPort;
  let port: number | null = null;
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    if (close < 0) throw new TunnelError('BAD_HOST', `${what}: '[' without ']'`);
    host = hostPort.slice(1, close);
    const after = hostPort.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) throw new TunnelError('BAD_HOST', `${what}: expected ':port' after ']'`);
      port = parseConnectPort(after.slice(1), `${what}: port`);
    }
  } else {
    const colon = hostPort.indexOf(':');
    if (colon >= 0) {
      if (hostPort.indexOf(':', colon + 1) >= 0) {
        throw new TunnelError('BAD_HOST', `${what}: an IPv6 address needs [brackets]`);
      }
      host = hostPort.slice(0, colon);
      port = parseConnectPort(hostPort.slice(colon + 1), `${what}: port`);
    }
  }
  if (host === '') throw new TunnelError('BAD_HOST', `${what}: the host name is empty`);
  if (checkNames) assertSafeHostname(host, what, 'BAD_HOST');
  if (checkNames && user !== null) assertSafeUser(user, what, 'BAD_HOST');
  return { host, user, port };
}

/** `-J` / ProxyJump as written: a comma-separated chain, or `none`. */
export function parseTypedJumpSpec(text: string, { checkNames = true } = {}): TypedJumpHost[] {
  if (text.toLowerCase() === 'none') return [];
  if (text.trim() === '') throw new TunnelError('BAD_HOST', 'the jump host list is empty');
  return text.split(',').map((hop) => parseJumpHop(hop.trim(), checkNames));
}

/** `-J` / ProxyJump taken literally, each hop on port 22 unless it names one. */
export function parseJumpSpec(text: string): JumpHost[] {
  return parseTypedJumpSpec(text).map((h) => ({ ...h, port: h.port ?? 22 }));
}

/** `user@host:port`; a resolved hop leaves out port 22, a typed hop only a port it was not given. */
export function formatJumpHop(hop: JumpHost | TypedJumpHost, typed = false): string {
  const host = hop.host.includes(':') ? `[${hop.host}]` : hop.host;
  const port = hop.port !== null && (typed || hop.port !== 22) ? `:${hop.port}` : '';
  return `${hop.user !== null ? `${hop.user}@` : ''}${host}${port}`;
}

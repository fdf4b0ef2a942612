import { TunnelError } from '../../shared/errors.js';
import type { Bind, Forward, SocketPath, Target, UdpForward } from '../../shared/profile.js';
import { parsePortValue } from './ports.js';
import { printable } from './hostnames.js';

export type ForwardKind = Forward['kind'];

interface Field {
  text: string;
  isPath: boolean;
}

const FLAG: Record<ForwardKind, string> = { local: '-L', remote: '-R', dynamic: '-D' };
const MAX_SPEC_LENGTH = 4096;
const BAD_HOST_CHARS = /[\s\x00-\x1f\x7f'"`$;&|<>()\\]/;

/**
 * Splits a forward spec into fields the way OpenSSH's parse_fwd_field() does: ':' separates,
 * '[…]' protects an IPv6 address, '\' escapes the next character, and a field holding '/' is
 * a Unix socket path.
 */
function splitFields(spec: string, fail: (why: string) => never): Field[] {
  const fields: Field[] = [];
  let i = 0;
  while (i <= spec.length) {
    if (fields.length === 4) fail('it has too many fields (an IPv6 address needs [brackets])');
    if (spec[i] === '[') {
      const close = spec.indexOf(']', i + 1);
      if (close === -1) fail("a '[' has no matching ']'");
      const after = spec[close + 1];
      if (after !== undefined && after !== ':') fail(`']' must be followed by ':'`);
      const text = spec.slice(i + 1, close);
      fields.push({ text, isPath: text.includes('/') });
      i = close + 2;
      if (after === undefined) break;
      continue;
    }
    let text = '';
    let isPath = false;
    let ended = false;
    for (; i < spec.length; i++) {
      const c = spec[i]!;
      if (c === '\\') {
        i++;
        if (i >= spec.length) fail("it ends with a lone '\\'");
        text += spec[i];
      } else if (c === ':') {
        i++;
        ended = true;
        break;
      } else {
        if (c === '/') isPath = true;
        text += c;
      }
    }
    fields.push({ text, isPath });
    if (!ended) break;
  }
  return fields;
}

function portOf(field: Field, role: 'listen' | 'target', fail: (why: string) => never): number {
  const port = parsePortValue(field.text);
  if (port === null) {
    fail(`'${printable(field.text)}' is not a port number (0–65535 or a service name)`);
  }
  if (role === 'target' && port === 0) fail('the destination port cannot be 0');
  return port;
}

function bindHostOf(field: Field, fail: (why: string) => never): string {
  // An empty bind address means "all interfaces", exactly like '*'.
  if (field.text === '' || field.text === '*') return '*';
  if (field.text.length > 255 || BAD_HOST_CHARS.test(field.text)) {
    fail(`'${printable(field.text)}' is not a valid bind address`);
  }
  return field.text;
}

function targetHostOf(field: Field, fail: (why: string) => never): string {
  if (field.text === '') fail('the destination host is empty');
  if (field.text.length > 255 || BAD_HOST_CHARS.test(field.text)) {
    fail(`'${printable(field.text)}' is not a valid destination host`);
  }
  return field.text;
}

/**
 * Parses `-L`, `-R` and `-D` arguments with OpenSSH's rules (readconf.c parse_forward):
 *
 *   -L [bind:]port:host:hostport | [bind:]port:remote_socket | local_socket:host:hostport | local_socket:remote_socket
 *   -R [bind:]port:host:hostport | [bind:]port:local_socket | remote_socket:host:hostport | remote_socket:local_socket | [bind:]port
 *   -D [bind:]port
 *
 * `bind.host` is null when the spec names no bind address (OpenSSH then binds loopback),
 * '*' for '*' or an empty address (all interfaces). A remote forward without a destination is
 * OpenSSH's reverse dynamic forward: SOCKS served by this side for connections made on the server.
 */
export function parseForwardSpec(kind: ForwardKind, rawSpec: string, flag: string = FLAG[kind]): Forward {
  const fail = (why: string): never => {
    throw new TunnelError('BAD_FORWARD_SPEC', `Bad ${flag} forward '${printable(rawSpec)}': ${why}`);
  };
  if (rawSpec.length > MAX_SPEC_LENGTH) fail('it is too long');
  const spec = rawSpec.trimStart();
  if (spec === '') fail('it is empty');

  const f = splitFields(spec, fail);
  let bind: Bind | SocketPath;
  let target: Target | SocketPath | undefined;

  switch (f.length) {
    case 1:
      bind = f[0]!.isPath ? { socket: f[0]!.text } : { host: null, port: portOf(f[0]!, 'listen', fail) };
      break;
    case 2:
      if (f[0]!.isPath && f[1]!.isPath) {
        bind = { socket: f[0]!.text };
        target = { socket: f[1]!.text };
      } else if (f[1]!.isPath) {
        bind = { host: null, port: portOf(f[0]!, 'listen', fail) };
        target = { socket: f[1]!.text };
      } else {
        if (kind === 'local') fail('it needs a destination: [bind_address:]port:host:hostport');
        bind = { host: bindHostOf(f[0]!, fail), port: portOf(f[1]!, 'listen', fail) };
      }
      break;
    case 3:
      if (f[0]!.isPath) {
        bind = { socket: f[0]!.text };
        target = { host: targetHostOf(f[1]!, fail), port: portOf(f[2]!, 'target', fail) };
      } else if (f[2]!.isPath) {
        bind = { host: bindHostOf(f[0]!, fail), port: portOf(f[1]!, 'listen', fail) };
        target = { socket: f[2]!.text };
      } else {
        bind = { host: null, port: portOf(f[0]!, 'listen', fail) };
        target = { host: targetHostOf(f[1]!, fail), port: portOf(f[2]!, 'target', fail) };
      }
      break;
    default:
      bind = { host: bindHostOf(f[0]!, fail), port: portOf(f[1]!, 'listen', fail) };
      target = { host: targetHostOf(f[2]!, fail), port: portOf(f[3]!, 'target', fail) };
      break;
  }

  if (kind === 'dynamic') {
    if (target !== undefined) return fail('a dynamic forward takes only [bind_address:]port');
    if ('socket' in bind) return fail('a dynamic forward listens on a TCP port, not a socket path');
    return { kind, bind };
  }
  if (kind === 'local') {
    if (target === undefined) return fail('it needs a destination: [bind_address:]port:host:hostport');
    return { kind, bind, target };
  }
  return target === undefined ? { kind, bind } : { kind, bind, target };
}

/**
 * `--udp-local` / `--udp-remote` take -L's and -R's `[bind_address:]port:host:hostport` (with
 * the same bind defaults); UDP has no socket-path forms and no reverse dynamic form.
 */
export function parseUdpForwardSpec(kind: 'local' | 'remote', rawSpec: string): UdpForward {
  const flag = kind === 'local' ? '--udp-local' : '--udp-remote';
  const forward = parseForwardSpec(kind, rawSpec, flag);
  const fail = (why: string): never => {
    throw new TunnelError('BAD_FORWARD_SPEC', `Bad ${flag} forward '${printable(rawSpec)}': ${why}`);
  };
  if (forward.kind === 'dynamic') return fail('unreachable');
  if (forward.target === undefined) return fail('it needs a destination: [bind_address:]port:host:hostport');
  if ('socket' in forward.bind || 'socket' in forward.target) return fail('UDP forwards take host:port on both sides, not socket paths');
  return { kind, protocol: 'udp', bind: forward.bind, target: forward.target };
}

function formatField(text: string): string {
  if (text.includes(':')) return `[${text}]`;
  return text;
}

function formatSocket(path: string): string {
  return path.replace(/[\\:]/g, (c) => `\\${c}`);
}

/** The listen half of a spec: "[bind:]port" or a socket path. */
export function formatBind(bind: Bind | SocketPath): string {
  if ('socket' in bind) return formatSocket(bind.socket);
  return bind.host !== null ? `${formatField(bind.host)}:${bind.port}` : String(bind.port);
}

/** The destination half: "host:hostport" or a socket path. */
export function formatTarget(target: Target | SocketPath): string {
  return 'socket' in target ? formatSocket(target.socket) : `${formatField(target.host)}:${target.port}`;
}

/** The inverse of parseForwardSpec: the argument to give `-L`, `-R` or `-D`. */
export function formatForwardSpec(forward: Forward): string {
  const target = forward.kind === 'dynamic' ? undefined : forward.target;
  return target === undefined ? formatBind(forward.bind) : `${formatBind(forward.bind)}:${formatTarget(target)}`;
}

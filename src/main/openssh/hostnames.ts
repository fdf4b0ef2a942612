import { TunnelError, type ErrorCode } from '../../shared/errors.js';
import { SHELL_METACHARACTERS } from '../../shared/names.js';


export function assertSafeHostname(host: string, what: string, code: ErrorCode = 'BAD_HOST'): void {
  if (host.length === 0) throw new TunnelError(code, `${what}: the host name is empty`);
  if (host.length > 255) throw new TunnelError(code, `${what}: the host name is longer than 255 characters`);
  if (host.startsWith('-')) throw new TunnelError(code, `${what}: a host name may not start with '-'`);
  if (SHELL_METACHARACTERS.test(host)) {
    throw new TunnelError(code, `${what}: '${printable(host)}' contains characters not allowed in a host name`);
  }
}

export function assertSafeUser(user: string, what: string, code: ErrorCode = 'BAD_ARGUMENT'): void {
  if (user.length === 0) throw new TunnelError(code, `${what}: the user name is empty`);
  if (user.length > 255) throw new TunnelError(code, `${what}: the user name is longer than 255 characters`);
  if (user.startsWith('-')) throw new TunnelError(code, `${what}: a user name may not start with '-'`);
  if (SHELL_METACHARACTERS.test(user)) {
    throw new TunnelError(code, `${what}: '${printable(user)}' contains characters not allowed in a user name`);
  }
}

/** Control characters shown escaped, so an error message cannot rewrite the terminal. */
export function printable(text: string): string {
  const clipped = text.length > 80 ? `${text.slice(0, 80)}…` : text;
  return clipped.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** `[::1]` → `::1`; other hosts unchanged. */
export function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

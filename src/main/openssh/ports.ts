import { TunnelError } from '../../shared/errors.js';

/**
 * Service names OpenSSH's a2port() resolves through getservbyname(); a fixed table keeps
 * parsing pure and identical on every OS.
 */
const SERVICE_PORTS: Readonly<Record<string, number>> = {
  ftp: 21,
  ssh: 22,
  telnet: 23,
  smtp: 25,
  domain: 53,
  http: 80,
  pop3: 110,
  imap: 143,
  ldap: 389,
  https: 443,
  submission: 587,
  ldaps: 636,
  imaps: 993,
  pop3s: 995,
  mysql: 3306,
  postgresql: 5432,
  'http-alt': 8080,
};

/**
 * Like OpenSSH's a2port(): a decimal number 0–65535 or a service name; null when neither.
 * Stricter than strtonum() on purpose: "+80", " 80" and "80a" are errors, not 80.
 */
export function parsePortValue(text: string): number | null {
  if (/^[0-9]{1,5}$/.test(text)) {
    const port = Number(text);
    return port <= 65535 ? port : null;
  }
  const named = SERVICE_PORTS[text.toLowerCase()];
  return named ?? null;
}

/** A port for `-p` / `Port`: 1–65535. */
export function parseConnectPort(text: string, what: string): number {
  const port = parsePortValue(text);
  if (port === null || port === 0) {
    throw new TunnelError('BAD_PORT', `${what} '${text}' is not a valid port (1–65535)`);
  }
  return port;
}

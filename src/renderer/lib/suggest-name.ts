import type { Profile } from '../../shared/profile.js';

/** A name a person would give: "db on prod" for -L 5432:db:5432 prod, "SOCKS via bastion", "8080 → web:80". */
export function suggestName(profile: Profile): string {
  const f = profile.forwards[0];
  const server = profile.host;
  if (!f) return server;
  if (f.kind === 'dynamic') return `SOCKS via ${server}`;
  if (f.kind === 'remote') {
    const port = 'socket' in f.bind ? 'socket' : f.bind.port;
    return `${server}:${port} back here`;
  }
  if ('socket' in f.target) return `socket on ${server}`;
  const host = f.target.host;
  const where = host === 'localhost' || host === '127.0.0.1' || host === '::1' ? server : `${host} via ${server}`;
  return `${where}:${f.target.port}`;
}

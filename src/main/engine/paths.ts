import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';

/** `~` and `~/…` as ssh_config(5) expands them in IdentityFile and UserKnownHostsFile. */
export function expandHome(path: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return join(homedir(), path.slice(2));
  return path;
}

export function localUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? 'root';
  }
}

export const DEFAULT_KNOWN_HOSTS = ['~/.ssh/known_hosts', '~/.ssh/known_hosts2'];
/** GlobalKnownHostsFile's default in ssh_config(5). */
export const DEFAULT_GLOBAL_KNOWN_HOSTS = ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];
/** ssh(1)'s default identities, in its order, minus the ones ssh2 cannot use (certs, sk keys). */
export const DEFAULT_IDENTITIES = ['~/.ssh/id_rsa', '~/.ssh/id_ecdsa', '~/.ssh/id_ed25519'];

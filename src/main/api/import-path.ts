import { readFile, realpath, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join, sep } from 'node:path';
import { TunnelError } from '../../shared/errors.js';

/**
 * Which file the dashboard may ask to import. The renderer (and the web token) must not become a
 * way to read any file this user can: a path from it has to be a regular file inside ~/.ssh,
 * after links are resolved. The command line (`tunnelvision import PATH`) is the user's own
 * shell and takes any path.
 */
export async function importablePath(path: string, home = homedir()): Promise<string> {
  const refuse = (why: string): never => {
    throw new TunnelError('BAD_ARGUMENT', `${why}; the dashboard imports files under ~/.ssh only (use \`tunnelvision import PATH\` in a terminal for others)`);
  };
  const sshDir = await realpath(join(home, '.ssh')).catch(() => refuse('there is no ~/.ssh folder'));
  const real = await realpath(path.startsWith('~/') ? join(home, path.slice(2)) : path).catch(() => refuse('that file does not exist'));
  if (!real.startsWith(sshDir + sep)) refuse('that file is outside ~/.ssh');
  if (!(await stat(real)).isFile()) refuse('that is not a regular file');
  // Keys and host lists live in ~/.ssh too; they are not configurations and are not read.
  if (/^(id_|authorized_keys|known_hosts)|\.(pub|pem|key)$/.test(basename(real))) refuse('that is a key or host list, not an ssh_config file');
  const head = await readFile(real).then((b) => b.subarray(0, 64).toString('latin1'), () => '');
  if (head.startsWith('-----BEGIN') || head.startsWith('PuTTY-User-Key-File')) refuse('that is a key, not an ssh_config file');
  return real;
}

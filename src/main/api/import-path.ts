import { realpath, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, sep } from 'node:path';
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
  return real;
}

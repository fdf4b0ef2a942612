import { open, readFile, rm, stat } from 'node:fs/promises';
import { TunnelError } from '../../shared/errors.js';

const STALE_AFTER_MS = 30_000;
const WAIT_MS = 5_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * An exclusive lock file (O_EXCL) beside the profiles file, so the app and the CLI writing at
 * once take turns. A lock whose owner died, or that is older than 30 s, is broken.
 */
export async function withFileLock<T>(lockPath: string, work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx', 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const [owner, info] = await Promise.all([readFile(lockPath, 'utf8').catch(() => null), stat(lockPath).catch(() => null)]);
      // Gone already: released between our open and our look. Try again; never remove blindly,
      // or we could delete the lock someone else has just taken.
      if (owner === null || info === null) continue;
      const pid = Number(owner);
      const stale = Date.now() - info.mtimeMs > STALE_AFTER_MS || (owner !== '' && pid > 0 && !alive(pid));
      if (stale) {
        await rm(lockPath, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new TunnelError('STORE_BUSY', `${lockPath} is held by process ${owner || '?'}; try again`);
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 30));
    }
  }
  try {
    return await work();
  } finally {
    await rm(lockPath, { force: true });
  }
}

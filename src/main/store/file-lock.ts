import { randomUUID } from 'node:crypto';
import { link, open, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import { TunnelError } from '../../shared/errors.js';

/** A holder refreshes its lock's time while it works; one untouched this long has a hung owner. */
const STALE_AFTER_MS = 30_000;
const REFRESH_EVERY_MS = STALE_AFTER_MS / 3;
const WAIT_MS = 5_000;

interface Owner {
  pid: number;
  token: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readOwner(path: string): Promise<{ owner: Owner | null; mtimeMs: number } | null> {
  const [text, info] = await Promise.all([readFile(path, 'utf8').catch(() => null), stat(path).catch(() => null)]);
  if (text === null || info === null) return null;
  // A lock written by an earlier version holds a bare pid; an empty one is being written now.
  const [pid, token] = text.split(' ');
  return { owner: pid && /^\d+$/.test(pid) ? { pid: Number(pid), token: token ?? '' } : null, mtimeMs: info.mtimeMs };
}

/** Creates `path` exclusively with our owner line; false if it exists. */
async function tryCreate(path: string, owner: Owner): Promise<boolean> {
  try {
    const handle = await open(path, 'wx', 0o600);
    try {
      await handle.writeFile(`${owner.pid} ${owner.token}`);
    } finally {
      await handle.close();
    }
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/**
 * Takes the lock at `path` away if `matches` says it is the one meant. It is first moved aside in
 * one atomic rename, so what is judged is exactly what was removed; a lock that turns out to be
 * someone else's (taken in the meantime) is put back with link(), which never overwrites.
 */
async function takeAway(path: string, matches: (lock: { owner: Owner | null; mtimeMs: number }) => boolean): Promise<void> {
  const aside = `${path}.${randomUUID()}.gone`;
  try {
    await rename(path, aside);
  } catch {
    return; // nothing there
  }
  const lock = await readOwner(aside);
  if (lock && !matches(lock)) await link(aside, path).catch(() => undefined);
  await rm(aside, { force: true });
}

/** Removes `path` only if it still carries `token`: never someone else's lock. */
function removeIfOurs(path: string, token: string): Promise<void> {
  return takeAway(path, (lock) => lock.owner?.token === token);
}

/**
 * Breaks the lock at `path` if it is still the stale one we saw (`seen`). Breaking happens under
 * a second, short-lived lock, so two waiters that both judged it stale cannot both break it —
 * the second would otherwise delete the lock the first has just taken.
 */
async function breakStale(path: string, seen: Owner | null, self: Owner): Promise<void> {
  const breaker = `${path}.break`;
  if (!(await tryCreate(breaker, self))) {
    // Someone is breaking it, or died doing so: a breaker lock is held for microseconds.
    const info = await stat(breaker).catch(() => null);
    if (info && Date.now() - info.mtimeMs > STALE_AFTER_MS) await rm(breaker, { force: true });
    return;
  }
  try {
    await takeAway(path, (now) => now.owner?.token === seen?.token && isStale(now.owner, now.mtimeMs));
  } finally {
    await removeIfOurs(breaker, self.token);
  }
}

function isStale(owner: Owner | null, mtimeMs: number): boolean {
  return Date.now() - mtimeMs > STALE_AFTER_MS || (owner !== null && owner.pid > 0 && !alive(owner.pid));
}

/**
 * An exclusive lock file (O_EXCL) beside the profiles file, so the app and the CLI writing at
 * once take turns. The file names its owner (pid and a random token): only the owner removes
 * it, and a lock whose owner died, or that its owner stopped refreshing for 30 s, is broken.
 */
export async function withFileLock<T>(lockPath: string, work: () => Promise<T>): Promise<T> {
  const self: Owner = { pid: process.pid, token: randomUUID() };
  const deadline = Date.now() + WAIT_MS;
  while (!(await tryCreate(lockPath, self))) {
    const seen = await readOwner(lockPath);
    if (seen === null) continue; // released between our open and our look
    if (isStale(seen.owner, seen.mtimeMs)) {
      await breakStale(lockPath, seen.owner, self);
      continue;
    }
    if (Date.now() > deadline) throw new TunnelError('STORE_BUSY', `${lockPath} is held by process ${seen.owner?.pid ?? '?'}; try again`);
    await new Promise((r) => setTimeout(r, 20 + Math.random() * 30));
  }
  const refresh = setInterval(() => {
    const now = new Date();
    void utimes(lockPath, now, now).catch(() => undefined);
  }, REFRESH_EVERY_MS);
  refresh.unref();
  try {
    return await work();
  } finally {
    clearInterval(refresh);
    await removeIfOurs(lockPath, self.token);
  }
}

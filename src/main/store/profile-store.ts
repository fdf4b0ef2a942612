import { randomUUID } from 'node:crypto';
import type { Stats } from 'node:fs';
import { lstat, mkdir, open, readFile, readlink, realpath, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { TunnelError } from '../../shared/errors.js';
import { PROFILES_FILE_VERSION, ProfilesFileSchema, SavedProfileSchema, type ProfilesFile, type SavedProfile } from '../../shared/saved-profile.js';
import { withFileLock } from './file-lock.js';
import { migrate } from './migrations.js';

const MAX_FILE_BYTES = 32 * 1024 * 1024;

export type NewProfile = Omit<SavedProfile, 'id'> & { id?: string };

/**
 * The profiles file: one JSON document, written atomically (temp file, fsync, rename) with the
 * previous version kept as `.bak`. A corrupt, invalid or too-new file is reported with its path
 * and never overwritten. Every write happens under a lock on a freshly read file and bumps the
 * revision, so the app and the CLI writing at once lose no edit.
 */
export class ProfileStore {
  readonly path: string;

  constructor(readonly dir: string) {
    this.path = join(dir, 'profiles.json');
  }

  private get lockPath(): string {
    return `${this.path}.lock`;
  }

  /**
   * A profile can run a command (ProxyCommand), so whoever can write the profiles file can run
   * code as this user: a folder or file that others may write to is refused, not used. The
   * folders are those of the path and, for a symlinked file, of the file it points to.
   */
  private async assertPrivateFolders(): Promise<void> {
    const folders = new Set([this.dir]);
    const target = await realpath(this.path).catch(() => null);
    if (target) folders.add(dirname(target));
    for (const folder of folders) {
      const info = await stat(folder).catch(() => null);
      if (info) assertPrivate(info, folder, 'folder');
    }
  }

  /**
   * Where writes go: the file itself, or, when profiles.json is a symlink (a dotfiles checkout),
   * the file it points to, so that replacing it keeps the link.
   */
  private async writeTarget(): Promise<string> {
    const info = await lstat(this.path).catch(() => null);
    if (!info?.isSymbolicLink()) return this.path;
    return realpath(this.path).catch(async () => resolve(dirname(this.path), await readlink(this.path)));
  }

  /** The current file; an empty one if none exists yet. Throws PROFILES_* for a bad file. */
  async read(): Promise<ProfilesFile> {
    await this.assertPrivateFolders();
    let text: string;
    try {
      const handle = await open(this.path, 'r');
      try {
        // Judged on the open file itself: what is checked is what is read.
        const info = await handle.stat();
        assertPrivate(info, this.path, 'file');
        const { size } = info;
        if (size > MAX_FILE_BYTES) throw new TunnelError('PROFILES_INVALID', `${this.path} is larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB`);
        text = await handle.readFile('utf8');
      } finally {
        await handle.close();
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: PROFILES_FILE_VERSION, revision: 0, profiles: [] };
      if (err instanceof TunnelError) throw err;
      throw new TunnelError('PROFILES_CORRUPT', `${this.path} could not be read: ${(err as Error).message}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new TunnelError('PROFILES_CORRUPT', `${this.path} is not valid JSON (${(err as Error).message}); it was left untouched, the previous version is in ${this.path}.bak`);
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new TunnelError('PROFILES_INVALID', `${this.path}: expected a JSON object`);
    }
    const { file } = migrate(json as Record<string, unknown>, this.path);
    const parsed = ProfilesFileSchema.safeParse(file);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new TunnelError('PROFILES_INVALID', `${this.path}: ${issue.path.join('.') || '(file)'}: ${issue.message}; it was left untouched`);
    }
    const ids = new Set<string>();
    for (const p of parsed.data.profiles) {
      if (ids.has(p.id)) throw new TunnelError('PROFILES_INVALID', `${this.path}: profile id ${p.id} appears twice`);
      ids.add(p.id);
    }
    return parsed.data;
  }

  async list(): Promise<SavedProfile[]> {
    return (await this.read()).profiles;
  }

  /** By id, or by name (case-insensitive). */
  async get(idOrName: string): Promise<SavedProfile> {
    const found = findProfile((await this.read()).profiles, idOrName);
    if (!found) throw new TunnelError('PROFILE_NOT_FOUND', `no saved profile named '${idOrName}'`);
    return found;
  }

  /**
   * Read-modify-write under the lock. `expectedRevision`, when given, must match the file's:
   * an editor that read revision 7 cannot overwrite a file someone else already moved to 8.
   */
  async update(change: (profiles: SavedProfile[]) => SavedProfile[], expectedRevision?: number): Promise<ProfilesFile> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await this.assertPrivateFolders();
    return withFileLock(this.lockPath, async () => {
      const current = await this.read();
      if (expectedRevision !== undefined && expectedRevision !== current.revision) {
        throw new TunnelError('STORE_CONFLICT', `the profiles changed since they were read (revision ${expectedRevision}, now ${current.revision}); reload and try again`);
      }
      const profiles = change(current.profiles.map((p) => structuredClone(p)));
      const next: ProfilesFile = { version: PROFILES_FILE_VERSION, revision: current.revision + 1, profiles };
      const checked = ProfilesFileSchema.safeParse(next);
      if (!checked.success) {
        const issue = checked.error.issues[0]!;
        throw new TunnelError('PROFILES_INVALID', `not saved: ${issue.path.join('.')}: ${issue.message}`);
      }
      await this.writeAtomically(`${JSON.stringify(checked.data, null, 2)}\n`, current.revision > 0);
      return checked.data;
    });
  }

  private async writeAtomically(text: string, keepBackup: boolean): Promise<void> {
    const target = await this.writeTarget();
    try {
      // The backup is a file of its own, made the same way: a symlink planted as .bak is
      // replaced, never written through.
      if (keepBackup) {
        const previous = await readFile(target).catch(() => null);
        if (previous) await replaceFile(`${target}.bak`, previous);
      }
      await replaceFile(target, text);
    } catch (err) {
      throw new TunnelError('STORE_WRITE_FAILED', `${this.path} could not be written: ${(err as Error).message}`);
    }
  }

  async add(profile: NewProfile): Promise<SavedProfile> {
    const saved = SavedProfileSchema.parse({ ...profile, id: profile.id ?? newProfileId() });
    await this.update((profiles) => {
      if (findProfile(profiles, saved.name)) throw new TunnelError('PROFILE_EXISTS', `a profile named '${saved.name}' already exists`);
      if (profiles.some((p) => p.id === saved.id)) throw new TunnelError('PROFILE_EXISTS', `a profile with id ${saved.id} already exists`);
      return [...profiles, saved];
    });
    return saved;
  }

  /** Replaces the profile with the same id. */
  async put(profile: SavedProfile, expectedRevision?: number): Promise<void> {
    await this.update((profiles) => {
      const i = profiles.findIndex((p) => p.id === profile.id);
      if (i < 0) throw new TunnelError('PROFILE_NOT_FOUND', `no saved profile with id ${profile.id}`);
      const clash = findProfile(profiles, profile.name);
      if (clash && clash.id !== profile.id) throw new TunnelError('PROFILE_EXISTS', `a profile named '${profile.name}' already exists`);
      profiles[i] = profile;
      return profiles;
    }, expectedRevision);
  }

  async remove(idOrName: string): Promise<SavedProfile> {
    let removed: SavedProfile | undefined;
    await this.update((profiles) => {
      removed = findProfile(profiles, idOrName);
      if (!removed) throw new TunnelError('PROFILE_NOT_FOUND', `no saved profile named '${idOrName}'`);
      return profiles.filter((p) => p.id !== removed!.id);
    });
    return removed!;
  }
}

function assertPrivate(info: Stats, path: string, what: 'file' | 'folder'): void {
  const uid = process.getuid?.();
  if (uid === undefined) return; // Windows: ACLs, not mode bits
  if ((info.mode & 0o022) !== 0) {
    throw new TunnelError('STORE_UNSAFE', `the profiles ${what} ${path} can be written by other users (mode ${(info.mode & 0o777).toString(8)}); refusing to use it — run: chmod go-w '${path}'`);
  }
  if (info.uid !== uid && info.uid !== 0) {
    throw new TunnelError('STORE_UNSAFE', `the profiles ${what} ${path} belongs to another user (uid ${info.uid}); refusing to use it`);
  }
}

/** Temp file beside `path`, fsync, rename over it, fsync the folder: all or nothing. */
async function replaceFile(path: string, data: string | Buffer): Promise<void> {
  const temp = join(dirname(path), `.${randomUUID()}.tmp`);
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  // The rename itself must reach the disk too.
  const dir = await open(dirname(path), 'r').catch(() => null);
  await dir?.sync().catch(() => undefined);
  await dir?.close();
}

export function findProfile(profiles: SavedProfile[], idOrName: string): SavedProfile | undefined {
  return profiles.find((p) => p.id === idOrName) ?? profiles.find((p) => p.name.toLowerCase() === idOrName.toLowerCase());
}

export function newProfileId(): string {
  return randomUUID();
}

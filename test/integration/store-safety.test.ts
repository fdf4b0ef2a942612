import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withFileLock } from '../../src/main/store/file-lock.js';
import { ProfileStore } from '../../src/main/store/profile-store.js';
import { defaultProfile } from '../../src/shared/profile.js';
import { newSavedProfile } from '../../src/shared/saved-profile.js';

const dir = (): string => mkdtempSync(join(tmpdir(), 'tv-safety-'));
const sample = (name: string) => newSavedProfile(name, defaultProfile(`${name}.example`));

/** The pid of a process that has exited: a lock naming it has a dead owner. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

describe('the profiles lock admits one writer at a time', () => {
  it('many waiters that all find a stale lock (dead owner): one at a time gets in, none overlap', async () => {
    const lock = join(dir(), 'profiles.json.lock');
    writeFileSync(lock, `${deadPid()} stale-token`);
    let inside = 0;
    let most = 0;
    let entered = 0;
    await Promise.all(
      Array.from({ length: 12 }, () =>
        withFileLock(lock, async () => {
          inside++;
          entered++;
          most = Math.max(most, inside);
          // Several turns of the event loop inside, so an intruder would be seen.
          for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
          inside--;
        }),
      ),
    );
    expect(entered).toBe(12);
    expect(most).toBe(1);
    expect(existsSync(lock)).toBe(false);
  });

  it('a holder whose lock was taken over removes only its own, never the new owner\'s', async () => {
    const lock = join(dir(), 'profiles.json.lock');
    await withFileLock(lock, async () => {
      // As if another process broke this lock and took its own.
      writeFileSync(lock, `${process.pid} someone-elses-token`);
    });
    expect(readFileSync(lock, 'utf8')).toBe(`${process.pid} someone-elses-token`);
  });

  it('a lock held by a live process with a fresh time is waited for, then STORE_BUSY', async () => {
    const lock = join(dir(), 'profiles.json.lock');
    writeFileSync(lock, `${process.pid} live-token`);
    await expect(withFileLock(lock, async () => undefined)).rejects.toMatchObject({ code: 'STORE_BUSY' });
    expect(readFileSync(lock, 'utf8')).toBe(`${process.pid} live-token`);
  });
});

describe('the profiles file is written only where it should be', () => {
  it('.bak is a file of its own: a symlink planted there is replaced, its target untouched', async () => {
    const d = dir();
    const store = new ProfileStore(d);
    await store.add(sample('one'));
    const victim = join(dir(), 'victim');
    writeFileSync(victim, 'precious');
    symlinkSync(victim, `${store.path}.bak`);
    await store.add(sample('two'));
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(lstatSync(`${store.path}.bak`).isSymbolicLink()).toBe(false);
    expect(JSON.parse(readFileSync(`${store.path}.bak`, 'utf8')).profiles.map((p: { name: string }) => p.name)).toEqual(['one']);
  });

  it('a symlinked profiles.json (a dotfiles checkout) stays a symlink; the file it points to is updated', async () => {
    const d = dir();
    const dotfiles = dir();
    const real = join(dotfiles, 'tunnelvision-profiles.json');
    await new ProfileStore(dotfiles).add(sample('one'));
    writeFileSync(real, readFileSync(join(dotfiles, 'profiles.json')));
    symlinkSync(real, join(d, 'profiles.json'));
    const store = new ProfileStore(d);
    await store.add(sample('two'));
    expect(lstatSync(store.path).isSymbolicLink()).toBe(true);
    expect(JSON.parse(readFileSync(real, 'utf8')).profiles.map((p: { name: string }) => p.name)).toEqual(['one', 'two']);
  });

  it('a config folder or profiles file that others can write to is refused (STORE_UNSAFE), on read and on write', async () => {
    const d = dir();
    const store = new ProfileStore(d);
    await store.add(sample('one'));
    chmodSync(d, 0o777);
    await expect(store.list()).rejects.toMatchObject({ code: 'STORE_UNSAFE' });
    await expect(store.add(sample('two'))).rejects.toMatchObject({ code: 'STORE_UNSAFE', message: expect.stringMatching(/chmod go-w/) });
    chmodSync(d, 0o700);
    chmodSync(store.path, 0o664);
    await expect(store.list()).rejects.toMatchObject({ code: 'STORE_UNSAFE' });
    chmodSync(store.path, 0o600);
    expect((await store.list()).map((p) => p.name)).toEqual(['one']);
  });

  it('a symlinked profiles.json whose real folder others can write to is refused too', async () => {
    const d = dir();
    const shared = dir();
    await new ProfileStore(shared).add(sample('one'));
    symlinkSync(join(shared, 'profiles.json'), join(d, 'profiles.json'));
    chmodSync(shared, 0o777);
    await expect(new ProfileStore(d).list()).rejects.toMatchObject({ code: 'STORE_UNSAFE', message: expect.stringContaining(shared) });
    chmodSync(shared, 0o700);
    expect((await new ProfileStore(d).list()).map((p) => p.name)).toEqual(['one']);
  });
});

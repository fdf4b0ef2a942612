import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProfileStore } from '../../src/main/store/profile-store.js';
import { newSavedProfile, PROFILES_FILE_VERSION } from '../../src/shared/saved-profile.js';
import { defaultConfigDir } from '../../src/main/store/config-dir.js';
import { defaultProfile } from '../../src/shared/profile.js';
import { CLI, runCli } from '../helpers/cli.js';

const dir = (): string => mkdtempSync(join(tmpdir(), 'tv-store-'));
const sample = (name: string) => newSavedProfile(name, { ...defaultProfile(`${name}.example`), forwards: [{ kind: 'dynamic', bind: { host: null, port: 1080 } }] });

async function codeOf(work: Promise<unknown>): Promise<string | null> {
  try {
    await work;
    return null;
  } catch (err) {
    return (err as { code?: string }).code ?? 'THREW';
  }
}

describe('ProfileStore', () => {
  it('writes atomically with a backup of the previous version, mode 0600', async () => {
    const store = new ProfileStore(dir());
    await store.add(sample('one'));
    await store.add(sample('two'));
    const file = JSON.parse(readFileSync(store.path, 'utf8'));
    expect(file).toMatchObject({ version: PROFILES_FILE_VERSION, revision: 2 });
    expect(file.profiles.map((p: { name: string }) => p.name)).toEqual(['one', 'two']);
    const backup = JSON.parse(readFileSync(`${store.path}.bak`, 'utf8'));
    expect(backup.profiles.map((p: { name: string }) => p.name)).toEqual(['one']);
    const { statSync } = await import('node:fs');
    expect(statSync(store.path).mode & 0o777).toBe(0o600);
  });

  it('a corrupt file is reported with its path and never overwritten', async () => {
    const store = new ProfileStore(dir());
    await store.add(sample('keep'));
    writeFileSync(store.path, '{"version": 2, "revision": 1, "profiles": [ {trunc');
    const before = readFileSync(store.path, 'utf8');
    const err = await store.list().catch((e: Error & { code: string }) => e);
    expect((err as { code: string }).code).toBe('PROFILES_CORRUPT');
    expect((err as Error).message).toContain(store.path);
    expect(await codeOf(store.add(sample('new')))).toBe('PROFILES_CORRUPT');
    expect(readFileSync(store.path, 'utf8')).toBe(before);
  });

  it('an invalid profile is reported with where it is wrong', async () => {
    const store = new ProfileStore(dir());
    writeFileSync(store.path, JSON.stringify({ version: 2, revision: 3, profiles: [{ ...sample('x'), id: 'a', port: 99999 }] }));
    const err = (await store.list().catch((e: unknown) => e)) as { code: string; message: string };
    expect(err.code).toBe('PROFILES_INVALID');
    expect(err.message).toMatch(/profiles\.0\.port/);
  });

  it('a file from a newer version is refused and left untouched', async () => {
    const store = new ProfileStore(dir());
    writeFileSync(store.path, JSON.stringify({ version: 99, revision: 1, profiles: [] }));
    expect(await codeOf(store.list())).toBe('PROFILES_TOO_NEW');
    expect(await codeOf(store.add(sample('x')))).toBe('PROFILES_TOO_NEW');
    expect(JSON.parse(readFileSync(store.path, 'utf8')).version).toBe(99);
  });

  it('a version 1 file migrates forward on read and is written as the current version', async () => {
    const store = new ProfileStore(dir());
    const v1 = { ...sample('old'), id: 'old-1' } as Record<string, unknown>;
    delete v1.lazy;
    delete v1.idleTimeout;
    delete v1.probeInterval;
    writeFileSync(store.path, JSON.stringify({ version: 1, revision: 4, profiles: [v1] }));
    const [p] = await store.list();
    expect(p).toMatchObject({ name: 'old', lazy: false, idleTimeout: 300, probeInterval: null });
    await store.add(sample('new'));
    expect(JSON.parse(readFileSync(store.path, 'utf8'))).toMatchObject({ version: PROFILES_FILE_VERSION, revision: 5 });
  });

  it('a version 2 file gains typed (null: connect with the saved values, as before), globalKnownHostsFiles and hashKnownHosts', async () => {
    const store = new ProfileStore(dir());
    const v2 = { ...sample('old'), id: 'old-2' } as Record<string, unknown>;
    delete v2.typed;
    delete v2.globalKnownHostsFiles;
    delete v2.hashKnownHosts;
    writeFileSync(store.path, JSON.stringify({ version: 2, revision: 7, profiles: [v2] }));
    const [p] = await store.list();
    expect(p).toMatchObject({ name: 'old', host: 'old.example', typed: null, globalKnownHostsFiles: [], hashKnownHosts: false });
    await store.put({ ...p!, notes: 'edited' }, 7);
    const written = JSON.parse(readFileSync(store.path, 'utf8'));
    expect(written).toMatchObject({ version: PROFILES_FILE_VERSION, revision: 8 });
    expect(written.profiles[0]).toMatchObject({ typed: null, globalKnownHostsFiles: [], hashKnownHosts: false, notes: 'edited' });
  });

  it('an edit made against an old revision is refused (STORE_CONFLICT), not lost', async () => {
    const store = new ProfileStore(dir());
    const saved = await store.add(sample('a'));
    const { revision } = await store.read();
    await store.put({ ...saved, notes: 'first editor' }, revision);
    expect(await codeOf(store.put({ ...saved, notes: 'second editor' }, revision))).toBe('STORE_CONFLICT');
    expect((await store.get('a')).notes).toBe('first editor');
  });

  it('ten CLI processes adding at once lose no profile', async () => {
    const d = dir();
    const runs = Array.from({ length: 10 }, (_, i) =>
      new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, [CLI, '--config-dir', d, 'profiles', 'add', '--name', `p${i}`, '--', 'ssh', `h${i}`], { stdio: 'ignore' });
        child.on('close', resolve);
      }),
    );
    expect(await Promise.all(runs)).toEqual(Array(10).fill(0));
    const names = (await new ProfileStore(d).list()).map((p) => p.name).sort();
    expect(names).toEqual(Array.from({ length: 10 }, (_, i) => `p${i}`).sort());
    expect(existsSync(join(d, 'profiles.json.lock'))).toBe(false);
  });

  it('locates the directory by platform convention, overridable by the environment', () => {
    expect(defaultConfigDir({ XDG_CONFIG_HOME: '/x' }, 'linux')).toBe('/x/tunnelvision');
    expect(defaultConfigDir({ TUNNELVISION_CONFIG_DIR: '/y' }, 'linux')).toBe('/y');
    expect(defaultConfigDir({ APPDATA: 'C:/A' }, 'win32')).toMatch(/Tunnelvision$/);
  });
});

describe('tunnelvision profiles CLI', () => {
  it('add, list --json, show, export, remove', async () => {
    const d = dir();
    const add = await runCli(['--config-dir', d, 'profiles', 'add', '--name', 'db', '--group', 'work', '--', 'ssh', '-L', '5432:db:5432', 'me@gw']);
    expect(add.code).toBe(0);
    const list = JSON.parse((await runCli(['--config-dir', d, 'profiles', 'list', '--json'])).stdout);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ name: 'db', group: 'work', host: 'gw', user: 'me' });
    const exported = (await runCli(['--config-dir', d, 'profiles', 'export', 'db'])).stdout.trim();
    expect(exported).toBe('ssh -N -L 5432:db:5432 -o ServerAliveInterval=15 -o ServerAliveCountMax=3 me@gw');
    const parsed = JSON.parse((await runCli(['parse', '--json', '--', ...exported.split(' ')])).stdout);
    const { warnings: _w, ...fromExport } = parsed;
    const { id: _i, name: _n, group: _g, tags: _t, notes: _no, startAtLaunch: _s, authMethod: _a, lazy: _l, idleTimeout: _it, probeInterval: _p, ...fromStore } = list[0];
    const { lazy: _l2, idleTimeout: _it2, probeInterval: _p2, ...fromExportRunnable } = fromExport;
    expect(fromExportRunnable).toEqual(fromStore);
    expect((await runCli(['--config-dir', d, 'profiles', 'remove', 'db'])).code).toBe(0);
    const gone = await runCli(['--config-dir', d, 'profiles', 'show', 'db']);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain('[PROFILE_NOT_FOUND]');
  });

  it('a corrupt profiles file: a clear error, exit 2, no stack trace, file untouched', async () => {
    const d = dir();
    writeFileSync(join(d, 'profiles.json'), 'not json');
    const r = await runCli(['--config-dir', d, 'profiles', 'list']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\[PROFILES_CORRUPT\].*profiles\.json/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(readFileSync(join(d, 'profiles.json'), 'utf8')).toBe('not json');
  });
});

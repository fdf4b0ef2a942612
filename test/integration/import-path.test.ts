import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiService } from '../../src/main/api/service.js';
import { ProfileStore } from '../../src/main/store/profile-store.js';

let service: ApiService;
let home: string;
const savedHome = process.env.HOME;

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'tv-import-home-'));
  mkdirSync(join(home, '.ssh'));
  writeFileSync(join(home, '.ssh', 'work.conf'), 'Host db\n  HostName db.internal\n  LocalForward 5432 localhost:5432\n');
  writeFileSync(join(home, 'secret.txt'), 'Host x\nthis line is a secret\n');
  symlinkSync(join(home, 'secret.txt'), join(home, '.ssh', 'sneaky'));
  mkdirSync(join(home, '.ssh', 'folder'));
  writeFileSync(join(home, '.ssh', 'id_ed25519'), '-----BEGIN OPENSSH PRIVATE KEY-----\nthis line is a secret\n-----END OPENSSH PRIVATE KEY-----\n');
  writeFileSync(join(home, '.ssh', 'renamed-key'), '-----BEGIN OPENSSH PRIVATE KEY-----\nthis line is a secret\n-----END OPENSSH PRIVATE KEY-----\n');
  process.env.HOME = home;
  service = new ApiService({ store: new ProfileStore(mkdtempSync(join(tmpdir(), 'tv-import-store-'))), keychain: async () => ({ store: null, unavailable: 'none' }) });
});

afterAll(async () => {
  process.env.HOME = savedHome;
  await service.dispose();
});

describe('sshConfig.import from the dashboard reads files under ~/.ssh only', () => {
  it('a file under ~/.ssh imports (absolute or ~/ path)', async () => {
    for (const path of [join(home, '.ssh', 'work.conf'), '~/.ssh/work.conf']) {
      const r = await service.dispatch('sshConfig.import', { path });
      expect(r.ok, JSON.stringify(r)).toBe(true);
      expect(r.ok && (r.value as { profiles: { name: string }[] }).profiles.map((p) => p.name)).toEqual(['db']);
    }
  });

  it.each([
    ['a file outside ~/.ssh', () => join(home, 'secret.txt'), /outside ~\/\.ssh/],
    ['/etc/passwd', () => '/etc/passwd', /outside ~\/\.ssh/],
    ['a link in ~/.ssh to a file outside', () => join(home, '.ssh', 'sneaky'), /outside ~\/\.ssh/],
    ['a climb out of ~/.ssh', () => join(home, '.ssh', '..', 'secret.txt'), /outside ~\/\.ssh/],
    ['a folder', () => join(home, '.ssh', 'folder'), /not a regular file/],
    ['a missing file', () => join(home, '.ssh', 'nope'), /does not exist/],
    ['a private key', () => join(home, '.ssh', 'id_ed25519'), /key/],
    ['a private key under another name', () => join(home, '.ssh', 'renamed-key'), /is a key/],
  ])('%s is refused with BAD_ARGUMENT and nothing of it is echoed', async (_what, path, why) => {
    const r = await service.dispatch('sshConfig.import', { path: path() });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.code).toBe('BAD_ARGUMENT');
    expect(!r.ok && r.error.message).toMatch(why);
    expect(JSON.stringify(r)).not.toContain('this line is a secret');
  });
});

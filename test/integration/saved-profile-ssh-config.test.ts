import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiService } from '../../src/main/api/service.js';
import { ProfileStore } from '../../src/main/store/profile-store.js';
import type { TunnelStatus } from '../../src/shared/contract.js';
import type { SavedProfile } from '../../src/shared/saved-profile.js';
import { knownHostsFor } from '../helpers/fixtures.js';
import { echoRoundTrip, waitFor } from '../helpers/servers.js';
import { startSshdWithEcho, type SshdWithEcho } from '../helpers/sshd-fixture.js';
import { Sshd } from '../helpers/sshd.js';

/**
 * A saved profile keeps the alias the user typed; the tunnel resolves it through ~/.ssh/config
 * at every connect, so an edit of the file reaches it (issue #17). Two real sshd: the file
 * first names one, then the other, and the first one is gone before the restart.
 */

let first: SshdWithEcho;
let second: Sshd;
let knownHosts: string;
let home: string;
let service: ApiService;
const savedHome = process.env.HOME;

beforeAll(async () => {
  first = await startSshdWithEcho();
  second = await Sshd.start({ authorizedKeys: first.keys.authorizedKeys });
  knownHosts = await knownHostsFor([first.sshd, second]);
  home = mkdtempSync(join(tmpdir(), 'tv-home-'));
  mkdirSync(join(home, '.ssh'));
  process.env.HOME = home;
  const store = new ProfileStore(mkdtempSync(join(tmpdir(), 'tv-store-')));
  service = new ApiService({ store, tickMs: 200, keychain: async () => ({ store: null, unavailable: 'no keychain in this test' }) });
});

afterAll(async () => {
  process.env.HOME = savedHome;
  await service?.dispose();
  await second?.dispose();
  await first?.dispose();
});

function pointAliasAt(sshd: Sshd): void {
  writeFileSync(join(home, '.ssh', 'config'), `Host db-alias\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  User ${sshd.user}\n`);
}

async function upStatus(id: string): Promise<TunnelStatus> {
  return waitFor(async () => {
    const r = await service.call('tunnels.list', {});
    const s = r.ok ? r.value.find((t) => t.id === id) : undefined;
    if (s?.state === 'failed') throw new Error(`tunnel failed: ${s.reason}`);
    return s?.state === 'up' ? s : null;
  }, 20_000, 'the tunnel to be up');
}

describe('a saved profile resolves its typed alias through ~/.ssh/config at connect time', () => {
  it('parse → save → start reaches the server the file names; after an edit of the file, a restart reaches the new one', async () => {
    pointAliasAt(first.sshd);
    const command = `ssh -N -L 0:127.0.0.1:${first.echo.port} -i ${first.keys.key} -o IdentitiesOnly=yes -o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=yes -o BatchMode=yes db-alias`;
    const parsed = await service.call('ssh.parse', { command });
    if (!parsed.ok) throw new Error(parsed.error.message);
    expect(parsed.value.profile).toMatchObject({ host: '127.0.0.1', port: first.sshd.port, typed: { host: 'db-alias', port: null, user: null } });

    const saved = await service.call('profiles.save', { profile: { ...parsed.value.profile, name: 'alias test', group: null, tags: [], notes: '', startAtLaunch: false, authMethod: 'key' } });
    if (!saved.ok) throw new Error(saved.error.message);
    const id = (saved.value as SavedProfile).id;

    await service.call('tunnels.start', { id });
    const up = await upStatus(id);
    const port = up.forwards[0]!.allocatedPort!;
    expect((await echoRoundTrip(port, 2048)).received.length).toBe(2048);
    await service.call('tunnels.stop', { id });

    // The file now names the second server, and the first one is gone: only the file can get us there.
    pointAliasAt(second);
    await first.sshd.dispose();
    const list = await service.call('profiles.list', {});
    if (!list.ok) throw new Error(list.error.message);
    expect(list.value.profiles.find((p) => p.id === id)).toMatchObject({ port: first.sshd.port }); // what was saved
    expect(list.value.resolved[id]).toEqual({ host: '127.0.0.1', user: second.user, port: second.port, jumps: [], error: null }); // what a connect uses now

    await service.call('tunnels.restart', { id });
    const again = await upStatus(id);
    const port2 = again.forwards[0]!.allocatedPort!;
    expect((await echoRoundTrip(port2, 4096)).received.length).toBe(4096);
    const logs = await service.call('logs.read', { tunnel: id });
    expect(logs.ok && logs.value.some((l) => l.message.includes(`db-alias is ${second.user}@127.0.0.1:${second.port}`))).toBe(true);
    await service.call('tunnels.stop', { id });
  });
});

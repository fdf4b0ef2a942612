import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiService } from '../../src/main/api/service.js';
import { ProfileStore } from '../../src/main/store/profile-store.js';
import type { Prompt } from '../../src/shared/contract.js';
import { newSavedProfile } from '../../src/shared/saved-profile.js';
import { profileFor } from '../helpers/fixtures.js';
import { makeClientKeys, Sshd } from '../helpers/sshd.js';

let sshd: Sshd;
let service: ApiService;

beforeAll(async () => {
  delete process.env.SSH_AUTH_SOCK;
  // The server gives a login 1 s: a host-key dialog left open outlives the attempt that asked.
  sshd = await Sshd.start({ authorizedKeys: (await makeClientKeys()).authorizedKeys, config: ['LoginGraceTime 1'] });
  const store = new ProfileStore(mkdtempSync(join(tmpdir(), 'tv-prompts-')));
  service = new ApiService({ store, tickMs: 200, keychain: async () => ({ store: null, unavailable: 'no keychain in this test' }) });
});

afterAll(async () => {
  await service?.dispose();
  await sshd?.dispose();
});

/** The next event of `name` that matches, from now on. */
function next<T>(name: 'prompt' | 'prompt.closed', match: (payload: T) => boolean): Promise<T> {
  return new Promise((resolve) => {
    const listener = (payload: T): void => {
      if (!match(payload)) return;
      service.off(name, listener as never);
      resolve(payload);
    };
    service.on(name, listener as never);
  });
}

describe('questions belong to their connection attempt', () => {
  it('a host-key question is withdrawn when its attempt dies, a late answer trusts nothing, and retries do not pile questions up', async () => {
    const knownHosts = join(mkdtempSync(join(tmpdir(), 'tv-kh-')), 'known_hosts');
    writeFileSync(knownHosts, '');
    const keys = await makeClientKeys();
    const profile = { ...profileFor(sshd, keys, knownHosts), strictHostKeyChecking: 'ask' as const, batchMode: false };
    const saved = await service.dispatch('profiles.save', { profile: newSavedProfile('grace', profile) });
    expect(saved.ok, JSON.stringify(saved)).toBe(true);
    const id = saved.ok ? (saved.value as { id: string }).id : '';

    const firstAsked = next<Prompt>('prompt', (p) => p.tunnel === id && p.kind === 'host-key');
    await service.dispatch('tunnels.start', { id });
    const first = await firstAsked;
    const withdrawn = await next<{ id: string }>('prompt.closed', (c) => c.id === first.id);
    expect(withdrawn.id).toBe(first.id);

    const late = await service.dispatch('prompts.answer', { id: first.id, answer: 'accept-always' });
    expect(late.ok).toBe(false);
    expect(!late.ok && late.error.message).toMatch(/no longer open/);
    expect(readFileSync(knownHosts, 'utf8')).toBe('');

    // The retry asks again: one open question, not two.
    const second = await next<Prompt>('prompt', (p) => p.tunnel === id && p.kind === 'host-key');
    expect(second.id).not.toBe(first.id);
    expect(service.prompts.open().map((p) => p.id)).toEqual([second.id]);
    await service.dispatch('tunnels.stop', { id });
    expect(service.prompts.open()).toEqual([]);
  });
});

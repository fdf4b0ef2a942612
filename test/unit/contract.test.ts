import { describe, expect, it } from 'vitest';
import { COMMANDS, EVENTS, type CommandName } from '../../src/shared/contract.js';
import { defaultProfile } from '../../src/shared/profile.js';
import { newSavedProfile } from '../../src/shared/saved-profile.js';

const profile = defaultProfile('h');
const saved = { ...newSavedProfile('n', profile), id: 'abc' };

const GOOD: Record<CommandName, unknown> = {
  'profiles.list': {},
  'profiles.get': { id: 'abc' },
  'profiles.save': { profile: newSavedProfile('n', profile), expectedRevision: 3 },
  'profiles.delete': { id: 'abc' },
  'tunnels.list': {},
  'tunnels.start': { id: 'abc' },
  'tunnels.stop': { id: 'abc' },
  'tunnels.restart': { id: 'abc' },
  'tunnels.retry': { id: 'abc' },
  'tunnels.history': { id: 'abc' },
  'tunnels.checkBinds': { profile, id: 'abc' },
  'ssh.parse': { command: 'ssh -L 1:h:2 host' },
  'ssh.export': { profile, name: 'x' },
  'sshConfig.import': {},
  'prompts.answer': { id: 'q1', answer: 'accept-once' },
  'secrets.set': { profileId: 'abc', kind: 'password', secret: 's' },
  'connections.list': { tunnel: 'abc' },
  'connections.close': { tunnel: 'abc', id: 3 },
  'logs.read': { tunnel: 'abc' },
};

describe('the contract: every command schema', () => {
  it('covers every command', () => {
    expect(Object.keys(GOOD).sort()).toEqual(Object.keys(COMMANDS).sort());
  });

  it.each(Object.keys(COMMANDS) as CommandName[])('%s accepts a good payload and rejects bad ones', (name) => {
    const schema = COMMANDS[name].input;
    expect(schema.safeParse(GOOD[name]).success).toBe(true);
    const good = GOOD[name] as Record<string, unknown>;
    const bad: unknown[] = [null, 'text', 42, [], { ...good, extra: 1 }, JSON.parse(`{"__proto__": {"x": 1}, ${JSON.stringify(good).slice(1, -1) || '"y":1'}}`)];
    for (const key of Object.keys(good)) {
      bad.push({ ...good, [key]: Number.NaN }, { ...good, [key]: 'x'.repeat(10 * 1024 * 1024) }, { ...good, [key]: { nested: true } });
      const { [key]: _drop, ...missing } = good;
      if (!(schema.safeParse(missing).success)) bad.push(missing);
    }
    for (const b of bad) expect(schema.safeParse(b).success, JSON.stringify(b)?.slice(0, 120)).toBe(false);
  });

  it('profiles.save rejects a profile with a NaN port or a bad forward', () => {
    const s = COMMANDS['profiles.save'].input;
    expect(s.safeParse({ profile: { ...saved, port: Number.NaN } }).success).toBe(false);
    expect(s.safeParse({ profile: { ...saved, forwards: [{ kind: 'local', bind: { host: null, port: 1 } }] } }).success).toBe(false);
  });

  it('prompts.answer takes a host-key answer or a secret, nothing else', () => {
    const s = COMMANDS['prompts.answer'].input;
    expect(s.safeParse({ id: 'q', answer: { secret: 'pw' } }).success).toBe(true);
    expect(s.safeParse({ id: 'q', answer: { secret: null } }).success).toBe(true);
    expect(s.safeParse({ id: 'q', answer: 'yes' }).success).toBe(false);
  });
});

describe('the contract: event schemas', () => {
  it('accept what the engine emits and reject malformed payloads', () => {
    const stats = { tunnel: 't', state: 'up', sessionOpen: true, latencyMs: 1.2, uptimeMs: 10, bytesSent: 1, bytesReceived: 2, connections: 0, totalConnections: 1, failedConnections: 0, sendRate: 0, receiveRate: 0, forwards: [] };
    expect(EVENTS.traffic.safeParse([stats]).success).toBe(true);
    expect(EVENTS.traffic.safeParse([{ ...stats, state: 'exploded' }]).success).toBe(false);
    expect(EVENTS['tunnel.state'].safeParse({ tunnel: 't', state: 'up', reason: 'r', error: null, forwards: [], since: 1, upSince: null, retryAt: null, reconnects: 0 }).success).toBe(true);
    expect(EVENTS['tunnel.state'].safeParse({ tunnel: 't', state: 'up', reason: 'r', error: { code: 'NOPE', message: 'm' }, forwards: [] }).success).toBe(false);
    expect(EVENTS.prompt.safeParse({ id: 'q', tunnel: 't', kind: 'host-key', host: 'h', port: 22, hop: 0, keyType: 'ssh-ed25519', fingerprint: 'SHA256:x', otherTypes: [] }).success).toBe(true);
    expect(EVENTS.prompt.safeParse({ id: 'q', tunnel: 't', kind: 'magic' }).success).toBe(false);
    expect(EVENTS.log.safeParse({ tunnel: 't', time: 1, level: 'info', message: 'm' }).success).toBe(true);
  });
});

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ssh2 from 'ssh2';
import type { SecretQuestion } from '../../src/main/engine/prompts.js';
import { Tunnel } from '../../src/main/engine/tunnel.js';
import { defaultProfile } from '../../src/shared/profile.js';
import { knownHostsFor, profileFor } from '../helpers/fixtures.js';
import { makeClientKeys, Sshd, type ClientKeys } from '../helpers/sshd.js';

let keys: ClientKeys;
let sshd: Sshd;
let knownHosts: string;

beforeAll(async () => {
  delete process.env.SSH_AUTH_SOCK;
  keys = await makeClientKeys();
  sshd = await Sshd.start({ authorizedKeys: keys.authorizedKeys });
  knownHosts = await knownHostsFor([sshd]);
});

afterAll(async () => {
  await sshd?.dispose();
});

describe('authentication against OpenSSH', () => {
  it('an encrypted key asks for its passphrase through the prompter', async () => {
    const profile = profileFor(sshd, keys, knownHosts);
    profile.identityFiles = [keys.encryptedKey];
    profile.batchMode = false;
    const asked: SecretQuestion[] = [];
    const t = new Tunnel('t', profile, { prompter: { secret: async (q) => (asked.push(q), keys.passphrase) } });
    await t.start();
    expect(t.getState()).toBe('up');
    expect(asked.map((q) => q.kind)).toEqual(['passphrase']);
    expect(asked[0]!.keyFile).toBe(keys.encryptedKey);
    await t.stop();
    // Every log line, debug included, and every state event: no trace of the passphrase.
    const everything = JSON.stringify([t.logs(), t.forwardStatuses(), t.stats(), t.error]);
    expect(t.logs().some((l) => l.level === 'debug')).toBe(true);
    expect(everything).not.toContain(keys.passphrase);
  });

  it('a wrong key is AUTH_FAILED after exactly one connection, with no retry loop', async () => {
    const before = (sshd.log.match(/Connection from 127\.0\.0\.1/g) ?? []).length;
    const profile = profileFor(sshd, keys, knownHosts);
    profile.identityFiles = [keys.strangerKey];
    const t = new Tunnel('t', profile);
    await t.start();
    expect(t.getState()).toBe('failed');
    expect(t.error?.code).toBe('AUTH_FAILED');
    await new Promise((r) => setTimeout(r, 2500));
    const after = (sshd.log.match(/Connection from 127\.0\.0\.1/g) ?? []).length;
    expect(after - before).toBe(1);
    expect(t.getState()).toBe('failed');
  });

  it('BatchMode with an encrypted key and no prompter is AUTH_FAILED, not a hang', async () => {
    const profile = profileFor(sshd, keys, knownHosts);
    profile.identityFiles = [keys.encryptedKey];
    const t = new Tunnel('t', profile);
    await t.start();
    expect(t.error?.code).toBe('AUTH_FAILED');
  });
});

describe('password and keyboard-interactive (ssh2 server that checks them)', () => {
  const { Server, utils } = ssh2;
  let server: InstanceType<typeof Server>;
  let port: number;
  let hostKnown: string;

  beforeAll(async () => {
    const hostKey = readFileSync(sshd.hostKey);
    server = new Server({ hostKeys: [hostKey] }, (client) => {
      client.on('authentication', (ctx) => {
        if (ctx.method === 'password' && ctx.username === 'alice' && ctx.password === 's3cret pw') return ctx.accept();
        if (ctx.method === 'keyboard-interactive' && ctx.username === 'bob') {
          return ctx.prompt([{ prompt: 'Verification code: ', echo: true }], (answers) =>
            answers[0] === '424242' ? ctx.accept() : ctx.reject(),
          );
        }
        ctx.reject(['password', 'keyboard-interactive']);
      });
      client.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
    const pub = utils.parseKey(hostKey);
    if (pub instanceof Error) throw pub;
    hostKnown = await knownHostsFor([], [`[127.0.0.1]:${port} ${pub.type} ${pub.getPublicSSH().toString('base64')}`]);
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  function profile(user: string) {
    return { ...defaultProfile('127.0.0.1'), port, user, knownHostsFiles: [hostKnown], strictHostKeyChecking: 'yes' as const, identityFiles: ['/nonexistent'], identitiesOnly: true };
  }

  it('password: asked once, accepted', async () => {
    const asked: SecretQuestion[] = [];
    const t = new Tunnel('t', profile('alice'), { prompter: { secret: async (q) => (asked.push(q), 's3cret pw') } });
    await t.start();
    expect(t.getState()).toBe('up');
    expect(asked.map((q) => q.kind)).toContain('password');
    await t.stop();
    expect(JSON.stringify([t.logs(), t.stats(), t.error])).not.toContain('s3cret pw');
  });

  it('keyboard-interactive: the server\'s prompt reaches the prompter', async () => {
    const asked: SecretQuestion[] = [];
    const t = new Tunnel('t', profile('bob'), { prompter: { secret: async (q) => (asked.push(q), q.kind === 'keyboard-interactive' ? '424242' : null) } });
    await t.start();
    expect(t.getState()).toBe('up');
    expect(asked.find((q) => q.kind === 'keyboard-interactive')?.prompt).toContain('Verification code:');
    await t.stop();
  });

  it('a wrong password is AUTH_FAILED after the prompts run out', async () => {
    let count = 0;
    const t = new Tunnel('t', profile('alice'), { prompter: { secret: async (q) => (q.kind === 'password' ? (count++, 'nope') : null) } });
    await t.start();
    expect(t.error?.code).toBe('AUTH_FAILED');
    expect(count).toBe(3); // NumberOfPasswordPrompts
    expect(JSON.stringify([t.logs(), t.error])).not.toContain('nope');
  });
});

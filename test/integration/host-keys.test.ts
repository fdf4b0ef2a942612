import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostKeyQuestion } from '../../src/main/engine/prompts.js';
import { Tunnel } from '../../src/main/engine/tunnel.js';
import { fingerprint } from '../../src/main/openssh/known-hosts.js';
import { profileFor } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/servers.js';
import { makeClientKeys, Sshd, type ClientKeys } from '../helpers/sshd.js';

const run = promisify(execFile);
let keys: ClientKeys;
let sshd: Sshd;
let dir: string;

beforeAll(async () => {
  delete process.env.SSH_AUTH_SOCK;
  keys = await makeClientKeys();
  sshd = await Sshd.start({ authorizedKeys: keys.authorizedKeys });
  dir = await mkdtemp(join(tmpdir(), 'tv-hostkeys-'));
});

afterAll(async () => {
  await sshd?.dispose();
});

let fileCounter = 0;
async function knownHostsWith(lines: string[]): Promise<string> {
  const file = join(dir, `known_hosts_${fileCounter++}`);
  await writeFile(file, lines.length ? `${lines.join('\n')}\n` : '');
  return file;
}

async function otherKeyLine(name: string): Promise<string> {
  const key = join(dir, `other_${fileCounter++}`);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  const pub = (await readFile(`${key}.pub`, 'utf8')).trim().split(/\s+/);
  return `${name} ${pub[0]} ${pub[1]}`;
}

async function connectWith(knownHosts: string, tweak: (p: ReturnType<typeof profileFor>) => void = () => undefined, prompter?: { hostKey(q: HostKeyQuestion): Promise<'accept-once' | 'accept-always' | 'reject'> }): Promise<Tunnel> {
  const profile = profileFor(sshd, keys, knownHosts);
  tweak(profile);
  const tunnel = new Tunnel('t', profile, prompter ? { prompter } : {});
  await tunnel.start();
  return tunnel;
}

const name = (): string => `[127.0.0.1]:${sshd.port}`;

describe('host key verification against known_hosts', () => {
  it('a known plain entry connects', async () => {
    const t = await connectWith(await knownHostsWith([await sshd.knownHostsLine()]));
    expect(t.getState()).toBe('up');
    await t.stop();
  });

  it('a hashed entry (ssh-keygen -H) connects', async () => {
    const file = await knownHostsWith([await sshd.knownHostsLine()]);
    await run('ssh-keygen', ['-q', '-H', '-f', file]);
    expect(await readFile(file, 'utf8')).toMatch(/^\|1\|/);
    const t = await connectWith(file);
    expect(t.getState()).toBe('up');
    await t.stop();
  });

  it('a wildcard pattern entry connects', async () => {
    const t = await connectWith(await knownHostsWith([await sshd.knownHostsLine(`[127.0.0.?]:${sshd.port}`)]));
    expect(t.getState()).toBe('up');
    await t.stop();
  });

  it('unknown with StrictHostKeyChecking=yes fails HOST_KEY_UNKNOWN with the fingerprint', async () => {
    const t = await connectWith(await knownHostsWith([]));
    expect(t.getState()).toBe('failed');
    expect(t.error?.code).toBe('HOST_KEY_UNKNOWN');
    expect(t.error?.message).toContain(fingerprint(await sshd.publicKeyBlob()));
  });

  it('accept-new records the key, and the next connection is verified against it', async () => {
    const file = await knownHostsWith([]);
    const t = await connectWith(file, (p) => (p.strictHostKeyChecking = 'accept-new'));
    expect(t.getState()).toBe('up');
    await t.stop();
    const written = await readFile(file, 'utf8');
    expect(written.trim()).toBe(await sshd.knownHostsLine());
    const again = await connectWith(file);
    expect(again.getState()).toBe('up');
    await again.stop();
  });

  it('HashKnownHosts: accept-new records the key with the host name hashed, as ssh does, and it verifies next time', async () => {
    const file = await knownHostsWith([]);
    const t = await connectWith(file, (p) => {
      p.strictHostKeyChecking = 'accept-new';
      p.hashKnownHosts = true;
    });
    expect(t.getState()).toBe('up');
    await t.stop();
    const written = (await readFile(file, 'utf8')).trim();
    const [hostField, ...rest] = written.split(' ');
    expect(hostField).toMatch(/^\|1\|[A-Za-z0-9+/=]{28}\|[A-Za-z0-9+/=]{28}$/);
    expect(written).not.toContain(String(sshd.port));
    expect(rest.join(' ')).toBe((await sshd.knownHostsLine()).split(' ').slice(1).join(' '));
    // OpenSSH's own ssh-keygen finds it under the name ssh would look up.
    const found = (await run('ssh-keygen', ['-F', `[127.0.0.1]:${sshd.port}`, '-f', file])).stdout;
    expect(found).toContain(rest[0]);
    const again = await connectWith(file);
    expect(again.getState()).toBe('up');
    await again.stop();
  });

  it('ask: the question carries the SHA256 fingerprint; accept-once connects without writing', async () => {
    const file = await knownHostsWith([]);
    const questions: HostKeyQuestion[] = [];
    const t = await connectWith(
      file,
      (p) => {
        p.strictHostKeyChecking = 'ask';
        p.batchMode = false;
      },
      { hostKey: async (q) => (questions.push(q), 'accept-once') },
    );
    expect(t.getState()).toBe('up');
    expect(questions).toHaveLength(1);
    expect(questions[0]!.fingerprint).toBe(fingerprint(await sshd.publicKeyBlob()));
    expect(questions[0]!.keyType).toBe('ssh-ed25519');
    expect(await readFile(file, 'utf8')).toBe('');
    await t.stop();
  });

  it('ask: reject fails HOST_KEY_REJECTED; accept-always writes the key', async () => {
    const file = await knownHostsWith([]);
    const ask = (p: ReturnType<typeof profileFor>): void => {
      p.strictHostKeyChecking = 'ask';
      p.batchMode = false;
    };
    const rejected = await connectWith(file, ask, { hostKey: async () => 'reject' });
    expect(rejected.error?.code).toBe('HOST_KEY_REJECTED');
    const accepted = await connectWith(file, ask, { hostKey: async () => 'accept-always' });
    expect(accepted.getState()).toBe('up');
    await accepted.stop();
    expect((await readFile(file, 'utf8')).trim()).toBe(await sshd.knownHostsLine());
  });

  it('a changed key fails HOST_KEY_MISMATCH before any credential is offered, whatever the policy', async () => {
    const fresh = await Sshd.start({ authorizedKeys: keys.authorizedKeys });
    try {
      const file = await knownHostsWith([await otherKeyLine(`[127.0.0.1]:${fresh.port}`)]);
      for (const strict of ['yes', 'no', 'accept-new'] as const) {
        const profile = profileFor(fresh, keys, file);
        profile.strictHostKeyChecking = strict;
        const t = new Tunnel('t', profile);
        await t.start();
        expect(t.getState()).toBe('failed');
        expect(t.error?.code).toBe('HOST_KEY_MISMATCH');
        expect(t.error?.message).toContain(`${file}:1`);
      }
      await waitFor(() => /Connection from 127\.0\.0\.1/.test(fresh.log), 10_000, 'sshd to log the connection');
      // sshd logs every authentication request at DEBUG1; there must be none.
      expect(fresh.log).not.toMatch(/userauth-request|Accepted publickey|Failed publickey/);
      // Control: the same server does log them once the key is right.
      const good = new Tunnel('t', profileFor(fresh, keys, await knownHostsWith([await fresh.knownHostsLine()])));
      await good.start();
      expect(good.getState()).toBe('up');
      await good.stop();
      expect(fresh.log).toMatch(/userauth-request/);
    } finally {
      await fresh.dispose();
    }
  });

  it('a key of another type for the host is new, not changed', async () => {
    const rsa = join(dir, 'rsa_host');
    await run('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', rsa]);
    const pub = (await readFile(`${rsa}.pub`, 'utf8')).trim().split(/\s+/);
    const file = await knownHostsWith([`${name()} ${pub[0]} ${pub[1]}`]);
    const t = await connectWith(file);
    expect(t.error?.code).toBe('HOST_KEY_UNKNOWN');
  });

  it('@revoked refuses the key even when it is also listed as known', async () => {
    const line = await sshd.knownHostsLine();
    const file = await knownHostsWith([line, `@revoked * ${line.split(' ').slice(1).join(' ')}`]);
    const t = await connectWith(file);
    expect(t.getState()).toBe('failed');
    expect(t.error?.code).toBe('HOST_KEY_REVOKED');
  });

  it('a host vouched for only by @cert-authority is refused (HOST_CERT_UNSUPPORTED), never trusted on first use', async () => {
    const ca = await otherKeyLine('*');
    const file = await knownHostsWith([`@cert-authority ${ca}`]);
    const t = await connectWith(file, (p) => (p.strictHostKeyChecking = 'accept-new'));
    expect(t.getState()).toBe('failed');
    expect(t.error?.code).toBe('HOST_CERT_UNSUPPORTED');
    expect(t.error?.message).toContain(`${file}:1`);
    expect(t.error?.message).toContain(fingerprint(await sshd.publicKeyBlob()));
    expect(await readFile(file, 'utf8')).toBe(`@cert-authority ${ca}\n`);
  });

  it('HashKnownHosts: a key accepted on first use is written with its name hashed, and verifies next time', async () => {
    const file = await knownHostsWith([]);
    const first = await connectWith(file, (p) => {
      p.strictHostKeyChecking = 'accept-new';
      p.hashKnownHosts = true;
    });
    expect(first.getState()).toBe('up');
    await first.stop();
    const written = await readFile(file, 'utf8');
    expect(written).toMatch(/^\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+ ssh-ed25519 /);
    expect(written).not.toContain('127.0.0.1');
    // ssh itself finds the hashed name.
    const found = await run('ssh-keygen', ['-F', name(), '-f', file]);
    expect(found.stdout).toContain('ssh-ed25519');
    const again = await connectWith(file);
    expect(again.getState()).toBe('up');
    await again.stop();
  });
});

describe('the system\'s known hosts (GlobalKnownHostsFile): read for trust, never written', () => {
  it('a key the system file pins connects even with StrictHostKeyChecking=yes and an empty user file', async () => {
    const global = await knownHostsWith([await sshd.knownHostsLine()]);
    const user = await knownHostsWith([]);
    const t = await connectWith(user, (p) => (p.globalKnownHostsFiles = [global]));
    expect(t.getState()).toBe('up');
    await t.stop();
    expect(await readFile(user, 'utf8')).toBe('');
  });

  it('a different key pinned by the system is a changed key, even with accept-new: nothing is written anywhere', async () => {
    const pinned = await otherKeyLine(name());
    const global = await knownHostsWith([pinned]);
    const user = await knownHostsWith([]);
    const t = await connectWith(user, (p) => {
      p.globalKnownHostsFiles = [global];
      p.strictHostKeyChecking = 'accept-new';
    });
    expect(t.getState()).toBe('failed');
    expect(t.error?.code).toBe('HOST_KEY_MISMATCH');
    expect(t.error?.message).toContain(`${global}:1`);
    expect(await readFile(user, 'utf8')).toBe('');
    expect(await readFile(global, 'utf8')).toBe(`${pinned}\n`);
  });

  it('ask: a key that differs from the system\'s is reported as changed, not asked about as unknown', async () => {
    const global = await knownHostsWith([await otherKeyLine(name())]);
    const asked: HostKeyQuestion[] = [];
    const t = await connectWith(await knownHostsWith([]), (p) => {
      p.globalKnownHostsFiles = [global];
      p.strictHostKeyChecking = 'ask';
      p.batchMode = false;
    }, { hostKey: async (q) => (asked.push(q), 'accept-always') });
    expect(t.error?.code).toBe('HOST_KEY_MISMATCH');
    expect(asked).toEqual([]);
  });

  it('@revoked in the system file refuses the key the user file knows', async () => {
    const line = await sshd.knownHostsLine();
    const global = await knownHostsWith([`@revoked * ${line.split(' ').slice(1).join(' ')}`]);
    const t = await connectWith(await knownHostsWith([line]), (p) => (p.globalKnownHostsFiles = [global]));
    expect(t.error?.code).toBe('HOST_KEY_REVOKED');
    expect(t.error?.message).toContain(`${global}:1`);
  });

  it('accepting a new key writes to the user\'s file, never the system\'s', async () => {
    const global = await knownHostsWith(['other.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAFw9bHzOn7gZsGfbYJh9H6k4Xv7y0t0aMXWTkqXM3lh']);
    const before = await readFile(global, 'utf8');
    const user = await knownHostsWith([]);
    const t = await connectWith(user, (p) => {
      p.globalKnownHostsFiles = [global];
      p.strictHostKeyChecking = 'accept-new';
    });
    expect(t.getState()).toBe('up');
    await t.stop();
    expect(await readFile(global, 'utf8')).toBe(before);
    expect(await readFile(user, 'utf8')).toContain('ssh-ed25519');
  });
});

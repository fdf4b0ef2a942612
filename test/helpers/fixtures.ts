import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultProfile, type Forward, type Profile } from '../../src/shared/profile.js';
import type { ClientKeys, Sshd } from './sshd.js';

/** A known_hosts file that knows the given servers. */
export async function knownHostsFor(servers: Sshd[], extraLines: string[] = []): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tv-known-'));
  const file = join(dir, 'known_hosts');
  const lines = await Promise.all(servers.map((s) => s.knownHostsLine()));
  await writeFile(file, `${[...lines, ...extraLines].join('\n')}\n`);
  return file;
}

/** A profile for `sshd` that trusts only `knownHosts` and authenticates with the test key. */
export function profileFor(sshd: Sshd, keys: ClientKeys, knownHosts: string, forwards: Forward[] = []): Profile {
  return {
    ...defaultProfile('127.0.0.1'),
    port: sshd.port,
    user: sshd.user,
    identityFiles: [keys.key],
    identitiesOnly: true,
    knownHostsFiles: [knownHosts],
    strictHostKeyChecking: 'yes',
    batchMode: true,
    forwards,
  };
}

/** Command-line options that make `ssh` behave the same way. */
export function sshArgsFor(sshd: Sshd, keys: ClientKeys, knownHosts: string): string[] {
  return [
    'ssh',
    '-N',
    '-p',
    String(sshd.port),
    '-i',
    keys.key,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    `UserKnownHostsFile=${knownHosts}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
    `${sshd.user}@127.0.0.1`,
  ];
}

import { userInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { parseSshCommand } from '../../src/main/openssh/argv.js';
import { loadSshConfig } from '../../src/main/openssh/config-view.js';
import { destinationTokens, expandPath } from '../../src/main/openssh/path-tokens.js';
import { one, sshG } from '../helpers/ssh-g.js';

/**
 * UserKnownHostsFile's `~`, `%` tokens and `${VAR}`s against `ssh -G`, which prints them expanded
 * (IdentityFile it prints as written and expands only when it loads the key, with the same
 * function: ssh.c's default_client_percent_dollar_expand). Both sides see the same environment:
 * sshG passes PATH alone.
 */
const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
const local = userInfo().username;

const VALUES = [
  '~/.ssh/known_hosts_%h',
  '%d/kh/%n-%p-%r-%u',
  '/tmp/kh_%k_%i',
  '/tmp/%l/%L/%C',
  '/tmp/100%%_%h',
  '/tmp/${PATH}',
  '/tmp/${HOME}', // unset here: refused by both
  '/tmp/kh_%j', // %j is 9.3's: refused by both
  '/tmp/kh_%z',
  '~',
];
const DESTINATIONS: string[][] = [
  ['web'],
  ['bob@web', '-p', '2222'],
  ['-o', 'HostName=real.example.org', '-l', 'alice', 'alias'],
  ['-o', 'HostKeyAlias=keyalias', '-o', 'Port=2200', 'web.example'],
  ['ssh://carol@10.0.0.7:2022'],
];

async function theirs(value: string, destination: string[]): Promise<string> {
  const g = await sshG(['-F', '/dev/null', '-o', `UserKnownHostsFile=${value}`, ...destination]);
  return g.ok ? one(g, 'userknownhostsfile')! : 'refused';
}

function ours(value: string, destination: string[]): string {
  try {
    const { profile } = parseSshCommand(['ssh', '-F', '/dev/null', '-o', `UserKnownHostsFile=${value}`, ...destination], { sshConfig: (path) => loadSshConfig(path, { system: null }) });
    return profile.knownHostsFiles.map((f) => expandPath('UserKnownHostsFile', f, destinationTokens(profile, local), ENV)).join(' ');
  } catch {
    return 'refused';
  }
}

describe('UserKnownHostsFile paths against ssh -G', () => {
  it('every token, ${VAR} and ~, for destinations with and without HostName, User, Port and HostKeyAlias', async () => {
    const mismatches: string[] = [];
    for (const value of VALUES) {
      for (const destination of DESTINATIONS) {
        const [a, b] = [await theirs(value, destination), ours(value, destination)];
        if (a !== b) mismatches.push(`${value} ${destination.join(' ')}: ssh -G ${a}, ours ${b}`);
      }
    }
    expect(mismatches).toEqual([]);
  }, 60_000);
});

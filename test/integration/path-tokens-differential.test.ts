import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hopFiles, SshSession } from '../../src/main/engine/session.js';
import { parseSshCommand } from '../../src/main/openssh/argv.js';
import { loadSshConfig } from '../../src/main/openssh/config-view.js';
import { TunnelError } from '../../src/shared/errors.js';
import { one, sshG } from '../helpers/ssh-g.js';

/**
 * UserKnownHostsFile's `~`, `%` tokens and `${VAR}`s against `ssh -G`, which prints them expanded
 * (IdentityFile it prints as written and expands only when it loads the key, with the same
 * function: ssh.c's default_client_percent_dollar_expand). Both sides see the same environment:
 * sshG passes PATH alone. ssh takes the home directory from the password file, we (as everywhere
 * in this project) from $HOME: where they differ, ssh's is read as ours.
 */
const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
const dir = mkdtempSync(join(tmpdir(), 'tv-tokens-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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
  ['-o', 'HostName=real.example.org', '-l', 'alice', 'Alias'],
  ['-o', 'HostKeyAlias=keyalias', '-o', 'Port=2200', 'web.example'],
  ['ssh://carol@10.0.0.7:2022'],
  ['-o', 'HostKeyAlias=KeyAlias', 'Web.Example'], // %n keeps the case typed; %h and %k are lower-cased
];

async function theirs(args: string[]): Promise<string> {
  const g = await sshG(args);
  if (!g.ok) return 'refused';
  const passwdHome = userInfo().homedir;
  return one(g, 'userknownhostsfile')!.split(passwdHome).join(homedir());
}

/** Ours for hop `index` (-1: the destination), as the session expands them at connect. */
function ours(args: string[], index = -1): string {
  try {
    const { profile } = parseSshCommand(['ssh', ...args], { sshConfig: (path) => loadSshConfig(path, { system: null }) });
    const hops = SshSession.hopsOf(profile);
    const hop = hops.at(index)!;
    return hopFiles(profile, hop, hop.index === hops.length - 1, ENV).knownHostsFiles.join(' ');
  } catch (err) {
    if (err instanceof TunnelError && err.code === 'BAD_OPTION') return 'refused';
    throw err;
  }
}

describe('UserKnownHostsFile paths against ssh -G', () => {
  it('every token, ${VAR} and ~, for destinations with and without HostName, User, Port and HostKeyAlias', async () => {
    const mismatches: string[] = [];
    for (const value of VALUES) {
      for (const destination of DESTINATIONS) {
        const args = ['-F', '/dev/null', '-o', `UserKnownHostsFile=${value}`, ...destination];
        const [a, b] = [await theirs(args), ours(args)];
        if (a !== b) mismatches.push(`${value} ${destination.join(' ')}: ssh -G ${a}, ours ${b}`);
      }
    }
    expect(mismatches).toEqual([]);
  }, 60_000);

  it('a jump hop is a destination of its own: %n is its name as typed, %h its HostName', async () => {
    const config = join(dir, 'jump.conf');
    writeFileSync(config, ['Host bastion', '  HostName 127.0.0.9', '  Port 2201', '', 'Host *', '  UserKnownHostsFile /tmp/kh_%n_%h_%p', ''].join('\n'));
    const jump = await theirs(['-F', config, 'bastion']);
    expect(jump).toBe('/tmp/kh_bastion_127.0.0.9_2201');
    expect(ours(['-F', config, '-J', 'bastion', 'web'], 0)).toBe(jump);
    expect(ours(['-F', config, '-J', 'bastion', 'web'])).toBe(await theirs(['-F', config, 'web']));
  });

  it('a bad token in a block for another host breaks nothing, as in ssh; for the host it applies to, it is refused', async () => {
    const config = join(dir, 'other.conf');
    writeFileSync(config, ['Host other', '  IdentityFile ~/.ssh/id_%z', '  UserKnownHostsFile /tmp/kh_%z', '', 'Host loser', '  UserKnownHostsFile /tmp/kh_%z', '', 'Host *', '  UserKnownHostsFile /tmp/kh_%n', ''].join('\n'));
    expect(await theirs(['-F', config, 'web'])).toBe('/tmp/kh_web');
    expect(ours(['-F', config, 'web'])).toBe('/tmp/kh_web');
    expect(await theirs(['-F', config, 'other'])).toBe('refused');
    expect(ours(['-F', config, 'other'])).toBe('refused');
    // A later value that loses to an earlier one is not used, so not checked either.
    const first = ['-F', config, '-o', 'UserKnownHostsFile=/tmp/first', 'loser'];
    expect(await theirs(first)).toBe('/tmp/first');
    expect(ours(first)).toBe('/tmp/first');
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSshCommand } from '../../src/main/openssh/argv.js';
import { loadSshConfig } from '../../src/main/openssh/config-view.js';
import { fieldsOfProfile, fieldsOfSshG, one, oracleHops, sshDefaults, sshG, type SshDefaults } from '../helpers/ssh-g.js';

/** Issue #17's own examples, each checked against `ssh -G` and against the expected values. */

const dir = mkdtempSync(join(tmpdir(), 'tv-sshg-issue-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let defaults: SshDefaults;
beforeAll(async () => {
  defaults = await sshDefaults();
});

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const parse = (argv: string[]) => parseSshCommand(argv, { sshConfig: (path) => loadSshConfig(path, { system: null }) });

/** Both sides, compared field by field; returns ours for further checks. */
async function agree(args: string[]): Promise<ReturnType<typeof parse>> {
  const g = await sshG(args);
  if (!g.ok) throw new Error(`ssh -G refused: ${g.error}`);
  const f = args.lastIndexOf('-F');
  const hops = await oracleHops(one(g, 'proxyjump'), f >= 0 ? ['-F', args[f + 1]!] : ['-F', '/dev/null']);
  const parsed = parse(['ssh', ...args]);
  const theirs = fieldsOfSshG(g, hops!);
  // KEEPALIVE_ON_BY_DEFAULT (intentional): none of these examples sets ServerAliveInterval but the autossh one.
  if (!args.some((a) => a.includes('ServerAliveInterval'))) theirs.serveraliveinterval = '15';
  expect(fieldsOfProfile(parsed.profile, defaults)).toEqual(theirs);
  return parsed;
}

describe('issue #17, class 1: jump hops are destinations of their own', () => {
  it('Host * with User and HostName reaches both hops of -J bastion,jump2 (ops@h1.example.com:22 twice)', async () => {
    const config = file('class1', 'Host *\n  User ops\n  HostName h1.example.com\n');
    const { profile } = await agree(['-F', config, '-J', 'bastion,jump2', 'db1']);
    expect(profile.jumps).toEqual([
      { host: 'h1.example.com', user: 'ops', port: 22 },
      { host: 'h1.example.com', user: 'ops', port: 22 },
    ]);
  });

  it('patterns, Match host, %h, Port, and the first hop’s own ProxyJump', async () => {
    const config = file(
      'class1b',
      'Host j*\n  HostName %h.example.net\nMatch host jump2.example.net\n  Port 2201\n  User alice\nHost bastion\n  ProxyJump gw\nHost gw\n  User root2\n',
    );
    const { profile } = await agree(['-F', config, '-J', 'bastion,jump2', 'db1']);
    expect(profile.jumps.map((j) => `${j.user}@${j.host}:${j.port}`)).toEqual(['root2@gw:22', `null@bastion:22`, 'alice@jump2.example.net:2201']);
  });
});

describe('issue #17, class 2: Include inside Host or Match is conditional', () => {
  it('an included file’s forwards, HostName and AddressFamily stay with the block around the Include', async () => {
    const inc = file('class2.inc', 'HostName other.example\nLocalForward 9001 db:1\nAddressFamily inet6\n');
    const config = file('class2', `Host other\n  Include ${inc}\nMatch originalhost also-other\n  Include ${inc}\nHost *\n  User u\n`);
    const unrelated = await agree(['-F', config, 'db1']);
    expect(unrelated.profile).toMatchObject({ host: 'db1', forwards: [], addressFamily: 'any', user: 'u' });
    const other = await agree(['-F', config, 'other']);
    expect(other.profile).toMatchObject({ host: 'other.example', addressFamily: 'inet6' });
    expect(other.profile.forwards).toHaveLength(1);
    await agree(['-F', config, 'also-other']);
  });
});

describe('issue #17, class 3: precedence on the command line, for every option with a flag and an -o form', () => {
  it('ssh -o Port=2022 -p 8022 host uses 2022', async () => {
    expect((await agree(['-F', '/dev/null', '-o', 'Port=2022', '-p', '8022', 'host'])).profile.port).toBe(2022);
  });

  const keyA = file('id_a', 'not a key\n');
  const keyB = file('id_b', 'not a key\n');
  const pairs: [string, string[], string[]][] = [
    ['-p / Port', ['-p', '8022'], ['-o', 'Port=2022']],
    ['-l / User', ['-l', 'flag'], ['-o', 'User=option']],
    ['-J / ProxyJump', ['-J', 'a'], ['-o', 'ProxyJump=b']],
    ['-b / BindAddress', ['-b', '127.0.0.2'], ['-o', 'BindAddress=127.0.0.3']],
    ['-c / Ciphers', ['-c', 'aes128-ctr'], ['-o', 'Ciphers=aes256-ctr']],
    ['-m / MACs', ['-m', 'hmac-sha2-256'], ['-o', 'MACs=hmac-sha2-512']],
    ['-4 / AddressFamily', ['-4'], ['-o', 'AddressFamily=inet6']],
    ['-6 / AddressFamily', ['-6'], ['-o', 'AddressFamily=inet']],
    ['-C / Compression', ['-C'], ['-o', 'Compression=no']],
    ['-g / GatewayPorts', ['-g'], ['-o', 'GatewayPorts=no']],
    ['-A / ForwardAgent', ['-A'], ['-o', 'ForwardAgent=no']],
  ];
  it.each(pairs)('%s: flag first and -o first both agree with ssh -G', async (_, flag, option) => {
    for (const order of [
      [...flag, ...option],
      [...option, ...flag],
    ]) {
      const args = ['-F', '/dev/null', ...order, 'host'];
      // -J and -o ProxyJump: the second one is an error only when -J comes last.
      const g = await sshG(args);
      if (!g.ok) {
        expect(() => parse(['ssh', ...args])).toThrow();
        continue;
      }
      await agree(args);
    }
  });

  it('-i and -o IdentityFile accumulate in order', async () => {
    const args = ['-F', '/dev/null', '-i', keyA, '-o', `IdentityFile=${keyB}`, 'host'];
    const g = await sshG(args);
    expect(g.ok && g.options.get('identityfile')).toEqual([keyA, keyB]);
    expect(parse(['ssh', ...args]).profile.identityFiles).toEqual([keyA, keyB]);
  });

  it('-F: the last one wins', async () => {
    const config = file('class3-f', 'Host host\n  Port 3333\n');
    expect((await agree(['-F', '/dev/null', '-F', config, 'host'])).profile.port).toBe(3333);
    expect((await agree(['-F', config, '-F', '/dev/null', 'host'])).profile.port).toBe(22);
  });

  it('-l, user@ and -o User: the first one met wins, wherever it stands', async () => {
    await agree(['-F', '/dev/null', '-o', 'User=o', '-l', 'l', 'u@host']);
    await agree(['-F', '/dev/null', 'u@host', '-l', 'l']);
    await agree(['-F', '/dev/null', '-l', 'l', 'ssh://u@host:2222', '-p', '3333']);
  });
});

describe('issue #17, class 4: autossh’s -M and -f anywhere before the destination', () => {
  it('the guide’s own example parses to what ssh -G reads from the same command without autossh’s options', async () => {
    const autossh = ['autossh', '-R', '2222:localhost:22', '-M', '0', '-o', 'ServerAliveInterval 10', '-o', 'ServerAliveCountMax 3', 'remote-host'];
    const { profile } = parse(autossh);
    const sshArgs = ['-F', '/dev/null', '-R', '2222:localhost:22', '-o', 'ServerAliveInterval 10', '-o', 'ServerAliveCountMax 3', 'remote-host'];
    const viaSsh = await agree(sshArgs);
    expect({ ...profile, typed: null }).toEqual({ ...viaSsh.profile, typed: null });
    expect(profile.keepalive).toEqual({ interval: 10, countMax: 3 });
  });

  it('-M in a cluster, -f between options, and -M’s value in the same word', () => {
    const a = parse(['autossh', '-NfM', '0', '-L', '1:h:2', '-f', '-M0', 'host']).profile;
    const b = parse(['ssh', '-N', '-L', '1:h:2', 'host']).profile;
    expect(a).toEqual(b);
  });
});

describe('where tunnelvision differs from ssh -G on purpose', () => {
  it('HOSTKEYALGORITHMS_REFUSED: ssh accepts HostKeyAlgorithms, tunnelvision refuses it (host key types follow known_hosts)', async () => {
    const args = ['-F', '/dev/null', '-o', 'HostKeyAlgorithms=ssh-ed25519', 'host'];
    expect((await sshG(args)).ok).toBe(true);
    expect(() => parse(['ssh', ...args])).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_OPTION' }));
  });

  it('SSH_URI_IPV6_ACCEPTED: ssh 9.2 refuses ssh://[::1]:2201 (a usage error), tunnelvision reads it', async () => {
    expect((await sshG(['-F', '/dev/null', 'ssh://alice@[::1]:2201'])).ok).toBe(false);
    expect(parse(['ssh', '-F', '/dev/null', 'ssh://alice@[::1]:2201']).profile).toMatchObject({ host: '::1', user: 'alice', port: 2201 });
  });

  it('IDENTITY_FILE_KEPT: -i naming a missing file: ssh warns and drops it, tunnelvision keeps it', async () => {
    const missing = join(dir, 'no-such-key');
    const g = await sshG(['-F', '/dev/null', '-i', missing, 'host']);
    expect(g.ok && g.options.get('identityfile')?.includes(missing)).toBe(false);
    expect(parse(['ssh', '-F', '/dev/null', '-i', missing, 'host']).profile.identityFiles).toEqual([missing]);
  });

  it('HOP_PROXYCOMMAND_REFUSED: a jump host reached through its own ProxyCommand is refused, ssh would run it', async () => {
    const config = file('hop-proxycommand', 'Host bastion\n  ProxyCommand nc -x proxy:1080 %h %p\n');
    const hop = await sshG(['-F', config, 'bastion']);
    expect(hop.ok && one(hop, 'proxycommand')).toBe('nc -x proxy:1080 %h %p');
    expect(() => parse(['ssh', '-F', config, '-J', 'bastion', 'db1'])).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_OPTION' }));
  });

  it('KEEPALIVE_ON_BY_DEFAULT: ssh 0 (300 with BatchMode), tunnelvision 15', async () => {
    const g = await sshG(['-F', '/dev/null', 'host']);
    expect(g.ok && one(g, 'serveraliveinterval')).toBe('0');
    expect(parse(['ssh', '-F', '/dev/null', 'host']).profile.keepalive.interval).toBe(15);
  });
});

describe('#16 item 3: the system ssh_config, against ssh -G reading this machine’s own files (no -F)', () => {
  it.each([['host'], ['-p', '2222', 'alice@db1'], ['-J', 'bastion', 'web']])('ssh -G %s', async (...args) => {
    const g = await sshG(args);
    if (!g.ok) throw new Error(g.error);
    // ssh reads the user's file from the password database's home, not $HOME.
    const files = { user: join(userInfo().homedir, '.ssh', 'config'), system: '/etc/ssh/ssh_config' };
    const hops = await oracleHops(one(g, 'proxyjump'), []);
    const { profile } = parseSshCommand(['ssh', ...args], { sshConfig: (path) => loadSshConfig(path, files) });
    const theirs = fieldsOfSshG(g, hops!);
    if (!args.some((a) => a.includes('ServerAliveInterval'))) theirs.serveraliveinterval = '15'; // KEEPALIVE_ON_BY_DEFAULT
    expect(fieldsOfProfile(profile, defaults)).toEqual(theirs);
  });
});

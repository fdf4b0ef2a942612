import { describe, expect, it } from 'vitest';
import { parseSshCommand } from '../../src/main/openssh/argv.js';
import type { ErrorCode } from '../../src/shared/errors.js';
import { ProfileSchema } from '../../src/shared/profile.js';

const parse = (...argv: string[]) => parseSshCommand(argv);

function codeOf(fn: () => unknown): ErrorCode | null {
  try {
    fn();
    return null;
  } catch (err) {
    return (err as { code: ErrorCode }).code;
  }
}

describe('parseSshCommand', () => {
  it('reads a typical tunnel command', () => {
    const { profile, warnings } = parse('ssh', '-N', '-f', '-L', '8080:localhost:80', 'alice@example.org');
    expect(profile).toMatchObject({ host: 'example.org', user: 'alice', port: 22, jumps: [], proxyCommand: null });
    expect(profile.forwards).toEqual([{ kind: 'local', bind: { host: null, port: 8080 }, target: { host: 'localhost', port: 80 } }]);
    expect(warnings).toEqual([]);
    expect(ProfileSchema.safeParse(profile).success).toBe(true);
  });

  it('handles getopt clusters and attached arguments', () => {
    const { profile } = parse('ssh', '-fNTL8080:h:80', '-p2222', '-D1080', '-iKEY', 'host');
    expect(profile.port).toBe(2222);
    expect(profile.identityFiles).toEqual(['KEY']);
    expect(profile.forwards.map((f) => f.kind)).toEqual(['local', 'dynamic']);
  });

  it('reads options after the destination, as ssh(1) does', () => {
    const { profile } = parse('ssh', 'host', '-L', '1:h:2', '-p', '2200');
    expect(profile.port).toBe(2200);
    expect(profile.forwards).toHaveLength(1);
  });

  it('keeps forwards in command-line order, -o forwards after flags', () => {
    const { profile } = parse('ssh', '-R', '9:h:1', '-o', 'LocalForward=7 h:2', '-L', '8:h:3', 'host');
    expect(profile.forwards.map((f) => f.kind)).toEqual(['remote', 'local', 'local']);
  });

  it('accepts -o as Key=Value, "Key Value" and attached', () => {
    const { profile } = parse(
      'ssh',
      '-o', 'ServerAliveInterval=5',
      '-o', 'ServerAliveCountMax 2',
      '-oStrictHostKeyChecking=accept-new',
      '-o', 'UserKnownHostsFile=/tmp/kh /tmp/kh2',
      '-o', 'ExitOnForwardFailure yes',
      '-o', 'ConnectTimeout=1m',
      '-o', 'BatchMode=yes',
      '-o', 'IdentitiesOnly=yes',
      '-o', 'IdentityFile=~/.ssh/id_x',
      '-o', 'GatewayPorts=yes',
      '-o', 'Port=2022',
      '-o', 'User=bob',
      '-o', 'HostName=10.0.0.9',
      'alias',
    );
    expect(profile).toMatchObject({
      keepalive: { interval: 5, countMax: 2 },
      strictHostKeyChecking: 'accept-new',
      knownHostsFiles: ['/tmp/kh', '/tmp/kh2'],
      exitOnForwardFailure: true,
      connectTimeout: 60,
      batchMode: true,
      identitiesOnly: true,
      identityFiles: ['~/.ssh/id_x'],
      gatewayPorts: true,
      port: 2022,
      user: 'bob',
      host: '10.0.0.9',
    });
  });

  it('first obtained value wins for -o, like OpenSSH', () => {
    const { profile } = parse('ssh', '-o', 'Port=1000', '-o', 'Port=2000', 'host');
    expect(profile.port).toBe(1000);
  });

  it('-l and -p win over user@ and defaults', () => {
    expect(parse('ssh', '-l', 'carol', 'bob@host').profile.user).toBe('carol');
    expect(parse('ssh', 'bob@host').profile.user).toBe('bob');
    expect(parse('ssh', 'host').profile.user).toBeNull();
  });

  it('reads ssh:// destinations', () => {
    const { profile } = parse('ssh', 'ssh://dave@[2001:db8::2]:2200');
    expect(profile).toMatchObject({ host: '2001:db8::2', user: 'dave', port: 2200 });
  });

  it('reads -J chains with users, ports and IPv6', () => {
    const { profile } = parse('ssh', '-J', 'a@b1:2222,b2,[::1]:22,ssh://u@h3:23', 'host');
    expect(profile.jumps).toEqual([
      { host: 'b1', user: 'a', port: 2222 },
      { host: 'b2', user: null, port: 22 },
      { host: '::1', user: null, port: 22 },
      { host: 'h3', user: 'u', port: 23 },
    ]);
  });

  it('-o ProxyJump and ProxyCommand', () => {
    expect(parse('ssh', '-o', 'ProxyJump=j1,j2', 'host').profile.jumps.map((j) => j.host)).toEqual(['j1', 'j2']);
    expect(parse('ssh', '-o', 'ProxyCommand=nc -X 5 -x proxy:1080 %h %p', 'host').profile.proxyCommand).toBe('nc -X 5 -x proxy:1080 %h %p');
    expect(parse('ssh', '-o', 'ProxyCommand=none', 'host').profile.proxyCommand).toBeNull();
  });

  it('understands autossh', () => {
    const r = parse('autossh', '-M', '0', '-f', '-N', '-o', 'ServerAliveInterval 30', '-R', '2222:localhost:22', 'user@relay');
    expect(r.profile).toMatchObject({ host: 'relay', user: 'user', keepalive: { interval: 30, countMax: 3 } });
    expect(r.warnings).toEqual([]);
    const monitored = parse('/usr/bin/autossh', '-M', '20000', 'host');
    expect(monitored.warnings[0]).toMatch(/monitoring port/);
  });

  it('-g turns on GatewayPorts; -4/-6/-A/-C are honoured', () => {
    const { profile } = parse('ssh', '-g', '-6', '-A', '-C', 'host');
    expect(profile).toMatchObject({ gatewayPorts: true, addressFamily: 'inet6', forwardAgent: true, compression: true });
  });

  it('keeps keepalive on by default (15 s × 3), unlike ssh2', () => {
    expect(parse('ssh', 'h').profile.keepalive).toEqual({ interval: 15, countMax: 3 });
  });

  it('warns about a remote command rather than running it', () => {
    const { warnings } = parse('ssh', '-L', '1:h:2', 'host', 'sleep', '60');
    expect(warnings[0]).toMatch(/remote command 'sleep 60' is not run/);
  });

  it('counts -v like ssh does, in clusters too (up prints debug lines for it)', () => {
    expect(parse('ssh', '-N', 'h').verbosity).toBe(0);
    expect(parse('ssh', '-v', '-NvL8080:h:80', 'h').verbosity).toBe(2);
    expect(parse('ssh', '-vvv', 'h').verbosity).toBe(3);
  });

  it('-c, -m and -o Ciphers/MACs/KexAlgorithms, with OpenSSH\'s +, - and ^ forms', () => {
    expect(parse('ssh', '-c', 'aes128-ctr,aes256-ctr', '-m', 'hmac-sha2-256', 'h').profile).toMatchObject({ ciphers: 'aes128-ctr,aes256-ctr', macs: 'hmac-sha2-256', kexAlgorithms: null });
    expect(parse('ssh', '-o', 'Ciphers=+aes128-cbc', '-o', 'KexAlgorithms=^curve25519-sha256', 'h').profile).toMatchObject({ ciphers: '+aes128-cbc', kexAlgorithms: '^curve25519-sha256' });
    expect(parse('ssh', '-o', 'MACs -hmac-sha1*', 'h').profile.macs).toBe('-hmac-sha1*');
    // First value wins, -c included, as in ssh(1).
    expect(parse('ssh', '-c', 'aes128-ctr', '-o', 'Ciphers=aes256-ctr', 'h').profile.ciphers).toBe('aes128-ctr');
    expect(parse('ssh', 'h').profile).toMatchObject({ ciphers: null, macs: null, kexAlgorithms: null });
  });

  it('-b and -o BindAddress take an IP address of this machine', () => {
    expect(parse('ssh', '-b', '127.0.0.2', 'h').profile.bindAddress).toBe('127.0.0.2');
    expect(parse('ssh', '-o', 'BindAddress=::1', 'h').profile.bindAddress).toBe('::1');
    expect(parse('ssh', 'h').profile.bindAddress).toBeNull();
    expect(codeOf(() => parse('ssh', '-b', 'eth0', 'h'))).toBe('BAD_OPTION');
  });

  it.each([
    [['-c', 'rot13'], /Ciphers: 'rot13' is not supported here \(supported: .*aes128-gcm@openssh.com/],
    [['-c', 'aes128-ctr,'], /not a comma-separated list/],
    [['-m', 'hmac-md5;touch /tmp/x'], /not a comma-separated list/],
    [['-o', 'Ciphers=-*'], /removes every algorithm/],
    [['-o', 'KexAlgorithms=+nope'], /KexAlgorithms: 'nope' is not supported/],
  ])('rejects bad algorithm lists: %j', (args, message) => {
    expect(() => parse('ssh', ...args, 'h')).toThrow(message);
    expect(codeOf(() => parse('ssh', ...args, 'h'))).toBe('BAD_OPTION');
  });

  it('warns about harmless options it ignores', () => {
    expect(parse('ssh', '-o', 'LogLevel=ERROR', 'h').warnings[0]).toMatch(/LogLevel has no effect/);
  });

  it.each([
    [['ssh'], 'BAD_ARGUMENT'],
    [[], 'NOT_SSH_COMMAND'],
    [['scp', 'a', 'b'], 'NOT_SSH_COMMAND'],
    [['ssh', '-p', '0', 'h'], 'BAD_PORT'],
    [['ssh', '-p', '65536', 'h'], 'BAD_PORT'],
    [['ssh', '-p'], 'BAD_ARGUMENT'],
    [['ssh', '-Z', 'h'], 'BAD_OPTION'],
    [['ssh', '-W', 'h:1', 'h'], 'UNSUPPORTED_OPTION'],
    [['ssh', '-o', 'HostKeyAlgorithms=ssh-ed25519', 'h'], 'UNSUPPORTED_OPTION'],
    [['ssh', '-o', 'ForwardX11=yes', 'h'], 'UNSUPPORTED_OPTION'],
    [['ssh', '-o', 'HostName=a;touch /tmp/x', 'h'], 'BAD_HOST'],
    [['ssh', '-o', 'Bogus=1', 'h'], 'BAD_OPTION'],
    [['ssh', '-o', 'Port', 'h'], 'BAD_OPTION'],
    [['ssh', '-o', 'ServerAliveInterval=often', 'h'], 'BAD_OPTION'],
    [['ssh', '-o', 'StrictHostKeyChecking=maybe', 'h'], 'BAD_OPTION'],
    [['ssh', '-J', 'a,b', '-J', 'c', 'h'], 'BAD_ARGUMENT'],
    [['ssh', '-J', 'a$(id)', 'h'], 'BAD_HOST'],
    [['ssh', '-J', 'a`id`', 'h'], 'BAD_HOST'],
    [['ssh', '-J', 'x y', 'h'], 'BAD_HOST'],
    [['ssh', '-J', 'b::1:22', 'h'], 'BAD_HOST'],
    [['ssh', '-J', '', 'h'], 'BAD_HOST'],
    [['ssh', 'host;id'], 'BAD_HOST'],
    [['ssh', "o'neil@host"], 'BAD_ARGUMENT'],
    [['ssh', '-o', 'ProxyCommand=nc %h %p', '-J', 'j', 'h'], 'BAD_ARGUMENT'],
    [['ssh', '-o', 'ProxyJump=a', '-J', 'j', 'h'], 'BAD_ARGUMENT'],
    [['autossh', '-M'], 'BAD_ARGUMENT'],
    [['autossh', '-M', 'x', 'h'], 'BAD_PORT'],
  ] as const)('%j → %s', (argv, code) => {
    expect(codeOf(() => parseSshCommand(argv))).toBe(code);
  });
});

describe('autossh takes its -M and -f wherever getopt finds them (glibc permutes)', () => {
  // Each case checked with the real autossh: AUTOSSH_PATH=/bin/echo autossh … prints what it passes to ssh.
  it.each([
    [['autossh', '-R', '2222:localhost:22', '-M', '0', '-o', 'ServerAliveInterval=10', 'remote-host'], ['ssh', '-R', '2222:localhost:22', '-o', 'ServerAliveInterval=10', 'remote-host']],
    [['autossh', 'remote-host', '-M', '0', '-L', '1:h:2'], ['ssh', '-L', '1:h:2', 'remote-host']],
    [['autossh', 'host', '-N', '-M', '0', '-L', '1:h:2'], ['ssh', '-N', '-L', '1:h:2', 'host']],
    [['autossh', '-M', '0', 'host', '-f', '-N'], ['ssh', '-N', 'host']],
  ])('%j reads as %j', (autossh, ssh) => {
    expect(parseSshCommand(autossh).profile).toEqual(parseSshCommand(ssh).profile);
  });

  it('-M among the remote command’s words is autossh’s too; after -- it is left to ssh', () => {
    const { warnings } = parseSshCommand(['autossh', 'host', 'echo', '-M', '0']);
    expect(warnings.join()).toMatch(/remote command 'echo' is not run/);
    expect(() => parseSshCommand(['autossh', '-M', '0', '--', 'host', '-M'])).not.toThrow();
  });
});

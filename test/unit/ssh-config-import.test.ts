import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSshCommand } from '../../src/main/openssh/argv.js';
import { profileToArgv, profileToSshConfig } from '../../src/main/openssh/export.js';
import { loadSshConfig } from '../../src/main/openssh/config-view.js';
import { importSshConfig } from '../../src/main/openssh/import.js';
import { useTempHome } from '../helpers/temp-home.js';

const home = useTempHome();

function config(text: string, name = 'config'): string {
  const path = join(home(), '.ssh', name);
  writeFileSync(path, text);
  return path;
}

describe('import from ssh_config', () => {
  it('turns every concrete Host into a profile with the directives that matter', () => {
    const path = config(`
# defaults first: first obtained value wins
Host web
  HostName web.example.org
  User deploy
  Port 2222
  IdentityFile ~/.ssh/id_web
  IdentityFile ~/.ssh/id_extra
  LocalForward 8080 localhost:80
  LocalForward [::1]:5432 db.internal:5432
  RemoteForward 9000 localhost:3000
  DynamicForward 1080
  ServerAliveInterval 30
  ServerAliveCountMax 5
  ForwardAgent yes
  ProxyJump bastion

Host bastion
  HostName bastion.example.org
  User jump
  Port 22022

Host legacy
  ProxyCommand nc -X 5 -x socks.example.org:1080 %h %p

Host *.internal *
  User fallback
  ServerAliveInterval 60
  Compression yes
`);
    const { profiles, problems } = importSshConfig(path);
    expect(problems).toEqual([]);
    expect(profiles.map((p) => p.name)).toEqual(['web', 'bastion', 'legacy']);
    const web = profiles[0]!;
    expect(web).toMatchObject({
      host: 'web.example.org',
      user: 'deploy',
      port: 2222,
      identityFiles: ['~/.ssh/id_web', '~/.ssh/id_extra'],
      keepalive: { interval: 30, countMax: 5 },
      forwardAgent: true,
      compression: true, // from Host *
      jumps: [{ host: 'bastion.example.org', user: 'jump', port: 22022 }], // alias resolved through the file
    });
    expect(web.forwards).toEqual([
      { kind: 'local', bind: { host: null, port: 8080 }, target: { host: 'localhost', port: 80 } },
      { kind: 'local', bind: { host: '::1', port: 5432 }, target: { host: 'db.internal', port: 5432 } },
      { kind: 'remote', bind: { host: null, port: 9000 }, target: { host: 'localhost', port: 3000 } },
      { kind: 'dynamic', bind: { host: null, port: 1080 } },
    ]);
    expect(profiles[1]).toMatchObject({ host: 'bastion.example.org', user: 'jump', keepalive: { interval: 60 } });
    expect(profiles[2]).toMatchObject({ host: 'legacy', user: 'fallback', proxyCommand: 'nc -X 5 -x socks.example.org:1080 %h %p' });
  });

  it('follows Include (relative to ~/.ssh, globs, conditional inside Host) and reports loops', () => {
    mkdirSync(join(home(), '.ssh', 'conf.d'));
    config('Host a\n  HostName a.example\n', 'conf.d/10-a.conf');
    config('Host b\n  HostName b.example\n', 'conf.d/20-b.conf');
    config('Port 2200\n', 'port-only');
    config('Include loop-b\n', 'loop-a');
    config('Include loop-a\n', 'loop-b');
    // Both Includes stand inside `Host c`: what they bring applies only where c matches (as ssh -G shows).
    const path = config('Host c\n  Include port-only\nInclude conf.d/*.conf\nInclude loop-a\nHost *\n  Include conf.d/*.conf\n');
    const { profiles, problems } = importSshConfig(path);
    expect(profiles.map((p) => [p.name, p.host, p.port])).toEqual([
      ['c', 'c', 2200],
      ['a', 'a.example', 22],
      ['b', 'b.example', 22],
    ]);
    expect(problems.some((p) => /Include loop/.test(p.message))).toBe(true);
  });

  it('never executes anything: Match exec is skipped and reported, LocalCommand dropped', () => {
    const marker = join(home(), 'pwned');
    const path = config(`Match exec "touch ${marker}"
  User evil
Host box
  LocalCommand touch ${marker}
  PermitLocalCommand yes
  ProxyCommand touch ${marker}; nc %h %p
`);
    const { profiles, skipped } = importSshConfig(path);
    expect(existsSync(marker)).toBe(false);
    expect(profiles[0]!.user).toBeNull();
    expect(profiles[0]!.proxyCommand).toBe(`touch ${marker}; nc %h %p`); // kept verbatim, not run
    expect(skipped.some((s) => /Match exec .* was not run/.test(s))).toBe(true);
    expect(skipped.some((s) => /LocalCommand skipped/.test(s))).toBe(true);
  });

  it('bad lines get their line numbers; the good hosts still import; no hang', () => {
    const path = config(['Host good', '  HostName good.example', 'Host badport', '  Port 70000', '  HostName', 'Host', 'Host quoted', '  IdentityFile "unterminated', 'Host last', '  User ok'].join('\n'));
    const { profiles, problems } = importSshConfig(path);
    expect(profiles.map((p) => p.name)).toEqual(['good', 'badport', 'quoted', 'last']);
    expect(profiles.find((p) => p.name === 'badport')!.warnings.join()).toMatch(/config:4: .*70000/);
    expect(problems.map((p) => p.line)).toEqual([5, 6, 8]);
    expect(profiles.find((p) => p.name === 'last')!.user).toBe('ok'); // no trailing newline
  });

  it('Host patterns: wildcard-only blocks are defaults, negation excludes, case counts (as in ssh)', () => {
    const path = config('Host * !prod\n  User dev\nHost * !Staging\n  Port 3\nHost prod staging\n  Port 2\n');
    const { profiles } = importSshConfig(path);
    expect(profiles.map((p) => [p.name, p.user, p.port])).toEqual([
      ['prod', null, 3],
      ['staging', 'dev', 3],
    ]);
  });

  it('unsupported options are reported, not silently dropped', () => {
    const path = config('Host x\n  CertificateFile ~/.ssh/id-cert.pub\n  FrobnicateWidgets yes\n');
    const w = importSshConfig(path).profiles[0]!.warnings.join('\n');
    expect(w).toMatch(/config:2: .*CertificateFile is not supported/);
    expect(w).toMatch(/config:3: .*Bad configuration option: FrobnicateWidgets/);
  });

  it('HostName %h expands to the alias', () => {
    const path = config('Host db1\n  HostName %h.example.net\n');
    expect(importSshConfig(path).profiles[0]!.host).toBe('db1.example.net');
  });
});

describe('round trips', () => {
  const commands = [
    ['ssh', '-N', '-L', '8080:localhost:80', 'user@host'],
    ['ssh', '-p', '2222', '-J', 'a@b:2200,c', '-L', '[::1]:1:h:2', '-R', '0:localhost:22', '-D', '*:1080', '-R', '7000', 'h'],
    ['ssh', '-i', '~/.ssh/k', '-o', 'IdentitiesOnly=yes', '-o', 'StrictHostKeyChecking=accept-new', '-o', 'ExitOnForwardFailure=yes', '-g', '-A', '-C', '-6', '-o', 'ConnectTimeout=5', '-o', 'ServerAliveInterval=3', '-o', 'ServerAliveCountMax=9', '-o', 'UserKnownHostsFile=/tmp/kh', '-o', 'BatchMode=yes', '-o', 'HostKeyAlias=alias', '-o', 'GlobalKnownHostsFile=/etc/kh /etc/kh2', '-o', 'HashKnownHosts=yes', 'host'],
    ['ssh', '-o', 'ProxyCommand=nc -x proxy:1080 %h %p', '-L', '/tmp/a.sock:/run/b.sock', 'host'],
    ['ssh', '-c', 'aes128-ctr,aes256-gcm@openssh.com', '-m', '^hmac-sha2-512', '-o', 'KexAlgorithms=-diffie-hellman-group*', '-b', '127.0.0.2', 'host'],
  ];

  it.each(commands)('argv → profile → argv → profile is stable (%#)', (...argv) => {
    const profile = parseSshCommand(argv).profile;
    const again = parseSshCommand(profileToArgv(profile)).profile;
    expect(again).toEqual(profile);
    expect(profileToArgv(again)).toEqual(profileToArgv(profile));
  });

  it.each(commands)('profile → ssh_config block → import gives the same profile (%#)', (...argv) => {
    const profile = parseSshCommand(argv).profile;
    const path = config(profileToSshConfig('roundtrip', profile));
    const [imported] = importSshConfig(path).profiles;
    const { name, warnings, typed, ...rest } = imported!;
    expect(name).toBe('roundtrip');
    expect(warnings).toEqual([]);
    expect(typed).toMatchObject({ host: 'roundtrip', configFile: null }); // ~/.ssh/config, the default
    expect({ ...rest, typed: null }).toEqual(profile);
  });
});

describe('a command line resolved through ~/.ssh/config, as ssh(1) does', () => {
  const withConfig = { sshConfig: loadSshConfig };
  const PROD = [
    'Host prod',
    '  HostName 10.0.0.5',
    '  User deploy',
    '  Port 2222',
    '  IdentityFile ~/.ssh/prod_key',
    '  LocalForward 9090 localhost:90',
    '  ProxyJump bastion',
    'Host bastion',
    '  HostName bastion.example.org',
    '  User jump',
    'Host *',
    '  ServerAliveInterval 30',
    '  Ciphers aes256-ctr',
    '',
  ].join('\n');

  it('an alias gets its HostName, User, Port, keys, forwards, jump hosts and Host * defaults', () => {
    config(PROD);
    const { profile } = parseSshCommand(['ssh', '-N', '-L', '8080:localhost:80', 'prod'], withConfig);
    expect(profile).toMatchObject({ host: '10.0.0.5', user: 'deploy', port: 2222, identityFiles: ['~/.ssh/prod_key'], ciphers: 'aes256-ctr' });
    expect(profile.keepalive.interval).toBe(30);
    expect(profile.forwards.map((f) => ('port' in f.bind ? f.bind.port : null))).toEqual([8080, 9090]); // the command line's first
    expect(profile.jumps).toEqual([{ host: 'bastion.example.org', user: 'jump', port: 22 }]);
  });

  it('what the command line says wins; the file fills in the rest', () => {
    config(PROD);
    const { profile } = parseSshCommand(['ssh', '-p', '22', '-l', 'me', '-o', 'ServerAliveInterval=5', '-J', 'bastion:2200', '-i', 'mine', 'prod'], withConfig);
    expect(profile).toMatchObject({ host: '10.0.0.5', user: 'me', port: 22, identityFiles: ['mine', '~/.ssh/prod_key'] });
    expect(profile.keepalive.interval).toBe(5);
    expect(profile.jumps).toEqual([{ host: 'bastion.example.org', user: 'jump', port: 2200 }]);
    expect(parseSshCommand(['ssh', 'root@prod'], withConfig).profile.user).toBe('root');
    // A ProxyCommand on the command line rules out the file's ProxyJump, and the other way round.
    expect(parseSshCommand(['ssh', '-o', 'ProxyCommand=nc %h %p', 'prod'], withConfig).profile).toMatchObject({ jumps: [], proxyCommand: 'nc %h %p' });
  });

  it('-F picks another file, -F none reads none, a missing -F file is an error; no ~/.ssh/config is fine', () => {
    const other = config('Host prod\n  HostName 192.0.2.7\n', 'other');
    expect(parseSshCommand(['ssh', '-F', other, 'prod'], withConfig).profile.host).toBe('192.0.2.7');
    config(PROD);
    expect(parseSshCommand(['ssh', '-F', 'none', 'prod'], withConfig).profile).toMatchObject({ host: 'prod', user: null, port: 22 });
    expect(() => parseSshCommand(['ssh', '-F', join(home(), 'missing'), 'prod'], withConfig)).toThrow(/no such file/);
    process.env.HOME = mkdtempSync(join(tmpdir(), 'tv-empty-home()-'));
    expect(parseSshCommand(['ssh', 'prod'], withConfig).profile.host).toBe('prod');
  });

  it('-F /dev/zero or a pipe: refused as not a regular file, no endless read', () => {
    const { profile, warnings } = parseSshCommand(['ssh', '-F', '/dev/zero', 'prod'], withConfig);
    expect(profile.host).toBe('prod');
    expect(warnings.join('\n')).toMatch(/\/dev\/zero:0: not a regular file/);
  });

  it('a bad value in the file refuses the command line with its file:line, as ssh does — even in a block that does not apply', () => {
    config('Host prod\n  HostName 10.0.0.9\nHost other\n  Port 70000\n');
    expect(() => parseSshCommand(['ssh', 'prod'], withConfig)).toThrow(expect.objectContaining({ code: 'BAD_PORT', message: expect.stringMatching(/config:4: .*70000/) }));
  });

  it('options ssh has and tunnelvision lacks are warnings with their line; Match exec is never run', () => {
    const marker = join(home(), 'ran');
    config(`Host prod\n  CertificateFile ~/.ssh/c.pub\n  HostName 10.0.0.9\nMatch exec "touch ${marker}"\n  User evil\n`);
    const { profile, warnings } = parseSshCommand(['ssh', 'prod'], withConfig);
    expect(profile).toMatchObject({ host: '10.0.0.9', port: 22, user: null });
    expect(warnings.join('\n')).toMatch(/config:2: .*CertificateFile is not supported/);
    expect(warnings.join('\n')).toMatch(/Match exec .* was not run/);
    expect(existsSync(marker)).toBe(false);
  });
});

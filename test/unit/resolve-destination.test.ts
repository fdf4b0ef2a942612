import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSshCommand } from '../../src/main/openssh/argv.js';
import { loadSshConfig } from '../../src/main/openssh/config-view.js';
import { importSshConfig } from '../../src/main/openssh/import.js';
import { resolveDestination } from '../../src/main/openssh/resolve-destination.js';
import { defaultProfile } from '../../src/shared/profile.js';
import { useTempHome } from '../helpers/temp-home.js';

const home = useTempHome();

const userConfig = (text: string): void => writeFileSync(join(home(), '.ssh', 'config'), text);
const parse = (argv: string[]) => parseSshCommand(argv, { sshConfig: loadSshConfig }).profile;

describe('a profile keeps what the user typed and is resolved through ssh_config at connect time', () => {
  it('parse shows the typed destination beside the resolved values', () => {
    userConfig('Host db1\n  HostName db1.example.net\n  User ops\n  ProxyJump bastion\nHost bastion\n  HostName b.example.net\n  Port 2222\n');
    const p = parse(['ssh', '-L', '1:h:2', 'db1']);
    expect(p).toMatchObject({ host: 'db1.example.net', user: 'ops', port: 22, jumps: [{ host: 'b.example.net', user: null, port: 2222 }] });
    expect(p.typed).toEqual({ host: 'db1', hostName: null, user: null, port: null, jumps: null, configFile: null });
    const q = parse(['ssh', '-J', 'alice@bastion', '-p', '2200', '-o', 'HostName=%h.lan', 'u@db1']);
    expect(q.typed).toEqual({ host: 'db1', hostName: '%h.lan', user: 'u', port: 2200, jumps: [{ host: 'bastion', user: 'alice', port: null }], configFile: null });
    expect(q).toMatchObject({ host: 'db1.lan', user: 'u', port: 2200, jumps: [{ host: 'b.example.net', user: 'alice', port: 2222 }] });
  });

  it('a later edit of ~/.ssh/config reaches the saved profile: HostName, User, Port and the jump chain, for the alias and its hops', () => {
    userConfig('Host db1\n  HostName old.example\n  Port 2200\n  ProxyJump bastion\nHost bastion\n  HostName b-old.example\n');
    const saved = parse(['ssh', '-N', '-L', '8080:localhost:80', 'db1']);
    userConfig('Host db1\n  HostName new.example\n  Port 2300\n  User deploy\n  ProxyJump bastion,jump2\nHost bastion\n  HostName b-new.example\n  User jumper\nHost jump2\n  Port 2022\n');
    const { profile } = resolveDestination(saved);
    expect(profile).toMatchObject({ host: 'new.example', user: 'deploy', port: 2300 });
    expect(profile.jumps).toEqual([
      { host: 'b-new.example', user: 'jumper', port: 22 },
      { host: 'jump2', user: null, port: 2022 },
    ]);
    // Everything else is what was saved.
    expect({ ...profile, host: saved.host, user: saved.user, port: saved.port, jumps: saved.jumps }).toEqual(saved);
  });

  it('what the command line said still wins over the file', () => {
    userConfig('Host db1\n  Port 2200\n  User fromfile\n');
    const saved = parse(['ssh', '-p', '4000', '-J', 'gw:2', 'alice@db1']);
    userConfig('Host db1\n  Port 2300\n  User other\n  ProxyJump elsewhere\nHost gw\n  HostName gw.example\n');
    expect(resolveDestination(saved).profile).toMatchObject({ user: 'alice', port: 4000, jumps: [{ host: 'gw.example', user: null, port: 2 }] });
  });

  it('an unchanged file gives the saved values back; typed null and -F none are left alone', () => {
    userConfig('Host *\n  User ops\n  HostName h1.example.com\n');
    const saved = parse(['ssh', '-J', 'bastion,jump2', 'db1']);
    expect(resolveDestination(saved).profile).toEqual(saved);
    const plain = { ...defaultProfile('server'), port: 2201 };
    expect(resolveDestination(plain).profile).toBe(plain);
    const none = parse(['ssh', '-F', 'none', 'db1']);
    expect(none.typed).toBeNull();
    expect(resolveDestination(none).profile).toBe(none);
  });

  it('a broken file at connect time is the error ssh would give, with file:line', () => {
    userConfig('Host db1\n  HostName ok.example\n');
    const saved = parse(['ssh', 'db1']);
    userConfig('Host db1\n  Port 99999\n');
    expect(() => resolveDestination(saved)).toThrow(expect.objectContaining({ code: 'BAD_PORT', message: expect.stringMatching(/config:2/) }));
  });

  it('imported hosts stay tied to their alias', () => {
    userConfig('Host web\n  HostName web-old.example\n');
    const [imported] = importSshConfig().profiles;
    userConfig('Host web\n  HostName web-new.example\n');
    const { name: _name, warnings: _warnings, ...profile } = imported!;
    expect(resolveDestination(profile).profile.host).toBe('web-new.example');
  });
});

describe('exporting a typed profile keeps it typed', () => {
  it('argv → profile → argv → profile keeps the alias, the typed hops and the resolved values', async () => {
    const { profileToArgv } = await import('../../src/main/openssh/export.js');
    userConfig('Host db1\n  HostName db1.example.net\n  User ops\nHost bastion\n  HostName b.example.net\n  Port 2222\n');
    for (const argv of [
      ['ssh', '-N', '-L', '1:h:2', 'db1'],
      ['ssh', '-J', 'alice@bastion,gw:22', '-p', '2200', '-o', 'HostName=%h.lan', 'u@db1'],
      ['ssh', '-o', 'ProxyCommand=nc %h %p', 'db1'],
      ['ssh', '-J', 'none', 'db1'],
    ]) {
      const first = parse(argv);
      const exported = profileToArgv(first);
      expect(exported.at(-1)).toBe(argv.at(-1));
      const again = parse(exported);
      expect(again).toEqual(first);
    }
  });
});

describe('-F in a saved profile', () => {
  it('is kept absolute, so the profile finds the same file from any directory, and resolves through that file only', () => {
    const file = join(home(), 'other-config');
    writeFileSync(file, 'Host db1\n  Port 2201\n');
    const cwd = process.cwd();
    process.chdir(home());
    let saved;
    try {
      saved = parse(['ssh', '-F', 'other-config', 'db1']);
    } finally {
      process.chdir(cwd);
    }
    expect(saved.typed?.configFile).toBe(file);
    writeFileSync(file, 'Host db1\n  Port 2202\n');
    userConfig('Host db1\n  Port 9999\n');
    expect(resolveDestination(saved).profile.port).toBe(2202);
  });
});

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSshCommand } from '../../src/main/openssh/argv.js';
import { loadSshConfig } from '../../src/main/openssh/config-view.js';
import { MAX_CONFIG_FILES, MAX_CONFIG_LINES, parseSshConfigFile } from '../../src/main/openssh/ssh-config.js';
import { TunnelError } from '../../src/shared/errors.js';

let home: string;
let etc: string;
const savedHome = process.env.HOME;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'tv-home-'));
  etc = mkdtempSync(join(tmpdir(), 'tv-etc-ssh-'));
  mkdirSync(join(home, '.ssh'));
  process.env.HOME = home;
});
afterEach(() => {
  process.env.HOME = savedHome;
});

const write = (path: string, text: string): string => {
  writeFileSync(path, text);
  return path;
};

/** parse with the user's file and an injected system file, as `ssh` without -F reads them. */
const parseWith = (argv: string[], system: string | null) => parseSshCommand(argv, { sshConfig: (path) => loadSshConfig(path, { system }) });

describe('the system ssh_config (/etc/ssh/ssh_config), read as ssh reads it', () => {
  it('is read after the user’s file: its options take effect where the user set nothing', () => {
    const system = write(join(etc, 'ssh_config'), 'Host *\n  StrictHostKeyChecking yes\n  HashKnownHosts yes\n  GlobalKnownHostsFile /etc/ssh/kh_site\n  User fromsystem\n');
    write(join(home, '.ssh', 'config'), 'Host *\n  User fromuser\n');
    const { profile } = parseWith(['ssh', 'host'], system);
    expect(profile).toMatchObject({ strictHostKeyChecking: 'yes', hashKnownHosts: true, globalKnownHostsFiles: ['/etc/ssh/kh_site'], user: 'fromuser' });
  });

  it('the command line and the user’s file win over it; -F skips both files, as in ssh', () => {
    const system = write(join(etc, 'ssh_config'), 'StrictHostKeyChecking yes\nPort 2222\n');
    write(join(home, '.ssh', 'config'), 'Port 3333\n');
    expect(parseWith(['ssh', '-o', 'StrictHostKeyChecking=no', 'host'], system).profile).toMatchObject({ strictHostKeyChecking: 'no', port: 3333 });
    const other = write(join(etc, 'other'), 'Compression yes\n');
    expect(parseWith(['ssh', '-F', other, 'host'], system).profile).toMatchObject({ strictHostKeyChecking: 'ask', port: 22, compression: true });
    expect(parseWith(['ssh', '-F', 'none', 'host'], system).profile).toMatchObject({ strictHostKeyChecking: 'ask', port: 22 });
  });

  it('relative Includes in it resolve against its own directory; a missing system file is no config', () => {
    mkdirSync(join(etc, 'ssh_config.d'));
    write(join(etc, 'ssh_config.d', '10-site.conf'), 'HashKnownHosts yes\n');
    const system = write(join(etc, 'ssh_config'), 'Include ssh_config.d/*.conf\n');
    expect(parseWith(['ssh', 'host'], system).profile.hashKnownHosts).toBe(true);
    expect(parseWith(['ssh', 'host'], join(etc, 'missing')).profile.hashKnownHosts).toBe(false);
  });

  it('TUNNELVISION_SYSTEM_SSH_CONFIG moves it (the test suite sets it to none)', () => {
    const system = write(join(etc, 'ssh_config'), 'HashKnownHosts yes\n');
    const saved = process.env.TUNNELVISION_SYSTEM_SSH_CONFIG;
    process.env.TUNNELVISION_SYSTEM_SSH_CONFIG = system;
    try {
      expect(parseSshCommand(['ssh', 'host'], { sshConfig: loadSshConfig }).profile.hashKnownHosts).toBe(true);
    } finally {
      process.env.TUNNELVISION_SYSTEM_SSH_CONFIG = saved;
    }
    expect(parseSshCommand(['ssh', 'host'], { sshConfig: loadSshConfig }).profile.hashKnownHosts).toBe(false);
  });
});

describe('GlobalKnownHostsFile and HashKnownHosts', () => {
  it('from the command line and from the file, first value wins; none is no file at all', () => {
    write(join(home, '.ssh', 'config'), 'GlobalKnownHostsFile /etc/a /etc/b\nHashKnownHosts yes\n');
    expect(parseWith(['ssh', 'host'], null).profile).toMatchObject({ globalKnownHostsFiles: ['/etc/a', '/etc/b'], hashKnownHosts: true });
    expect(parseWith(['ssh', '-o', 'GlobalKnownHostsFile=none', '-o', 'HashKnownHosts=no', 'host'], null).profile).toMatchObject({
      globalKnownHostsFiles: ['/dev/null'],
      hashKnownHosts: false,
    });
    expect(parseSshCommand(['ssh', 'host']).profile).toMatchObject({ globalKnownHostsFiles: [], hashKnownHosts: false });
    expect(() => parseSshCommand(['ssh', '-o', 'HashKnownHosts=maybe', 'host'])).toThrow(expect.objectContaining({ code: 'BAD_OPTION' }));
  });
});

describe('Include fan-out is bounded (#16 item 6)', () => {
  it('`Include X X` chains stop at a clear, coded error instead of reading billions of lines', () => {
    // Each level includes the next twice: 2^24 inclusions of the last file if nothing stopped it.
    const levels = 24;
    for (let i = 0; i < levels; i++) {
      const next = join(home, '.ssh', `x${i + 1}`);
      write(join(home, '.ssh', `x${i}`), i + 1 < levels ? `Include ${next} ${next}\n` : 'Port 2222\n'.repeat(100));
    }
    const run = (): unknown => parseSshConfigFile(join(home, '.ssh', 'x0'));
    expect(run).toThrow(TunnelError);
    expect(run).toThrow(expect.objectContaining({ code: 'SSH_CONFIG_TOO_LARGE', message: expect.stringMatching(/more than 1000 files/) }));
    write(join(home, '.ssh', 'config'), `Include ${join(home, '.ssh', 'x0')}\n`);
    expect(() => parseSshCommand(['ssh', 'host'], { sshConfig: loadSshConfig })).toThrow(expect.objectContaining({ code: 'SSH_CONFIG_TOO_LARGE' }));
  });

  it('few files with many lines hit the line cap; within the caps a file included twice is applied twice, as in ssh', () => {
    const big = write(join(home, '.ssh', 'big'), '# filler\n'.repeat(60_000));
    write(join(home, '.ssh', 'four'), `Include ${big} ${big} ${big} ${big}\n`);
    expect(() => parseSshConfigFile(join(home, '.ssh', 'four'))).toThrow(expect.objectContaining({ code: 'SSH_CONFIG_TOO_LARGE', message: expect.stringMatching(/lines/) }));
    // Within the caps, a file included twice is applied twice (as ssh does) from one read.
    const small = write(join(home, '.ssh', 'small'), 'LocalForward 1 h:1\n');
    const parsed = parseSshConfigFile(write(join(home, '.ssh', 'twice'), `Include ${small}\nHost x\n  Include ${small}\n`));
    expect(parsed.lines.map((l) => [l.keyword, l.conditions.length])).toEqual([
      ['localforward', 0],
      ['localforward', 1],
    ]);
    expect(MAX_CONFIG_FILES).toBeGreaterThanOrEqual(100);
    expect(MAX_CONFIG_LINES).toBeGreaterThanOrEqual(100_000);
  });
});

describe('ssh 9.2 details the differential suite found (each checked with ssh -G)', () => {
  const parseWithUserConfig = (text: string, argv: string[] = ['ssh', 'h']) => {
    write(join(home, '.ssh', 'config'), text);
    return parseWith(argv, null);
  };

  it('Match final blocks apply in a second pass, after everything else; canonical only when that pass happens', () => {
    expect(parseWithUserConfig('Match final\n  Port 1\nHost *\n  Port 2\n').profile.port).toBe(2);
    expect(parseWithUserConfig('Match canonical\n  Port 1\n').profile.port).toBe(22);
    expect(parseWithUserConfig('Match canonical\n  Port 1\nMatch final\n  User x\n').profile).toMatchObject({ port: 1, user: 'x' });
    // The second pass matches Host and Match host against the final name; originalhost keeps the typed one.
    const second = parseWithUserConfig('Host h\n  HostName real.example\nMatch final\nHost real.example\n  Port 7\nMatch final originalhost h\n  User o\n');
    expect(second.profile).toMatchObject({ host: 'real.example', port: 7, user: 'o' });
  });

  it('Match lines ssh cannot read refuse the command line; an importer skips their block', () => {
    for (const bad of ['all final', 'final canonical all', 'all host x', 'host', 'bogus x']) {
      expect(() => parseWithUserConfig(`Match ${bad}\n  Port 5\n`)).toThrow(expect.objectContaining({ code: 'BAD_OPTION', message: expect.stringMatching(/config:1: Match/) }));
    }
    expect(parseWithUserConfig('Match final all\n  Port 5\n').profile.port).toBe(5);
    expect(parseWithUserConfig('Match host x all\n  Port 5\n').profile.port).toBe(22);
    expect(parseWithUserConfig('Match all # a comment\n  Port 5 # another\n').profile.port).toBe(5);
  });

  it('an Include loop refuses the command line, even inside a block that does not apply (ssh: "Too many recursive configuration includes")', () => {
    const loop = write(join(home, '.ssh', 'loop'), `Include ${join(home, '.ssh', 'loop')}\n`);
    expect(() => parseWithUserConfig(`Host nomatch\n  Include ${loop}\n`)).toThrow(expect.objectContaining({ code: 'BAD_OPTION', message: expect.stringMatching(/Include loop/) }));
  });

  it('IdentityFile duplicates are dropped per kind of source: -i twice once, -i and the file both kept', () => {
    const { profile } = parseWithUserConfig('IdentityFile /k1\nIdentityFile /k1\n', ['ssh', '-i', '/k1', '-i', '/k1', '-o', 'IdentityFile=/k2', 'h']);
    expect(profile.identityFiles).toEqual(['/k1', '/k2', '/k1']);
  });
});

describe('import reads the system file after ~/.ssh/config, as ssh does for the alias', () => {
  it('site-wide settings reach imported hosts; an explicit file is read alone (like -F)', async () => {
    const { importSshConfig } = await import('../../src/main/openssh/import.js');
    const system = write(join(etc, 'ssh_config'), 'Host *\n  HashKnownHosts yes\n  StrictHostKeyChecking yes\n  Port 2222\n');
    write(join(home, '.ssh', 'config'), 'Host web\n  HostName web.example\n  Port 2200\n');
    const saved = process.env.TUNNELVISION_SYSTEM_SSH_CONFIG;
    process.env.TUNNELVISION_SYSTEM_SSH_CONFIG = system;
    try {
      expect(importSshConfig().profiles).toEqual([expect.objectContaining({ name: 'web', host: 'web.example', port: 2200, hashKnownHosts: true, strictHostKeyChecking: 'yes' })]);
      const other = write(join(home, 'other'), 'Host web\n  Port 2300\n');
      expect(importSshConfig(other).profiles[0]).toMatchObject({ port: 2300, hashKnownHosts: false });
      expect(importSshConfig(join(home, 'missing')).problems[0]).toMatchObject({ message: 'cannot read: ENOENT' });
    } finally {
      process.env.TUNNELVISION_SYSTEM_SSH_CONFIG = saved;
    }
  });
});

describe('problems name a line, never echo its contents', () => {
  it('a file that is not an ssh_config (a password file, a key) yields problems without its text', () => {
    const file = write(join(home, '.ssh', 'not-a-config'), 'root:$6$s3cr3tHash:19000:0:99999:7:::\nb3BlbnNzaC1rZXktdjEAAAAA\nMatch s3cr3tCriterion\nPort "unterminated s3cr3t\n');
    const parsed = parseSshConfigFile(file);
    expect(parsed.problems.length).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(parsed.problems)).not.toMatch(/s3cr3t|19000|b3BlbnNzaC1rZXkt/);
    expect(parsed.problems.map((p) => p.line)).toEqual(expect.arrayContaining([1, 2]));
  });
});

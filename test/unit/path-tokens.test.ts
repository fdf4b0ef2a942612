import { createHash } from 'node:crypto';
import { homedir, hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { parseSshCommand } from '../../src/main/openssh/argv.js';
import { checkPathTokens, expandPath } from '../../src/main/openssh/path-tokens.js';
import { TunnelError } from '../../src/shared/errors.js';

const hop = { typed: 'web', host: 'web.example.org', port: 2222, user: 'bob', hostKeyAlias: null };

function refused(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(TunnelError);
    return `${(err as TunnelError).code}: ${(err as TunnelError).message}`;
  }
  throw new Error('accepted');
}

describe('IdentityFile and UserKnownHostsFile tokens (ssh_config(5) TOKENS)', () => {
  it('expands ~, each token and ${VAR}, once: what a token expands to is not looked at again', () => {
    const env = { KEYS: '/keys/%h' };
    expect(expandPath('IdentityFile', '~/.ssh/id_%h-%p-%r-%n', hop, env)).toBe(`${homedir()}/.ssh/id_web.example.org-2222-bob-web`);
    expect(expandPath('IdentityFile', '%d/%k/%%h', hop, env)).toBe(`${homedir()}/web/%h`);
    expect(expandPath('IdentityFile', '%k', { ...hop, hostKeyAlias: 'alias' }, env)).toBe('alias');
    expect(expandPath('IdentityFile', '${KEYS}/id', hop, env)).toBe('/keys/%h/id');
    expect(expandPath('IdentityFile', '%l %L', hop, env)).toBe(`${hostname()} ${hostname().split('.')[0]}`);
    expect(expandPath('IdentityFile', '%C', hop, env)).toBe(createHash('sha1').update(`${hostname()}web.example.org2222bob`).digest('hex'));
    expect(expandPath('IdentityFile', '/plain/path', hop, env)).toBe('/plain/path');
  });

  it('refuses what ssh refuses, naming the option and the token', () => {
    expect(refused(() => checkPathTokens('IdentityFile', '~/.ssh/id_%j'))).toBe('BAD_OPTION: IdentityFile \'~/.ssh/id_%j\': unknown token %j (allowed: %% %C %L %d %h %i %k %l %n %p %r %u)');
    expect(refused(() => checkPathTokens('IdentityFile', 'trailing%'))).toMatch(/'trailing%': a lone % at the end \(write %% for a percent sign\)/);
    expect(refused(() => checkPathTokens('UserKnownHostsFile', '${NOT CLOSED'))).toMatch(/^BAD_OPTION: UserKnownHostsFile .*is not an environment variable reference/);
    expect(refused(() => expandPath('IdentityFile', '${TV_SURELY_UNSET}/id', hop, {}))).toBe('BAD_OPTION: IdentityFile \'${TV_SURELY_UNSET}/id\': environment variable TV_SURELY_UNSET is not set');
    // At parse time, from the command line and from -o: the profile keeps the tokens, they are expanded per hop at connect.
    expect(refused(() => parseSshCommand(['ssh', '-i', 'id_%z', 'host']))).toMatch(/^BAD_OPTION: IdentityFile 'id_%z': unknown token %z/);
    expect(refused(() => parseSshCommand(['ssh', '-o', 'UserKnownHostsFile=kh_%z', 'host']))).toMatch(/^BAD_OPTION: UserKnownHostsFile 'kh_%z': unknown token %z/);
    expect(parseSshCommand(['ssh', '-i', '~/.ssh/id_%h', 'host']).profile.identityFiles).toEqual(['~/.ssh/id_%h']);
  });
});

import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkHostKey, fingerprint, hostFieldMatches, knownHostName, parseKnownHosts } from '../../src/main/openssh/known-hosts.js';

function blob(type: string, body: string): Buffer {
  const t = Buffer.from(type);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(t.length);
  return Buffer.concat([len, t, Buffer.from(body)]);
}
const ed1 = blob('ssh-ed25519', 'key-one-xxxxxxxxxxxxxxxxxxxxxxxx');
const ed2 = blob('ssh-ed25519', 'key-two-xxxxxxxxxxxxxxxxxxxxxxxx');
const rsa = blob('ssh-rsa', 'rsa-key-xxxxxxxxxxxxxxxxxxxxxxxx');
const line = (hosts: string, b: Buffer, marker = ''): string => `${marker ? `${marker} ` : ''}${hosts} ${b.subarray(4, 4 + b.readUInt32BE(0)).toString()} ${b.toString('base64')}`;

function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

describe('known_hosts', () => {
  it('names hosts as OpenSSH does', () => {
    expect(knownHostName('Example.ORG', 22)).toBe('example.org');
    expect(knownHostName('example.org', 2222)).toBe('[example.org]:2222');
  });

  it('matches patterns, negation and hashed names', () => {
    expect(hostFieldMatches('example.org,other', 'example.org')).toBe(true);
    expect(hostFieldMatches('*.example.org', 'a.example.org')).toBe(true);
    expect(hostFieldMatches('*.example.org,!bad.example.org', 'bad.example.org')).toBe(false);
    expect(hostFieldMatches('host?', 'host1')).toBe(true);
    expect(hostFieldMatches('host?', 'host12')).toBe(false);
    expect(hostFieldMatches('[h]:2222', '[h]:2222')).toBe(true);
    expect(hostFieldMatches('h', '[h]:2222')).toBe(false);
    expect(hostFieldMatches(hashed('[h]:2222'), '[h]:2222')).toBe(true);
    expect(hostFieldMatches(hashed('h'), 'g')).toBe(false);
    expect(hostFieldMatches('a.b', 'aXb')).toBe(false); // '.' is literal
  });

  it('ok / mismatch / unknown / revoked', () => {
    const known = parseKnownHosts([line('h', ed1), line('other', ed2)].join('\n'), 'kh');
    expect(checkHostKey(known, 'h', ed1).status).toBe('ok');
    expect(checkHostKey(known, 'h', ed2).status).toBe('mismatch');
    expect(checkHostKey(known, 'nobody', ed1)).toMatchObject({ status: 'unknown', otherTypes: [] });
    expect(checkHostKey(known, 'h', rsa)).toMatchObject({ status: 'unknown', otherTypes: ['ssh-ed25519'] });
    const revoked = parseKnownHosts([line('h', ed1), line('*', ed1, '@revoked')].join('\n'), 'kh');
    expect(checkHostKey(revoked, 'h', ed1).status).toBe('revoked');
  });

  it('a mismatch names the file and line', () => {
    const known = parseKnownHosts(`# comment\n\n${line('h', ed1)}\n`, '/k');
    const r = checkHostKey(known, 'h', ed2);
    expect(r.status === 'mismatch' && r.entries.map((e) => `${e.file}:${e.line}`)).toEqual(['/k:3']);
  });

  it('@cert-authority is noted, never trusted', () => {
    const known = parseKnownHosts(line('*', ed2, '@cert-authority'), 'kh');
    const r = checkHostKey(known, 'h', ed1);
    expect(r.status).toBe('unknown');
    expect(r.status === 'unknown' && r.certAuthority?.map((e) => `${e.file}:${e.line}`)).toEqual(['kh:1']);
    expect(checkHostKey(parseKnownHosts(line('other', ed2, '@cert-authority'), 'kh'), 'h', ed1)).toMatchObject({ status: 'unknown', certAuthority: null });
  });

  it('reports malformed lines with their numbers and keeps the good ones', () => {
    const text = ['garbage', line('h', ed1), 'h ssh-ed25519 !!!notbase64', `h ssh-rsa ${ed1.toString('base64')}`, '@weird h ssh-ed25519 AAAA'].join('\n');
    const known = parseKnownHosts(text, 'kh');
    expect(known.entries).toHaveLength(1);
    expect(known.problems.map((p) => p.line)).toEqual([1, 3, 4, 5]);
  });

  it('prints fingerprints like ssh-keygen', () => {
    expect(fingerprint(Buffer.from('abc'))).toBe('SHA256:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0');
  });
});

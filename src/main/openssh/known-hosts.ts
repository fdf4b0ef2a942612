import { createHash, createHmac, randomBytes } from 'node:crypto';
import { appendFile, mkdir, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { globToRegExp } from './glob.js';

/**
 * known_hosts as sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT" describes it: plain, hashed
 * (`|1|salt|hmac`), `[host]:port`, patterns with `*`, `?` and `!`, markers `@revoked` and
 * `@cert-authority`. No maintained npm parser exists, so this one is ours.
 */

export interface KnownHostEntry {
  marker: 'revoked' | 'cert-authority' | null;
  hosts: string;
  keyType: string;
  key: Buffer;
  file: string;
  line: number;
}

export interface KnownHostsProblem {
  file: string;
  line: number;
  message: string;
}

export interface KnownHostsFile {
  entries: KnownHostEntry[];
  problems: KnownHostsProblem[];
}

export type HostKeyCheck =
  | { status: 'ok'; entry: KnownHostEntry }
  | { status: 'revoked'; entry: KnownHostEntry }
  | { status: 'mismatch'; entries: KnownHostEntry[] }
  /** `otherTypes`: key types already known for the host, so the UI can say "a new key type". */
  | { status: 'unknown'; otherTypes: string[]; certAuthority: KnownHostEntry[] | null };

const MAX_FILE_BYTES = 64 * 1024 * 1024;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise, lower-cased. */
export function knownHostName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

export function parseKnownHosts(text: string, file: string): KnownHostsFile {
  const entries: KnownHostEntry[] = [];
  const problems: KnownHostsProblem[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const fields = trimmed.split(/\s+/);
    let marker: KnownHostEntry['marker'] = null;
    if (fields[0]!.startsWith('@')) {
      const m = fields.shift()!;
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else {
        problems.push({ file, line, message: `unknown marker ${m}` });
        return;
      }
    }
    const [hosts, keyType, keyText] = fields;
    if (hosts === undefined || keyType === undefined || keyText === undefined) {
      problems.push({ file, line, message: 'expected "hosts keytype key"' });
      return;
    }
    if (!BASE64.test(keyText)) {
      problems.push({ file, line, message: 'the key is not valid base64' });
      return;
    }
    const key = Buffer.from(keyText, 'base64');
    if (blobKeyType(key) !== keyType) {
      problems.push({ file, line, message: `the key does not match its type ${keyType}` });
      return;
    }
    entries.push({ marker, hosts, keyType, key, file, line });
  });
  return { entries, problems };
}

export async function readKnownHostsFiles(files: readonly string[]): Promise<KnownHostsFile> {
  const all: KnownHostsFile = { entries: [], problems: [] };
  for (const file of files) {
    let text: string;
    try {
      const info = await stat(file);
      if (!info.isFile()) continue;
      if (info.size > MAX_FILE_BYTES) {
        all.problems.push({ file, line: 0, message: 'the file is too large to read' });
        continue;
      }
      text = await readFile(file, 'utf8');
    } catch {
      continue; // a missing known_hosts file is normal: nothing is known yet
    }
    const parsed = parseKnownHosts(text, file);
    all.entries.push(...parsed.entries);
    all.problems.push(...parsed.problems);
  }
  return all;
}

/** The key type a wire-format public key blob names in its first string. */
export function blobKeyType(blob: Buffer): string | null {
  if (blob.length < 4) return null;
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || blob.length < 4 + len) return null;
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** `SHA256:…` as ssh-keygen -l and ssh(1) print it. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

function hashedMatches(field: string, name: string): boolean {
  const parts = field.split('|');
  // |1|salt|hash → ['', '1', salt, hash]
  if (parts.length !== 4 || parts[1] !== '1') return false;
  const salt = Buffer.from(parts[2]!, 'base64');
  const expected = Buffer.from(parts[3]!, 'base64');
  const actual = createHmac('sha1', salt).update(name).digest();
  return expected.length === actual.length && expected.equals(actual);
}

/**
 * OpenSSH's match_hostname over a host field: any matching negated pattern excludes the
 * host, otherwise any matching positive pattern includes it.
 */
export function hostFieldMatches(hosts: string, name: string): boolean {
  if (hosts.startsWith('|')) return hashedMatches(hosts, name);
  let matched = false;
  for (const raw of hosts.split(',')) {
    const negated = raw.startsWith('!');
    const pattern = negated ? raw.slice(1) : raw;
    if (pattern === '') continue;
    if (globToRegExp(pattern, 'i').test(name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** Checks a server's key against what is known for `name` (from knownHostName). */
export function checkHostKey(known: KnownHostsFile, name: string, blob: Buffer): HostKeyCheck {
  const type = blobKeyType(blob);
  const forHost = known.entries.filter((e) => hostFieldMatches(e.hosts, name));
  const revoked = forHost.find((e) => e.marker === 'revoked' && e.key.equals(blob));
  if (revoked) return { status: 'revoked', entry: revoked };
  const plain = forHost.filter((e) => e.marker === null);
  const same = plain.find((e) => e.key.equals(blob));
  if (same) return { status: 'ok', entry: same };
  // Only a key of the same type that differs means "changed"; another type is just new.
  const changed = plain.filter((e) => e.keyType === type);
  if (changed.length > 0) return { status: 'mismatch', entries: changed };
  const certAuthorities = forHost.filter((e) => e.marker === 'cert-authority');
  return {
    status: 'unknown',
    otherTypes: [...new Set(plain.map((e) => e.keyType))],
    certAuthority: certAuthorities.length > 0 ? certAuthorities : null,
  };
}

/** Key types known for a host, to offer them first in the host-key algorithm list as OpenSSH does. */
export function knownKeyTypes(known: KnownHostsFile, name: string): string[] {
  return [
    ...new Set(
      known.entries.filter((e) => e.marker === null && hostFieldMatches(e.hosts, name)).map((e) => e.keyType),
    ),
  ];
}

/** `|1|salt|HMAC-SHA1(salt, name)`, as ssh writes a name with HashKnownHosts yes. */
export function hashHostName(name: string, salt: Buffer = randomBytes(20)): string {
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

/**
 * Appends an entry, creating ~/.ssh (0700) and the file (0600) if needed; with `hashed`
 * (HashKnownHosts) the host name is written hashed, as ssh does.
 */
export async function appendKnownHost(file: string, name: string, blob: Buffer, { hashed = false } = {}): Promise<void> {
  const type = blobKeyType(blob);
  if (type === null) throw new Error('not a public key blob');
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  let prefix = '';
  try {
    const current = await readFile(file);
    if (current.length > 0 && current[current.length - 1] !== 0x0a) prefix = '\n';
  } catch {
    // new file
  }
  await appendFile(file, `${prefix}${hashed ? hashHostName(name) : name} ${type} ${blob.toString('base64')}\n`, { mode: 0o600 });
}

import { TunnelError } from '../../shared/errors.js';
import type { StrictHostKeyChecking } from '../../shared/profile.js';
import {
  appendKnownHost,
  blobKeyType,
  checkHostKey,
  fingerprint,
  knownHostName,
  knownKeyTypes,
  readKnownHostsFiles,
  type KnownHostsFile,
} from '../openssh/known-hosts.js';
import { expandHome } from './paths.js';
import type { Prompter } from './prompts.js';

export interface HostKeyPolicy {
  /** UserKnownHostsFile: read, and the first is where accepted keys are written. */
  knownHostsFiles: string[];
  /** GlobalKnownHostsFile: what the system trusts; read only, never written. */
  globalKnownHostsFiles: string[];
  /** HashKnownHosts: write the host name hashed. */
  hashKnownHosts: boolean;
  strict: StrictHostKeyChecking;
  batchMode: boolean;
  /** HostKeyAlias: the name to look up instead of host/port. */
  alias: string | null;
}

export interface HostKeyTarget {
  host: string;
  port: number;
  hop: number;
}

/** ssh2 names host key algorithms; known_hosts names key types. RSA keys sign with three. */
const ALGORITHMS_FOR_TYPE: Record<string, string[]> = {
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};
const DEFAULT_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/**
 * Verifies one hop's host key against known_hosts before any credential leaves this machine:
 * ssh2 calls the verifier during key exchange, ahead of authentication. A changed key is
 * always fatal (OpenSSH with StrictHostKeyChecking=no would connect with forwarding disabled,
 * which for a tunnel is the same as failing, so we fail plainly).
 */
export class HostKeyVerifier {
  private known: KnownHostsFile | null = null;
  /** The key accepted at the first key exchange; rekeys must present the same one. */
  private accepted: Buffer | null = null;
  readonly notes: string[] = [];

  constructor(
    private readonly target: HostKeyTarget,
    private readonly policy: HostKeyPolicy,
    private readonly prompter: Prompter | undefined,
  ) {}

  private get name(): string {
    return this.policy.alias ?? knownHostName(this.target.host, this.target.port);
  }

  private get files(): string[] {
    return this.policy.knownHostsFiles.map(expandHome);
  }

  async load(): Promise<void> {
    // One view over the user's and the system's files: a key the organisation pins in
    // /etc/ssh/ssh_known_hosts is a match there, a different one is a changed key, as in ssh.
    this.known = await readKnownHostsFiles([...this.files, ...this.policy.globalKnownHostsFiles.map(expandHome)]);
    for (const p of this.known.problems) this.notes.push(`${p.file}:${p.line}: ${p.message}; line ignored`);
  }

  /** Known key types first, as OpenSSH orders HostKeyAlgorithms, so a known host offers the key we have. */
  preferredAlgorithms(): string[] {
    const known = this.known ? knownKeyTypes(this.known, this.name) : [];
    const first = known.flatMap((t) => ALGORITHMS_FOR_TYPE[t] ?? [t]).filter((a) => DEFAULT_ALGORITHMS.includes(a));
    return [...new Set([...first, ...DEFAULT_ALGORITHMS])];
  }

  /**
   * Resolves when the key may be used; rejects with HOST_KEY_* otherwise. `pauseTimer` lets the
   * caller stop its handshake clock while a person reads the question.
   */
  async verify(blob: Buffer, pauseTimer: <T>(work: Promise<T>) => Promise<T>): Promise<void> {
    if (this.accepted) {
      if (this.accepted.equals(blob)) return;
      throw new TunnelError('HOST_KEY_MISMATCH', `${this.describe()} presented a different host key during re-keying`);
    }
    if (!this.known) await this.load();
    const known = this.known!;
    const type = blobKeyType(blob) ?? 'unknown';
    const fp = fingerprint(blob);
    const result = checkHostKey(known, this.name, blob);
    switch (result.status) {
      case 'ok':
        break;
      case 'revoked':
        throw new TunnelError(
          'HOST_KEY_REVOKED',
          `The ${type} host key of ${this.describe()} (${fp}) is marked @revoked in ${result.entry.file}:${result.entry.line}`,
        );
      case 'mismatch': {
        const where = result.entries.map((e) => `${e.file}:${e.line} (${e.keyType} ${fingerprint(e.key)})`).join(', ');
        throw new TunnelError(
          'HOST_KEY_MISMATCH',
          `REMOTE HOST IDENTIFICATION HAS CHANGED for ${this.describe()}: it offered ${type} ${fp}, ` +
            `which differs from the key in ${where}. Someone could be intercepting the connection; ` +
            `nothing was sent. If the server was reinstalled, remove the old key from that file.`,
        );
      }
      case 'unknown':
        if (result.certAuthority) {
          // The host is vouched for by a certificate authority, and ssh2 cannot check a host
          // certificate: trusting the plain key on first use would skip exactly the check the
          // organisation set up.
          const where = result.certAuthority.map((e) => `${e.file}:${e.line}`).join(', ');
          throw new TunnelError(
            'HOST_CERT_UNSUPPORTED',
            `${this.describe()} is vouched for by a certificate authority (@cert-authority in ${where}), but Tunnelvision cannot verify ` +
              `host certificates, and the plain ${type} key it offered (${fp}) is not in known_hosts; nothing was sent. ` +
              `To connect, add that key to ${this.files[0] ?? '~/.ssh/known_hosts'} after checking it (e.g. ssh-keyscan).`,
          );
        }
        await this.decideUnknown(blob, type, fp, result.otherTypes, pauseTimer);
        break;
    }
    this.accepted = blob;
  }

  private async decideUnknown(
    blob: Buffer,
    type: string,
    fp: string,
    otherTypes: string[],
    pauseTimer: <T>(work: Promise<T>) => Promise<T>,
  ): Promise<void> {
    const { strict, batchMode } = this.policy;
    const unknownMessage = `The authenticity of ${this.describe()} can't be established: ${type} key fingerprint is ${fp}`;
    if (strict === 'yes') {
      throw new TunnelError('HOST_KEY_UNKNOWN', `${unknownMessage}, and StrictHostKeyChecking is yes`);
    }
    if (strict === 'accept-new' || strict === 'no') {
      await this.remember(blob);
      return;
    }
    if (batchMode || !this.prompter?.hostKey) {
      throw new TunnelError('HOST_KEY_UNKNOWN', `${unknownMessage}, and there is nobody to ask (use StrictHostKeyChecking=accept-new to trust it on first use)`);
    }
    const answer = await pauseTimer(
      this.prompter.hostKey({ host: this.target.host, port: this.target.port, hop: this.target.hop, keyType: type, fingerprint: fp, otherTypes }),
    );
    if (answer === 'reject') throw new TunnelError('HOST_KEY_REJECTED', `The host key of ${this.describe()} was rejected`);
    if (answer === 'accept-always') await this.remember(blob);
  }

  private async remember(blob: Buffer): Promise<void> {
    const file = this.files[0];
    if (!file || file === '/dev/null') return;
    await appendKnownHost(file, this.name, blob, { hashed: this.policy.hashKnownHosts });
    this.notes.push(`Permanently added ${this.name} (${blobKeyType(blob)}) to ${file}`);
  }

  private describe(): string {
    return `host ${knownHostName(this.target.host, this.target.port)}`;
  }
}

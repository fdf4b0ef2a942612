import { TunnelError } from '../../shared/errors.js';
import { formatHostPort, type Profile } from '../../shared/profile.js';
import { migrateLegacyPassword, secretAccount, type SecretStore } from '../store/secret-store.js';
import type { Prompter, SecretQuestion } from './prompts.js';
import { SshSession } from './session.js';

/** The hop a secret belongs to, as the keychain account and the dialogs name it. */
export function hopLabel(hop: { user: string; host: string; port: number }): string {
  return `${hop.user}@${formatHostPort(hop.host, hop.port)}`;
}

/** Every hop of a profile, jump hosts first, the destination last. */
export function hopLabels(profile: Profile): string[] {
  return SshSession.hopsOf(profile).map(hopLabel);
}

/**
 * The hop a stored password is for: the one named (which must be one of the profile's hops, so a
 * secret cannot be filed for a server the profile never reaches), else the destination.
 */
export function passwordHop(profile: Profile, named: string | undefined): string {
  const hops = hopLabels(profile);
  if (named === undefined) return hops.at(-1)!;
  if (!hops.includes(named)) {
    throw new TunnelError('BAD_ARGUMENT', `${named} is not a hop of this profile (its hops: ${hops.join(', ')})`);
  }
  return named;
}

/**
 * Answers password and passphrase questions from the keychain, once each per connection
 * attempt: if the stored secret is refused, the next question goes to `inner` (a person), so a
 * stale password is never retried in a loop. A password is looked up for the hop that asks,
 * never another's. Host-key questions always go to `inner`.
 */
export function keychainPrompter(store: SecretStore, profileId: string, destinationHop: string, inner: Prompter = {}): Prompter {
  const used = new Set<string>();
  let migrated: Promise<void> | null = null;
  const accountFor = (q: SecretQuestion): string | null => {
    if (q.kind === 'passphrase' && q.keyFile) return secretAccount(profileId, { kind: 'passphrase', keyFile: q.keyFile });
    const password = q.kind === 'password' || (q.kind === 'keyboard-interactive' && !q.echo && /password/i.test(q.prompt));
    return password ? secretAccount(profileId, { kind: 'password', hop: hopLabel(q) }) : null;
  };
  const prompter: Prompter = {
    secret: async (q, signal) => {
      migrated ??= migrateLegacyPassword(store, profileId, destinationHop).catch(() => undefined);
      await migrated;
      const account = accountFor(q);
      if (account && !used.has(account)) {
        used.add(account);
        const stored = await store.get(account).catch(() => null);
        if (stored !== null) return stored;
      }
      return inner.secret ? inner.secret(q, signal) : null;
    },
  };
  if (inner.hostKey) prompter.hostKey = inner.hostKey.bind(inner);
  return prompter;
}

import { secretAccount, type SecretStore } from '../store/secret-store.js';
import type { Prompter, SecretQuestion } from './prompts.js';

/**
 * Answers password and passphrase questions from the keychain, once each per connection
 * attempt: if the stored secret is refused, the next question goes to `inner` (a person), so a
 * stale password is never retried in a loop. Host-key questions always go to `inner`.
 */
export function keychainPrompter(store: SecretStore, profileId: string, inner: Prompter = {}): Prompter {
  const used = new Set<string>();
  const accountFor = (q: SecretQuestion): string | null => {
    if (q.kind === 'passphrase' && q.keyFile) return secretAccount(profileId, { kind: 'passphrase', keyFile: q.keyFile });
    if (q.kind === 'password') return secretAccount(profileId, { kind: 'password' });
    if (q.kind === 'keyboard-interactive' && !q.echo && /password/i.test(q.prompt)) return secretAccount(profileId, { kind: 'password' });
    return null;
  };
  const prompter: Prompter = {
    secret: async (q) => {
      const account = accountFor(q);
      if (account && !used.has(account)) {
        used.add(account);
        const stored = await store.get(account).catch(() => null);
        if (stored !== null) return stored;
      }
      return inner.secret ? inner.secret(q) : null;
    },
  };
  if (inner.hostKey) prompter.hostKey = inner.hostKey.bind(inner);
  return prompter;
}

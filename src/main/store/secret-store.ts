import { TunnelError } from '../../shared/errors.js';

/**
 * Passwords and key passphrases, kept only in the OS keychain. Write, use, delete: nothing here
 * hands a secret to anything but the SSH authentication that needs it.
 */
export interface SecretStore {
  get(account: string): Promise<string | null>;
  set(account: string, secret: string): Promise<void>;
  delete(account: string): Promise<boolean>;
}

export const KEYCHAIN_SERVICE = 'tunnelvision';
const MAX_SECRET_LENGTH = 4096;

/**
 * A password belongs to one hop (`user@host:port`): it is sent to that server and no other, so a
 * jump host that asks cannot receive the destination's. A key passphrase never leaves this
 * machine (it unlocks a local file), so it belongs to the key file.
 */
export type SecretKind = { kind: 'password'; hop: string } | { kind: 'passphrase'; keyFile: string };

/** The keychain account name for one secret of one profile. */
export function secretAccount(profileId: string, secret: SecretKind): string {
  return secret.kind === 'password' ? `${profileId}/password/${secret.hop}` : `${profileId}/passphrase/${secret.keyFile}`;
}

/** Where earlier versions kept a profile's one password, offered to whichever hop asked. */
export function legacyPasswordAccount(profileId: string): string {
  return `${profileId}/password`;
}

/**
 * Moves a password stored the old way to the destination hop it was meant for. A password
 * already stored for that hop wins; the old entry goes either way.
 */
export async function migrateLegacyPassword(store: SecretStore, profileId: string, destinationHop: string): Promise<void> {
  const legacy = legacyPasswordAccount(profileId);
  const old = await store.get(legacy);
  if (old === null) return;
  const account = secretAccount(profileId, { kind: 'password', hop: destinationHop });
  if ((await store.get(account)) === null) await store.set(account, old);
  await store.delete(legacy);
}

interface Keytar {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
  findCredentials(service: string): Promise<{ account: string }[]>;
}

class KeytarSecretStore implements SecretStore {
  constructor(private readonly keytar: Keytar) {}

  async get(account: string): Promise<string | null> {
    return this.keytar.getPassword(KEYCHAIN_SERVICE, account);
  }

  async set(account: string, secret: string): Promise<void> {
    if (secret.length === 0 || secret.length > MAX_SECRET_LENGTH) {
      throw new TunnelError('BAD_ARGUMENT', `a secret must be 1 to ${MAX_SECRET_LENGTH} characters`);
    }
    await this.keytar.setPassword(KEYCHAIN_SERVICE, account, secret);
  }

  async delete(account: string): Promise<boolean> {
    return this.keytar.deletePassword(KEYCHAIN_SERVICE, account);
  }
}

export type KeychainResult = { store: SecretStore; unavailable: null } | { store: null; unavailable: string };

/**
 * The OS keychain through keytar, or a plain statement of why there is none (keytar not
 * built, no Secret Service on this Linux session). There is never a plaintext fallback: the
 * caller asks for the secret each time instead.
 */
export async function openKeychain(): Promise<KeychainResult> {
  let keytar: Keytar;
  try {
    const mod = (await import('keytar')) as unknown as Keytar & { default?: Keytar };
    keytar = mod.default ?? mod;
  } catch (err) {
    return { store: null, unavailable: `the keychain module is not installed (${(err as Error).message.split('\n')[0]})` };
  }
  try {
    await keytar.findCredentials(KEYCHAIN_SERVICE);
  } catch (err) {
    return { store: null, unavailable: `no keychain is available: ${(err as Error).message.split('\n')[0]}` };
  }
  return { store: new KeytarSecretStore(keytar), unavailable: null };
}

export async function requireKeychain(): Promise<SecretStore> {
  const result = await openKeychain();
  if (result.store) return result.store;
  throw new TunnelError('KEYCHAIN_UNAVAILABLE', `${result.unavailable}; secrets will be asked for each time instead`);
}

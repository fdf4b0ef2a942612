import { TunnelError } from '../../shared/errors.js';
import { runnable } from '../../shared/saved-profile.js';
import { passwordHop } from '../engine/keychain-prompter.js';
import { resolveDestination } from '../openssh/resolve-destination.js';
import type { ProfileStore } from '../store/profile-store.js';
import { migrateLegacyPassword, requireKeychain, secretAccount, type SecretKind } from '../store/secret-store.js';
import { say } from './terminal-text.js';

export const SECRET_USAGE = 'tunnelvision secret set|delete <profile> [--hop user@host:port | --passphrase KEYFILE]  (the secret is read from stdin)';

async function readSecretFromStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
    if (size > 8192) throw new TunnelError('BAD_ARGUMENT', 'the secret is too long');
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text.split(/\r?\n/)[0] ?? '';
}

/**
 * `tunnelvision secret set|delete <profile> [--passphrase KEYFILE]`. The secret is read from
 * stdin (never from the command line, where `ps` would show it) and goes only to the keychain.
 */
export async function secretCommand(store: ProfileStore, args: string[]): Promise<number> {
  const [sub, name, ...rest] = args;
  if ((sub !== 'set' && sub !== 'delete') || !name) throw new TunnelError('BAD_ARGUMENT', `usage: ${SECRET_USAGE}`);
  let keyFile: string | undefined;
  let hop: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i]!;
    const value = rest[++i];
    if (flag === '--passphrase' && value) keyFile = value;
    else if (flag === '--hop' && value) hop = value;
    else if (flag === '--passphrase' || flag === '--hop') throw new TunnelError('BAD_ARGUMENT', flag === '--hop' ? '--hop needs user@host:port' : '--passphrase needs the key file it unlocks');
    else throw new TunnelError('BAD_ARGUMENT', `unknown argument ${flag}`);
  }
  if (keyFile !== undefined && hop !== undefined) throw new TunnelError('BAD_ARGUMENT', 'a passphrase belongs to its key file, not to a hop: give --passphrase or --hop, not both');
  const profile = await store.get(name);
  // The hops as ssh_config resolves them now, as the next connection will.
  const hops = resolveDestination(runnable(profile)).profile;
  const kind: SecretKind = keyFile !== undefined ? { kind: 'passphrase', keyFile } : { kind: 'password', hop: passwordHop(hops, hop) };
  const what = kind.kind === 'password' ? `the password for ${kind.hop}` : `the passphrase of ${kind.keyFile}`;
  const keychain = await requireKeychain();
  // A password kept the old way (one per profile) becomes the destination's first, so that
  // deleting or replacing it here is final and nothing resurrects it at the next connection.
  await migrateLegacyPassword(keychain, profile.id, passwordHop(hops, undefined));
  const account = secretAccount(profile.id, kind);
  if (sub === 'delete') {
    const existed = await keychain.delete(account);
    say(existed ? `tunnelvision: deleted ${what} (${profile.name})\n` : `tunnelvision: nothing was stored as ${what} (${profile.name})\n`);
    return 0;
  }
  const secret = await readSecretFromStdin();
  if (secret === '') throw new TunnelError('BAD_ARGUMENT', 'no secret on stdin');
  await keychain.set(account, secret);
  say(`tunnelvision: stored ${what} (${profile.name}) in the keychain\n`);
  return 0;
}

import { TunnelError } from '../../shared/errors.js';
import type { ProfileStore } from '../store/profile-store.js';
import { requireKeychain, secretAccount, type SecretKind } from '../store/secret-store.js';

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
  if ((sub !== 'set' && sub !== 'delete') || !name) {
    throw new TunnelError('BAD_ARGUMENT', 'usage: tunnelvision secret set|delete <profile> [--passphrase KEYFILE]  (the secret is read from stdin)');
  }
  let kind: SecretKind = { kind: 'password' };
  if (rest[0] === '--passphrase') {
    if (!rest[1]) throw new TunnelError('BAD_ARGUMENT', '--passphrase needs the key file it unlocks');
    kind = { kind: 'passphrase', keyFile: rest[1] };
  } else if (rest.length > 0) throw new TunnelError('BAD_ARGUMENT', `unknown argument ${rest[0]}`);
  const profile = await store.get(name);
  const keychain = await requireKeychain();
  const account = secretAccount(profile.id, kind);
  if (sub === 'delete') {
    const existed = await keychain.delete(account);
    process.stderr.write(existed ? `tunnelvision: deleted the ${kind.kind} of ${profile.name}\n` : `tunnelvision: no ${kind.kind} was stored for ${profile.name}\n`);
    return 0;
  }
  const secret = await readSecretFromStdin();
  if (secret === '') throw new TunnelError('BAD_ARGUMENT', 'no secret on stdin');
  await keychain.set(account, secret);
  process.stderr.write(`tunnelvision: stored the ${kind.kind} of ${profile.name} in the keychain\n`);
  return 0;
}

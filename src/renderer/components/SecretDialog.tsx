import { useState } from 'react';
import type { ContractClient } from '../../shared/contract.js';
import { Dialog } from './Dialog.js';

interface Props {
  client: ContractClient;
  profileId: string;
  tunnelName: string;
  kind: 'password' | 'passphrase';
  keyFile: string | null;
  /** The hop a password is for (its place in the chain), when known; else the destination. */
  hop: number | null;
  /** How the dialog names that hop: "nobody@bastion:22 (jump host)". */
  hopName: string | null;
  /** Stored: the caller retries the tunnel. */
  onDone(stored: boolean): void;
  onCancel(): void;
}

/** "Add password" / "Add passphrase" from an error card: into the keychain, then retry. */
export function SecretDialog({ client, profileId, tunnelName, kind, keyFile: initialKeyFile, hop, hopName, onDone, onCancel }: Props) {
  const [secret, setSecret] = useState('');
  const [keyFile, setKeyFile] = useState(initialKeyFile ?? '');
  const [error, setError] = useState<string | null>(null);
  const submit = async (): Promise<void> => {
    const r = await client.invoke('secrets.set', { profileId, kind, secret, ...(kind === 'passphrase' ? { keyFile } : hop !== null ? { hopIndex: hop } : {}) });
    setSecret('');
    if (!r.ok) return setError(r.error.message);
    if (!r.value.stored) return setError(`The keychain is not available (${r.value.unavailable}); Tunnelvision will ask when it connects instead.`);
    onDone(true);
  };
  return (
    <Dialog labelledBy="secret-add-title" onEscape={onCancel}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <h2 id="secret-add-title">{kind === 'password' ? `Password for ${hopName ?? tunnelName}` : `Key passphrase for ${tunnelName}`}</h2>
        <p className="hint">
          Kept in the system keychain only; never shown again, and offered to {kind === 'password' ? 'this server alone' : 'unlock this key file only'}. The tunnel retries with it.
        </p>
        {kind === 'passphrase' && (
          <label className="stack">
            Key file
            <input value={keyFile} onChange={(e) => setKeyFile(e.target.value)} />
          </label>
        )}
        <label className="stack">
          {kind === 'password' ? 'Password' : 'Passphrase'}
          <input type="password" value={secret} onChange={(e) => setSecret(e.target.value)} data-autofocus autoComplete="off" />
        </label>
        {error && <p className="field-error" role="alert">{error}</p>}
        <div className="buttons">
          <button type="submit" className="primary" disabled={secret === '' || (kind === 'passphrase' && keyFile === '')}>Save and retry</button>
          <button type="button" onClick={onCancel}>Cancel</button>
        </div>
      </form>
    </Dialog>
  );
}

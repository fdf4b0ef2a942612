import { useState } from 'react';
import type { ContractClient, Prompt } from '../../shared/contract.js';
import { Dialog } from './Dialog.js';

/**
 * Questions from the engine: unknown host keys, passwords, passphrases, keyboard-interactive.
 * Modal: focus stays inside; Escape rejects the key or cancels the question.
 */
export function PromptDialog({ client, prompt, tunnelName }: { client: ContractClient; prompt: Prompt; tunnelName: string }) {
  const [secret, setSecret] = useState('');
  const answer = (a: 'accept-once' | 'accept-always' | 'reject' | { secret: string | null }): void => {
    setSecret('');
    void client.invoke('prompts.answer', { id: prompt.id, answer: a });
  };
  if (prompt.kind === 'host-key') {
    const name = prompt.port === 22 ? prompt.host : `[${prompt.host}]:${prompt.port}`;
    return (
      <Dialog role="alertdialog" labelledBy="hk-title" describedBy="hk-body" onEscape={() => answer('reject')}>
        <h2 id="hk-title">Unknown host key for {name}</h2>
        <div id="hk-body">
          <p>
            {tunnelName} is connecting to <strong>{name}</strong>{prompt.hop > 0 ? ` (hop ${prompt.hop + 1})` : ''} for the first time. Check that this fingerprint is the server's before trusting it:
          </p>
          <p className="fingerprint">
            {prompt.keyType} <code data-testid="fingerprint">{prompt.fingerprint}</code>
          </p>
          {prompt.otherTypes.length > 0 && <p>This host is already known with another key type ({prompt.otherTypes.join(', ')}).</p>}
          <p className="hint">On the server, <code>ssh-keygen -lf /etc/ssh/ssh_host_{prompt.keyType.replace(/^ssh-/, '')}_key.pub</code> prints it.</p>
        </div>
        <div className="buttons">
          <button type="button" className="primary" onClick={() => answer('accept-always')}>Trust and remember</button>
          <button type="button" onClick={() => answer('accept-once')}>Trust this time</button>
          <button type="button" className="danger" onClick={() => answer('reject')} data-autofocus>Reject</button>
        </div>
      </Dialog>
    );
  }
  const title = prompt.kind === 'passphrase' ? `Passphrase for ${prompt.keyFile ?? 'a key'}` : `${prompt.user}@${prompt.host}`;
  return (
    <Dialog labelledBy="secret-title" onEscape={() => answer({ secret: null })}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          answer({ secret });
        }}
      >
        <h2 id="secret-title">{title}</h2>
        <p className="hint">{tunnelName} asks.</p>
        <label className="stack">
          {prompt.prompt}
          <input type={prompt.echo ? 'text' : 'password'} value={secret} onChange={(e) => setSecret(e.target.value)} data-autofocus autoComplete="off" />
        </label>
        <div className="buttons">
          <button type="submit" className="primary">OK</button>
          <button type="button" onClick={() => answer({ secret: null })}>Cancel</button>
        </div>
      </form>
    </Dialog>
  );
}

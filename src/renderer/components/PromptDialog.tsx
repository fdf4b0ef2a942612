import { useState } from 'react';
import type { ContractClient, Prompt } from '../../shared/contract.js';

/** Questions from the engine: unknown host keys, passwords, passphrases, keyboard-interactive. */
export function PromptDialog({ client, prompt, tunnelName }: { client: ContractClient; prompt: Prompt; tunnelName: string }) {
  const [secret, setSecret] = useState('');
  const answer = (a: 'accept-once' | 'accept-always' | 'reject' | { secret: string | null }): void => {
    setSecret('');
    void client.invoke('prompts.answer', { id: prompt.id, answer: a });
  };
  if (prompt.kind === 'host-key') {
    const name = prompt.port === 22 ? prompt.host : `[${prompt.host}]:${prompt.port}`;
    return (
      <div className="dialog-backdrop">
        <div role="alertdialog" aria-modal="true" aria-labelledby="hk-title" aria-describedby="hk-body" className="dialog">
          <h2 id="hk-title">Unknown host key for {name}</h2>
          <div id="hk-body">
            <p>
              {tunnelName} is connecting to <strong>{name}</strong>{prompt.hop > 0 ? ` (hop ${prompt.hop + 1})` : ''} for the first time. Check that this fingerprint is the server's before trusting it:
            </p>
            <p className="fingerprint">
              {prompt.keyType} <code data-testid="fingerprint">{prompt.fingerprint}</code>
            </p>
            {prompt.otherTypes.length > 0 && <p>This host is already known with another key type ({prompt.otherTypes.join(', ')}).</p>}
          </div>
          <div className="buttons">
            <button type="button" onClick={() => answer('accept-always')}>Trust and remember</button>
            <button type="button" onClick={() => answer('accept-once')}>Trust this time</button>
            <button type="button" className="danger" onClick={() => answer('reject')} autoFocus>Reject</button>
          </div>
        </div>
      </div>
    );
  }
  const title = prompt.kind === 'passphrase' ? `Passphrase for ${prompt.keyFile ?? 'a key'}` : `${prompt.user}@${prompt.host}`;
  return (
    <div className="dialog-backdrop">
      <form
        role="dialog"
        aria-modal="true"
        aria-labelledby="secret-title"
        className="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          answer({ secret });
        }}
      >
        <h2 id="secret-title">{title}</h2>
        <label>
          {prompt.prompt}
          <input type={prompt.echo ? 'text' : 'password'} value={secret} onChange={(e) => setSecret(e.target.value)} autoFocus autoComplete="off" />
        </label>
        <div className="buttons">
          <button type="submit">OK</button>
          <button type="button" onClick={() => answer({ secret: null })}>Cancel</button>
        </div>
      </form>
    </div>
  );
}

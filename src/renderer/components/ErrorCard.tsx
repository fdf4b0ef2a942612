import type { ErrorInfo } from '../../shared/errors.js';
import type { Profile } from '../../shared/profile.js';
import type { TunnelState } from '../../shared/tunnel.js';
import { countdown } from '../format.js';
import { explainError, hopOf } from '../lib/explain-error.js';
import { useNow } from '../lib/use-now.js';

interface Props {
  error: ErrorInfo;
  profile: Profile;
  state: TunnelState;
  retryAt: number | null;
  disabled: boolean;
  onRetry(): void;
  onEdit(): void;
  /** `hop`: which hop asked (0 = the first jump host), when the error says; the password is filed for it alone. */
  onSecret(kind: 'password' | 'passphrase', keyFile: string | null, hop?: number | null): void;
}

/**
 * The one error card of a tunnel: what failed in plain words, what was tried, and the next
 * actions as buttons — with a live countdown to the engine's own next retry.
 */
export function ErrorCard({ error, profile, state, retryAt, disabled, onRetry, onEdit, onSecret }: Props) {
  const e = explainError(error, profile);
  const retrying = state === 'reconnecting' && retryAt !== null;
  const now = useNow(retrying, 250);
  const severe = error.code === 'HOST_KEY_MISMATCH' || error.code === 'HOST_KEY_REVOKED';
  return (
    <section className={`error-card${severe ? ' alarm' : ''}${state === 'reconnecting' || state === 'connecting' ? ' transient' : ''}`} aria-labelledby="error-title" data-code={error.code}>
      <h3 id="error-title" className="error-title">{e.title}</h3>
      {retrying && (
        <p className="retry-countdown" data-testid="retry-countdown" aria-live="off">
          Trying again {countdown(retryAt, now)}.
        </p>
      )}
      {state === 'connecting' && <p className="retry-countdown">Trying again now…</p>}
      {e.tried.length > 0 && (
        <div className="tried">
          <p>Tried, in this order:</p>
          <ul>
            {e.tried.map((t) => (
              <li key={t}>{t}</li>
            ))}
          </ul>
        </div>
      )}
      {e.hostKey && (
        <table className="host-keys">
          <caption className="sr-only">Host keys</caption>
          <tbody>
            <tr>
              <th scope="row">The server offered</th>
              <td><code>{e.hostKey.offered}</code></td>
            </tr>
            {e.hostKey.known.map((k) => (
              <tr key={k.where}>
                <th scope="row">known_hosts has (<code>{k.where}</code>)</th>
                <td><code>{k.key}</code></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <details className="error-detail">
        <summary>Details ({error.code})</summary>
        <p>{e.detail}</p>
      </details>
      <div className="buttons">
        {e.actions.includes('retry') && (
          <button type="button" className="primary" disabled={disabled} onClick={onRetry}>Retry now</button>
        )}
        {e.actions.includes('password') && (
          <button type="button" disabled={disabled} onClick={() => onSecret('password', null, hopOf(profile, error.message))}>Add password</button>
        )}
        {e.actions.includes('passphrase') && (
          <button type="button" disabled={disabled} onClick={() => onSecret('passphrase', e.keyFile)}>Add passphrase</button>
        )}
        {e.actions.includes('edit') && (
          <button type="button" disabled={disabled} onClick={onEdit}>Edit tunnel</button>
        )}
      </div>
    </section>
  );
}

import { useState } from 'react';
import type { CommandOutput, ContractClient } from '../../shared/contract.js';
import { describeForward } from '../../shared/profile.js';
import { newSavedProfile } from '../../shared/saved-profile.js';

type Imported = CommandOutput<'sshConfig.import'>;

interface Props {
  client: ContractClient;
  result: Imported;
  /** Names already saved: offered unticked, marked as present. */
  existingNames: Set<string>;
  onDone(imported: number): void;
  onUseHost(alias: string): void;
  onCancel(): void;
}

/**
 * ~/.ssh/config as a table: hosts with forwards are tunnels to import (tick, see the forwards and
 * warnings, import the selection); hosts without forwards are listed apart as servers and jump
 * hosts, each one click from a new tunnel through it.
 */
export function ImportTable({ client, result, existingNames, onDone, onUseHost, onCancel }: Props) {
  const tunnels = result.profiles.filter((p) => p.forwards.length > 0);
  const servers = result.profiles.filter((p) => p.forwards.length === 0);
  const [picked, setPicked] = useState<Set<string>>(() => new Set(tunnels.filter((t) => !existingNames.has(t.name)).map((t) => t.name)));
  const [error, setError] = useState<string | null>(null);
  const [working, setWorking] = useState(false);

  const importSelected = async (): Promise<void> => {
    setWorking(true);
    setError(null);
    let done = 0;
    for (const p of tunnels.filter((t) => picked.has(t.name))) {
      const { name, warnings: _w, ...profile } = p;
      const r = await client.invoke('profiles.save', { profile: newSavedProfile(name, profile, { group: 'Imported' }) });
      if (!r.ok) {
        setError(`${name}: ${r.error.message}`);
        setWorking(false);
        return;
      }
      done++;
    }
    setWorking(false);
    onDone(done);
  };

  const toggle = (name: string, on: boolean): void =>
    setPicked((s) => {
      const next = new Set(s);
      if (on) next.add(name);
      else next.delete(name);
      return next;
    });

  return (
    <section className="import" aria-labelledby="import-title">
      <h2 id="import-title">Import from ~/.ssh/config</h2>
      {tunnels.length === 0 ? (
        <p>No host in the file has a LocalForward, RemoteForward or DynamicForward. Start a new tunnel through one of the servers below instead.</p>
      ) : (
        <div className="table-scroll">
          <table className="import-table">
            <caption className="sr-only">Hosts with forwards</caption>
            <thead>
              <tr>
                <th scope="col">
                  <input
                    type="checkbox"
                    aria-label="Select all"
                    checked={picked.size === tunnels.length}
                    onChange={(e) => setPicked(e.target.checked ? new Set(tunnels.map((t) => t.name)) : new Set())}
                  />
                </th>
                <th scope="col">Host</th>
                <th scope="col">Forwards</th>
                <th scope="col">Warnings</th>
              </tr>
            </thead>
            <tbody>
              {tunnels.map((t) => (
                <tr key={t.name} data-import={t.name}>
                  <td>
                    <input type="checkbox" aria-label={`Import ${t.name}`} checked={picked.has(t.name)} onChange={(e) => toggle(t.name, e.target.checked)} />
                  </td>
                  <th scope="row">
                    {t.name}
                    {existingNames.has(t.name) && <span className="muted"> (already saved)</span>}
                    <span className="import-host">{t.user ? `${t.user}@` : ''}{t.host}{t.port !== 22 ? `:${t.port}` : ''}{t.jumps.length > 0 ? ` via ${t.jumps.map((j) => j.host).join(', ')}` : ''}</span>
                  </th>
                  <td>
                    <ul className="plain">
                      {t.forwards.map((f, i) => (
                        <li key={i}>{describeForward(f)}</li>
                      ))}
                    </ul>
                  </td>
                  <td>{t.warnings.length === 0 ? <span className="muted">none</span> : <ul className="plain warning">{t.warnings.map((w, i) => <li key={i}>{w}</li>)}</ul>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {servers.length > 0 && (
        <>
          <h3>Servers and jump hosts (no forwards)</h3>
          <ul className="server-list">
            {servers.map((s) => (
              <li key={s.name}>
                <span>
                  <strong>{s.name}</strong> <span className="muted">{s.user ? `${s.user}@` : ''}{s.host}{s.port !== 22 ? `:${s.port}` : ''}</span>
                </span>
                <button type="button" className="quiet" onClick={() => onUseHost(s.name)} aria-label={`New tunnel through ${s.name}`}>New tunnel</button>
              </li>
            ))}
          </ul>
        </>
      )}
      {(result.problems.length > 0 || result.skipped.length > 0) && (
        <details className="config-notes">
          <summary>{result.problems.length + result.skipped.length} note{result.problems.length + result.skipped.length === 1 ? '' : 's'} about the file</summary>
          <ul className="plain">
            {result.problems.map((p, i) => (
              <li key={`p${i}`}>{p.file}:{p.line}: {p.message}</li>
            ))}
            {result.skipped.map((s, i) => (
              <li key={`s${i}`}>{s}</li>
            ))}
          </ul>
        </details>
      )}
      {error && <p className="field-error" role="alert">{error}</p>}
      <div className="buttons">
        {tunnels.length > 0 && (
          <button type="button" className="primary" disabled={picked.size === 0 || working} onClick={() => void importSelected()}>
            Import selected ({picked.size})
          </button>
        )}
        <button type="button" onClick={onCancel}>Close</button>
      </div>
    </section>
  );
}

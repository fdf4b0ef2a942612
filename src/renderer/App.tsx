import { useCallback, useEffect, useState } from 'react';
import type { ContractClient } from '../shared/contract.js';
import type { SavedProfile } from '../shared/saved-profile.js';
import { ProfileEditor } from './components/ProfileEditor.js';
import { PromptDialog } from './components/PromptDialog.js';
import { TunnelDetail } from './components/TunnelDetail.js';
import { TunnelList } from './components/TunnelList.js';
import { useDashboard } from './store.js';

type Editing = { existing: SavedProfile | null; command?: string; name?: string } | null;

interface Importable {
  name: string;
  command: string;
}

export function App({ client }: { client: ContractClient }) {
  const { state, actions } = useDashboard(client);
  const [selected, setSelected] = useState<string | null>(null);
  const [editing, setEditing] = useState<Editing>(null);
  const [importable, setImportable] = useState<Importable[] | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const toggle = useCallback(
    async (id: string, start: boolean): Promise<void> => {
      const r = await client.invoke(start ? 'tunnels.start' : 'tunnels.stop', { id });
      if (!r.ok) setNotice(r.error.message);
      await actions.reloadStatuses();
    },
    [client, actions],
  );
  const onToggle = useCallback((id: string, start: boolean) => void toggle(id, start), [toggle]);

  const importConfig = async (): Promise<void> => {
    const r = await client.invoke('sshConfig.import', {});
    if (!r.ok) return setNotice(r.error.message);
    const list: Importable[] = [];
    for (const p of r.value.profiles) {
      const { name, warnings: _w, ...profile } = p;
      const e = await client.invoke('ssh.export', { profile, name });
      if (e.ok) list.push({ name, command: e.value.command });
    }
    setImportable(list);
  };

  useEffect(() => {
    if (performance.getEntriesByName('tv-batch-start', 'mark').length > 0) {
      performance.measure('tv-batch', 'tv-batch-start');
      performance.clearMarks('tv-batch-start');
    }
  }, [state.stats]);

  const current = state.profiles.find((p) => p.id === selected) ?? null;
  const prompt = state.prompts[0];

  return (
    <div className="app">
      <header className="app-head">
        <h1>Tunnelvision</h1>
        {!state.connected && <span className="offline" role="status">Reconnecting to the engine…</span>}
        <nav aria-label="Actions">
          <button type="button" onClick={() => setEditing({ existing: null })}>New tunnel</button>
          <button type="button" onClick={() => void importConfig()}>Import ~/.ssh/config</button>
        </nav>
      </header>
      {notice && (
        <p className="notice" role="alert">
          {notice} <button type="button" onClick={() => setNotice(null)} aria-label="Dismiss">×</button>
        </p>
      )}
      {state.profilesError && (
        <p className="error-box" role="alert">
          <strong>{state.profilesError.code}</strong>: {state.profilesError.message}
        </p>
      )}
      <main className="layout">
        {state.profiles.length === 0 && !editing ? (
          <section className="empty" aria-label="Getting started">
            <h2>No tunnels yet</h2>
            <p>Paste an ssh command you already use — Tunnelvision keeps it alive and shows where its traffic goes.</p>
            <p>
              <button type="button" onClick={() => setEditing({ existing: null })}>Paste an ssh command</button> or{' '}
              <button type="button" onClick={() => void importConfig()}>import ~/.ssh/config</button>
            </p>
            <p className="hint"><code>ssh -N -L 8080:localhost:80 user@server</code> · <code>ssh -N -D 1080 -J bastion user@server</code></p>
          </section>
        ) : (
          <TunnelList profiles={state.profiles} status={state.status} stats={state.stats} selected={selected} onSelect={setSelected} onToggle={onToggle} />
        )}
        <div className="pane">
          {editing ? (
            <ProfileEditor
              client={client}
              existing={editing.existing}
              {...(editing.command !== undefined ? { initialCommand: editing.command } : {})}
              {...(editing.name !== undefined ? { initialName: editing.name } : {})}
              revision={state.revision}
              onSaved={(p) => {
                setEditing(null);
                setSelected(p.id);
                void actions.reloadProfiles().then(actions.reloadStatuses);
              }}
              onCancel={() => setEditing(null)}
            />
          ) : importable ? (
            <section aria-label="Hosts in ~/.ssh/config">
              <h2>Hosts in ~/.ssh/config</h2>
              {importable.length === 0 && <p>No hosts found.</p>}
              <ul className="import-list">
                {importable.map((h) => (
                  <li key={h.name}>
                    <strong>{h.name}</strong> <code>{h.command}</code>{' '}
                    <button type="button" onClick={() => (setImportable(null), setEditing({ existing: null, command: h.command, name: h.name }))}>Use</button>
                  </li>
                ))}
              </ul>
              <button type="button" onClick={() => setImportable(null)}>Close</button>
            </section>
          ) : current ? (
            <TunnelDetail
              client={client}
              profile={current}
              status={state.status[current.id]}
              stats={state.stats[current.id]}
              history={state.history[current.id] ?? []}
              logs={state.logs[current.id] ?? []}
              onEdit={() => setEditing({ existing: current })}
              onDelete={() => {
                if (!confirm(`Delete ${current.name}?`)) return;
                void client.invoke('profiles.delete', { id: current.id }).then(() => {
                  setSelected(null);
                  void actions.reloadProfiles();
                });
              }}
            />
          ) : state.profiles.length > 0 ? (
            <p className="pick">Pick a tunnel to see where its traffic goes.</p>
          ) : null}
        </div>
      </main>
      {prompt && <PromptDialog client={client} prompt={prompt} tunnelName={state.profiles.find((p) => p.id === prompt.tunnel)?.name ?? 'A tunnel'} />}
    </div>
  );
}

import { useCallback, useEffect, useState } from 'react';
import type { CommandOutput, ContractClient } from '../shared/contract.js';
import type { SavedProfile } from '../shared/saved-profile.js';
import { Dialog } from './components/Dialog.js';
import { ImportTable } from './components/ImportTable.js';
import { ProfileEditor } from './components/ProfileEditor.js';
import { PromptDialog } from './components/PromptDialog.js';
import { SecretDialog } from './components/SecretDialog.js';
import { TunnelDetail } from './components/TunnelDetail.js';
import { isRunning, TunnelList } from './components/TunnelList.js';
import { openConnections } from './format.js';
import { copyText } from './lib/clipboard.js';
import { hopDisplayName } from './lib/explain-error.js';
import { useMedia } from './lib/use-media.js';
import { useDashboard } from './store.js';

type Editing = { existing: SavedProfile | null; command?: string; name?: string } | null;
type Toast = { id: number; text: string; undo?: () => void };

/** Below this width the list and the detail take turns (list → detail → back). */
const NARROW = '(max-width: 879px)';

export function App({ client }: { client: ContractClient }) {
  const { state, actions } = useDashboard(client);
  const [selected, setSelected] = useState<string | null>(null);
  const [editing, setEditing] = useState<Editing>(null);
  const [importing, setImporting] = useState<CommandOutput<'sshConfig.import'> | null>(null);
  const [toast, setToast] = useState<Toast | null>(null);
  const [deleting, setDeleting] = useState<SavedProfile | null>(null);
  const [secretFor, setSecretFor] = useState<{ profile: SavedProfile; kind: 'password' | 'passphrase'; keyFile: string | null; hop: number | null } | null>(null);
  const narrow = useMedia(NARROW);
  const offline = state.link === 'lost';

  const say = useCallback((text: string, undo?: () => void) => setToast({ id: Date.now(), text, ...(undo ? { undo } : {}) }), []);

  const run = useCallback(
    async (command: 'tunnels.start' | 'tunnels.stop' | 'tunnels.restart' | 'tunnels.retry', id: string): Promise<void> => {
      const r = await client.invoke(command, { id });
      if (!r.ok) say(r.error.message);
      await actions.reloadStatuses();
    },
    [client, actions, say],
  );
  const onToggle = useCallback((id: string, start: boolean) => void run(start ? 'tunnels.start' : 'tunnels.stop', id), [run]);
  const onToggleGroup = useCallback(
    (ids: string[], start: boolean) => {
      for (const id of ids) {
        const running = isRunning(state.status[id]?.state ?? 'stopped');
        if (running !== start) void run(start ? 'tunnels.start' : 'tunnels.stop', id);
      }
    },
    [run, state.status],
  );
  const onCopied = useCallback((text: string) => say(`Copied ${text.split('\n')[0]}${text.includes('\n') ? ' and the matching curl and environment lines' : ''}`), [say]);

  const startImport = async (): Promise<void> => {
    const r = await client.invoke('sshConfig.import', {});
    if (!r.ok) return say(r.error.message);
    setEditing(null);
    setImporting(r.value);
  };

  const openTunnel = useCallback(
    (id: string) => {
      setSelected(id);
      setEditing(null);
      setImporting(null);
    },
    [],
  );

  // A notice goes away by itself; one with Undo stays long enough to reach the button.
  useEffect(() => {
    if (!toast) return;
    const timer = setTimeout(() => setToast((t) => (t?.id === toast.id ? null : t)), toast.undo ? 15_000 : 6_000);
    return () => clearTimeout(timer);
  }, [toast]);

  // Escape closes the editor or the import (dialogs handle their own Escape first).
  useEffect(() => {
    if (!editing && !importing) return;
    const onKey = (e: KeyboardEvent): void => {
      if (e.key !== 'Escape' || e.defaultPrevented || document.querySelector('.dialog')) return;
      setEditing(null);
      setImporting(null);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [editing, importing]);

  useEffect(() => {
    if (selected && !offline) void actions.loadTunnel(selected);
  }, [selected, offline, actions]);

  useEffect(() => {
    if (performance.getEntriesByName('tv-batch-start', 'mark').length > 0) {
      performance.measure('tv-batch', 'tv-batch-start');
      performance.clearMarks('tv-batch-start');
    }
  }, [state.stats]);

  const current = state.profiles.find((p) => p.id === selected) ?? null;
  const prompt = offline ? undefined : state.prompts[0];

  const confirmDelete = async (p: SavedProfile): Promise<void> => {
    const wasRunning = isRunning(state.status[p.id]?.state ?? 'stopped');
    setDeleting(null);
    const r = await client.invoke('profiles.delete', { id: p.id });
    if (!r.ok) return say(r.error.message);
    setSelected(null);
    await actions.reloadProfiles();
    await actions.reloadStatuses();
    say(`Deleted ${p.name}${wasRunning ? ' and stopped it' : ''}.`, () => {
      const { id: _id, ...draft } = p;
      void client.invoke('profiles.save', { profile: draft }).then(async (s) => {
        if (!s.ok) return say(s.error.message);
        await actions.reloadProfiles();
        if (wasRunning) await run('tunnels.start', s.value.id);
        setSelected(s.value.id);
        say(`Restored ${p.name}.`);
      });
    });
  };

  const firstRun = state.profiles.length === 0 && state.link === 'connected' && !state.profilesError;
  const pane = editing ? (
    <ProfileEditor
      key={editing.existing?.id ?? 'new'}
      client={client}
      existing={editing.existing}
      running={editing.existing ? isRunning(state.status[editing.existing.id]?.state ?? 'stopped') : false}
      {...(editing.command !== undefined ? { initialCommand: editing.command } : {})}
      {...(editing.name !== undefined ? { initialName: editing.name } : {})}
      revision={state.revision}
      onSaved={(p, restart) => {
        setEditing(null);
        setSelected(p.id);
        void actions.reloadProfiles().then(async () => {
          if (restart) await run('tunnels.restart', p.id);
          else await actions.reloadStatuses();
        });
      }}
      onCancel={() => setEditing(null)}
    />
  ) : importing ? (
    <ImportTable
      client={client}
      result={importing}
      existingNames={new Set(state.profiles.map((p) => p.name))}
      onDone={(n) => {
        setImporting(null);
        say(`Imported ${n} tunnel${n === 1 ? '' : 's'}.`);
        void actions.reloadProfiles().then(actions.reloadStatuses);
      }}
      onUseHost={(alias) => {
        setImporting(null);
        setEditing({ existing: null, command: `ssh -N -L 8080:localhost:80 ${alias}` });
      }}
      onCancel={() => setImporting(null)}
    />
  ) : current ? (
    <TunnelDetail
      key={current.id}
      client={client}
      profile={current}
      status={state.status[current.id]}
      stats={state.stats[current.id]}
      history={state.history[current.id] ?? []}
      logs={state.logs[current.id] ?? []}
      offline={offline}
      onToggle={(start) => onToggle(current.id, start)}
      onRestart={() => void run('tunnels.restart', current.id)}
      onRetry={() => void run('tunnels.retry', current.id)}
      onEdit={() => setEditing({ existing: current })}
      onDelete={() => setDeleting(current)}
      onSecret={(kind, keyFile, hop) => setSecretFor({ profile: current, kind, keyFile, hop: hop ?? null })}
      onCopied={onCopied}
      {...(narrow ? { onBack: () => setSelected(null) } : {})}
    />
  ) : null;

  const showPane = pane !== null;
  const showList = !firstRun && (!narrow || !showPane);
  const deletingStatus = deleting ? state.status[deleting.id] : undefined;

  return (
    <>
      <div className={`app${offline ? ' offline' : ''}${narrow ? ' narrow' : ''}`}>
        <header className="app-head">
          <h1>
            <img src="./favicon.svg" alt="" width="22" height="22" /> Tunnelvision
          </h1>
          <span className={`link link-${state.link}`} role="status" data-testid="engine-link">
            {state.link === 'connected' ? 'Engine connected' : state.link === 'connecting' ? 'Connecting to the engine…' : 'Engine not reachable'}
          </span>
          <nav aria-label="Actions">
            <button type="button" className="primary" disabled={offline} onClick={() => (setImporting(null), setEditing({ existing: null }))}>New tunnel</button>
            <button type="button" disabled={offline} onClick={() => void startImport()}>Import ~/.ssh/config</button>
          </nav>
        </header>
        {offline && (
          <div className="offline-banner" role="alert" data-testid="offline-banner">
            <strong>Lost the connection to the Tunnelvision engine</strong> at {new Date(state.linkSince).toLocaleTimeString()}. Nothing below is current, and
            actions are off until it is back. This page retries {location.host ? <code>{location.host}</code> : 'the engine'} every second and picks up by itself.
            To get it back, run <code>tunnelvision web</code> again with the same config dir (it keeps this address).
          </div>
        )}
        {state.profilesError && (
          <p className="error-box" role="alert">
            <strong>{state.profilesError.code}</strong>: {state.profilesError.message}
          </p>
        )}
        <main className={`layout${showPane ? ' with-pane' : ''}`} aria-busy={state.link === 'connecting'}>
          {firstRun && !showPane && (
            <section className="empty" aria-labelledby="empty-title">
              <h2 id="empty-title">Keep your SSH tunnels up, and see where they go</h2>
              <p>Start from what you already use:</p>
              <ol className="steps">
                <li>
                  <button type="button" className="primary" onClick={() => setEditing({ existing: null })}>Paste an ssh command</button>
                  <span>e.g. <code>ssh -N -L 8080:localhost:80 user@server</code> or <code>ssh -N -D 1080 -J bastion user@server</code></span>
                </li>
                <li>
                  <button type="button" onClick={() => void startImport()}>Import ~/.ssh/config</button>
                  <span>hosts with LocalForward, RemoteForward or DynamicForward become tunnels</span>
                </li>
                <li>
                  <button type="button" onClick={() => void copyText('npx tunnelvision web --demo').then((ok) => ok && say('Copied npx tunnelvision web --demo'))}>Copy the demo command</button>
                  <span><code>npx tunnelvision web --demo</code> shows sample tunnels of every kind with live traffic, no server needed</span>
                </li>
              </ol>
            </section>
          )}
          {showList && (
            <TunnelList
              profiles={state.profiles}
              status={state.status}
              stats={state.stats}
              selected={selected}
              offline={offline}
              onSelect={openTunnel}
              onToggle={onToggle}
              onToggleGroup={onToggleGroup}
              onCopied={onCopied}
            />
          )}
          {showPane ? (
            <div className="pane">{pane}</div>
          ) : (
            !firstRun && !narrow && state.profiles.length > 0 && <p className="pick pane">Pick a tunnel to see where its traffic goes — or press ↓ in the list and Enter.</p>
          )}
        </main>
        <div className="toasts" aria-live="polite">
          {toast && (
            <p className="toast" key={toast.id}>
              {toast.text}
              {toast.undo && (
                <button type="button" onClick={() => (setToast(null), toast.undo!())}>Undo</button>
              )}
              <button type="button" className="quiet" aria-label="Dismiss" onClick={() => setToast(null)}>×</button>
            </p>
          )}
        </div>
      </div>
      {prompt && <PromptDialog client={client} prompt={prompt} tunnelName={state.profiles.find((p) => p.id === prompt.tunnel)?.name ?? 'A tunnel'} />}
      {deleting && (
        <Dialog role="alertdialog" labelledBy="del-title" describedBy="del-body" onEscape={() => setDeleting(null)}>
          <h2 id="del-title">Delete {deleting.name}?</h2>
          <p id="del-body">
            {isRunning(deletingStatus?.state ?? 'stopped')
              ? (state.stats[deleting.id]?.connections ?? 0) > 0
                ? `It is running now: deleting stops it and closes its ${openConnections(state.stats[deleting.id]!.connections)}.`
                : 'It is running now: deleting stops it.'
              : 'It is not running.'}{' '}
            You can undo this right after.
          </p>
          <div className="buttons">
            <button type="button" className="danger-solid" onClick={() => void confirmDelete(deleting)}>Delete</button>
            <button type="button" onClick={() => setDeleting(null)} data-autofocus>Cancel</button>
          </div>
        </Dialog>
      )}
      {secretFor && (
        <SecretDialog
          client={client}
          profileId={secretFor.profile.id}
          tunnelName={secretFor.profile.name}
          kind={secretFor.kind}
          keyFile={secretFor.keyFile}
          hop={secretFor.hop}
          hopName={hopDisplayName(secretFor.profile, secretFor.hop)}
          onCancel={() => setSecretFor(null)}
          onDone={() => {
            const id = secretFor.profile.id;
            setSecretFor(null);
            void run('tunnels.retry', id);
          }}
        />
      )}
    </>
  );
}

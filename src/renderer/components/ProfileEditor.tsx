import { useEffect, useState } from 'react';
import type { ContractClient } from '../../shared/contract.js';
import { describeForward, type Profile } from '../../shared/profile.js';
import type { SavedProfile } from '../../shared/saved-profile.js';
import { newSavedProfile, runnable } from '../../shared/saved-profile.js';

interface Props {
  client: ContractClient;
  /** The profile being edited; null for a new one. */
  existing: SavedProfile | null;
  initialCommand?: string;
  initialName?: string;
  revision: number;
  onSaved(profile: SavedProfile): void;
  onCancel(): void;
}

/**
 * The profile editor. The ssh command line is the source of truth (paste one and the form
 * fills); it is checked as you type by the same parser the CLI uses, and the equivalent
 * command is shown normalised. Secrets typed here go to the keychain and are never shown again.
 */
export function ProfileEditor({ client, existing, initialCommand = '', initialName = '', revision, onSaved, onCancel }: Props) {
  const [name, setName] = useState(existing?.name ?? initialName);
  const [group, setGroup] = useState(existing?.group ?? '');
  const [notes, setNotes] = useState(existing?.notes ?? '');
  const [startAtLaunch, setStartAtLaunch] = useState(existing?.startAtLaunch ?? false);
  const [lazy, setLazy] = useState(existing?.lazy ?? false);
  const [command, setCommand] = useState(initialCommand);
  const [parsed, setParsed] = useState<{ profile: Profile; warnings: string[] } | null>(null);
  const [commandError, setCommandError] = useState<string | null>(null);
  const [equivalent, setEquivalent] = useState('');
  const [password, setPassword] = useState('');
  const [saveError, setSaveError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    if (existing) {
      void client.invoke('ssh.export', { profile: runnable(existing), name: existing.name }).then((r) => r.ok && setCommand(r.value.command));
    }
  }, [client, existing]);

  useEffect(() => {
    if (command.trim() === '') {
      setParsed(null);
      setCommandError(null);
      setEquivalent('');
      return;
    }
    let live = true;
    const timer = setTimeout(async () => {
      const r = await client.invoke('ssh.parse', { command });
      if (!live) return;
      if (!r.ok) {
        setParsed(null);
        setCommandError(r.error.message);
        setEquivalent('');
        return;
      }
      setParsed(r.value);
      setCommandError(null);
      const e = await client.invoke('ssh.export', { profile: r.value.profile, name: name || 'tunnel' });
      if (live && e.ok) setEquivalent(e.value.command);
    }, 150);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [client, command, name]);

  const nameError = name.trim() === '' ? 'Give the tunnel a name' : null;
  const canSave = !nameError && parsed !== null && !saving;

  const save = async (): Promise<void> => {
    if (!parsed) return;
    setSaving(true);
    setSaveError(null);
    const base = newSavedProfile(name.trim(), { ...parsed.profile, lazy }, { group: group.trim() || null });
    const draft = { ...base, notes, startAtLaunch, ...(existing ? { id: existing.id, tags: existing.tags, authMethod: existing.authMethod } : {}) };
    const r = await client.invoke('profiles.save', existing ? { profile: draft, expectedRevision: revision } : { profile: draft });
    if (!r.ok) {
      setSaving(false);
      setSaveError(r.error.message);
      return;
    }
    if (password) {
      const s = await client.invoke('secrets.set', { profileId: r.value.id, kind: 'password', secret: password });
      setPassword('');
      if (s.ok && !s.value.stored) setSaveError(`Saved, but the password was not stored: ${s.value.unavailable}`);
    }
    setSaving(false);
    onSaved(r.value);
  };

  return (
    <form
      className="editor"
      aria-label={existing ? `Edit ${existing.name}` : 'New tunnel'}
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <h2>{existing ? `Edit ${existing.name}` : 'New tunnel'}</h2>
      <label>
        Name
        <input value={name} onChange={(e) => setName(e.target.value)} aria-invalid={nameError !== null} aria-describedby="name-error" autoFocus />
      </label>
      {nameError && <span id="name-error" className="field-error">{nameError}</span>}
      <label>
        ssh command (paste one)
        <textarea
          value={command}
          onChange={(e) => setCommand(e.target.value)}
          rows={3}
          spellCheck={false}
          placeholder="ssh -N -L 8080:localhost:80 user@server"
          aria-invalid={commandError !== null}
          aria-describedby="command-error"
        />
      </label>
      {commandError && (
        <span id="command-error" className="field-error" role="alert">
          {commandError}
        </span>
      )}
      {parsed && (
        <div className="parsed" aria-label="What this command does">
          <p>
            Server: <strong>{parsed.profile.user ? `${parsed.profile.user}@` : ''}{parsed.profile.host}</strong> port {parsed.profile.port}
            {parsed.profile.jumps.length > 0 && <> via {parsed.profile.jumps.map((j) => j.host).join(' → ')}</>}
          </p>
          <ul>
            {parsed.profile.forwards.map((f, i) => (
              <li key={i}>{describeForward(f)}</li>
            ))}
          </ul>
          {parsed.warnings.map((w, i) => (
            <p key={i} className="warning">{w}</p>
          ))}
          <p className="equivalent">
            Equivalent: <code data-testid="equivalent-command">{equivalent}</code>
          </p>
        </div>
      )}
      <label>
        Group
        <input value={group} onChange={(e) => setGroup(e.target.value)} />
      </label>
      <label>
        Notes
        <textarea value={notes} onChange={(e) => setNotes(e.target.value)} rows={2} />
      </label>
      <label className="check">
        <input type="checkbox" checked={startAtLaunch} onChange={(e) => setStartAtLaunch(e.target.checked)} /> Start when Tunnelvision starts
      </label>
      <label className="check">
        <input type="checkbox" checked={lazy} onChange={(e) => setLazy(e.target.checked)} /> Lazy: connect on first use
      </label>
      <label>
        Password (stored in the system keychain, never shown again)
        <input type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
      </label>
      {saveError && <p className="field-error" role="alert">{saveError}</p>}
      <div className="buttons">
        <button type="submit" disabled={!canSave}>Save</button>
        <button type="button" onClick={onCancel}>Cancel</button>
      </div>
    </form>
  );
}

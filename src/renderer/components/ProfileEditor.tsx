import { useEffect, useMemo, useState } from 'react';
import type { ContractClient } from '../../shared/contract.js';
import { describeForward, type Profile } from '../../shared/profile.js';
import type { SavedProfile } from '../../shared/saved-profile.js';
import { newSavedProfile, runnable } from '../../shared/saved-profile.js';
import { entrancesOf } from '../lib/entrances.js';
import { refusedOption, removeOption } from '../lib/fix-command.js';
import { suggestName } from '../lib/suggest-name.js';

interface Props {
  client: ContractClient;
  /** The profile being edited; null for a new one. */
  existing: SavedProfile | null;
  /** Whether the tunnel being edited runs now: then saving offers Save & restart. */
  running?: boolean;
  initialCommand?: string;
  initialName?: string;
  revision: number;
  /** `restart`: the caller restarts the tunnel so what runs is what was saved. */
  onSaved(profile: SavedProfile, restart: boolean): void;
  onCancel(): void;
}

/** Names as typed beside what ~/.ssh/config makes of them: "prod → 10.0.0.5:2222". */
function Resolved({ typed, resolved }: { typed: Profile; resolved: Profile }) {
  const pairs: [string, string][] = [];
  if (typed.host !== resolved.host || typed.port !== resolved.port) pairs.push([typed.host, `${resolved.host}:${resolved.port}`]);
  typed.jumps.forEach((j, i) => {
    const r = resolved.jumps[i];
    if (r && (r.host !== j.host || r.port !== j.port)) pairs.push([j.host, `${r.host}:${r.port}`]);
  });
  if (pairs.length === 0) return null;
  return (
    <p className="resolved" data-testid="resolved">
      From ~/.ssh/config:{' '}
      {pairs.map(([alias, to], i) => (
        <span key={alias}>
          {i > 0 && ', '}
          <strong>{alias}</strong> → <code>{to}</code>
        </span>
      ))}
    </p>
  );
}

/** Warnings about ~/.ssh/config as a whole (not this host) go under a disclosure, not under every command. */
const CONFIG_WIDE = /Match exec|was not run|Include .* (loop|not found)|\.ssh\/config:\d+: unknown/i;

/**
 * The profile editor. The ssh command line is the source of truth (paste one and the form
 * fills); it is checked as you type by the same parser the CLI uses, the equivalent command is
 * shown normalised, exposure is warned about while typing, and a name is suggested. Errors
 * appear once a field was touched. Secrets typed here go to the keychain and are never shown again.
 */
export function ProfileEditor({ client, existing, running = false, initialCommand = '', initialName = '', revision, onSaved, onCancel }: Props) {
  const [name, setName] = useState(existing?.name ?? initialName);
  const [group, setGroup] = useState(existing?.group ?? '');
  const [tags, setTags] = useState((existing?.tags ?? []).join(', '));
  const [notes, setNotes] = useState(existing?.notes ?? '');
  const [startAtLaunch, setStartAtLaunch] = useState(existing?.startAtLaunch ?? false);
  const [lazy, setLazy] = useState(existing?.lazy ?? false);
  const [command, setCommand] = useState(initialCommand);
  const [parsed, setParsed] = useState<{ profile: Profile; warnings: string[] } | null>(null);
  /** The same command read without ~/.ssh/config: the names as typed, to show beside what they resolve to. */
  const [typed, setTyped] = useState<Profile | null>(null);
  const [commandError, setCommandError] = useState<string | null>(null);
  const [equivalent, setEquivalent] = useState('');
  const [password, setPassword] = useState('');
  const [saveError, setSaveError] = useState<string | null>(null);
  const [busy, setBusy] = useState<{ address: string; message: string }[]>([]);
  const [saving, setSaving] = useState(false);
  const [touched, setTouched] = useState<{ name?: boolean; command?: boolean; submit?: boolean }>({});

  useEffect(() => {
    if (existing) {
      void client.invoke('ssh.export', { profile: runnable(existing), name: existing.name }).then((r) => r.ok && setCommand(r.value.editable));
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
      setBusy([]);
      const words = command.trim().split(/\s+/);
      const raw = /(^|\s)-F\s*\S/.test(command) ? null : await client.invoke('ssh.parse', { command: [words[0], '-F', 'none', ...words.slice(1)].join(' ') });
      if (live) setTyped(raw?.ok ? raw.value.profile : null);
      const e = await client.invoke('ssh.export', { profile: r.value.profile, name: 'tunnel' });
      if (live && e.ok) setEquivalent(e.value.command);
    }, 150);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [client, command]);

  const suggestion = parsed ? suggestName(parsed.profile) : '';
  const finalName = name.trim() || suggestion;
  const nameError = finalName === '' ? 'Give the tunnel a name' : null;
  const showNameError = nameError !== null && Boolean(touched.name || touched.submit);
  const showCommandError = commandError !== null && Boolean(touched.command || touched.submit || command.length > 0);
  const canSave = nameError === null && parsed !== null && !saving;

  const exposures = useMemo(() => (parsed ? entrancesOf(parsed.profile, undefined).filter((e) => e.exposed) : []), [parsed]);
  const hostWarnings = (parsed?.warnings ?? []).filter((w) => !CONFIG_WIDE.test(w));
  const configWarnings = (parsed?.warnings ?? []).filter((w) => CONFIG_WIDE.test(w));
  const refused = commandError ? refusedOption(commandError) : null;

  const save = async (restart: boolean, force = false): Promise<void> => {
    setTouched((t) => ({ ...t, submit: true }));
    if (!parsed || nameError) return;
    setSaving(true);
    setSaveError(null);
    // A port another program holds is caught now rather than as a failure after starting.
    if (!force) {
      const check = await client.invoke('tunnels.checkBinds', { profile: parsed.profile, ...(existing ? { id: existing.id } : {}) });
      if (check.ok && check.value.busy.length > 0) {
        setBusy(check.value.busy);
        setSaving(false);
        return;
      }
    }
    const base = newSavedProfile(finalName, { ...parsed.profile, lazy }, { group: group.trim() || null });
    const tagList = [...new Set(tags.split(',').map((t) => t.trim()).filter(Boolean))];
    const draft = { ...base, notes, startAtLaunch, tags: tagList, ...(existing ? { id: existing.id, authMethod: existing.authMethod } : {}) };
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
    onSaved(r.value, restart);
  };

  const title = existing ? `Edit ${existing.name}` : 'New tunnel';
  return (
    <form
      className="editor"
      aria-label={title}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void save(running);
      }}
    >
      <h2>{title}</h2>
      <label htmlFor="ed-command">ssh command (paste one)</label>
      <textarea
        id="ed-command"
        value={command}
        onChange={(e) => setCommand(e.target.value)}
        onBlur={() => setTouched((t) => ({ ...t, command: true }))}
        rows={3}
        spellCheck={false}
        autoFocus={!existing}
        placeholder="ssh -N -L 8080:localhost:80 user@server"
        aria-invalid={showCommandError}
        aria-describedby="command-error command-hint"
      />
      <span id="command-hint" className="hint">
        UDP too: add <code>--udp-local [bind:]port:host:hostport</code> or <code>--udp-remote …</code> (relayed through the server; nothing is installed there).
      </span>
      <span id="command-error" className="field-error" role={showCommandError ? 'alert' : undefined}>
        {showCommandError ? commandError : ''}
        {showCommandError && refused && (
          <>
            {' '}
            <button type="button" className="fix" onClick={() => setCommand(removeOption(command, refused))}>
              Remove {refused}
            </button>
          </>
        )}
      </span>
      {parsed && (
        <div className="parsed" aria-label="What this command does">
          <p>
            Server: <strong>{parsed.profile.user ? `${parsed.profile.user}@` : ''}{parsed.profile.host}</strong> port {parsed.profile.port}
            {parsed.profile.jumps.length > 0 && <> via {parsed.profile.jumps.map((j) => j.host).join(' → ')}</>}
          </p>
          {typed && <Resolved typed={typed} resolved={parsed.profile} />}
          <ul>
            {parsed.profile.forwards.map((f, i) => (
              <li key={i}>{describeForward(f)}</li>
            ))}
          </ul>
          {exposures.map((e) => (
            <p key={e.forward} className="warning" role="note" data-testid="exposure-warning">
              <span aria-hidden="true">⚠ </span>
              {e.kind === 'remote' ? `${e.address} may be reachable by anyone who can reach the server.` : `Other machines will be able to connect to ${e.address} on this computer.`}
            </p>
          ))}
          {hostWarnings.map((w, i) => (
            <p key={i} className="warning">{w}</p>
          ))}
          {configWarnings.length > 0 && (
            <details className="config-notes">
              <summary>{configWarnings.length} note{configWarnings.length === 1 ? '' : 's'} about ~/.ssh/config as a whole</summary>
              {configWarnings.map((w, i) => (
                <p key={i}>{w}</p>
              ))}
            </details>
          )}
          <p className="equivalent">
            Equivalent: <code data-testid="equivalent-command">{equivalent}</code>
          </p>
        </div>
      )}
      <label htmlFor="ed-name">Name</label>
      <input
        id="ed-name"
        value={name}
        placeholder={suggestion ? `${suggestion} (suggested)` : 'e.g. Staging database'}
        onChange={(e) => setName(e.target.value)}
        onBlur={() => setTouched((t) => ({ ...t, name: true }))}
        aria-invalid={showNameError}
        aria-describedby="name-hint"
      />
      <span id="name-hint" className={showNameError ? 'field-error' : 'hint'}>
        {showNameError ? nameError : suggestion && name.trim() === '' ? `Leave empty to use “${suggestion}”.` : ''}
      </span>
      <div className="two">
        <div>
          <label htmlFor="ed-group">Group</label>
          <input id="ed-group" value={group} onChange={(e) => setGroup(e.target.value)} placeholder="e.g. Work" />
        </div>
        <div>
          <label htmlFor="ed-tags">Tags (comma-separated)</label>
          <input id="ed-tags" value={tags} onChange={(e) => setTags(e.target.value)} placeholder="e.g. db, staging" />
        </div>
      </div>
      <label htmlFor="ed-notes">Notes</label>
      <textarea id="ed-notes" value={notes} onChange={(e) => setNotes(e.target.value)} rows={2} />
      <label className="check">
        <input type="checkbox" checked={startAtLaunch} onChange={(e) => setStartAtLaunch(e.target.checked)} /> Start when Tunnelvision starts
      </label>
      <label className="check">
        <input type="checkbox" checked={lazy} onChange={(e) => setLazy(e.target.checked)} /> Lazy: connect on first use
      </label>
      <label htmlFor="ed-password">Password (stored in the system keychain, never shown again)</label>
      <input id="ed-password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
      {busy.length > 0 && (
        <div className="field-error" role="alert" data-testid="port-busy">
          {busy.map((b) => (
            <p key={b.address}>{b.message.replace(/^cannot listen on /, 'Cannot listen on ')} — another program holds it. Pick another port, or stop that program.</p>
          ))}
          <button type="button" onClick={() => void save(running, true)}>Save anyway</button>
        </div>
      )}
      {saveError && <p className="field-error" role="alert">{saveError}</p>}
      <div className="buttons">
        {running ? (
          <>
            <button type="submit" className="primary" disabled={!canSave}>Save &amp; restart</button>
            <button type="button" disabled={!canSave} onClick={() => void save(false)}>Save, restart later</button>
          </>
        ) : (
          <button type="submit" className="primary" disabled={!canSave}>Save</button>
        )}
        <button type="button" onClick={onCancel}>Cancel</button>
      </div>
    </form>
  );
}

import { memo, useCallback, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { TunnelStatus } from '../../shared/contract.js';
import type { SavedProfile } from '../../shared/saved-profile.js';
import { runnable } from '../../shared/saved-profile.js';
import type { TunnelState, TunnelStats } from '../../shared/tunnel.js';
import { formatRate, openConnections } from '../format.js';
import { copyText } from '../lib/clipboard.js';
import { entrancesOf } from '../lib/entrances.js';
import { StateBadge } from './StateBadge.js';

export type SortKey = 'name' | 'state' | 'traffic';

interface Props {
  profiles: SavedProfile[];
  status: Record<string, TunnelStatus>;
  stats: Record<string, TunnelStats>;
  selected: string | null;
  /** The page cannot hear the engine: states are unknown and actions disabled. */
  offline?: boolean;
  onSelect(id: string): void;
  onToggle(id: string, start: boolean): void;
  onToggleGroup?(ids: string[], start: boolean): void;
  onCopied?(text: string): void;
}

/** Trouble first: what needs the user sorts to the top. */
const STATE_ORDER: Record<TunnelState, number> = { failed: 0, reconnecting: 1, degraded: 2, connecting: 3, up: 4, stopped: 5 };

/** "Host not found" rather than "Reconnecting" while the name does not resolve; '' for the plain state word. */
export function stateLabel(st: TunnelStatus | undefined): string {
  if (st?.state === 'reconnecting' && st.error?.code === 'DNS_FAILED') return 'Host not found, retrying';
  if (st?.state === 'reconnecting' && (st.error?.code === 'CONNECT_FAILED' || st.error?.code === 'TIMEOUT')) return 'Server not answering, retrying';
  return '';
}

export function isRunning(state: TunnelState): boolean {
  return state !== 'stopped' && state !== 'failed';
}

/** Everything a search can match: names, aliases and hosts, ports, groups, tags, addresses. */
function searchText(p: SavedProfile, st: TunnelStatus | undefined): string {
  const parts = [p.name, p.host, p.user ?? '', String(p.port), p.group ?? '', ...p.tags, p.notes];
  for (const j of p.jumps) parts.push(j.host, String(j.port));
  for (const f of p.forwards) {
    if (!('socket' in f.bind)) parts.push(String(f.bind.port), f.bind.host ?? '');
    if (f.kind !== 'dynamic' && f.target) parts.push('socket' in f.target ? f.target.socket : `${f.target.host}:${f.target.port}`);
  }
  for (const e of entrancesOf(runnable(p), st?.forwards)) parts.push(e.address);
  return parts.join(' ').toLowerCase();
}

/** Every tunnel with its state, entrances and traffic; sortable, grouped, searchable, a roving tab stop. */
export function TunnelList({ profiles, status, stats, selected, offline = false, onSelect, onToggle, onToggleGroup, onCopied }: Props) {
  const [query, setQuery] = useState('');
  const [sort, setSort] = useState<SortKey>('name');
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  const [active, setActive] = useState<string | null>(null);
  const listRef = useRef<HTMLDivElement>(null);

  const groups = useMemo(() => {
    const q = query.trim().toLowerCase();
    const shown = profiles.filter((p) => !q || q.split(/\s+/).every((word) => searchText(p, status[p.id]).includes(word)));
    const traffic = (id: string): number => (stats[id]?.sendRate ?? 0) + (stats[id]?.receiveRate ?? 0);
    const compare = (a: SavedProfile, b: SavedProfile): number => {
      if (sort === 'state') {
        const d = STATE_ORDER[status[a.id]?.state ?? 'stopped'] - STATE_ORDER[status[b.id]?.state ?? 'stopped'];
        if (d !== 0) return d;
      } else if (sort === 'traffic') {
        const d = traffic(b.id) - traffic(a.id);
        if (d !== 0) return d;
      }
      return a.name.localeCompare(b.name);
    };
    const byGroup = new Map<string, SavedProfile[]>();
    for (const p of shown) byGroup.set(p.group ?? '', [...(byGroup.get(p.group ?? '') ?? []), p]);
    for (const list of byGroup.values()) list.sort(compare);
    return [...byGroup.entries()].sort(([a], [b]) => (a === '' ? 1 : b === '' ? -1 : a.localeCompare(b)));
  }, [profiles, status, stats, query, sort]);

  const order = useMemo(() => groups.filter(([g]) => !collapsed.has(g)).flatMap(([, ps]) => ps.map((p) => p.id)), [groups, collapsed]);
  const tabStop = active && order.includes(active) ? active : selected && order.includes(selected) ? selected : (order[0] ?? null);

  const focusRow = (id: string | undefined): void => {
    if (!id) return;
    setActive(id);
    // Ids are [A-Za-z0-9_-] (the contract checks): safe in a selector as they are.
    listRef.current?.querySelector<HTMLElement>(`[data-open="${id}"]`)?.focus();
  };

  const onKey = useCallback(
    (e: KeyboardEvent<HTMLElement>, id: string): void => {
      const i = order.indexOf(id);
      const to = (j: number): void => {
        e.preventDefault();
        focusRow(order[Math.max(0, Math.min(order.length - 1, j))]);
      };
      if (e.key === 'ArrowDown') to(i + 1);
      else if (e.key === 'ArrowUp') to(i - 1);
      else if (e.key === 'Home') to(0);
      else if (e.key === 'End') to(order.length - 1);
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [order],
  );

  const toggleCollapsed = (group: string): void =>
    setCollapsed((c) => {
      const next = new Set(c);
      if (next.has(group)) next.delete(group);
      else next.add(group);
      return next;
    });

  const copy = useCallback(
    (text: string): void => {
      void copyText(text).then((ok) => ok && onCopied?.(text));
    },
    [onCopied],
  );

  return (
    <section className="tunnel-list" aria-label="Tunnels">
      <div className="list-tools">
        <input type="search" placeholder="Search name, host, port, group, tag" aria-label="Search tunnels" value={query} onChange={(e) => setQuery(e.target.value)} />
        <label className="sort">
          <span>Sort</span>
          <select value={sort} onChange={(e) => setSort(e.target.value as SortKey)} aria-label="Sort tunnels by">
            <option value="name">Name</option>
            <option value="state">State (trouble first)</option>
            <option value="traffic">Traffic</option>
          </select>
        </label>
      </div>
      {groups.length === 0 && query.trim() !== '' && (
        <p className="no-results" role="status">
          No tunnel matches “{query.trim()}”. Search looks at names, hosts, ports, groups and tags.{' '}
          <button type="button" className="link" onClick={() => setQuery('')}>Clear the search</button>
        </p>
      )}
      <div ref={listRef}>
        {groups.map(([group, ps]) => {
          const ids = ps.map((p) => p.id);
          const running = ids.filter((id) => isRunning(status[id]?.state ?? 'stopped')).length;
          const isCollapsed = collapsed.has(group);
          return (
            <section key={group} className="group" aria-label={group ? `Group ${group}` : 'Tunnels without a group'}>
              {group && (
                <div className="group-head">
                  <button type="button" className="group-toggle" aria-expanded={!isCollapsed} onClick={() => toggleCollapsed(group)}>
                    <span aria-hidden="true">{isCollapsed ? '▸' : '▾'}</span> {group} <span className="muted">({running} of {ps.length} running)</span>
                  </button>
                  {onToggleGroup && (
                    <span className="group-actions">
                      <button type="button" disabled={offline || running === ps.length} onClick={() => onToggleGroup(ids, true)} aria-label={`Start all in ${group}`}>Start all</button>
                      <button type="button" disabled={offline || running === 0} onClick={() => onToggleGroup(ids, false)} aria-label={`Stop all in ${group}`}>Stop all</button>
                    </span>
                  )}
                </div>
              )}
              {!isCollapsed && (
                <ul className="rows">
                  {ps.map((p) => (
                    <TunnelRow
                      key={p.id}
                      profile={p}
                      figures={rowFigures(p, status[p.id], stats[p.id])}
                      selected={selected === p.id}
                      tabStop={tabStop === p.id}
                      offline={offline}
                      onSelect={onSelect}
                      onToggle={onToggle}
                      onKey={onKey}
                      onFocus={setActive}
                      onCopy={copy}
                    />
                  ))}
                </ul>
              )}
            </section>
          );
        })}
      </div>
    </section>
  );
}

interface RowFigures {
  state: TunnelState;
  /** Words for the badge when the state alone misleads (a typo retried forever is not just "Reconnecting"). */
  label: string;
  entrances: string;
  firstAddress: string | null;
  rates: string;
  connections: string;
}

/** What a row shows, already formatted: rows whose text would not change are not re-rendered. */
function rowFigures(p: SavedProfile, st: TunnelStatus | undefined, s: TunnelStats | undefined): RowFigures {
  const state = st?.state ?? 'stopped';
  const entrances = entrancesOf(runnable(p), st?.forwards);
  const flowing = state === 'up' || state === 'degraded';
  return {
    state,
    label: stateLabel(st),
    entrances: entrances.map((e) => e.label).join('  ·  '),
    firstAddress: entrances.find((e) => e.kind !== 'remote')?.address ?? entrances[0]?.address ?? null,
    rates: flowing ? `↑ ${formatRate(s?.sendRate ?? 0)}  ↓ ${formatRate(s?.receiveRate ?? 0)}` : '',
    connections: flowing ? openConnections(s?.connections ?? 0) : '',
  };
}

interface RowProps {
  profile: SavedProfile;
  figures: RowFigures;
  selected: boolean;
  tabStop: boolean;
  offline: boolean;
  onSelect(id: string): void;
  onToggle(id: string, start: boolean): void;
  onKey(e: KeyboardEvent<HTMLElement>, id: string): void;
  onFocus(id: string): void;
  onCopy(text: string): void;
}

const sameRow = (a: RowProps, b: RowProps): boolean =>
  a.profile === b.profile && a.selected === b.selected && a.tabStop === b.tabStop && a.offline === b.offline && a.onSelect === b.onSelect &&
  a.onToggle === b.onToggle && a.onKey === b.onKey && a.onCopy === b.onCopy &&
  (Object.keys(a.figures) as (keyof RowFigures)[]).every((k) => a.figures[k] === b.figures[k]);

/**
 * One tunnel. The row's main button opens it (Enter, Space, click) and is the list's one tab
 * stop; Copy and Start/Stop are sibling buttons — no interactive element inside another.
 */
const TunnelRow = memo(function TunnelRow({ profile, figures: f, selected, tabStop, offline, onSelect, onToggle, onKey, onFocus, onCopy }: RowProps) {
  const running = isRunning(f.state);
  const { id, name } = profile;
  return (
    <li className={`tunnel-row${selected ? ' selected' : ''}`} data-tunnel={name} data-row-state={offline ? 'unknown' : f.state}>
      <button
        type="button"
        className="row-open"
        data-open={id}
        aria-current={selected ? 'true' : undefined}
        tabIndex={tabStop ? 0 : -1}
        onClick={() => onSelect(id)}
        onKeyDown={(e) => onKey(e, id)}
        onFocus={() => onFocus(id)}
      >
        <span className="row-line">
          <strong className="tunnel-name">{name}</strong>
          <StateBadge state={f.state} unknown={offline} {...(f.label ? { label: f.label } : {})} />
        </span>
        <span className="row-entrances" data-figure="entrances">{f.entrances || 'no forwards'}</span>
        <span className="row-figures">
          <span data-figure="rates">{offline ? '' : f.rates}</span>
          <span data-figure="connections">{offline ? '' : f.connections}</span>
        </span>
      </button>
      <span className="row-actions">
        {f.firstAddress && (
          <button type="button" className="quiet" tabIndex={tabStop ? 0 : -1} aria-label={`Copy ${f.firstAddress}`} title={`Copy ${f.firstAddress}`} onClick={() => onCopy(f.firstAddress!)}>
            Copy
          </button>
        )}
        <button type="button" className={running ? 'toggle' : 'toggle primary'} tabIndex={tabStop ? 0 : -1} disabled={offline} aria-label={`${running ? 'Stop' : 'Start'} ${name}`} onClick={() => onToggle(id, !running)}>
          {running ? 'Stop' : 'Start'}
        </button>
      </span>
    </li>
  );
}, sameRow);

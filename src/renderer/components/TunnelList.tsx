import { memo, useCallback, useMemo, useState, type KeyboardEvent } from 'react';
import type { TunnelStatus } from '../../shared/contract.js';
import type { SavedProfile } from '../../shared/saved-profile.js';
import type { TunnelState, TunnelStats } from '../../shared/tunnel.js';
import { formatBytes, formatRate } from '../format.js';
import { StateBadge } from './StateBadge.js';

interface Props {
  profiles: SavedProfile[];
  status: Record<string, TunnelStatus>;
  stats: Record<string, TunnelStats>;
  selected: string | null;
  onSelect(id: string): void;
  onToggle(id: string, start: boolean): void;
}

/** Every tunnel with its state, latency, rates, totals and a start/stop toggle; grouped, searchable, keyboard-navigable. */
export function TunnelList({ profiles, status, stats, selected, onSelect, onToggle }: Props) {
  const [query, setQuery] = useState('');
  const groups = useMemo(() => {
    const q = query.trim().toLowerCase();
    const shown = profiles.filter((p) => !q || [p.name, p.host, p.group ?? '', ...p.tags].some((s) => s.toLowerCase().includes(q)));
    const byGroup = new Map<string, SavedProfile[]>();
    for (const p of shown) byGroup.set(p.group ?? '', [...(byGroup.get(p.group ?? '') ?? []), p]);
    return [...byGroup.entries()].sort(([a], [b]) => a.localeCompare(b));
  }, [profiles, query]);
  const order = useMemo(() => groups.flatMap(([, ps]) => ps.map((p) => p.id)), [groups]);

  const onKey = useCallback((e: KeyboardEvent<HTMLElement>, id: string): void => {
    const i = order.indexOf(id);
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const next = order[Math.max(0, Math.min(order.length - 1, i + (e.key === 'ArrowDown' ? 1 : -1)))];
      if (next) {
        onSelect(next);
        document.getElementById(`tunnel-${next}`)?.focus();
      }
    }
  }, [order, onSelect]);

  return (
    <section className="tunnel-list" aria-label="Tunnels">
      <input type="search" placeholder="Search tunnels" aria-label="Search tunnels" value={query} onChange={(e) => setQuery(e.target.value)} />
      {groups.map(([group, ps]) => (
        <div key={group} role="group" aria-label={group || 'Ungrouped'}>
          {group && <h3 className="group-title">{group}</h3>}
          <ul role="listbox" aria-label={group || 'Tunnels'}>
            {ps.map((p) => (
              <TunnelRow
                key={p.id}
                id={p.id}
                name={p.name}
                figures={rowFigures(status[p.id], stats[p.id])}
                selected={selected === p.id}
                focusable={selected === p.id || (!selected && order[0] === p.id)}
                onSelect={onSelect}
                onToggle={onToggle}
                onKey={onKey}
              />
            ))}
          </ul>
        </div>
      ))}
    </section>
  );
}

interface RowFigures {
  state: TunnelState;
  latency: string;
  up: string;
  down: string;
  totals: string;
  connections: number;
}

/** What a row shows, already formatted: rows whose text would not change are not re-rendered. */
function rowFigures(st: TunnelStatus | undefined, s: TunnelStats | undefined): RowFigures {
  const state = st?.state ?? 'stopped';
  return {
    state,
    latency: s?.latencyMs != null ? `${s.latencyMs} ms` : '—',
    up: formatRate(s?.sendRate ?? 0),
    down: formatRate(s?.receiveRate ?? 0),
    totals: `${formatBytes(s?.bytesSent ?? 0)} / ${formatBytes(s?.bytesReceived ?? 0)}`,
    connections: s?.connections ?? 0,
  };
}

interface RowProps {
  id: string;
  name: string;
  figures: RowFigures;
  selected: boolean;
  focusable: boolean;
  onSelect(id: string): void;
  onToggle(id: string, start: boolean): void;
  onKey(e: KeyboardEvent<HTMLElement>, id: string): void;
}

const sameRow = (a: RowProps, b: RowProps): boolean =>
  a.id === b.id && a.name === b.name && a.selected === b.selected && a.focusable === b.focusable && a.onSelect === b.onSelect &&
  a.onToggle === b.onToggle && a.onKey === b.onKey && (Object.keys(a.figures) as (keyof RowFigures)[]).every((k) => a.figures[k] === b.figures[k]);

const TunnelRow = memo(function TunnelRow({ id, name, figures: f, selected, focusable, onSelect, onToggle, onKey }: RowProps) {
  const running = f.state !== 'stopped' && f.state !== 'failed';
  return (
    <li
      id={`tunnel-${id}`}
      role="option"
      aria-selected={selected}
      tabIndex={focusable ? 0 : -1}
      className={`tunnel-row${selected ? ' selected' : ''}`}
      data-tunnel={name}
      onClick={() => onSelect(id)}
      onKeyDown={(e) => onKey(e, id)}
    >
      <div className="row-head">
        <strong className="tunnel-name">{name}</strong>
        <StateBadge state={f.state} />
      </div>
      <div className="row-figures">
        <span title="SSH latency">RTT {f.latency}</span>
        <span title="rate to destination" data-figure="send-rate">↑ {f.up}</span>
        <span title="rate back" data-figure="receive-rate">↓ {f.down}</span>
        <span title="bytes sent / received" data-figure="totals">Σ {f.totals}</span>
        <span title="active connections" data-figure="connections">conn {f.connections}</span>
      </div>
      <button
        type="button"
        className="toggle"
        aria-pressed={running}
        aria-label={`${running ? 'Stop' : 'Start'} ${name}`}
        onClick={(e) => {
          e.stopPropagation();
          onToggle(id, !running);
        }}
      >
        {running ? 'Stop' : 'Start'}
      </button>
    </li>
  );
}, sameRow);

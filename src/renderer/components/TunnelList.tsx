import { useMemo, useState, type KeyboardEvent } from 'react';
import type { TunnelStatus } from '../../shared/contract.js';
import type { SavedProfile } from '../../shared/saved-profile.js';
import type { TunnelStats } from '../../shared/tunnel.js';
import { formatBytes, formatDuration, formatRate } from '../format.js';
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
  const order = groups.flatMap(([, ps]) => ps.map((p) => p.id));

  const onKey = (e: KeyboardEvent<HTMLElement>, id: string): void => {
    const i = order.indexOf(id);
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const next = order[Math.max(0, Math.min(order.length - 1, i + (e.key === 'ArrowDown' ? 1 : -1)))];
      if (next) {
        onSelect(next);
        document.getElementById(`tunnel-${next}`)?.focus();
      }
    }
  };

  return (
    <section className="tunnel-list" aria-label="Tunnels">
      <input type="search" placeholder="Search tunnels" aria-label="Search tunnels" value={query} onChange={(e) => setQuery(e.target.value)} />
      {groups.map(([group, ps]) => (
        <div key={group} role="group" aria-label={group || 'Ungrouped'}>
          {group && <h3 className="group-title">{group}</h3>}
          <ul role="listbox" aria-label={group || 'Tunnels'}>
            {ps.map((p) => {
              const st = status[p.id];
              const state = st?.state ?? 'stopped';
              const s = stats[p.id];
              const running = state !== 'stopped' && state !== 'failed';
              return (
                <li
                  key={p.id}
                  id={`tunnel-${p.id}`}
                  role="option"
                  aria-selected={selected === p.id}
                  tabIndex={selected === p.id || (!selected && order[0] === p.id) ? 0 : -1}
                  className={`tunnel-row${selected === p.id ? ' selected' : ''}`}
                  data-tunnel={p.name}
                  onClick={() => onSelect(p.id)}
                  onKeyDown={(e) => onKey(e, p.id)}
                >
                  <div className="row-head">
                    <strong className="tunnel-name">{p.name}</strong>
                    <StateBadge state={state} />
                  </div>
                  <div className="row-figures">
                    <span title="SSH latency">RTT {s?.latencyMs != null ? `${s.latencyMs} ms` : '—'}</span>
                    <span title="up time">up {formatDuration(s?.uptimeMs ?? null)}</span>
                    <span title="rate to destination" data-figure="send-rate">↑ {formatRate(s?.sendRate ?? 0)}</span>
                    <span title="rate back" data-figure="receive-rate">↓ {formatRate(s?.receiveRate ?? 0)}</span>
                    <span title="bytes sent / received" data-figure="totals">
                      Σ {formatBytes(s?.bytesSent ?? 0)} / {formatBytes(s?.bytesReceived ?? 0)}
                    </span>
                    <span title="active connections" data-figure="connections">conn {s?.connections ?? 0}</span>
                  </div>
                  <button
                    type="button"
                    className="toggle"
                    aria-pressed={running}
                    aria-label={`${running ? 'Stop' : 'Start'} ${p.name}`}
                    onClick={(e) => {
                      e.stopPropagation();
                      onToggle(p.id, !running);
                    }}
                  >
                    {running ? 'Stop' : 'Start'}
                  </button>
                </li>
              );
            })}
          </ul>
        </div>
      ))}
    </section>
  );
}

import { useEffect, useState } from 'react';
import type { ContractClient, TunnelStatus } from '../../shared/contract.js';
import type { SavedProfile } from '../../shared/saved-profile.js';
import type { LiveConnectionInfo, LogLine, TunnelStats } from '../../shared/tunnel.js';
import { runnable } from '../../shared/saved-profile.js';
import { FlowDiagram } from '../flow/FlowDiagram.js';
import { formatBytes, formatDuration, formatRate } from '../format.js';
import type { RatePoint } from '../store.js';
import { StateBadge } from './StateBadge.js';

interface Props {
  client: ContractClient;
  profile: SavedProfile;
  status: TunnelStatus | undefined;
  stats: TunnelStats | undefined;
  history: RatePoint[];
  logs: LogLine[];
  onEdit(): void;
  onDelete(): void;
}

function Sparkline({ points }: { points: RatePoint[] }) {
  const w = 360;
  const h = 60;
  const max = Math.max(1, ...points.flatMap((p) => [p.up, p.down]));
  const line = (key: 'up' | 'down'): string =>
    points.map((p, i) => `${(i / Math.max(1, points.length - 1)) * w},${h - (p[key] / max) * (h - 4) - 2}`).join(' ');
  return (
    <svg className="sparkline" viewBox={`0 0 ${w} ${h}`} role="img" aria-label={`Traffic over the last ${points.length} seconds, peak ${formatRate(max)}`}>
      <polyline points={line('up')} className="spark-up" />
      <polyline points={line('down')} className="spark-down" />
    </svg>
  );
}


/** One tunnel: its flow diagrams, traffic, live connections and log. */
export function TunnelDetail({ client, profile, status, stats, history, logs, onEdit, onDelete }: Props) {
  const [connections, setConnections] = useState<LiveConnectionInfo[]>([]);
  const [olderLog, setOlderLog] = useState<LogLine[]>([]);
  const state = status?.state ?? 'stopped';
  const running = state !== 'stopped';

  useEffect(() => {
    if (!running) {
      setConnections([]);
      return;
    }
    let live = true;
    const load = async (): Promise<void> => {
      const r = await client.invoke('connections.list', { tunnel: profile.id });
      if (live && r.ok) setConnections(r.value);
    };
    void load();
    const timer = setInterval(() => void load(), 1000);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [client, profile.id, running]);

  useEffect(() => {
    void client.invoke('logs.read', { tunnel: profile.id }).then((r) => setOlderLog(r.ok ? r.value : []));
  }, [client, profile.id, running]);

  const shownLog = [...olderLog, ...logs.filter((l) => !olderLog.some((o) => o.time === l.time && o.message === l.message))].slice(-100);
  const run = runnable(profile);

  return (
    <section className="tunnel-detail" aria-label={`Tunnel ${profile.name}`}>
      <header className="detail-head">
        <h2>{profile.name}</h2>
        <StateBadge state={state} />
        <div className="detail-actions">
          <button type="button" onClick={onEdit}>Edit</button>
          <button type="button" onClick={onDelete} className="danger">Delete</button>
        </div>
      </header>
      <p className="state-reason" data-testid="state-reason">{status?.reason ?? 'not running'}</p>
      {status?.error && (
        <p className={`error-box${status.error.code === 'HOST_KEY_MISMATCH' ? ' alarm' : ''}`} role="alert">
          <strong>{status.error.code}</strong>: {status.error.message}
        </p>
      )}
      <h3>Where the traffic goes</h3>
      {profile.forwards.length === 0 && <p>This tunnel has no forwards.</p>}
      {profile.forwards.map((f, i) => {
        const fs = status?.forwards[i];
        const fstats = stats?.forwards.find((x) => x.index === i);
        return (
          <div key={i} className="forward-block" data-forward={i}>
            <FlowDiagram profile={run} forward={f} {...(fs ? { status: fs } : {})} state={state} sendRate={fstats?.sendRate ?? 0} receiveRate={fstats?.receiveRate ?? 0} />
            {fs?.error && <p className="forward-error">{fs.error.message}</p>}
            {fs?.note && <p className="forward-note">{fs.note}</p>}
          </div>
        );
      })}
      <h3>Traffic</h3>
      <div className="traffic">
        <Sparkline points={history} />
        <dl className="figures">
          <dt>Sent</dt>
          <dd data-figure="bytes-sent">{formatBytes(stats?.bytesSent ?? 0)}</dd>
          <dt>Received</dt>
          <dd data-figure="bytes-received">{formatBytes(stats?.bytesReceived ?? 0)}</dd>
          <dt>Connections</dt>
          <dd>{stats?.connections ?? 0} now, {stats?.totalConnections ?? 0} in all</dd>
          <dt>Latency</dt>
          <dd>{stats?.latencyMs != null ? `${stats.latencyMs} ms` : '—'}</dd>
        </dl>
      </div>
      <h3>Live connections</h3>
      {connections.length === 0 ? (
        <p>No open connections.</p>
      ) : (
        <table className="connections">
          <thead>
            <tr>
              <th scope="col">Client</th>
              <th scope="col">Target</th>
              <th scope="col">Sent</th>
              <th scope="col">Received</th>
              <th scope="col">Age</th>
              <th scope="col"><span className="sr-only">Close</span></th>
            </tr>
          </thead>
          <tbody>
            {connections.map((c) => (
              <tr key={c.id}>
                <td>{c.client}</td>
                <td>{c.target}</td>
                <td>{formatBytes(c.bytesSent)}</td>
                <td>{formatBytes(c.bytesReceived)}</td>
                <td>{formatDuration(Date.now() - c.startedAt)}</td>
                <td>
                  <button type="button" aria-label={`Close connection from ${c.client}`} onClick={() => void client.invoke('connections.close', { tunnel: profile.id, id: c.id })}>
                    Close
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Log</h3>
      <ol className="log" aria-label="Log">
        {shownLog.map((l, i) => (
          <li key={i} className={`log-${l.level}`}>
            <time dateTime={new Date(l.time).toISOString()}>{new Date(l.time).toLocaleTimeString()}</time> {l.message}
          </li>
        ))}
      </ol>
    </section>
  );
}

import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { ContractClient, TunnelStatus } from '../../shared/contract.js';
import { describeForward } from '../../shared/profile.js';
import type { SavedProfile } from '../../shared/saved-profile.js';
import { runnable } from '../../shared/saved-profile.js';
import type { LiveConnectionInfo, LogLine, TrafficPoint, TunnelStats, UdpFigures } from '../../shared/tunnel.js';
import { FlowDiagram } from '../flow/FlowDiagram.js';
import { formatBytes, formatDuration, openConnections } from '../format.js';
import { copyText } from '../lib/clipboard.js';
import { entrancesOf, proxySettings } from '../lib/entrances.js';
import { useNow } from '../lib/use-now.js';
import { Address } from './Address.js';
import { ErrorCard } from './ErrorCard.js';
import { StateBadge, } from './StateBadge.js';
import { TrafficChart } from './TrafficChart.js';
import { isRunning, stateLabel } from './TunnelList.js';

interface Props {
  client: ContractClient;
  profile: SavedProfile;
  status: TunnelStatus | undefined;
  stats: TunnelStats | undefined;
  history: TrafficPoint[];
  logs: LogLine[];
  offline: boolean;
  onToggle(start: boolean): void;
  onRestart(): void;
  onRetry(): void;
  onEdit(): void;
  onDelete(): void;
  onSecret(kind: 'password' | 'passphrase', keyFile: string | null, hop?: number | null): void;
  onCopied(text: string): void;
  onBack?(): void;
}

/** What the saved profile says differs from what runs: the edit is not applied until a restart. */
function differs(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) !== JSON.stringify(b);
}

/** The log follows new lines unless the user scrolled up to read. */
function Log({ lines }: { lines: LogLine[] }) {
  const box = useRef<HTMLOListElement>(null);
  const follow = useRef(true);
  useLayoutEffect(() => {
    const el = box.current;
    if (el && follow.current) el.scrollTop = el.scrollHeight;
  }, [lines]);
  return (
    <ol
      ref={box}
      className="log"
      aria-label="Log"
      tabIndex={0}
      onScroll={(e) => {
        const el = e.currentTarget;
        follow.current = el.scrollHeight - el.scrollTop - el.clientHeight < 8;
      }}
    >
      {lines.length === 0 && <li className="muted">Nothing logged yet.</li>}
      {lines.map((l, i) => (
        <li key={`${l.time}-${i}`} className={`log-${l.level}`}>
          <time dateTime={new Date(l.time).toISOString()}>{new Date(l.time).toLocaleTimeString()}</time> {l.message}
        </li>
      ))}
    </ol>
  );
}

/** A UDP forward's counters in words: what a datagram forward has instead of connections. */
function UdpFiguresLine({ udp }: { udp: UdpFigures }) {
  const n = (count: number, one: string, many = `${one}s`): string => `${count.toLocaleString()} ${count === 1 ? one : many}`;
  return (
    <p className="muted" data-udp-figures>
      UDP: {n(udp.datagramsSent, 'datagram')} sent, {n(udp.datagramsReceived, 'datagram')} received · {n(udp.flows, 'client')} now ({udp.totalFlows.toLocaleString()} since start)
      {udp.drops > 0 && <> · {n(udp.drops, 'datagram')} dropped</>}
      {udp.evictions > 0 && <> · {n(udp.evictions, 'client')} evicted at the flow limit</>}
      {udp.relayStarts > 1 && <> · relay restarted {n(udp.relayStarts - 1, 'time')}</>}
    </p>
  );
}

/** One tunnel: where to connect, what is wrong and what to do, where the traffic goes, traffic, connections, log. */
export function TunnelDetail(props: Props) {
  const { client, profile, status, stats, history, logs, offline } = props;
  const [connections, setConnections] = useState<LiveConnectionInfo[]>([]);
  const state = status?.state ?? 'stopped';
  const running = isRunning(state);
  const live = state === 'up' || state === 'degraded';
  const now = useNow(true, 1000);
  const saved = runnable(profile);
  const shown = status?.running ?? saved;
  const pending = status?.running != null && differs(status.running, saved);
  const entrances = entrancesOf(shown, status?.forwards, profile.name);

  useEffect(() => {
    if (state === 'stopped' || offline) {
      setConnections([]);
      return;
    }
    let on = true;
    const load = async (): Promise<void> => {
      const r = await client.invoke('connections.list', { tunnel: profile.id });
      if (on && r.ok) setConnections(r.value);
    };
    void load();
    const timer = setInterval(() => void load(), 1000);
    return () => {
      on = false;
      clearInterval(timer);
    };
  }, [client, profile.id, state, offline]);

  const copy = (text: string): void => void copyText(text).then((ok) => ok && props.onCopied(text));
  const uptime = live && status?.upSince ? formatDuration(now - status.upSince) : null;

  return (
    <section className={`tunnel-detail${offline ? ' stale' : ''}`} aria-labelledby="detail-title">
      <header className="detail-head">
        {props.onBack && (
          <button type="button" className="back" onClick={props.onBack}>
            <span aria-hidden="true">← </span>All tunnels
          </button>
        )}
        <div className="detail-title-line">
          <h2 id="detail-title">{profile.name}</h2>
          <StateBadge state={state} unknown={offline} {...(stateLabel(status) ? { label: stateLabel(status) } : {})} />
        </div>
        <p className="detail-facts" data-testid="detail-facts">
          {offline ? (
            'State unknown while the engine cannot be reached.'
          ) : (
            <>
              {uptime && <span data-figure="uptime">up {uptime}</span>}
              {running && <span data-figure="reconnects">{status?.reconnects ?? 0} reconnect{status?.reconnects === 1 ? '' : 's'}</span>}
              {live && stats?.latencyMs != null && <span>SSH round trip {stats.latencyMs} ms</span>}
              {live && <span>{openConnections(stats?.connections ?? 0)}</span>}
              {!running && status && status.since > 0 && state === 'failed' && <span>failed at {new Date(status.since).toLocaleTimeString()}</span>}
              {!running && state === 'stopped' && <span>not running</span>}
            </>
          )}
        </p>
        <div className="detail-actions">
          <button type="button" className={running ? '' : 'primary'} disabled={offline} onClick={() => props.onToggle(!running)}>
            {running ? 'Stop' : 'Start'}
          </button>
          {running && <button type="button" disabled={offline} onClick={props.onRestart}>Restart</button>}
          <button type="button" disabled={offline} onClick={props.onEdit}>Edit</button>
          <button type="button" disabled={offline} onClick={props.onDelete} className="danger">Delete…</button>
        </div>
      </header>

      <ul className="entrances" aria-label="Where to connect">
        {entrances.map((e) => (
          <li key={e.forward} className="entrance" data-entrance={e.forward}>
            <span className="entrance-kind">{e.kind === 'local' ? 'Local' : e.kind === 'dynamic' ? 'SOCKS proxy' : 'Remote'}</span>
            <code className="entrance-address" data-testid="entrance-address"><Address value={e.address} />{e.kind === 'remote' ? ' on the server' : ''}</code>
            <span className="entrance-actions">
              <button type="button" className="quiet" aria-label={`Copy ${e.address}`} onClick={() => copy(e.address)}>Copy</button>
              {e.openUrl && running && !offline && (
                <a className="button quiet" href={e.openUrl} target="_blank" rel="noopener noreferrer" aria-label={`Open ${e.openUrl} in the browser`}>
                  Open
                </a>
              )}
              {e.kind === 'dynamic' && (
                <button type="button" className="quiet" onClick={() => copy(proxySettings(e.address))}>Copy proxy settings</button>
              )}
            </span>
          </li>
        ))}
      </ul>

      {pending && !offline && (
        <div className="pending" role="status" data-testid="pending-restart">
          <p><strong>Changes not applied.</strong> The tunnel still runs the settings it was started with (drawn below); the saved edit takes effect on restart.</p>
          <button type="button" className="primary" onClick={props.onRestart}>Restart with the new settings</button>
        </div>
      )}

      {!offline && status?.error && (
        <ErrorCard
          error={status.error}
          profile={shown}
          state={state}
          retryAt={status.retryAt}
          disabled={offline}
          onRetry={props.onRetry}
          onEdit={props.onEdit}
          onSecret={props.onSecret}
        />
      )}
      {!offline && !status?.error && state !== 'stopped' && state !== 'up' && <p className="state-reason" data-testid="state-reason">{status?.reason}</p>}

      <h3>Where the traffic goes</h3>
      {shown.forwards.length === 0 && <p>This tunnel has no forwards.</p>}
      {shown.forwards.map((f, i) => {
        const fs = status?.forwards[i];
        const fstats = stats?.forwards.find((x) => x.index === i);
        return (
          <div key={i} className="forward-block" data-forward={i}>
            <FlowDiagram
              profile={shown}
              forward={f}
              {...(fs ? { status: fs } : {})}
              state={offline ? 'stopped' : state}
              error={status?.error ?? null}
              sendRate={offline ? 0 : (fstats?.sendRate ?? 0)}
              receiveRate={offline ? 0 : (fstats?.receiveRate ?? 0)}
              {...('protocol' in f && typeof f.protocol === 'string' ? { protocol: f.protocol.toUpperCase() } : {})}
            />
            {fs?.error && fs.error.message !== status?.error?.message && <p className="forward-error">{fs.error.message}</p>}
            {fs?.note && !/all interfaces/.test(fs.note) && <p className="forward-note">{fs.note}</p>}
            {fstats?.udp && <UdpFiguresLine udp={fstats.udp} />}
            {!offline && fstats?.windowLimited && (
              <p className="muted" data-window-limited>
                Downloads here are limited by the network's round trip: the SSH window ({formatBytes(fstats.window)}) is full, not the server or your program.
              </p>
            )}
          </div>
        );
      })}

      <h3>Traffic</h3>
      <TrafficChart points={history} forwards={shown.forwards.map((f, i) => ({ index: i, label: describeForward(f) }))} now={now} />
      <dl className="figures">
        <div>
          <dt>Sent in all</dt>
          <dd data-figure="bytes-sent">{formatBytes(stats?.bytesSent ?? 0)}</dd>
        </div>
        <div>
          <dt>Received in all</dt>
          <dd data-figure="bytes-received">{formatBytes(stats?.bytesReceived ?? 0)}</dd>
        </div>
        <div>
          <dt>Connections</dt>
          <dd>{live ? openConnections(stats?.connections ?? 0) : 'none open'}, {stats?.totalConnections ?? 0} since start</dd>
        </div>
      </dl>

      <h3>Live connections</h3>
      {connections.length === 0 ? (
        <p className="muted">No open connections.</p>
      ) : (
        <div className="table-scroll">
          <table className="connections">
            <thead>
              <tr>
                <th scope="col">From</th>
                <th scope="col">To</th>
                <th scope="col">Sent</th>
                <th scope="col">Received</th>
                <th scope="col">Open for</th>
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
                  <td>{formatDuration(now - c.startedAt)}</td>
                  <td>
                    <button type="button" className="quiet" disabled={offline} aria-label={`Close connection from ${c.client}`} onClick={() => void client.invoke('connections.close', { tunnel: profile.id, id: c.id })}>
                      Close
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h3>Log</h3>
      <Log lines={logs} />
    </section>
  );
}

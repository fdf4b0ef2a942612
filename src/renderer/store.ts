import { useEffect, useMemo, useReducer } from 'react';
import type { ContractClient, Prompt, TunnelStatus } from '../shared/contract.js';
import type { ErrorInfo } from '../shared/errors.js';
import type { SavedProfile } from '../shared/saved-profile.js';
import type { LogLine, TrafficPoint, TunnelStateChange, TunnelStats } from '../shared/tunnel.js';

/** Ten minutes at one point a second, as the engine keeps it. */
export const HISTORY_POINTS = 600;
const LOG_LINES = 500;

export type EngineLink = 'connecting' | 'connected' | 'lost';

export interface DashboardState {
  /** Whether the page hears the engine now. While it does not, nothing shown is current. */
  link: EngineLink;
  linkSince: number;
  profiles: SavedProfile[];
  revision: number;
  profilesError: ErrorInfo | null;
  status: Record<string, TunnelStatus>;
  stats: Record<string, TunnelStats>;
  history: Record<string, TrafficPoint[]>;
  prompts: Prompt[];
  logs: Record<string, LogLine[]>;
  /** When the previous traffic batch arrived: live chart points are bytes since then. */
  trafficAt: number | null;
}

type Action =
  | { type: 'profiles'; profiles: SavedProfile[]; revision: number; error: ErrorInfo | null }
  | { type: 'statuses'; statuses: TunnelStatus[] }
  | { type: 'state'; change: TunnelStateChange }
  | { type: 'traffic'; batch: TunnelStats[]; now: number }
  | { type: 'history'; tunnel: string; points: TrafficPoint[] }
  | { type: 'prompt'; prompt: Prompt }
  | { type: 'prompt.closed'; id: string }
  | { type: 'log'; line: LogLine }
  | { type: 'logs'; tunnel: string; lines: LogLine[] }
  | { type: 'link'; link: EngineLink; now: number };

export const initialState: DashboardState = {
  link: 'connecting',
  linkSince: 0,
  profiles: [],
  revision: 0,
  profilesError: null,
  status: {},
  stats: {},
  history: {},
  prompts: [],
  logs: {},
  trafficAt: null,
};

/** Bytes moved since the previous batch, per second: the same points the engine keeps. */
function pointFrom(previous: TunnelStats | undefined, current: TunnelStats, elapsedMs: number, now: number): TrafficPoint | null {
  if (!previous || elapsedMs <= 0) return null;
  const s = elapsedMs / 1000;
  const d = (a: number, b: number | undefined): number => Math.max(0, Math.round((a - (b ?? 0)) / s));
  return {
    t: now,
    sent: d(current.bytesSent, previous.bytesSent),
    received: d(current.bytesReceived, previous.bytesReceived),
    forwards: current.forwards.map((f) => {
      const p = previous.forwards.find((x) => x.index === f.index);
      return { index: f.index, sent: d(f.bytesSent, p?.bytesSent), received: d(f.bytesReceived, p?.bytesReceived) };
    }),
  };
}

/** One traffic batch updates every tunnel at once: one render per tick, whatever the count. */
export function reduce(state: DashboardState, action: Action): DashboardState {
  switch (action.type) {
    case 'profiles':
      return { ...state, profiles: action.profiles, revision: action.revision, profilesError: action.error };
    case 'statuses': {
      const stats = { ...state.stats };
      for (const s of action.statuses) {
        if (s.stats) stats[s.id] = s.stats;
        else delete stats[s.id];
      }
      return { ...state, status: Object.fromEntries(action.statuses.map((s) => [s.id, s])), stats };
    }
    case 'state': {
      const c = action.change;
      const previous = state.status[c.tunnel];
      const status: TunnelStatus = { id: c.tunnel, state: c.state, reason: c.reason, error: c.error, forwards: c.forwards, since: c.since, upSince: c.upSince, retryAt: c.retryAt, reconnects: c.reconnects, stats: previous?.stats ?? null, running: c.state === 'stopped' ? null : (previous?.running ?? null) };
      const old = state.stats[c.tunnel];
      // Nothing flows while the session is down: keep the totals, clear the rates.
      const idle = c.state !== 'up' && c.state !== 'degraded';
      const stats = idle && old ? { ...state.stats, [c.tunnel]: { ...old, sendRate: 0, receiveRate: 0, connections: 0, latencyMs: null, uptimeMs: null, forwards: old.forwards.map((f) => ({ ...f, sendRate: 0, receiveRate: 0, connections: 0 })) } } : state.stats;
      return { ...state, status: { ...state.status, [c.tunnel]: status }, stats };
    }
    case 'traffic': {
      const stats = { ...state.stats };
      const history = { ...state.history };
      const since = state.trafficAt ?? undefined;
      for (const s of action.batch) {
        const point = since === undefined ? null : pointFrom(state.stats[s.tunnel], s, action.now - since, action.now);
        stats[s.tunnel] = s;
        if (point) history[s.tunnel] = [...(history[s.tunnel] ?? []).slice(-(HISTORY_POINTS - 1)), point];
      }
      return { ...state, stats, history, trafficAt: action.now };
    }
    case 'history':
      return { ...state, history: { ...state.history, [action.tunnel]: action.points.slice(-HISTORY_POINTS) } };
    case 'prompt':
      return state.prompts.some((p) => p.id === action.prompt.id) ? state : { ...state, prompts: [...state.prompts, action.prompt] };
    case 'prompt.closed':
      return { ...state, prompts: state.prompts.filter((p) => p.id !== action.id) };
    case 'log': {
      const lines = state.logs[action.line.tunnel] ?? [];
      return { ...state, logs: { ...state.logs, [action.line.tunnel]: [...lines.slice(-(LOG_LINES - 1)), action.line] } };
    }
    case 'logs':
      return { ...state, logs: { ...state.logs, [action.tunnel]: action.lines.slice(-LOG_LINES) } };
    case 'link':
      if (action.link === state.link) return state;
      // A lost engine takes its prompts with it: they can no longer be answered.
      return { ...state, link: action.link, linkSince: action.now, ...(action.link === 'lost' ? { prompts: [] } : {}) };
  }
}

/** The dashboard's view of the engine, fed one way by events; commands go back through the client. */
export function useDashboard(client: ContractClient) {
  const [state, dispatch] = useReducer(reduce, initialState);
  const actions = useMemo(
    () => ({
      async reloadProfiles(): Promise<void> {
        const r = await client.invoke('profiles.list', {});
        if (r.ok) dispatch({ type: 'profiles', profiles: r.value.profiles, revision: r.value.revision, error: r.value.error });
      },
      async reloadStatuses(): Promise<void> {
        const r = await client.invoke('tunnels.list', {});
        if (r.ok) dispatch({ type: 'statuses', statuses: r.value });
      },
      /** The engine's history and log of one tunnel: a reload shows what happened before it. */
      async loadTunnel(id: string): Promise<void> {
        const [h, l] = await Promise.all([client.invoke('tunnels.history', { id }), client.invoke('logs.read', { tunnel: id })]);
        if (h.ok) dispatch({ type: 'history', tunnel: id, points: h.value.points });
        if (l.ok) dispatch({ type: 'logs', tunnel: id, lines: l.value });
      },
    }),
    [client],
  );
  useEffect(() => {
    const resync = (): void => void actions.reloadProfiles().then(actions.reloadStatuses);
    const offs = [
      client.on('tunnel.state', (change) => {
        dispatch({ type: 'state', change });
        // A (re)start may run a different profile: fetch what runs now.
        if (change.state === 'connecting' && change.reconnects === 0) void actions.reloadStatuses();
      }),
      client.on('traffic', (batch) => {
        // Marks for bench/renderer: how long one batch takes from arrival to committed render.
        performance.mark('tv-batch-start');
        dispatch({ type: 'traffic', batch, now: Date.now() });
      }),
      client.on('prompt', (prompt) => dispatch({ type: 'prompt', prompt })),
      client.on('prompt.closed', ({ id }) => dispatch({ type: 'prompt.closed', id })),
      client.on('log', (line) => dispatch({ type: 'log', line })),
      client.on('profiles.changed', () => void actions.reloadProfiles()),
      onLink(client, (connected) => {
        dispatch({ type: 'link', link: connected ? 'connected' : 'lost', now: Date.now() });
        if (connected) resync();
      }),
    ];
    // The preload bridge has no connection events: it is connected as long as the page lives.
    if (!hasLinkEvents(client)) dispatch({ type: 'link', link: 'connected', now: Date.now() });
    resync();
    return () => offs.forEach((off) => off());
  }, [client, actions]);
  return { state, actions };
}

/** Transports that can lose the engine (the web socket) tell so with a 'connection' pseudo-event. */
export interface LinkAware {
  onConnection(listener: (connected: boolean) => void): () => void;
  readonly linkEvents: true;
}

function hasLinkEvents(client: ContractClient): client is ContractClient & LinkAware {
  return (client as Partial<LinkAware>).linkEvents === true;
}

function onLink(client: ContractClient, listener: (connected: boolean) => void): () => void {
  return hasLinkEvents(client) ? client.onConnection(listener) : () => undefined;
}

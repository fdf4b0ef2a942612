import { useEffect, useMemo, useReducer } from 'react';
import type { ContractClient, Prompt, TunnelStatus } from '../shared/contract.js';
import type { ErrorInfo } from '../shared/errors.js';
import type { SavedProfile } from '../shared/saved-profile.js';
import type { LogLine, TunnelStateChange, TunnelStats } from '../shared/tunnel.js';

export const HISTORY_POINTS = 180;

export interface RatePoint {
  t: number;
  up: number;
  down: number;
}

export interface DashboardState {
  connected: boolean;
  profiles: SavedProfile[];
  revision: number;
  profilesError: ErrorInfo | null;
  status: Record<string, TunnelStatus>;
  stats: Record<string, TunnelStats>;
  history: Record<string, RatePoint[]>;
  prompts: Prompt[];
  logs: Record<string, LogLine[]>;
}

type Action =
  | { type: 'profiles'; profiles: SavedProfile[]; revision: number; error: ErrorInfo | null }
  | { type: 'statuses'; statuses: TunnelStatus[] }
  | { type: 'state'; change: TunnelStateChange }
  | { type: 'traffic'; batch: TunnelStats[] }
  | { type: 'prompt'; prompt: Prompt }
  | { type: 'prompt.closed'; id: string }
  | { type: 'log'; line: LogLine }
  | { type: 'connection'; connected: boolean };

const initial: DashboardState = { connected: true, profiles: [], revision: 0, profilesError: null, status: {}, stats: {}, history: {}, prompts: [], logs: {} };

/** One traffic batch updates every tunnel at once: one render per tick, whatever the count. */
export function reduce(state: DashboardState, action: Action): DashboardState {
  switch (action.type) {
    case 'profiles':
      return { ...state, profiles: action.profiles, revision: action.revision, profilesError: action.error };
    case 'statuses':
      return { ...state, status: Object.fromEntries(action.statuses.map((s) => [s.id, s])) };
    case 'state': {
      const c = action.change;
      const previous = state.status[c.tunnel];
      const status: TunnelStatus = { id: c.tunnel, state: c.state, reason: c.reason, error: c.error, forwards: c.forwards, stats: previous?.stats ?? null };
      const old = state.stats[c.tunnel];
      // A stopped tunnel moves nothing: keep its totals, drop its last rates.
      const stats = c.state === 'stopped' && old ? { ...state.stats, [c.tunnel]: { ...old, sendRate: 0, receiveRate: 0, connections: 0, latencyMs: null, uptimeMs: null } } : state.stats;
      return { ...state, status: { ...state.status, [c.tunnel]: status }, stats };
    }
    case 'traffic': {
      const stats = { ...state.stats };
      const history = { ...state.history };
      const now = Date.now();
      for (const s of action.batch) {
        stats[s.tunnel] = s;
        const h = history[s.tunnel] ?? [];
        history[s.tunnel] = [...h.slice(-(HISTORY_POINTS - 1)), { t: now, up: s.sendRate, down: s.receiveRate }];
      }
      return { ...state, stats, history };
    }
    case 'prompt':
      return state.prompts.some((p) => p.id === action.prompt.id) ? state : { ...state, prompts: [...state.prompts, action.prompt] };
    case 'prompt.closed':
      return { ...state, prompts: state.prompts.filter((p) => p.id !== action.id) };
    case 'log': {
      const lines = state.logs[action.line.tunnel] ?? [];
      return { ...state, logs: { ...state.logs, [action.line.tunnel]: [...lines.slice(-199), action.line] } };
    }
    case 'connection':
      return { ...state, connected: action.connected };
  }
}

/** The dashboard's view of the engine, fed one way by events; commands go back through the client. */
export function useDashboard(client: ContractClient) {
  const [state, dispatch] = useReducer(reduce, initial);
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
    }),
    [client],
  );
  useEffect(() => {
    const offs = [
      client.on('tunnel.state', (change) => dispatch({ type: 'state', change })),
      client.on('traffic', (batch) => {
        // Marks for bench/renderer: how long one batch takes from arrival to committed render.
        performance.mark('tv-batch-start');
        dispatch({ type: 'traffic', batch });
      }),
      client.on('prompt', (prompt) => dispatch({ type: 'prompt', prompt })),
      client.on('prompt.closed', ({ id }) => dispatch({ type: 'prompt.closed', id })),
      client.on('log', (line) => dispatch({ type: 'log', line })),
      client.on('profiles.changed', () => void actions.reloadProfiles()),
      client.on('connection' as never, (p: { connected: boolean }) => {
        dispatch({ type: 'connection', connected: p.connected });
        if (p.connected) void actions.reloadProfiles().then(actions.reloadStatuses);
      }),
    ];
    void actions.reloadProfiles().then(actions.reloadStatuses);
    return () => offs.forEach((off) => off());
  }, [client, actions]);
  return { state, actions };
}

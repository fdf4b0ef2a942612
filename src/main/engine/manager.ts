import { EventEmitter } from 'node:events';
import { TunnelError } from '../../shared/errors.js';
import type { Profile } from '../../shared/profile.js';
import type { LogLine, TrafficPoint, TunnelStateChange, TunnelStats } from '../../shared/tunnel.js';
import type { Prompter } from './prompts.js';
import { TrafficHistory } from './traffic-history.js';
import { Tunnel, type TunnelOptions } from './tunnel.js';

export interface ManagerEvents {
  state: [TunnelStateChange];
  /** One message for all running tunnels per tick, never one per chunk. */
  stats: [TunnelStats[]];
  log: [LogLine];
}

export interface ManagerOptions {
  prompter?: Prompter;
  /** How often the batched stats event fires. */
  tickMs?: number;
}

/** Many tunnels → one event stream. The app, the web mode and the CLI all sit on this. */
export class TunnelManager extends EventEmitter<ManagerEvents> {
  private readonly tunnels = new Map<string, Tunnel>();
  /** Per tunnel id, kept across restarts of the tunnel. */
  private readonly histories = new Map<string, TrafficHistory>();
  private readonly ticker: NodeJS.Timeout;

  constructor(private readonly options: ManagerOptions = {}) {
    super();
    this.ticker = setInterval(() => this.tick(), options.tickMs ?? 1000);
    this.ticker.unref();
  }

  private tick(): void {
    const now = Date.now();
    const batch: TunnelStats[] = [];
    for (const t of this.tunnels.values()) {
      const history = this.historyOf(t.id);
      if (t.getState() === 'stopped') {
        history.pause();
        continue;
      }
      const stats = t.stats(now);
      history.record(now, stats);
      batch.push(stats);
    }
    if (batch.length > 0) this.emit('stats', batch);
  }

  private historyOf(id: string): TrafficHistory {
    let h = this.histories.get(id);
    if (!h) this.histories.set(id, (h = new TrafficHistory()));
    return h;
  }

  /** The engine's traffic history of tunnel `id`, one point per tick. */
  history(id: string): TrafficPoint[] {
    return this.histories.get(id)?.list() ?? [];
  }

  get tickMs(): number {
    return this.options.tickMs ?? 1000;
  }

  get(id: string): Tunnel | undefined {
    return this.tunnels.get(id);
  }

  list(): Tunnel[] {
    return [...this.tunnels.values()];
  }

  /**
   * Starts `profile` as tunnel `id`; a running tunnel with that id is stopped first. Resolves
   * when the tunnel is up, failed, or retrying (see its state).
   */
  async start(id: string, profile: Profile, tunnelOptions?: TunnelOptions): Promise<Tunnel> {
    const previous = this.tunnels.get(id);
    const wasRunning = previous !== undefined && previous.getState() !== 'stopped' && previous.getState() !== 'failed';
    if (wasRunning) await previous.stop('restarting');
    previous?.removeAllListeners();
    const options = tunnelOptions ?? (this.options.prompter ? { prompter: this.options.prompter } : {});
    const tunnel = new Tunnel(id, profile, { ...options, ...(previous ? { carryLog: previous.logs() } : {}) });
    tunnel.on('state', (s) => this.emit('state', s));
    tunnel.on('log', (l) => this.emit('log', l));
    this.tunnels.set(id, tunnel);
    await tunnel.start();
    return tunnel;
  }

  async stop(id: string): Promise<void> {
    const tunnel = this.tunnels.get(id);
    if (!tunnel) throw new TunnelError('BAD_ARGUMENT', `no tunnel '${id}'`);
    await tunnel.stop();
  }

  /** Retries every reconnecting tunnel now (OS resume, network change). */
  nudgeAll(): void {
    for (const t of this.tunnels.values()) t.nudge();
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.tunnels.values()].map((t) => t.stop()));
  }

  async dispose(): Promise<void> {
    clearInterval(this.ticker);
    await this.stopAll();
    this.removeAllListeners();
  }
}

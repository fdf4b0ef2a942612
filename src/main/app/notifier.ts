import type { TunnelState, TunnelStateChange } from '../../shared/tunnel.js';
import type { ElectronApi } from './electron-api.js';

const MIN_INTERVAL_MS = 30_000;

/**
 * Desktop notifications when a tunnel drops, recovers or fails, with the reason; at most one
 * per tunnel per 30 s so a flapping link does not flood the screen (failures always show).
 */
export class Notifier {
  private readonly previous = new Map<string, TunnelState>();
  private readonly lastShown = new Map<string, number>();

  constructor(private readonly electron: ElectronApi, private readonly nameOf: (id: string) => string, private readonly now: () => number = Date.now) {}

  onState(change: TunnelStateChange): void {
    const before = this.previous.get(change.tunnel);
    this.previous.set(change.tunnel, change.state);
    let title: string | null = null;
    if (change.state === 'failed') title = 'failed';
    else if (change.state === 'reconnecting' && (before === 'up' || before === 'degraded')) title = 'dropped';
    else if (change.state === 'up' && before === 'reconnecting') title = 'is back up';
    if (!title || !this.electron.Notification.isSupported()) return;
    const last = this.lastShown.get(change.tunnel) ?? -Infinity;
    if (change.state !== 'failed' && this.now() - last < MIN_INTERVAL_MS) return;
    this.lastShown.set(change.tunnel, this.now());
    new this.electron.Notification({ title: `${this.nameOf(change.tunnel)} ${title}`, body: change.reason.slice(0, 200), silent: change.state !== 'failed' }).show();
  }
}

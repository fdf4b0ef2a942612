import type { TrafficPoint, TunnelStats } from '../../shared/tunnel.js';

/** Ten minutes at one point a second: enough for the chart's longest span, bounded per tunnel. */
export const HISTORY_POINTS = 600;

/**
 * A tunnel's traffic over time, kept by the engine so a reload or a second window draws the
 * same chart. Each point is the bytes moved since the previous sample divided by the time
 * between them (not the 5 s smoothed rate), so a one-second burst shows as one second.
 */
export class TrafficHistory {
  private readonly points: TrafficPoint[] = [];
  private last: { at: number; sent: number; received: number; forwards: Map<number, { sent: number; received: number }> } | null = null;

  constructor(private readonly capacity = HISTORY_POINTS) {}

  record(now: number, stats: TunnelStats): void {
    const previous = this.last;
    this.last = {
      at: now,
      sent: stats.bytesSent,
      received: stats.bytesReceived,
      forwards: new Map(stats.forwards.map((f) => [f.index, { sent: f.bytesSent, received: f.bytesReceived }])),
    };
    if (!previous || now <= previous.at) return;
    const seconds = (now - previous.at) / 1000;
    // Counters restart with the tunnel: a drop means a new run, whose bytes so far all count.
    const rate = (current: number, before: number | undefined): number => Math.round((current >= (before ?? 0) ? current - (before ?? 0) : current) / seconds);
    this.points.push({
      t: now,
      sent: rate(stats.bytesSent, previous.sent),
      received: rate(stats.bytesReceived, previous.received),
      forwards: stats.forwards.map((f) => {
        const b = previous.forwards.get(f.index);
        return { index: f.index, sent: rate(f.bytesSent, b?.sent), received: rate(f.bytesReceived, b?.received) };
      }),
    });
    if (this.points.length > this.capacity) this.points.splice(0, this.points.length - this.capacity);
  }

  /** A gap (the tunnel stopped): the next sample starts a new baseline instead of a spike. */
  pause(): void {
    this.last = null;
  }

  list(): TrafficPoint[] {
    return [...this.points];
  }
}

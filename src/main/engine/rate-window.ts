import type { Rates } from '../../shared/tunnel.js';

/** Bytes per second over a sliding window, from cumulative counters sampled at any pace. */
export class RateWindow {
  private samples: { at: number; sent: number; received: number }[] = [];

  constructor(private readonly windowMs = 5000) {}

  sample(now: number, sent: number, received: number): Rates {
    this.samples.push({ at: now, sent, received });
    // Keep the newest sample at least windowMs old as the baseline.
    while (this.samples.length > 2 && now - this.samples[1]!.at >= this.windowMs) this.samples.shift();
    const base = this.samples[0]!;
    const seconds = (now - base.at) / 1000;
    if (seconds <= 0) return { sendRate: 0, receiveRate: 0 };
    return { sendRate: Math.round((sent - base.sent) / seconds), receiveRate: Math.round((received - base.received) / seconds) };
  }
}

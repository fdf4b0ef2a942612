/** Past this long without a channel confirming it, what a session learned is forgotten: paths change. */
const LEARNED_FOR_MS = 60_000;

/** What a session's channels showed its path to need (see PathMemory). */
export interface LearnedPath {
  /** The largest window a channel on this path was limited by, or grew to and gained. */
  window: number;
  /** The highest arrival rate a channel saw meanwhile, in bytes per ms: it bounds where a channel starts. */
  rate: number;
}

/**
 * What the channels of one SSH session learned about its path, so a new channel starts where
 * earlier ones got, as TCP starts from its cached metrics, instead of climbing from ssh2's 2 MiB
 * again: a 64 MiB download at 50 ms spent a third of its time in that climb, and every short
 * download through -D (a browser's) all of it. Kept by FlowControl, one per session.
 */
export class PathMemory {
  /** Channels open on this path now: a new one starts at the learned window shared among them. */
  channels = 0;
  private learned: (LearnedPath & { at: number }) | null = null;

  /** What is known, or null when nothing is, or nothing was confirmed for LEARNED_FOR_MS. */
  recall(now: number): LearnedPath | null {
    return this.learned !== null && now - this.learned.at <= LEARNED_FOR_MS ? this.learned : null;
  }

  /** A channel's `window` was the limit (or a growth to it gained); `rate` is the highest it carried, in bytes per ms. */
  confirm(now: number, window: number, rate: number): void {
    if (rate <= 0) return;
    const known = this.recall(now);
    this.learned = { window: Math.max(known?.window ?? 0, window), rate: Math.max(known?.rate ?? 0, rate), at: now };
  }

  /** A growth past `window` brought nothing: new channels need not start above it. */
  lower(window: number): void {
    if (this.learned !== null && this.learned.window > window) this.learned = { ...this.learned, window };
  }
}

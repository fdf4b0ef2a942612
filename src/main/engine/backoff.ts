/** Capped exponential backoff with jitter: ~1 s doubling to 60 s, reset after a stable period. */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly baseMs = 1000,
    private readonly capMs = 60_000,
    private readonly random: () => number = Math.random,
  ) {}

  /** The next delay: base·2ⁿ capped, then spread ±25 % so many tunnels don't retry in lockstep. */
  next(): number {
    const raw = Math.min(this.capMs, this.baseMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return Math.round(raw * (0.75 + this.random() * 0.5));
  }

  reset(): void {
    this.attempt = 0;
  }
}

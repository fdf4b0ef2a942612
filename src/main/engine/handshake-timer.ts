import { TunnelError } from '../../shared/errors.js';

/**
 * The handshake deadline (banner, key exchange, authentication). ssh2's own readyTimeout keeps
 * running while a host-key or password question waits for a person, cutting them off; this
 * clock stops for the length of each question instead.
 */
export class HandshakeTimer {
  private timer: NodeJS.Timeout | null = null;
  private remaining: number;
  private startedAt = 0;
  private paused = 0;
  private done = false;

  constructor(timeoutMs: number, private readonly onExpire: (err: TunnelError) => void, private readonly what: string) {
    this.remaining = timeoutMs;
  }

  start(): void {
    if (this.done || this.timer) return;
    this.startedAt = Date.now();
    this.timer = setTimeout(() => {
      this.done = true;
      this.onExpire(new TunnelError('TIMEOUT', `${this.what}: the SSH handshake did not complete in time`));
    }, this.remaining);
  }

  private pause(): void {
    if (this.paused++ > 0 || !this.timer) return;
    clearTimeout(this.timer);
    this.timer = null;
    this.remaining -= Date.now() - this.startedAt;
  }

  private resume(): void {
    if (--this.paused > 0) return;
    this.start();
  }

  /** Runs `work` (a question to a person) with the clock stopped. */
  readonly during = async <T>(work: Promise<T>): Promise<T> => {
    this.pause();
    try {
      return await work;
    } finally {
      this.resume();
    }
  };

  stop(): void {
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

/**
 * Limits how many SSH handshakes run at once against one server.
 *
 * sshd counts connections that have not yet authenticated and, past MaxStartups (default
 * "10:30:100"), drops new ones at random. Fifty profiles started together — or fifty sessions
 * that died together and reconnect together — would trip it and fail by chance. Queueing
 * beyond a few per server staggers them instead, leaving headroom for the user's own ssh.
 */
export const MAX_HANDSHAKES_PER_SERVER = 8;

export class HandshakeGate {
  private readonly running = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();

  constructor(private readonly limit = MAX_HANDSHAKES_PER_SERVER) {}

  /** Resolves with a release function once a slot for `server` is free; rejects if `signal` aborts first. */
  async acquire(server: string, signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    const running = this.running.get(server) ?? 0;
    if (running < this.limit) {
      this.running.set(server, running + 1);
    } else {
      // A released slot is handed straight to the first waiter, so nobody can overtake it.
      await new Promise<void>((resolve, reject) => {
        const queue = this.waiting.get(server) ?? [];
        this.waiting.set(server, queue);
        const onAbort = (): void => {
          this.dequeue(server, wake);
          reject(signal!.reason);
        };
        const wake = (): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        queue.push(wake);
      });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.get(server)?.[0];
      if (next) {
        this.dequeue(server, next);
        next();
        return;
      }
      const left = (this.running.get(server) ?? 1) - 1;
      if (left === 0) this.running.delete(server);
      else this.running.set(server, left);
    };
  }

  /** Handshakes in progress and queued for `server`. */
  load(server: string): { running: number; waiting: number } {
    return { running: this.running.get(server) ?? 0, waiting: this.waiting.get(server)?.length ?? 0 };
  }

  private dequeue(server: string, wake: () => void): void {
    const queue = this.waiting.get(server);
    if (!queue) return;
    const i = queue.indexOf(wake);
    if (i >= 0) queue.splice(i, 1);
    if (queue.length === 0) this.waiting.delete(server);
  }
}

/** One gate for the process: every tunnel to a server shares that server's MaxStartups. */
export const handshakeGate = new HandshakeGate();

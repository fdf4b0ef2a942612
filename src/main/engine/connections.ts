import type { Duplex } from 'node:stream';
import { splice } from './splice.js';
import { TrafficCounter } from './traffic.js';
import type { LiveConnectionInfo } from '../../shared/tunnel.js';


interface Entry {
  info: Omit<LiveConnectionInfo, 'bytesSent' | 'bytesReceived'>;
  counter: TrafficCounter;
  streams: [Duplex, Duplex];
}

/** Every proxied connection of a tunnel, so they can be listed and closed one by one. */
export class ConnectionRegistry {
  private nextId = 1;
  private readonly live = new Map<number, Entry>();

  /** Splices `client` and `destination`, counting into `forwardCounter`, tracked until both close. */
  async carry(forward: number, clientName: string, target: string, client: Duplex, destination: Duplex, forwardCounter: TrafficCounter): Promise<void> {
    const id = this.nextId++;
    const counter = new TrafficCounter(forwardCounter);
    this.live.set(id, { info: { id, forward, client: clientName, target, startedAt: Date.now() }, counter, streams: [client, destination] });
    try {
      await splice(client, destination, counter);
    } finally {
      this.live.delete(id);
    }
  }

  list(): LiveConnectionInfo[] {
    return [...this.live.values()].map((e) => ({ ...e.info, bytesSent: e.counter.bytesSent, bytesReceived: e.counter.bytesReceived }));
  }

  close(id: number): boolean {
    const entry = this.live.get(id);
    if (!entry) return false;
    for (const s of entry.streams) s.destroy().resume();
    return true;
  }

  /**
   * The session died under these connections: reset (RST) their local sockets rather than
   * closing them (FIN), so a client can tell "cut off" from "finished". A clean close here
   * would pass off a truncated transfer as a complete one.
   */
  abortAll(): void {
    for (const e of this.live.values()) {
      for (const s of e.streams) {
        const socket = s as Duplex & { resetAndDestroy?: () => void };
        const isSocket = typeof socket.resetAndDestroy === 'function' && 'remoteAddress' in socket;
        // A socket whose sending side already ended got a clean EOF before the session died:
        // its last bytes are still flushing, and splice closes it once they are out.
        if (isSocket && s.writableEnded) continue;
        if (isSocket) socket.resetAndDestroy!();
        else s.destroy();
        s.resume();
      }
    }
  }

  closeForward(forward: number): void {
    for (const e of this.live.values()) if (e.info.forward === forward) for (const s of e.streams) s.destroy().resume();
  }

  get size(): number {
    return this.live.size;
  }
}

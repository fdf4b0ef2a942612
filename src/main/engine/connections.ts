import type { Duplex } from 'node:stream';
import { splice } from './splice.js';
import { TrafficCounter } from './traffic.js';
import type { ChannelFlow, ChannelFlowStats } from './flow/index.js';
import type { LiveConnectionInfo } from '../../shared/tunnel.js';

interface Entry {
  info: Omit<LiveConnectionInfo, 'bytesSent' | 'bytesReceived'>;
  counter: TrafficCounter;
  streams: [Duplex, Duplex];
  flow: ChannelFlow | null;
}

/** Puts the receive window of `channel` (whose data goes into `sink`) under flow control. */
export type AttachFlow = (channel: Duplex, sink: Duplex) => ChannelFlow | null;

/** Which of the two spliced streams is the SSH channel whose data we read. */
export type ChannelSide = 'client' | 'destination';

/** Every proxied connection of a tunnel, so they can be listed and closed one by one. */
export class ConnectionRegistry {
  private nextId = 1;
  private readonly live = new Map<number, Entry>();

  constructor(private readonly attachFlow: AttachFlow | null = null) {}

  /**
   * Splices `client` and `destination`, counting into `forwardCounter`, tracked until both close.
   * The stream on `channelSide` is the SSH channel: its receive window is put under flow control.
   */
  async carry(
    forward: number,
    clientName: string,
    target: string,
    client: Duplex,
    destination: Duplex,
    forwardCounter: TrafficCounter,
    channelSide: ChannelSide,
  ): Promise<void> {
    const id = this.nextId++;
    const counter = new TrafficCounter(forwardCounter);
    const entry: Entry = { info: { id, forward, client: clientName, target, startedAt: Date.now() }, counter, streams: [client, destination], flow: null };
    this.live.set(id, entry);
    try {
      const spliced = splice(client, destination, counter);
      // After splice: its pipes must be in place, so the flow sees what they hand on.
      const [channel, sink] = channelSide === 'client' ? [client, destination] : [destination, client];
      entry.flow = this.attachFlow?.(channel, sink) ?? null;
      await spliced;
    } finally {
      entry.flow?.detach();
      this.live.delete(id);
    }
  }

  /**
   * Flow control of one forward's live channels: the sum of their windows (what they may make
   * us hold) and whether any of them is limited by its window now. Null without tuned channels.
   */
  flowStats(forward: number, now?: number): ChannelFlowStats | null {
    const flows = [...this.live.values()].filter((e) => e.info.forward === forward && e.flow !== null).map((e) => e.flow!.stats(now));
    if (flows.length === 0) return null;
    return { window: flows.reduce((sum, s) => sum + s.window, 0), windowLimited: flows.some((s) => s.windowLimited) };
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

import type { Duplex } from 'node:stream';
import type { TrafficCounter } from './traffic.js';

/**
 * Joins a client-side stream and a destination-side stream in both directions with pipe()
 * (so backpressure holds end to end), keeps half-closes (EOF one way leaves the other open,
 * as OpenSSH does), counts bytes, and tears both down once either side is gone.
 * Resolves when both are closed.
 */
export function splice(client: Duplex, destination: Duplex, counter: TrafficCounter): Promise<void> {
  counter.opened();
  client.on('data', (chunk: Buffer) => counter.addSent(chunk.length));
  destination.on('data', (chunk: Buffer) => counter.addReceived(chunk.length));
  client.pipe(destination);
  destination.pipe(client);

  return new Promise((resolve) => {
    let open = 2;
    const done = (): void => {
      if (--open === 0) {
        counter.closed();
        resolve();
      }
    };
    const finishPeer = (peer: Duplex): void => {
      // Flush what the peer still has to write, then close it: the other side cannot send more.
      // Never destroy before 'finish': an ended stream may still hold the last bytes of a
      // response (found by the soak test: a complete echo arrived truncated). Keep reading
      // (into nothing) too: an ssh2 channel only emits 'close' once its readable end is consumed.
      peer.resume();
      if (peer.destroyed) return;
      const destroy = (): void => void peer.destroy();
      // An ssh2 channel's destroy() is end() + close(), and end() on a finished stream makes Node
      // build an error with a stack trace, per connection: once flushed, close() is all it needs.
      const channel = peer as Duplex & { close?: () => void };
      const flushed = (): void => (typeof channel.close === 'function' ? channel.close() : destroy());
      if (peer.writableFinished) flushed();
      else if (peer.writableEnded) peer.once('finish', flushed);
      else peer.end(flushed);
      // A peer that never drains is cut off; one that closes takes its timer along, so finished
      // connections are not kept reachable for half a minute each.
      const deadline = setTimeout(destroy, 30_000).unref();
      peer.once('close', () => clearTimeout(deadline));
    };
    client.once('close', () => {
      finishPeer(destination);
      done();
    });
    destination.once('close', () => {
      finishPeer(client);
      done();
    });
    client.on('error', () => destination.destroy());
    destination.on('error', () => client.destroy());
  });
}

import type { Server, Socket } from 'node:net';
import { formatHostPort } from '../../../shared/profile.js';
import type { SshSession } from '../session.js';
import { ForwardRunner } from './forward-runner.js';
import { bindListeners, closeListeners } from './listeners.js';

export function peerName(socket: Socket): string {
  return formatHostPort(socket.remoteAddress ?? '?', socket.remotePort ?? '?');
}

/**
 * -L and -D: listeners on this machine, bound once and kept across SSH reconnects. A
 * connection that arrives while the session is down waits for the next one (bounded by the
 * tunnel's hold time) instead of being refused.
 */
export abstract class ListeningForward extends ForwardRunner {
  private servers: Server[] = [];

  async open(): Promise<void> {
    if (this.servers.length > 0) return;
    const bound = await bindListeners(this.forward.bind, this.ctx.gatewayPorts, (socket) => this.accept(socket));
    this.servers = bound.servers;
    this.status.listening = bound.addresses;
    const bind = this.forward.bind;
    this.status.allocatedPort = 'port' in bind && bind.port === 0 ? bound.port : null;
    if (bound.addresses.some((a) => a.startsWith('[::]') || a.startsWith('0.0.0.0'))) {
      this.status.note = 'listening on all interfaces: other machines can connect';
    }
    this.log('info', `listening on ${bound.addresses.join(', ')}`);
  }

  async attach(session: SshSession): Promise<void> {
    this.session = session;
    if (this.status.state !== 'failed') this.status.state = 'active';
  }

  get isListening(): boolean {
    return this.servers.length > 0;
  }

  async close(): Promise<void> {
    const servers = this.servers;
    this.servers = [];
    this.session = null;
    this.ctx.registry.closeForward(this.index);
    await closeListeners(servers);
    this.status.state = 'stopped';
    this.status.listening = [];
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    socket.on('error', () => undefined); // reported through the handler, never thrown
    this.handle(socket).catch((err: Error) => {
      this.counter.failed();
      this.log('warn', `connection from ${peerName(socket)} failed: ${err.message}`);
      // A reply already queued with end() (a SOCKS failure code) must reach the client first;
      // otherwise reset, so the client sees a failure rather than an empty, clean end.
      if (socket.writableEnded) {
        if (socket.writableFinished) socket.destroy();
        else socket.once('finish', () => socket.destroy());
      } else socket.resetAndDestroy();
    });
  }

  protected abstract handle(socket: Socket): Promise<void>;
}

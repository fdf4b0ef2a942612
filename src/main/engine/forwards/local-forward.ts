import type { Socket } from 'node:net';
import type { ClientChannel } from 'ssh2';
import { formatHostPort, type LocalForward as LocalForwardSpec, type SocketPath, type Target } from '../../../shared/profile.js';
import { CHANNEL_OPEN_TIMEOUT_MS } from '../session.js';
import { openDirectChannel, openSocketChannel } from '../channels.js';
import { ListeningForward, peerName } from './listening-forward.js';

function targetName(target: Target | SocketPath): string {
  if ('socket' in target) return target.socket;
  return formatHostPort(target.host, target.port);
}

/** ssh -L: connections here are carried to host:hostport, resolved and dialled by the server. */
export class LocalForwardRunner extends ListeningForward {
  protected async handle(socket: Socket): Promise<void> {
    const target = (this.forward as LocalForwardSpec).target;
    const session = await this.ctx.acquireSession();
    if (socket.destroyed) return;
    let channel: ClientChannel;
    if ('socket' in target) {
      channel = await openSocketChannel(session.client, target.socket, CHANNEL_OPEN_TIMEOUT_MS);
    } else {
      const source = { host: socket.remoteAddress ?? '127.0.0.1', port: socket.remotePort ?? 0 };
      channel = await openDirectChannel(session.client, source, target.host, target.port, CHANNEL_OPEN_TIMEOUT_MS);
    }
    if (socket.destroyed) {
      channel.close();
      return;
    }
    await this.ctx.registry.carry(this.index, peerName(socket), targetName(target), socket, channel, this.counter, 'destination');
  }
}

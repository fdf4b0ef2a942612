import type { Socket } from 'node:net';
import { formatHostPort } from '../../../shared/profile.js';
import { CHANNEL_OPEN_TIMEOUT_MS, type SshSession } from '../session.js';
import { openDirectChannel } from '../channels.js';
import { readSocksRequest, SOCKS5_REPLY } from '../socks/handshake.js';
import { ListeningForward, peerName } from './listening-forward.js';
import { socksReplyFor } from './socks-reply.js';

export const SOCKS_HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * ssh -D: a SOCKS4/4a/5 server here; each CONNECT becomes a direct-tcpip channel. Success is
 * replied only once the channel is open, so clients see refusals as refusals. Domain names go
 * to the server unresolved (socks5h / socks4a semantics).
 */
export class DynamicForwardRunner extends ListeningForward {
  protected async handle(socket: Socket): Promise<void> {
    socket.resume();
    const request = await readSocksRequest(socket, SOCKS_HANDSHAKE_TIMEOUT_MS);
    const target = formatHostPort(request.host, request.port);
    let session: SshSession;
    try {
      session = await this.ctx.acquireSession();
    } catch (err) {
      // The client gets a SOCKS failure, not a silent close.
      request.reply(SOCKS5_REPLY.generalFailure);
      socket.end();
      throw err;
    }
    if (socket.destroyed) return;
    const source = { host: socket.remoteAddress ?? '127.0.0.1', port: socket.remotePort ?? 0 };
    let channel;
    try {
      channel = await openDirectChannel(session.client, source, request.host, request.port, CHANNEL_OPEN_TIMEOUT_MS);
    } catch (err) {
      request.reply(socksReplyFor(err));
      socket.end();
      throw err;
    }
    if (socket.destroyed) {
      channel.close();
      return;
    }
    request.reply(SOCKS5_REPLY.succeeded);
    await this.ctx.registry.carry(this.index, peerName(socket), target, socket, channel, this.counter, 'destination');
  }
}

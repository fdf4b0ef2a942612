import { connect } from 'node:net';
import { isUdpForward, type Forward } from '../../shared/profile.js';
import { openDirectChannel, openSocketChannel } from './channels.js';
import type { SshSession } from './session.js';

const PROBE_TIMEOUT_MS = 5000;

function tcpProbe(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(PROBE_TIMEOUT_MS);
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/**
 * Can the forward's destination be reached right now? -L asks the server to open a channel to
 * it (and closes it at once); -R dials its target from here. Dynamic forwards have no single
 * destination: null.
 */
export async function probeForward(forward: Forward, session: SshSession): Promise<'ok' | 'down' | null> {
  // UDP has no handshake to probe with: a datagram that gets no answer proves nothing.
  if (forward.kind === 'dynamic' || forward.target === undefined || isUdpForward(forward)) return null;
  const target = forward.target;
  if (forward.kind === 'remote') {
    if ('socket' in target) return null;
    return (await tcpProbe(target.host, target.port)) ? 'ok' : 'down';
  }
  try {
    const channel =
      'socket' in target
        ? await openSocketChannel(session.client, target.socket, PROBE_TIMEOUT_MS)
        : await openDirectChannel(session.client, { host: '127.0.0.1', port: 0 }, target.host, target.port, PROBE_TIMEOUT_MS);
    channel.close();
    return 'ok';
  } catch {
    return session.isOpen ? 'down' : null;
  }
}

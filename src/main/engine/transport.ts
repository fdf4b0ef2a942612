import { connect, type Socket } from 'node:net';
import { TunnelError } from '../../shared/errors.js';

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EAI_NODATA']);

/** A Node socket error as a stable engine error, naming what we tried to reach. */
export function socketErrorToTunnelError(err: NodeJS.ErrnoException, what: string): TunnelError {
  const code = err.code ?? '';
  if (DNS_CODES.has(code)) return new TunnelError('DNS_FAILED', `${what}: the host name could not be resolved`);
  if (code === 'ETIMEDOUT') return new TunnelError('TIMEOUT', `${what}: the connection timed out`);
  if (code === 'ECONNREFUSED') return new TunnelError('CONNECT_FAILED', `${what}: connection refused`);
  if (code === 'EADDRNOTAVAIL') return new TunnelError('CONNECT_FAILED', `${what}: the source address (BindAddress) is not on this machine`);
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
    return new TunnelError('CONNECT_FAILED', `${what}: the host is unreachable`);
  }
  return new TunnelError('CONNECT_FAILED', `${what}: ${err.message}`);
}

/**
 * Opens the TCP connection to the first hop ourselves rather than letting ssh2 do it, to set
 * TCP_NODELAY (without it every new forwarded connection pays ~40 ms of Nagle + delayed ACK)
 * and to tell DNS, refusal and timeout apart before the SSH handshake starts.
 */
export function tcpConnect(host: string, port: number, timeoutMs: number, family: 0 | 4 | 6, localAddress?: string): Promise<Socket> {
  const what = `${host}:${port}`;
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, family, noDelay: true, ...(localAddress ? { localAddress } : {}) });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new TunnelError('TIMEOUT', `${what}: no connection after ${Math.round(timeoutMs / 1000)} s`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      socket.setNoDelay(true);
      coalesceWrites(socket);
      resolve(socket);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      reject(socketErrorToTunnelError(err, what));
    });
  });
}

/**
 * Batches the writes made in one tick into one writev: ssh2 writes every SSH packet on its own,
 * and on a busy link those separate syscalls were the largest cost in a CPU profile of a bulk
 * transfer. Nothing waits longer than the current tick.
 */
export function coalesceWrites(socket: Socket): void {
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  let corked = false;
  socket.write = ((...args: unknown[]) => {
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(() => {
        corked = false;
        socket.uncork();
      });
    }
    return write(...args);
  }) as Socket['write'];
}

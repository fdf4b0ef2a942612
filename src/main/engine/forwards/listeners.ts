import { createServer, type Server, type Socket } from 'node:net';
import { TunnelError } from '../../../shared/errors.js';
import { formatHostPort as formatAddress, type Bind, type SocketPath } from '../../../shared/profile.js';

export interface BoundListeners {
  servers: Server[];
  /** "127.0.0.1:8080", "[::1]:8080", "/run/x.sock" */
  addresses: string[];
  port: number | null;
}

/**
 * Which local addresses a bind means, as ssh(1) decides for -L and -D: no address is loopback
 * (all interfaces with -g / GatewayPorts), '*' and '' are all interfaces, 'localhost' is
 * loopback on both families.
 */
export function localBindAddresses(host: string | null, gatewayPorts: boolean): { addresses: string[]; allInterfaces: boolean } {
  if ((host === null && gatewayPorts) || host === '*' || host === '') return { addresses: ['::', '0.0.0.0'], allInterfaces: true };
  if (host === null || host === 'localhost') return { addresses: ['127.0.0.1', '::1'], allInterfaces: false };
  return { addresses: [host], allInterfaces: false };
}

function listen(server: Server, options: { host?: string; port?: number; path?: string; ipv6Only?: boolean }): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(options, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

export function bindError(err: NodeJS.ErrnoException, where: string): TunnelError {
  switch (err.code) {
    case 'EADDRINUSE':
      return new TunnelError('FORWARD_BIND_FAILED', `cannot listen on ${where}: the address is already in use`);
    case 'EACCES':
    case 'EPERM':
      return new TunnelError('FORWARD_BIND_FAILED', `cannot listen on ${where}: permission denied (ports below 1024 need privileges)`);
    case 'EADDRNOTAVAIL':
      return new TunnelError('FORWARD_BIND_FAILED', `cannot listen on ${where}: that address does not belong to this machine`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new TunnelError('FORWARD_BIND_FAILED', `cannot listen on ${where}: the bind address could not be resolved`);
    default:
      return new TunnelError('FORWARD_BIND_FAILED', `cannot listen on ${where}: ${err.message}`);
  }
}

/**
 * Binds the listeners of one local or dynamic forward. With two addresses (loopback on both
 * families, or all interfaces) the second takes the port the first got, and a family the
 * machine lacks is skipped, as ssh(1) does; at least one listener must succeed.
 */
export async function bindListeners(
  bind: Bind | SocketPath,
  gatewayPorts: boolean,
  onConnection: (socket: Socket) => void,
): Promise<BoundListeners> {
  const makeServer = (): Server => {
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true });
    server.on('connection', onConnection);
    return server;
  };
  if ('socket' in bind) {
    const server = makeServer();
    try {
      await listen(server, { path: bind.socket });
    } catch (err) {
      throw bindError(err as NodeJS.ErrnoException, bind.socket);
    }
    return { servers: [server], addresses: [bind.socket], port: null };
  }

  const { addresses, allInterfaces } = localBindAddresses(bind.host, gatewayPorts);
  const servers: Server[] = [];
  const bound: string[] = [];
  let port = bind.port;
  let firstError: TunnelError | null = null;
  for (const host of addresses) {
    const server = makeServer();
    try {
      // '::' listens on IPv4 too unless told not to; then '0.0.0.0' is only a fallback.
      await listen(server, { host, port, ...(host === '::' ? { ipv6Only: false } : {}) });
      const actual = server.address();
      if (actual && typeof actual === 'object') port = actual.port;
      servers.push(server);
      bound.push(formatAddress(host, port));
      if (allInterfaces) break;
    } catch (err) {
      server.close();
      firstError ??= bindError(err as NodeJS.ErrnoException, formatAddress(host, port));
      // The first address decides; a missing second family (no IPv6) is not an error.
      if (servers.length === 0 && !allInterfaces) break;
    }
  }
  if (servers.length === 0) throw firstError ?? new TunnelError('FORWARD_BIND_FAILED', `cannot listen on port ${bind.port}`);
  return { servers, addresses: bound, port };
}

export async function closeListeners(servers: Server[]): Promise<void> {
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
}

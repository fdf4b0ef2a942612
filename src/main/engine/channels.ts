import type { Client, ClientChannel } from 'ssh2';
import { TunnelError } from '../../shared/errors.js';
import { formatHostPort } from '../../shared/profile.js';

/** RFC 4254 §5.1 channel-open failure reasons. */
export const OPEN_FAILURE = {
  administrativelyProhibited: 1,
  connectFailed: 2,
  unknownChannelType: 3,
  resourceShortage: 4,
} as const;

export class ChannelOpenError extends TunnelError {
  constructor(
    message: string,
    /** RFC 4254 reason code, or null when the failure was ours (timeout, session down). */
    readonly reason: number | null,
    readonly description: string,
  ) {
    super('CHANNEL_OPEN_FAILED', message);
  }
}

function toChannelOpenError(err: Error & { reason?: unknown }, what: string): ChannelOpenError {
  const description = err.message.replace(/^\(SSH\) Channel open failure: /, '');
  const reason = typeof err.reason === 'number' ? err.reason : null;
  const prefix = reason === OPEN_FAILURE.administrativelyProhibited ? 'the server does not permit' : 'the server could not open';
  return new ChannelOpenError(`${prefix} ${what}: ${description}`, reason, description);
}

type OpenCallback = (err: Error | undefined, channel: ClientChannel) => void;

/**
 * A channel open with the timeout ssh2 lacks (a pending open can otherwise wait forever, ssh2
 * #955). A channel that opens after we gave up is closed at once so its id is not leaked.
 */
function openWithTimeout(what: string, timeoutMs: number, open: (cb: OpenCallback) => void): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      reject(new ChannelOpenError(`${what} did not open within ${Math.round(timeoutMs / 1000)} s`, null, 'timeout'));
    }, timeoutMs);
    try {
      open((err, channel) => {
        clearTimeout(timer);
        if (done) {
          channel?.close();
          return;
        }
        done = true;
        if (err) reject(toChannelOpenError(err, what));
        else resolve(channel);
      });
    } catch {
      // ssh2 throws "Not connected" synchronously when the session is already gone.
      clearTimeout(timer);
      done = true;
      reject(new ChannelOpenError(`${what}: the SSH session is not connected`, null, 'not connected'));
    }
  });
}

/** direct-tcpip: the server connects to host:port for us. */
export function openDirectChannel(
  client: Client,
  source: { host: string; port: number },
  host: string,
  port: number,
  timeoutMs: number,
): Promise<ClientChannel> {
  const what = `a connection to ${formatHostPort(host, port)}`;
  return openWithTimeout(what, timeoutMs, (cb) => client.forwardOut(source.host, source.port, host, port, cb));
}

/** direct-streamlocal@openssh.com: the server connects to a Unix socket for us. */
export function openSocketChannel(client: Client, path: string, timeoutMs: number): Promise<ClientChannel> {
  return openWithTimeout(`a connection to socket ${path}`, timeoutMs, (cb) => client.openssh_forwardOutStreamLocal(path, cb));
}

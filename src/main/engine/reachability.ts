import { connect } from 'node:net';

/**
 * Polls host:port with bare TCP connects until one succeeds or `signal` aborts. Lets a tunnel
 * waiting out a long backoff come back within a second of its server returning, without
 * a full SSH handshake per poll.
 */
export function whenReachable(host: string, port: number, everyMs: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | null = null;
    const stop = (): void => {
      if (timer) clearTimeout(timer);
    };
    signal.addEventListener('abort', stop, { once: true });
    const attempt = (): void => {
      if (signal.aborted) return;
      const socket = connect({ host, port });
      socket.setTimeout(everyMs);
      let settled = false;
      const retry = (): void => {
        if (settled) return;
        settled = true;
        socket.destroy();
        if (!signal.aborted) timer = setTimeout(attempt, everyMs);
      };
      socket.once('connect', () => {
        settled = true;
        socket.destroy();
        signal.removeEventListener('abort', stop);
        if (!signal.aborted) resolve();
      });
      socket.once('error', retry);
      socket.once('timeout', retry);
    };
    timer = setTimeout(attempt, everyMs);
  });
}

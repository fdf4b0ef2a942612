import { connect, type Socket } from 'node:net';

/** What every bench section shares: medians, loopback connections, waiting for a listener. */

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** A TCP connection to 127.0.0.1:`port`, Nagle off, half-close allowed. */
export function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', noDelay: true, allowHalfOpen: true });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/**
 * Resolves once something accepts on 127.0.0.1:`port` (a tunnel's entrance coming up), within
 * about 20 s. One parameter only: it is passed to Array.map as it is.
 */
export async function waitListening(port: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    try {
      (await open(port)).destroy();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`nothing listens on ${port}`);
}

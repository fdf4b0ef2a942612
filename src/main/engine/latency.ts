import type { Client } from 'ssh2';

interface Ssh2Internals {
  _callbacks?: ((...args: unknown[]) => void)[];
  _protocol?: { ping?: () => void };
  _sock?: { writable?: boolean };
}

/**
 * One SSH round trip (keepalive@openssh.com with want-reply), in ms, or null if unavailable.
 * ssh2 exposes no ping with a callback; its own keepalive pushes a reply callback and then
 * pings, in that order, and so do we, so replies still pair up with their requests (global
 * replies are answered in order, RFC 4254 §4). If ssh2's internals change, this returns null.
 */
export function measureRoundTrip(client: Client, timeoutMs = 10_000): Promise<number | null> {
  const internals = client as unknown as Ssh2Internals;
  const callbacks = internals._callbacks;
  const ping = internals._protocol?.ping;
  if (!Array.isArray(callbacks) || typeof ping !== 'function' || !internals._sock?.writable) return Promise.resolve(null);
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const timer = setTimeout(() => resolve(null), timeoutMs);
    callbacks.push(() => {
      clearTimeout(timer);
      resolve(Number(process.hrtime.bigint() - started) / 1e6);
    });
    try {
      ping.call(internals._protocol);
    } catch {
      callbacks.pop();
      clearTimeout(timer);
      resolve(null);
    }
  });
}

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

/**
 * Times ssh2's own keepalive pings on `client`, so an idle tunnel's latency needs no ping of its
 * own (one round trip per interval instead of two: at 200 tunnels that is most of the engine's
 * idle wake-ups). ssh2 pushes the reply callback and then calls ping(), so the callback to time
 * is the last one pushed when ping() runs. Without those internals, nothing is timed and the
 * tunnel falls back to its own pings.
 */
export function timeKeepalives(client: Client, onSample: (ms: number) => void): void {
  const internals = client as unknown as Ssh2Internals;
  const protocol = internals._protocol;
  const callbacks = internals._callbacks;
  const ping = protocol?.ping;
  if (!protocol || typeof ping !== 'function' || !Array.isArray(callbacks)) return;
  protocol.ping = function timedPing(this: unknown): void {
    const last = callbacks.length - 1;
    const reply = callbacks[last];
    if (typeof reply === 'function') {
      const started = process.hrtime.bigint();
      callbacks[last] = (...args: unknown[]) => {
        onSample(Number(process.hrtime.bigint() - started) / 1e6);
        reply(...args);
      };
    }
    ping.call(this);
  };
}

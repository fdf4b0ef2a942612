import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Backoff } from '../../src/main/engine/backoff.js';
import { Tunnel } from '../../src/main/engine/tunnel.js';
import type { Profile } from '../../src/shared/profile.js';
import type { TunnelStateChange } from '../../src/shared/tunnel.js';
import { knownHostsFor, profileFor } from '../helpers/fixtures.js';
import { echoRoundTrip, sha256, startEchoServer, waitFor, type Closable } from '../helpers/servers.js';
import { freePort, listeningSocketCount, makeClientKeys, Sshd, type ClientKeys } from '../helpers/sshd.js';

let keys: ClientKeys;
let echo: Closable;
const cleanup: (() => Promise<void>)[] = [];

beforeAll(async () => {
  delete process.env.SSH_AUTH_SOCK;
  keys = await makeClientKeys();
  echo = await startEchoServer();
});

afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn().catch(() => undefined);
});

afterAll(async () => {
  await echo?.close();
});

async function server(config: string[] = []): Promise<{ sshd: Sshd; knownHosts: string }> {
  const sshd = await Sshd.start({ authorizedKeys: keys.authorizedKeys, config });
  cleanup.push(() => sshd.dispose());
  return { sshd, knownHosts: await knownHostsFor([sshd]) };
}

function track(tunnel: Tunnel): TunnelStateChange[] {
  const states: TunnelStateChange[] = [];
  tunnel.on('state', (s) => states.push(s));
  cleanup.push(() => tunnel.stop());
  return states;
}

function localForward(port = 0): Profile['forwards'][number] {
  return { kind: 'local', bind: { host: '127.0.0.1', port }, target: { host: '127.0.0.1', port: echo.port } };
}

async function echoWorks(port: number, size = 50_000): Promise<void> {
  const { sent, received } = await echoRoundTrip(port, size);
  expect(sha256(received)).toBe(sha256(sent));
}

/** A backoff whose first delay is short and every later one a minute. */
class QuickThenSlowBackoff extends Backoff {
  private tries = 0;
  override next(): number {
    return this.tries++ === 0 ? 100 : 60_000;
  }
  override reset(): void {
    this.tries = 0;
  }
}

describe('supervision against real sshd', () => {
  it('black hole (SIGSTOP): detected by keepalive within ~3 s, reconnects, the same port is bound exactly once', async () => {
    const { sshd, knownHosts } = await server();
    const profile = profileFor(sshd, keys, knownHosts, [localForward()]);
    profile.keepalive = { interval: 1, countMax: 2 };
    const tunnel = new Tunnel('t', profile);
    const states = track(tunnel);
    await tunnel.start();
    const port = tunnel.forwardStatuses()[0]!.allocatedPort!;
    await echoWorks(port);

    const stopped = await sshd.signalSessions('SIGSTOP');
    cleanup.push(async () => void stopped.forEach((pid) => { try { process.kill(pid, 'SIGCONT'); } catch { /* gone */ } }));
    const t0 = Date.now();
    const lost = await waitFor(() => states.find((s) => s.state === 'reconnecting'), 10_000, 'the drop to be detected');
    const detectedAfter = Date.now() - t0;
    expect(lost.error?.code).toBe('KEEPALIVE_TIMEOUT');
    expect(detectedAfter).toBeLessThan(6000); // interval 1 s × (countMax 2 + 1) ≈ 3 s, with slack for a loaded machine

    await waitFor(() => tunnel.getState() === 'up', 15_000, 'the reconnect');
    expect(tunnel.forwardStatuses()[0]!.allocatedPort).toBe(port);
    expect(await listeningSocketCount(port)).toBe(1);
    await echoWorks(port);
  });

  it('server restart: usable again as soon as it answers (polled, not left to the backoff), remote forwards re-registered', async () => {
    const { sshd, knownHosts } = await server();
    const remotePort = await freePort();
    const profile = profileFor(sshd, keys, knownHosts, [
      localForward(),
      { kind: 'remote', bind: { host: '127.0.0.1', port: remotePort }, target: { host: '127.0.0.1', port: echo.port } },
    ]);
    // The first retry comes at once (and finds the server down); every later one a minute away,
    // so within the wait below only the reachability poll can bring the tunnel back.
    const tunnel = new Tunnel('t', profile, { backoff: new QuickThenSlowBackoff() });
    const states = track(tunnel);
    await tunnel.start();
    expect(tunnel.getState()).toBe('up');
    const port = tunnel.forwardStatuses()[0]!.allocatedPort!;

    await sshd.stop(true);
    // A reconnection attempt has failed against the stopped server: now it waits (and polls).
    await waitFor(() => states.some((s) => s.state === 'reconnecting' && s.error?.code === 'CONNECT_FAILED'), 10_000, 'a failed attempt while the server is down');
    await sshd.relaunch();
    await waitFor(() => tunnel.getState() === 'up', 20_000, 'the tunnel to come back');
    expect(tunnel.logs().some((l) => l.message === `127.0.0.1:${sshd.port} answers again`)).toBe(true);
    await echoWorks(port);
    await echoWorks(remotePort, 1000);
    expect(await listeningSocketCount(port)).toBe(1);
  });

  it('kill -9 of the session: reconnects and carries traffic again', async () => {
    const { sshd, knownHosts } = await server();
    const tunnel = new Tunnel('t', profileFor(sshd, keys, knownHosts, [localForward()]));
    const states = track(tunnel);
    await tunnel.start();
    const port = tunnel.forwardStatuses()[0]!.allocatedPort!;
    expect((await sshd.signalSessions('SIGKILL')).length).toBeGreaterThan(0);
    await waitFor(() => states.some((s) => s.state === 'reconnecting' && s.error?.code === 'CONNECTION_LOST'), 10_000, 'the loss');
    await waitFor(() => tunnel.getState() === 'up', 10_000, 'the reconnect');
    await echoWorks(port);
  });

  it('a connection made during the outage is held and served after the reconnect', async () => {
    const { sshd, knownHosts } = await server();
    const tunnel = new Tunnel('t', profileFor(sshd, keys, knownHosts, [localForward()]));
    const states = track(tunnel);
    await tunnel.start();
    const port = tunnel.forwardStatuses()[0]!.allocatedPort!;
    await sshd.stop(true);
    await waitFor(() => states.some((s) => s.state === 'reconnecting'), 10_000, 'the loss');
    const during = echoRoundTrip(port, 20_000);
    await new Promise((r) => setTimeout(r, 1500));
    await sshd.relaunch();
    const { sent, received } = await during;
    expect(sha256(received)).toBe(sha256(sent));
  });

  it('a held connection is closed cleanly when the session does not come back in time', async () => {
    const { sshd, knownHosts } = await server();
    const tunnel = new Tunnel('t', profileFor(sshd, keys, knownHosts, [localForward()]), { holdMs: 1000 });
    track(tunnel);
    await tunnel.start();
    const port = tunnel.forwardStatuses()[0]!.allocatedPort!;
    await sshd.stop(true);
    await waitFor(() => tunnel.getState() === 'reconnecting', 10_000, 'the loss');
    const closed = await new Promise<boolean>((resolve) => {
      const s: Socket = connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      s.on('close', () => resolve(true));
    });
    expect(closed).toBe(true);
  });

  it('DNS failure keeps retrying as DNS_FAILED; it is not a permanent failure', async () => {
    const { sshd, knownHosts } = await server();
    const profile = profileFor(sshd, keys, knownHosts, [localForward()]);
    profile.host = 'nosuch.invalid';
    const tunnel = new Tunnel('t', profile);
    const states = track(tunnel);
    await tunnel.start();
    const first = await waitFor(() => states.find((s) => s.state === 'reconnecting'), 10_000, 'a retry');
    expect(first.error?.code).toBe('DNS_FAILED');
    expect(tunnel.getState()).not.toBe('failed');
  });

  it('a server that never sends its banner times out (ConnectTimeout) and is retried', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    cleanup.push(async () => {
      sockets.forEach((s) => s.destroy());
      silent.close();
    });
    const { sshd, knownHosts } = await server();
    const profile = profileFor(sshd, keys, knownHosts);
    profile.port = (silent.address() as { port: number }).port;
    profile.connectTimeout = 1;
    const tunnel = new Tunnel('t', profile);
    const states = track(tunnel);
    await tunnel.start();
    const retry = await waitFor(() => states.find((s) => s.state === 'reconnecting'), 10_000, 'the timeout');
    expect(retry.error?.code).toBe('TIMEOUT');
    expect(retry.error?.message).toMatch(/banner/);
  });

  it('a jump chain whose middle hop dies reconnects in order, checking every host key again', async () => {
    const a = await server();
    const b = await server();
    const dest = await server();
    const knownHosts = await knownHostsFor([a.sshd, b.sshd, dest.sshd]);
    const profile = profileFor(dest.sshd, keys, knownHosts, [localForward()]);
    profile.jumps = [a.sshd, b.sshd].map((s) => ({ host: '127.0.0.1', port: s.port, user: s.user }));
    const tunnel = new Tunnel('t', profile);
    const states = track(tunnel);
    await tunnel.start();
    const port = tunnel.forwardStatuses()[0]!.allocatedPort!;
    await echoWorks(port);
    const connectionsBefore = (dest.sshd.log.match(/Connection from/g) ?? []).length;
    await b.sshd.signalSessions('SIGKILL');
    await waitFor(() => states.some((s) => s.state === 'reconnecting'), 10_000, 'the loss');
    await waitFor(() => tunnel.getState() === 'up', 10_000, 'the reconnect');
    await echoWorks(port);
    expect((dest.sshd.log.match(/Connection from/g) ?? []).length).toBe(connectionsBefore + 1);
    const hostKeyChecks = tunnel.logs().filter((l) => l.message.startsWith('authenticated to')).length;
    expect(hostKeyChecks).toBe(6); // three hops, twice
  });

  it('lazy: listeners bound at start, SSH connected on first use, dropped after the idle time', async () => {
    const { sshd, knownHosts } = await server();
    const profile = profileFor(sshd, keys, knownHosts, [localForward()]);
    profile.lazy = true;
    profile.idleTimeout = 1;
    const tunnel = new Tunnel('t', profile);
    track(tunnel);
    await tunnel.start();
    expect(tunnel.getState()).toBe('up');
    expect(tunnel.stats().sessionOpen).toBe(false);
    expect(sshd.log).not.toMatch(/Connection from/);
    const port = tunnel.forwardStatuses()[0]!.allocatedPort!;

    await echoWorks(port);
    expect(sshd.log).toMatch(/Connection from/);
    expect(tunnel.stats().sessionOpen).toBe(true);
    await waitFor(() => !tunnel.stats().sessionOpen, 8000, 'the idle disconnect');
    expect(tunnel.getState()).toBe('up');
    await echoWorks(port); // and again on the next use
  });

  it('reports SSH latency and exact counters', async () => {
    const { sshd, knownHosts } = await server();
    const tunnel = new Tunnel('t', profileFor(sshd, keys, knownHosts, [localForward()]));
    track(tunnel);
    await tunnel.start();
    await waitFor(() => tunnel.stats().latencyMs !== null, 5000, 'a latency sample');
    expect(tunnel.stats().latencyMs).toBeGreaterThan(0);
    const port = tunnel.forwardStatuses()[0]!.allocatedPort!;
    await echoWorks(port, 77_777);
    await waitFor(() => tunnel.stats().connections === 0, 5000, 'the close');
    const stats = tunnel.stats();
    expect([stats.bytesSent, stats.bytesReceived]).toEqual([77_777, 77_777]);
    expect([stats.forwards[0]!.bytesSent, stats.forwards[0]!.bytesReceived]).toEqual([77_777, 77_777]);
  });

  it('an idle tunnel takes its latency from the keepalive replies instead of pinging twice', async () => {
    const { sshd, knownHosts } = await server();
    const profile = profileFor(sshd, keys, knownHosts, [localForward()]);
    // Keepalives far more often than latency is read: a keepalive reply is always recent enough.
    profile.keepalive = { interval: 1, countMax: 3 };
    const tunnel = new Tunnel('t', profile, { latencyIntervalMs: 3000 });
    track(tunnel);
    // At session start the loop times a few round trips of its own, for window tuning; it says
    // when it is done, and from then on it should ping no more.
    const lines: string[] = [];
    tunnel.on('log', (line) => lines.push(line.message));
    await tunnel.start();
    await waitFor(() => lines.some((l) => /timed at start/.test(l)), 20_000, 'the start samples');
    expect(lines.find((l) => /timed at start/.test(l))).toMatch(/^round trip \d+\.\d ms \(the smallest of 4 timed at start\)/);
    // Every SSH ping (ssh2's keepalive and the latency loop's own) goes through protocol.ping;
    // the latency loop's come from measureRoundTrip, which the call stack names.
    const protocol = (tunnel as unknown as { session: { client: { _protocol: { ping: () => void } } } }).session.client._protocol;
    const ping = protocol.ping;
    let keepalives = 0;
    let ownPings = 0;
    protocol.ping = function (this: unknown) {
      if (/measureRoundTrip/.test(new Error().stack ?? '')) ownPings++;
      else keepalives++;
      ping.call(this);
    };
    // Long enough for the latency loop to have run at least twice (it runs every 3 s).
    await waitFor(() => keepalives >= 7 && tunnel.stats().latencyMs !== null, 30_000, 'keepalives and a latency figure');
    expect(ownPings).toBe(0);
    expect(tunnel.stats().latencyMs).toBeGreaterThan(0);
  });

  it('probes: SSH up but destination down is degraded; it recovers when the destination returns', async () => {
    const { sshd, knownHosts } = await server();
    const targetPort = await freePort();
    const profile = profileFor(sshd, keys, knownHosts, [
      { kind: 'local', bind: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: targetPort } },
    ]);
    profile.probeInterval = 1;
    const tunnel = new Tunnel('t', profile);
    const states = track(tunnel);
    await tunnel.start();
    const degraded = await waitFor(() => states.find((s) => s.state === 'degraded'), 8000, 'degraded');
    expect(degraded.reason).toMatch(/destination not reachable/);
    expect(degraded.forwards[0]!.probe).toBe('down');
    const target = createServer((s) => s.end());
    await new Promise<void>((r) => target.listen(targetPort, '127.0.0.1', r));
    cleanup.push(async () => void target.close());
    await waitFor(() => tunnel.getState() === 'up', 8000, 'recovery');
    expect(tunnel.forwardStatuses()[0]!.probe).toBe('ok');
  });

  it('gate time (autossh): a first connection that fails gives up instead of retrying', async () => {
    const { sshd, knownHosts } = await server();
    const profile = profileFor(sshd, keys, knownHosts);
    profile.port = await freePort(); // nothing listens
    const gated = new Tunnel('gated', profile, { gateTimeMs: 5000 });
    track(gated);
    await gated.start();
    expect(gated.getState()).toBe('failed');
    expect(gated.error?.code).toBe('CONNECT_FAILED');
    const ungated = new Tunnel('ungated', profile);
    const states = track(ungated);
    await ungated.start();
    expect(states.map((s) => s.state)).toContain('reconnecting');
  });

  it('stop() during reconnecting ends the retries', async () => {
    const { sshd, knownHosts } = await server();
    const tunnel = new Tunnel('t', profileFor(sshd, keys, knownHosts, [localForward()]));
    const states = track(tunnel);
    await tunnel.start();
    await sshd.stop(true);
    await waitFor(() => tunnel.getState() === 'reconnecting', 10_000, 'the loss');
    await tunnel.stop();
    const count = states.length;
    await sshd.relaunch();
    await new Promise((r) => setTimeout(r, 2000));
    expect(states.length).toBe(count);
    expect(tunnel.getState()).toBe('stopped');
  });
});

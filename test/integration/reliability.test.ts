import { createHash, randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TunnelManager } from '../../src/main/engine/manager.js';
import { Tunnel } from '../../src/main/engine/tunnel.js';
import { Backoff } from '../../src/main/engine/backoff.js';
import { knownHostsFor, profileFor } from '../helpers/fixtures.js';
import { echoRoundTrip, sha256, waitFor, type Closable } from '../helpers/servers.js';
import { socksExchange } from '../helpers/socks-client.js';
import { freePort, freePorts, listeningSocketCount, Sshd } from '../helpers/sshd.js';
import { useSshdWithEcho } from '../helpers/sshd-fixture.js';

// sshd's own MaxStartups default: past 10 unauthenticated connections it drops new ones at random.
const fx = useSshdWithEcho(['MaxStartups 10:30:100']);
const cleanup: (() => Promise<unknown>)[] = [];

// Registered after the fixture's hooks, so it runs before the fixture disposes sshd.
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
});

function openChannels(tunnel: Tunnel): number {
  // ssh2's channel manager: every open channel, forwarded or not.
  const session = (tunnel as unknown as { session: { client: { _chanMgr: { _count: number } } } | null }).session;
  return session?.client._chanMgr._count ?? -1;
}

/** A sink that hashes what it receives and answers with the hex digest when the sender ends. */
async function startHashServer(): Promise<Closable> {
  const server = createServer({ allowHalfOpen: true }, (s) => {
    const hash = createHash('sha256');
    s.on('data', (d) => hash.update(d));
    s.on('end', () => s.end(hash.digest('hex')));
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, close: () => new Promise((r) => server.close(() => r())) };
}

function sendAndHash(port: number, data: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    let reply = '';
    s.on('data', (d) => (reply += d));
    s.on('end', () => resolve(reply));
    s.on('error', reject);
    s.on('connect', () => s.end(data));
  });
}

describe('faults and load', () => {
  it('200 parallel 10 MB transfers over one -L: every checksum matches; channels return to zero', async () => {
    const sink = await startHashServer();
    cleanup.push(() => sink.close());
    const tunnel = new Tunnel('bulk', profileFor(fx.sshd, fx.keys, fx.knownHosts, [
      { kind: 'local', bind: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: sink.port } },
    ]));
    cleanup.push(() => tunnel.stop());
    await tunnel.start();
    const port = tunnel.forwardStatuses()[0]!.allocatedPort!;
    const payloads = Array.from({ length: 200 }, (_, i) => (i < 20 ? randomBytes(10 * 1024 * 1024) : Buffer.alloc(10 * 1024 * 1024, i)));
    const results = await Promise.all(payloads.map((p) => sendAndHash(port, p)));
    expect(results).toEqual(payloads.map(sha256));
    await waitFor(() => tunnel.stats().connections === 0 && openChannels(tunnel) === 0, 10_000, 'channels to close');
    expect(tunnel.stats().bytesSent).toBe(200 * 10 * 1024 * 1024);
  }, 180_000);

  it('a 3×3 chain of alternating -L/-R forwards copies data byte-identically', async () => {
    // 3 tunnels × (L, R, L): each hop hands the stream to the next listener, like OpenSSH's forwarding.sh.
    const ports = await freePorts(10);
    const forwards = [] as ReturnType<typeof profileFor>['forwards'][];
    for (let t = 0; t < 3; t++) {
      const f: ReturnType<typeof profileFor>['forwards'] = [];
      for (let k = 0; k < 3; k++) {
        const i = t * 3 + k;
        const bind = { host: '127.0.0.1', port: ports[i]! };
        const target = { host: '127.0.0.1', port: i === 8 ? fx.echo.port : ports[i + 1]! };
        f.push(i % 2 === 0 ? { kind: 'local', bind, target } : { kind: 'remote', bind, target });
      }
      forwards.push(f);
    }
    const tunnels = forwards.map((f, t) => new Tunnel(`chain${t}`, profileFor(fx.sshd, fx.keys, fx.knownHosts, f)));
    for (const t of tunnels) {
      cleanup.push(() => t.stop());
      await t.start();
      expect(t.getState()).toBe('up');
    }
    const { sent, received } = await echoRoundTrip(ports[0]!, 4 * 1024 * 1024);
    expect(sha256(received)).toBe(sha256(sent));
  }, 60_000);

  it('a byte-flipping man in the middle: an error and a reconnect, never corrupt data delivered', async () => {
    let flip = false;
    const proxy: Server = createServer((client) => {
      const upstream = connect(fx.sshd.port, '127.0.0.1');
      client.on('data', (d: Buffer) => upstream.write(d));
      upstream.on('data', (d: Buffer) => {
        if (flip && d.length > 64) {
          d = Buffer.from(d);
          const at = d.length >> 1;
          d.writeUInt8(d.readUInt8(at) ^ 0x40, at); // one bit inside an encrypted packet
          flip = false;
        }
        client.write(d);
      });
      const end = (): void => {
        client.destroy();
        upstream.destroy();
      };
      client.on('close', end);
      upstream.on('close', end);
      client.on('error', end);
      upstream.on('error', end);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    cleanup.push(async () => proxy.close());
    const profile = profileFor(fx.sshd, fx.keys, fx.knownHosts, [
      { kind: 'local', bind: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: fx.echo.port } },
    ]);
    profile.port = (proxy.address() as { port: number }).port;
    profile.hostKeyAlias = `[127.0.0.1]:${fx.sshd.port}`;
    const tunnel = new Tunnel('flip', profile);
    const states: string[] = [];
    tunnel.on('state', (s) => states.push(`${s.state}:${s.error?.code ?? ''}`));
    cleanup.push(() => tunnel.stop());
    await tunnel.start();
    const port = tunnel.forwardStatuses()[0]!.allocatedPort!;
    flip = true;
    const attempt = await echoRoundTrip(port, 2 * 1024 * 1024).catch(() => null);
    // Either the stream was cut, or what arrived is an exact prefix: never altered bytes.
    if (attempt) expect(attempt.sent.subarray(0, attempt.received.length).equals(attempt.received)).toBe(true);
    await waitFor(() => states.some((s) => s.startsWith('reconnecting:')), 10_000, 'the integrity failure to drop the session');
    await waitFor(() => tunnel.getState() === 'up', 15_000, 'the reconnect');
    const clean = await echoRoundTrip(port, 100_000);
    expect(clean.received.equals(clean.sent)).toBe(true);
  }, 60_000);

  it('PermitOpen / PermitListen denials: the tunnel stays up and says why', async () => {
    const strict = await Sshd.start({ authorizedKeys: fx.keys.authorizedKeys, config: ['PermitOpen 127.0.0.1:1', 'PermitListen 127.0.0.1:1'] });
    cleanup.push(() => strict.dispose());
    const tunnel = new Tunnel('denied', profileFor(strict, fx.keys, await knownHostsFor([strict]), [
      { kind: 'local', bind: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: fx.echo.port } },
      { kind: 'remote', bind: { host: '127.0.0.1', port: await freePort() }, target: { host: '127.0.0.1', port: fx.echo.port } },
    ]));
    cleanup.push(() => tunnel.stop());
    await tunnel.start();
    expect(['up', 'degraded']).toContain(tunnel.getState());
    expect(tunnel.forwardStatuses()[1]!.error?.code).toBe('REMOTE_FORWARD_REFUSED');
    await echoRoundTrip(tunnel.forwardStatuses()[0]!.allocatedPort!, 10).catch(() => null);
    await waitFor(() => tunnel.logs().some((l) => /does not permit|prohibited/i.test(l.message)), 5000, 'the reason in the log');
    expect(tunnel.getState()).not.toBe('failed');
  });

  it('a server past MaxStartups: the refusal is named, and the tunnel comes up once a slot frees', async () => {
    const busy = await Sshd.start({ authorizedKeys: fx.keys.authorizedKeys, config: ['MaxStartups 1:100:1'] });
    cleanup.push(() => busy.dispose());
    // Someone else's connection that never authenticates holds sshd's only startup slot.
    const squatter = connect(busy.port, '127.0.0.1');
    squatter.on('error', () => undefined);
    await new Promise((r) => squatter.once('data', r));
    const tunnel = new Tunnel('busy', profileFor(busy, fx.keys, await knownHostsFor([busy]), [
      { kind: 'local', bind: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: fx.echo.port } },
    ]), { backoff: new Backoff() });
    cleanup.push(() => tunnel.stop());
    void tunnel.start();
    await waitFor(() => tunnel.logs().some((l) => /MaxStartups/.test(l.message)), 10_000, 'the MaxStartups refusal in the log');
    expect(tunnel.getState()).toBe('reconnecting');
    // The server answers TCP, so it is not polled back to life: retries follow the backoff
    // (about 1, 2, 4 s) rather than hammering a server that is shedding load. A slow machine
    // only spaces them further, so a lower bound on the gaps cannot flake.
    const refusals = (): number[] => tunnel.logs().filter((l) => /MaxStartups/.test(l.message) && l.level !== 'debug').map((l) => l.time);
    await waitFor(() => refusals().length >= 3, 20_000, 'three refusals');
    const [a, b, c] = refusals();
    expect(b! - a!).toBeGreaterThanOrEqual(500);
    expect(c! - b!).toBeGreaterThanOrEqual(1000);
    squatter.destroy();
    await waitFor(() => tunnel.getState() === 'up', 20_000, 'up once the slot is free');
    const { sent, received } = await echoRoundTrip(tunnel.forwardStatuses()[0]!.allocatedPort!, 1000);
    expect(received.equals(sent)).toBe(true);
  });

  it('50 profiles × 3 forwards start at once past sshd\'s default MaxStartups, all come up; killing every session, each forward comes back exactly once', async () => {
    const manager = new TunnelManager({ tickMs: 1000 });
    cleanup.push(() => manager.dispose());
    const ids = Array.from({ length: 50 }, (_, i) => `p${i}`);
    await Promise.all(
      ids.map((id) =>
        manager.start(id, profileFor(fx.sshd, fx.keys, fx.knownHosts, [
          { kind: 'local', bind: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: fx.echo.port } },
          { kind: 'dynamic', bind: { host: '127.0.0.1', port: 0 } },
          { kind: 'remote', bind: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: fx.echo.port } },
        ]), { backoff: new Backoff() }),
      ),
    );
    // Staggered, not lucky: no handshake was dropped by sshd and retried.
    const dropped = (): string[] =>
      ids.flatMap((id) => manager.get(id)!.logs().filter((l) => /handshake/.test(l.message) && l.level !== 'debug').map((l) => `${id}: ${l.message}`));
    await waitFor(() => ids.every((id) => manager.get(id)!.getState() === 'up'), 60_000, 'all 50 up');
    expect(dropped()).toEqual([]);
    const localPorts = ids.map((id) => manager.get(id)!.forwardStatuses()[0]!.allocatedPort!);
    const upTimes: number[] = [];
    for (const id of ids) manager.get(id)!.on('state', (s) => s.state === 'up' && upTimes.push(Date.now()));
    await fx.sshd.signalSessions('SIGKILL');
    await waitFor(() => upTimes.length >= 50 && ids.every((id) => manager.get(id)!.getState() === 'up'), 60_000, 'all 50 back');
    expect(upTimes.length).toBe(50); // exactly once each
    expect(dropped()).toEqual([]);
    for (const port of localPorts) expect(await listeningSocketCount(port)).toBe(1);
    for (const id of ids) {
      const f = manager.get(id)!.forwardStatuses();
      expect(f.map((x) => x.state)).toEqual(['active', 'active', 'active']);
    }
    await Promise.all(localPorts.slice(0, 10).map((p) => echoRoundTrip(p, 1000)));
    await manager.stopAll();
    for (const port of localPorts) expect(await listeningSocketCount(port)).toBe(0);
  }, 180_000);
});

describe('abuse of the SOCKS listener', () => {
  let tunnel: Tunnel;
  let port: number;
  beforeAll(async () => {
    tunnel = new Tunnel('socks', profileFor(fx.sshd, fx.keys, fx.knownHosts, [{ kind: 'dynamic', bind: { host: null, port: 0 } }]));
    await tunnel.start();
    port = tunnel.forwardStatuses()[0]!.allocatedPort!;
  });
  afterAll(() => tunnel.stop());

  it('listens on loopback only, as the socket table shows', async () => {
    const { readFile } = await import('node:fs/promises');
    const hex = port.toString(16).toUpperCase().padStart(4, '0');
    const v4 = (await readFile('/proc/net/tcp', 'utf8')).split('\n').filter((l) => l.includes(`:${hex} `) && / 0A /.test(l)).map((l) => l.trim().split(/\s+/)[1]);
    expect(v4).toEqual([`0100007F:${hex}`]);
    const v6 = (await readFile('/proc/net/tcp6', 'utf8')).split('\n').filter((l) => l.includes(`:${hex} `) && / 0A /.test(l)).map((l) => l.trim().split(/\s+/)[1]);
    expect(v6).toEqual([`00000000000000000000000001000000:${hex}`]);
  });

  it('one byte every few seconds (slowloris) is cut off at the handshake limit', async () => {
    const s: Socket = connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    const closed = new Promise<number>((resolve) => {
      const start = Date.now();
      s.on('close', () => resolve(Date.now() - start));
    });
    const drip = setInterval(() => s.writable && s.write(Buffer.from([5])), 3000);
    const after = await closed;
    clearInterval(drip);
    expect(after).toBeGreaterThan(9000);
    expect(after).toBeLessThan(14_000);
  }, 20_000);

  it('10,000 half-open handshakes: memory stays bounded and a real client is still served', async () => {
    const before = process.memoryUsage().rss;
    const sockets: Socket[] = [];
    for (let batch = 0; batch < 20; batch++) {
      await Promise.all(
        Array.from({ length: 500 }, () =>
          new Promise<void>((resolve) => {
            const s = connect(port, '127.0.0.1', () => {
              s.write(Buffer.from([5, 1]));
              resolve();
            });
            s.on('error', () => resolve());
            sockets.push(s);
          }),
        ),
      );
    }
    const grown = (process.memoryUsage().rss - before) / 1024 / 1024;
    const { reply } = await socksExchange(port, [Buffer.from([5, 1, 0]), Buffer.from([5, 1, 0, 1, 127, 0, 0, 1, fx.echo.port >> 8, fx.echo.port & 255])], 12);
    expect(reply[3]).toBe(0);
    for (const s of sockets) s.destroy();
    // Both ends of 10,000 sockets live in this test process; the bound is on what we hold per connection.
    expect(grown).toBeLessThan(400);
    expect(tunnel.getState()).toBe('up');
  }, 60_000);
});

import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { Forward } from '../../src/shared/profile.js';
import { Tunnel, type TunnelOptions } from '../../src/main/engine/tunnel.js';
import type { RelayInterpreter } from '../../src/main/engine/udp/relay-command.js';
import { startDnsResponder } from '../helpers/dns-responder.js';
import { knownHostsFor, profileFor } from '../helpers/fixtures.js';
import { echoRoundTrip, sha256, waitFor } from '../helpers/servers.js';
import { Sshd } from '../helpers/sshd.js';
import { useSshdWithEcho } from '../helpers/sshd-fixture.js';
import { startUdpEcho, taggedPayloads, udpExchange, type UdpServer } from '../helpers/udp.js';
import dgram from 'node:dgram';

const run = promisify(execFile);
const fx = useSshdWithEcho();
const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
});

/** 1 byte to 60 KB, including the sizes that cross 4 KiB reads and the SSH packet size. */
const SIZES = [1, 2, 100, 1200, 1472, 4096, 4097, 9000, 32_768, 32_769, 60_000];
const CLIENTS = 4;

function udpLocal(port: number, extra: Partial<Extract<Forward, { protocol: 'udp' }>> = {}): Forward {
  return { kind: 'local', protocol: 'udp', bind: { host: null, port: 0 }, target: { host: '127.0.0.1', port }, ...extra };
}

function udpRemote(port: number, bindPort = 0): Forward {
  return { kind: 'remote', protocol: 'udp', bind: { host: null, port: bindPort }, target: { host: '127.0.0.1', port } };
}

async function startTunnel(forwards: Forward[], options: TunnelOptions = {}, sshd = fx.sshd, knownHosts = fx.knownHosts, key = fx.keys.key): Promise<{ tunnel: Tunnel; logs: string[] }> {
  const profile = profileFor(sshd, { ...fx.keys, key }, knownHosts, forwards);
  const tunnel = new Tunnel('udp', profile, { backoff: undefined, ...options });
  const logs: string[] = [];
  tunnel.on('log', (line) => logs.push(line.message));
  cleanup.push(() => tunnel.stop());
  await tunnel.start();
  return { tunnel, logs };
}

async function echoServer(): Promise<UdpServer> {
  const echo = await startUdpEcho();
  cleanup.push(() => echo.close());
  return echo;
}

/** Several clients at once, every size each; every datagram must come back whole to its own sender. */
async function manyClientsRoundTrip(port: number): Promise<number> {
  const results = await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      const sent = taggedPayloads(`client${c}`, SIZES);
      const back = await udpExchange(port, sent);
      return { sent, back };
    }),
  );
  let bytes = 0;
  for (const { sent, back } of results) {
    expect(back.map(sha256).sort()).toEqual(sent.map(sha256).sort());
    bytes += sent.reduce((n, b) => n + b.length, 0);
  }
  return bytes;
}

/** The relay processes under sshd (their command line carries the hex-encoded program). */
async function relayPids(sshd: Sshd): Promise<number[]> {
  const pids: number[] = [];
  for (const pid of await sshd.sessionPids()) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'latin1').catch(() => '');
    if (/^(perl|python3)\0-[ec]\0/.test(cmdline)) pids.push(pid);
  }
  return pids;
}

describe.each<RelayInterpreter>(['perl', 'python3'])('UDP forwards, relay run by %s on a stock sshd', (interpreter) => {
  const options: TunnelOptions = { udpRelayInterpreters: [interpreter] };

  it('local: several clients at once; every datagram of 1 B to 60 KB returns whole to its own sender', async () => {
    const echo = await echoServer();
    const { tunnel, logs } = await startTunnel([udpLocal(echo.port)], options);
    expect(tunnel.getState()).toBe('up');
    const status = tunnel.forwardStatuses()[0]!;
    expect(status).toMatchObject({ state: 'active', protocol: 'udp', description: `(local udp) localhost:0 → 127.0.0.1:${echo.port}` });
    // -L's default bind: loopback on both families, nothing else.
    expect(status.listening).toEqual([`127.0.0.1:${status.allocatedPort}`, `[::1]:${status.allocatedPort}`]);
    expect(logs.some((l) => l.includes(`UDP relay running on the server (${interpreter})`))).toBe(true);

    const bytes = await manyClientsRoundTrip(status.allocatedPort!);
    // Each client was one flow, with one socket on the server: the echo server saw four senders.
    expect(new Set(echo.received.map((r) => r.from)).size).toBe(CLIENTS);
    const udp = tunnel.stats().forwards[0]!.udp!;
    expect(udp).toMatchObject({ datagramsSent: CLIENTS * SIZES.length, datagramsReceived: CLIENTS * SIZES.length, flows: CLIENTS, totalFlows: CLIENTS, drops: 0, relayStarts: 1 });
    expect(tunnel.stats().forwards[0]).toMatchObject({ bytesSent: bytes, bytesReceived: bytes, connections: CLIENTS });
    await tunnel.stop();
  });

  it('remote: the relay binds loopback on the server; several senders there each get their own replies', async () => {
    const echo = await echoServer();
    const { tunnel, logs } = await startTunnel([udpRemote(echo.port)], options);
    expect(tunnel.getState()).toBe('up');
    const status = tunnel.forwardStatuses()[0]!;
    const port = status.allocatedPort!;
    expect(port).toBeGreaterThan(0);
    // -R's default: loopback on the server (this machine plays the server here).
    expect(status.listening).toEqual([`server:udp 127.0.0.1:${port}`, `server:udp [::1]:${port}`]);
    expect(logs.some((l) => l.includes(`(${interpreter})`))).toBe(true);

    await manyClientsRoundTrip(port);
    // IPv6 senders on the server are flows too.
    const v6 = taggedPayloads('v6', [1, 60_000]);
    expect((await udpExchange(port, v6, '::1')).map(sha256).sort()).toEqual(v6.map(sha256).sort());
    const udp = tunnel.stats().forwards[0]!.udp!;
    expect(udp).toMatchObject({ flows: CLIENTS + 1, totalFlows: CLIENTS + 1, drops: 0 });
    expect(udp.datagramsSent).toBe(CLIENTS * SIZES.length + 2);
    await tunnel.stop();
    // The relay ends with its channel: nothing keeps listening on the server.
    await waitFor(async () => (await relayPids(fx.sshd)).length === 0, 10_000, 'relay to exit');
  });

  it('flows idle past flowIdleTimeout are closed and counted; past maxFlows the least recently used is evicted', async () => {
    const echo = await echoServer();
    const { tunnel } = await startTunnel([udpLocal(echo.port, { flowIdleTimeout: 1 }), udpLocal(echo.port, { maxFlows: 2 })], options);
    const [idle, capped] = tunnel.forwardStatuses().map((s) => s.allocatedPort!);
    await udpExchange(idle!, [Buffer.from('x')]);
    await waitFor(() => tunnel.stats().forwards[0]!.udp!.expiredFlows === 1, 10_000, 'the idle flow to expire');
    expect(tunnel.stats().forwards[0]!.udp!.flows).toBe(0);

    for (let c = 0; c < 3; c++) await udpExchange(capped!, [Buffer.from(`client ${c}`)]);
    await waitFor(() => tunnel.stats().forwards[1]!.udp!.evictions === 1, 10_000, 'an eviction');
    expect(tunnel.stats().forwards[1]!.udp).toMatchObject({ flows: 2, totalFlows: 3 });
    await tunnel.stop();
  });
});

describe('UDP forwards: supervision', () => {
  it('a relay killed on the server is a forward failure with its reason, and is restarted', async () => {
    const echo = await echoServer();
    const { tunnel, logs } = await startTunnel([udpLocal(echo.port), udpRemote(echo.port)]);
    const [local, remote] = tunnel.forwardStatuses();
    await manyClientsRoundTrip(local!.allocatedPort!);
    const pids = await relayPids(fx.sshd);
    expect(pids).toHaveLength(2);
    const degraded = new Promise((resolve) => tunnel.on('state', (c) => c.state === 'degraded' && resolve(c)));
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    const change = (await degraded) as { reason: string; error: { code: string } };
    expect(change.error.code).toBe('UDP_RELAY_UNAVAILABLE');
    expect(change.reason).toMatch(/UDP forward\(s\) not running on the server/);
    expect(logs.some((l) => /the UDP relay on the server ended killed by SIGKILL/.test(l))).toBe(true);

    await waitFor(() => tunnel.stats().forwards.every((f) => f.udp!.relayStarts === 2) && tunnel.getState() === 'up', 20_000, 'relays to restart');
    expect(tunnel.forwardStatuses().map((s) => s.state)).toEqual(['active', 'active']);
    // The local port stayed bound; the remote one is bound anew (same port asked: 0, so any).
    expect(tunnel.forwardStatuses()[0]!.allocatedPort).toBe(local!.allocatedPort);
    await manyClientsRoundTrip(local!.allocatedPort!);
    await manyClientsRoundTrip(tunnel.forwardStatuses()[1]!.allocatedPort!);
    expect(remote).toBeDefined();
    await tunnel.stop();
  });

  it('the session killed and restored brings UDP back on both sides', async () => {
    const echo = await echoServer();
    const remotePort = (await (async () => {
      const probe = dgram.createSocket('udp4');
      await new Promise<void>((r) => probe.bind(0, '127.0.0.1', r));
      const p = probe.address().port;
      await new Promise<void>((r) => probe.close(() => r()));
      return p;
    })());
    const { tunnel } = await startTunnel([udpLocal(echo.port), udpRemote(echo.port, remotePort)]);
    const localPort = tunnel.forwardStatuses()[0]!.allocatedPort!;
    await manyClientsRoundTrip(localPort);
    await manyClientsRoundTrip(remotePort);

    const lost = new Promise((resolve) => tunnel.on('state', (c) => c.state === 'reconnecting' && resolve(c)));
    await fx.sshd.signalSessions('SIGKILL');
    await lost;
    await waitFor(() => tunnel.getState() === 'up', 30_000, 'the tunnel to come back');
    expect(tunnel.stats().forwards.map((f) => f.udp!.relayStarts)).toEqual([2, 2]);
    await manyClientsRoundTrip(localPort);
    await manyClientsRoundTrip(remotePort);
    await tunnel.stop();
  });

  it('a datagram sent while no relay runs is dropped and counted, never queued without limit', async () => {
    const echo = await echoServer();
    const { tunnel } = await startTunnel([udpLocal(echo.port)]);
    const port = tunnel.forwardStatuses()[0]!.allocatedPort!;
    const lost = new Promise((resolve) => tunnel.on('state', (c) => c.state === 'reconnecting' && resolve(c)));
    await fx.sshd.signalSessions('SIGKILL');
    await lost;
    const sender = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => sender.send('lost', port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
    sender.close();
    await waitFor(() => tunnel.stats().forwards[0]!.udp!.drops === 1, 10_000, 'the drop to be counted');
    await waitFor(() => tunnel.getState() === 'up', 30_000, 'the tunnel to come back');
    expect((await udpExchange(port, [Buffer.from('after')]))[0]!.toString()).toBe('after');
    await tunnel.stop();
  });
});

describe('UDP forwards: refusals, with TCP forwards unharmed', () => {
  async function restrictedServer(config: string[], keyOptions = ''): Promise<{ sshd: Sshd; knownHosts: string }> {
    const authorizedKeys = join(fx.keys.dir, `authorized_keys_${Math.random().toString(36).slice(2)}`);
    const pub = (await readFile(`${fx.keys.key}.pub`, 'utf8')).trim();
    await writeFile(authorizedKeys, `${keyOptions ? `${keyOptions} ` : ''}${pub}\n`, { mode: 0o600 });
    const sshd = await Sshd.start({ authorizedKeys, config });
    cleanup.push(() => sshd.dispose());
    return { sshd, knownHosts: await knownHostsFor([sshd]) };
  }

  async function expectRefused(server: { sshd: Sshd; knownHosts: string }, forward: Forward, code: string, message: RegExp): Promise<void> {
    const tcpForward: Forward = { kind: 'local', bind: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: fx.echo.port } };
    const { tunnel } = await startTunnel([forward, tcpForward], {}, server.sshd, server.knownHosts);
    expect(tunnel.getState()).toBe('degraded');
    const [udp, tcp] = tunnel.forwardStatuses();
    expect(udp!.state).toBe('failed');
    expect(udp!.error?.code).toBe(code);
    expect(udp!.error?.message).toMatch(message);
    expect(tcp!.state).toBe('active');
    const { sent, received } = await echoRoundTrip(tcp!.allocatedPort!, 100_000);
    expect(sha256(received)).toBe(sha256(sent));
    await tunnel.stop();
  }

  it('ForceCommand: UDP_RELAY_UNAVAILABLE, saying a fixed command ran and what it printed', async () => {
    const echo = await echoServer();
    await expectRefused(await restrictedServer(['ForceCommand echo this account only tunnels']), udpLocal(echo.port), 'UDP_RELAY_UNAVAILABLE', /it printed "this account only tunnels".*; the account runs a fixed command or has no login shell \(ForceCommand, a command= key, nologin\?\)/);
  });

  it('a command= key that prints nothing: UDP_RELAY_UNAVAILABLE, saying the account runs a fixed command', async () => {
    const echo = await echoServer();
    await expectRefused(await restrictedServer([], 'no-pty,command="/bin/false"'), udpLocal(echo.port), 'UDP_RELAY_UNAVAILABLE', /ended with status 1 before starting \(local UDP forward\) without a word; the account runs a fixed command or has no login shell/);
  });

  it('neither perl nor python3 on the server: UDP_RELAY_UNAVAILABLE naming both', async () => {
    const echo = await echoServer();
    await expectRefused(
      await restrictedServer(['PermitUserEnvironment yes'], 'environment="PATH=/nonexistent"'),
      udpLocal(echo.port),
      'UDP_RELAY_UNAVAILABLE',
      /no interpreter for the UDP relay: no usable perl or python3 on the server/,
    );
  });

  it('a port taken on the server: FORWARD_BIND_FAILED with the address and the reason', async () => {
    const echo = await echoServer();
    const squatter = dgram.createSocket('udp4');
    await new Promise<void>((r) => squatter.bind(0, '127.0.0.1', r));
    cleanup.push(() => new Promise<void>((r) => squatter.close(() => r())));
    const port = squatter.address().port;
    await expectRefused({ sshd: fx.sshd, knownHosts: fx.knownHosts }, udpRemote(echo.port, port), 'FORWARD_BIND_FAILED', new RegExp(`cannot listen for UDP on 127\\.0\\.0\\.1:${port}: Address already in use`));
  });
});

describe('UDP forwards: many flows', () => {
  it.each<RelayInterpreter>(['perl', 'python3'])('%s: 3,000 clients through one local forward each get their own reply, past a server soft limit of 1,024 open files', async (interpreter) => {
    // A stock server's soft limit: the relay raises it to the hard limit and waits with poll(),
    // not select(), which stops at descriptor 1024.
    const sshd = await Sshd.start({ authorizedKeys: fx.keys.authorizedKeys, softFileLimit: 1024 });
    cleanup.push(() => sshd.dispose());
    const echo = await echoServer();
    const { tunnel } = await startTunnel([udpLocal(echo.port)], { udpRelayInterpreters: [interpreter] }, sshd, await knownHostsFor([sshd]));
    const port = tunnel.forwardStatuses()[0]!.allocatedPort!;
    const CLIENTS_MANY = 3000;
    // Every client keeps its socket (a closed one's port could be reused by the next client and
    // be the same flow). In batches, so bursts fit the receive buffers: this checks flows.
    const clients: dgram.Socket[] = [];
    cleanup.push(async () => clients.forEach((c) => c.close()));
    for (let start = 0; start < CLIENTS_MANY; start += 100) {
      await Promise.all(
        Array.from({ length: 100 }, async (_, i) => {
          const client = dgram.createSocket('udp4');
          clients.push(client);
          await new Promise<void>((r) => client.bind(0, '127.0.0.1', r));
          const sent = Buffer.from(`client ${start + i}`);
          const back = await new Promise<Buffer>((resolve) => {
            client.once('message', resolve);
            client.send(sent, port, '127.0.0.1');
          });
          expect(back.equals(sent)).toBe(true);
        }),
      );
    }
    expect(tunnel.stats().forwards[0]!.udp).toMatchObject({ flows: CLIENTS_MANY, totalFlows: CLIENTS_MANY, evictions: 0, drops: 0 });
    expect(new Set(echo.received.map((r) => r.from)).size).toBe(CLIENTS_MANY);
    await tunnel.stop();
  });
});

describe('UDP forwards: a server out of descriptors', () => {
  it.each<RelayInterpreter>(['perl', 'python3'])('%s: with a hard limit of 100 open files, new flows evict the least recently used instead of failing', async (interpreter) => {
    const sshd = await Sshd.start({ authorizedKeys: fx.keys.authorizedKeys, hardFileLimit: 100 });
    cleanup.push(() => sshd.dispose());
    const echo = await echoServer();
    const { tunnel } = await startTunnel([udpLocal(echo.port)], { udpRelayInterpreters: [interpreter] }, sshd, await knownHostsFor([sshd]));
    const port = tunnel.forwardStatuses()[0]!.allocatedPort!;
    const clients: dgram.Socket[] = [];
    cleanup.push(async () => clients.forEach((c) => c.close()));
    for (let i = 0; i < 300; i++) {
      const client = dgram.createSocket('udp4');
      clients.push(client);
      await new Promise<void>((r) => client.bind(0, '127.0.0.1', r));
      const sent = Buffer.from(`client ${i}`);
      const back = await new Promise<Buffer>((resolve) => {
        client.once('message', resolve);
        client.send(sent, port, '127.0.0.1');
      });
      expect(back.equals(sent)).toBe(true);
    }
    const udp = tunnel.stats().forwards[0]!.udp!;
    expect(udp.totalFlows).toBe(300);
    expect(udp.evictions).toBeGreaterThan(200);
    expect(udp.flows).toBeLessThan(100);
    expect(udp.flows + udp.evictions).toBe(300);
    await tunnel.stop();
  });
});

describe('UDP forwards: bind rules of -L', () => {
  it('GatewayPorts binds all interfaces and says so; an explicit address binds only that one; a taken port is FORWARD_BIND_FAILED here', async () => {
    const echo = await echoServer();
    const squatter = dgram.createSocket('udp4');
    await new Promise<void>((r) => squatter.bind(0, '127.0.0.1', r));
    cleanup.push(() => new Promise<void>((r) => squatter.close(() => r())));
    const profile = profileFor(fx.sshd, fx.keys, fx.knownHosts, [
      udpLocal(echo.port),
      { kind: 'local', protocol: 'udp', bind: { host: '127.0.0.2', port: 0 }, target: { host: '127.0.0.1', port: echo.port } },
      { kind: 'local', protocol: 'udp', bind: { host: '127.0.0.1', port: squatter.address().port }, target: { host: '127.0.0.1', port: echo.port } },
    ]);
    profile.gatewayPorts = true;
    const tunnel = new Tunnel('udp', profile);
    cleanup.push(() => tunnel.stop());
    await tunnel.start();
    const [all, one, taken] = tunnel.forwardStatuses();
    expect(all!.listening).toEqual([`[::]:${all!.allocatedPort}`]);
    expect(all!.note).toMatch(/all interfaces/);
    expect(one!.listening).toEqual([`127.0.0.2:${one!.allocatedPort}`]);
    expect(taken!.state).toBe('failed');
    expect(taken!.error).toMatchObject({ code: 'FORWARD_BIND_FAILED', message: expect.stringMatching(/udp 127\.0\.0\.1:\d+: the address is already in use/) });
    // Like a -L that cannot bind: the rest of the tunnel is up, not retried on the server.
    expect(tunnel.getState()).toBe('up');
    const sent = [Buffer.from('dual stack')];
    expect((await udpExchange(all!.allocatedPort!, sent))[0]!.equals(sent[0]!)).toBe(true);
    expect((await udpExchange(one!.allocatedPort!, sent, '127.0.0.2'))[0]!.equals(sent[0]!)).toBe(true);
    await tunnel.stop();
  });
});

describe('UDP forwards: names', () => {
  it('"localhost" as the destination reaches a service on 127.0.0.1 only, from the server and from here', async () => {
    const echo = await echoServer();
    const { tunnel } = await startTunnel([
      { kind: 'local', protocol: 'udp', bind: { host: null, port: 0 }, target: { host: 'localhost', port: echo.port } },
      { kind: 'remote', protocol: 'udp', bind: { host: null, port: 0 }, target: { host: 'localhost', port: echo.port } },
    ]);
    for (const status of tunnel.forwardStatuses()) {
      const sent = taggedPayloads('localhost', [1, 1200]);
      expect((await udpExchange(status.allocatedPort!, sent)).map(sha256).sort()).toEqual(sent.map(sha256).sort());
    }
    await tunnel.stop();
  });
});

describe('a real client through a local UDP forward', () => {
  it('dig resolves a name through the tunnel from a DNS responder reached by the server', async () => {
    const dns = await startDnsResponder({ 'udp.tunnelvision.test': '192.0.2.7' });
    cleanup.push(() => dns.close());
    const { tunnel } = await startTunnel([udpLocal(dns.port)]);
    const port = tunnel.forwardStatuses()[0]!.allocatedPort!;
    const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(port), 'udp.tunnelvision.test', 'A', '+short', '+tries=1', '+time=10', '+notcp']);
    expect(stdout.trim()).toBe('192.0.2.7');
    expect(dns.questions).toEqual(['udp.tunnelvision.test A']);
    const nx = await run('dig', ['@127.0.0.1', '-p', String(port), 'nowhere.tunnelvision.test', 'A', '+tries=1', '+time=10', '+notcp']);
    expect(nx.stdout).toMatch(/status: NXDOMAIN/);
    await tunnel.stop();
  });
});

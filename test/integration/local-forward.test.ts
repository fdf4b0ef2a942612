import { describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { Tunnel } from '../../src/main/engine/tunnel.js';
import { profileFor } from '../helpers/fixtures.js';
import { echoRoundTrip, sha256, waitFor } from '../helpers/servers.js';
import { useSshdWithEcho } from '../helpers/sshd-fixture.js';

const fx = useSshdWithEcho();

async function upTunnel(tunnel: Tunnel): Promise<void> {
  await tunnel.start();
  expect(tunnel.getState(), JSON.stringify(tunnel.logs().slice(-5))).toBe('up');
}

describe('local forward (-L) against OpenSSH', () => {
  it('carries 2 MiB byte-exact both ways and counts every byte', async () => {
    const tunnel = new Tunnel('t', profileFor(fx.sshd, fx.keys, fx.knownHosts, [
      { kind: 'local', bind: { host: null, port: 0 }, target: { host: '127.0.0.1', port: fx.echo.port } },
    ]));
    await upTunnel(tunnel);
    const status = tunnel.forwardStatuses()[0]!;
    expect(status.state).toBe('active');
    expect(status.listening[0]).toMatch(/^127\.0\.0\.1:\d+$/);
    const port = status.allocatedPort!;

    const { sent, received } = await echoRoundTrip(port, 2 * 1024 * 1024);
    expect(sha256(received)).toBe(sha256(sent));
    await waitFor(() => tunnel.stats().connections === 0, 5000, 'connection to close');
    const stats = tunnel.stats();
    expect(stats.bytesSent).toBe(sent.length);
    expect(stats.bytesReceived).toBe(sent.length);
    expect(stats.totalConnections).toBe(1);
    await tunnel.stop();
    expect(tunnel.getState()).toBe('stopped');
  });

  it('listens on loopback only by default, on both families', async () => {
    const tunnel = new Tunnel('t', profileFor(fx.sshd, fx.keys, fx.knownHosts, [
      { kind: 'local', bind: { host: null, port: 0 }, target: { host: '127.0.0.1', port: fx.echo.port } },
    ]));
    await upTunnel(tunnel);
    const { listening, allocatedPort } = tunnel.forwardStatuses()[0]!;
    expect(listening).toEqual([`127.0.0.1:${allocatedPort}`, `[::1]:${allocatedPort}`]);
    const { sent, received } = await echoRoundTrip(allocatedPort!, 1000, '::1');
    expect(received.equals(sent)).toBe(true);
    await tunnel.stop();
  });

  it('resolves the destination on the server: "localhost" is the server itself', async () => {
    const tunnel = new Tunnel('t', profileFor(fx.sshd, fx.keys, fx.knownHosts, [
      { kind: 'local', bind: { host: '127.0.0.1', port: 0 }, target: { host: 'localhost', port: fx.echo.port } },
    ]));
    await upTunnel(tunnel);
    const { sent, received } = await echoRoundTrip(tunnel.forwardStatuses()[0]!.allocatedPort!, 4096);
    expect(received.equals(sent)).toBe(true);
    await tunnel.stop();
  });

  it('keeps a half-closed connection open for the reply', async () => {
    const tunnel = new Tunnel('t', profileFor(fx.sshd, fx.keys, fx.knownHosts, [
      { kind: 'local', bind: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: fx.echo.port } },
    ]));
    await upTunnel(tunnel);
    // echoRoundTrip ends its side first and still expects every byte back.
    const { sent, received } = await echoRoundTrip(tunnel.forwardStatuses()[0]!.allocatedPort!, 300_000);
    expect(sha256(received)).toBe(sha256(sent));
    await tunnel.stop();
  });

  it('closes the client connection when the destination refuses, and stays up', async () => {
    const tunnel = new Tunnel('t', profileFor(fx.sshd, fx.keys, fx.knownHosts, [
      { kind: 'local', bind: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: 1 } },
    ]));
    await upTunnel(tunnel);
    const port = tunnel.forwardStatuses()[0]!.allocatedPort!;
    const closed = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      s.on('close', () => resolve(true));
    });
    expect(closed).toBe(true);
    await waitFor(() => tunnel.stats().failedConnections === 1, 5000, 'failure to be counted');
    expect(tunnel.getState()).toBe('up');
    expect(tunnel.logs().some((l) => /Connection refused|could not open/i.test(l.message))).toBe(true);
    await tunnel.stop();
  });

  it('lists live connections (client, target, bytes, age) and closes one by one', async () => {
    const tunnel = new Tunnel('t', profileFor(fx.sshd, fx.keys, fx.knownHosts, [
      { kind: 'local', bind: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: fx.echo.port } },
    ]));
    await upTunnel(tunnel);
    const port = tunnel.forwardStatuses()[0]!.allocatedPort!;
    const open = (): Promise<import('node:net').Socket> =>
      new Promise((resolve) => {
        const s = connect(port, '127.0.0.1', () => s.write('hi', () => resolve(s)));
        s.on('error', () => undefined);
        s.resume(); // consume the fx.echo, so the close is seen
      });
    const [a, b] = [await open(), await open()];
    await waitFor(() => tunnel.connections().length === 2 && tunnel.connections().every((c) => c.bytesReceived === 2), 5000, 'two echoing connections');
    const list = tunnel.connections();
    expect(list.map((c) => c.client)).toEqual([`127.0.0.1:${a.localPort}`, `127.0.0.1:${b.localPort}`]);
    expect(list.every((c) => c.target === `127.0.0.1:${fx.echo.port}` && c.bytesSent === 2 && c.forward === 0)).toBe(true);
    const closedA = new Promise((r) => a.on('close', r));
    expect(tunnel.closeConnection(list[0]!.id)).toBe(true);
    await closedA;
    await waitFor(() => tunnel.connections().length === 1, 5000, 'one left');
    expect(tunnel.connections()[0]!.id).toBe(list[1]!.id);
    expect(b.destroyed).toBe(false);
    expect(tunnel.closeConnection(9999)).toBe(false);
    b.destroy();
    await tunnel.stop();
  });

  it('stop() releases the port at once', async () => {
    const tunnel = new Tunnel('t', profileFor(fx.sshd, fx.keys, fx.knownHosts, [
      { kind: 'local', bind: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: fx.echo.port } },
    ]));
    await upTunnel(tunnel);
    const port = tunnel.forwardStatuses()[0]!.allocatedPort!;
    await tunnel.stop();
    const again = new Tunnel('t2', profileFor(fx.sshd, fx.keys, fx.knownHosts, [
      { kind: 'local', bind: { host: '127.0.0.1', port }, target: { host: '127.0.0.1', port: fx.echo.port } },
    ]));
    await upTunnel(again);
    expect(again.forwardStatuses()[0]!.listening).toEqual([`127.0.0.1:${port}`]);
    await again.stop();
  });
});

describe('delivery when the destination closes first', () => {
  it('a slow reader still gets every byte of a response the server sent and closed at once', async () => {
    const { createServer } = await import('node:net');
    const { randomBytes } = await import('node:crypto');
    const body = randomBytes(8 * 1024 * 1024);
    const server = createServer((s) => {
      s.on('error', () => undefined);
      s.end(body); // write everything and close: EOF and CLOSE follow the data at once
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const tunnel = new Tunnel('t', profileFor(fx.sshd, fx.keys, fx.knownHosts, [
      { kind: 'local', bind: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: (server.address() as { port: number }).port } },
    ]));
    await upTunnel(tunnel);
    const port = tunnel.forwardStatuses()[0]!.allocatedPort!;
    const received = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const s = connect(port, '127.0.0.1');
      s.on('error', reject);
      s.pause(); // read nothing until the tunnel has had every chance to close its side
      setTimeout(() => {
        s.on('data', (d: Buffer) => chunks.push(d));
        s.on('end', () => resolve(Buffer.concat(chunks)));
        s.resume();
      }, 1500);
    });
    expect(received.length).toBe(body.length);
    expect(sha256(received)).toBe(sha256(body));
    await tunnel.stop();
    server.close();
  });
});

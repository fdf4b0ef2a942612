import { describe, expect, it } from 'vitest';
import { Tunnel } from '../../src/main/engine/tunnel.js';
import { profileFor } from '../helpers/fixtures.js';
import { echoRoundTrip, socks5Echo, sha256, startEchoServer, waitFor } from '../helpers/servers.js';
import { freePort } from '../helpers/sshd.js';
import { useSshdWithEcho } from '../helpers/sshd-fixture.js';

const fx = useSshdWithEcho();

describe('remote forward (-R) against OpenSSH', () => {
  it('port 0: reports the port the server allocated and carries data byte-exact', async () => {
    const tunnel = new Tunnel('t', profileFor(fx.sshd, fx.keys, fx.knownHosts, [
      { kind: 'remote', bind: { host: null, port: 0 }, target: { host: '127.0.0.1', port: fx.echo.port } },
    ]));
    await tunnel.start();
    expect(tunnel.getState()).toBe('up');
    const status = tunnel.forwardStatuses()[0]!;
    expect(status.state).toBe('active');
    const port = status.allocatedPort!;
    expect(port).toBeGreaterThan(0);
    expect(status.listening).toEqual([`server:localhost:${port}`]);

    // The server's listener (sshd on this machine) → back through the session → the echo server.
    const { sent, received } = await echoRoundTrip(port, 1024 * 1024);
    expect(sha256(received)).toBe(sha256(sent));
    await waitFor(() => tunnel.stats().connections === 0, 5000, 'connection to close');
    expect(tunnel.stats().bytesSent).toBe(sent.length);
    expect(tunnel.stats().bytesReceived).toBe(sent.length);
    await tunnel.stop();
  });

  it('cancels the server-side listener on stop', async () => {
    const port = await freePort();
    const tunnel = new Tunnel('t', profileFor(fx.sshd, fx.keys, fx.knownHosts, [
      { kind: 'remote', bind: { host: '127.0.0.1', port }, target: { host: '127.0.0.1', port: fx.echo.port } },
    ]));
    await tunnel.start();
    expect((await echoRoundTrip(port, 10)).received.length).toBe(10);
    await tunnel.stop();
    await expect(echoRoundTrip(port, 10)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('a refused remote bind is REMOTE_FORWARD_REFUSED; without ExitOnForwardFailure the tunnel is degraded, retries it, and serves the rest', async () => {
    // sshd's own port is taken on the server side.
    const tunnel = new Tunnel('t', profileFor(fx.sshd, fx.keys, fx.knownHosts, [
      { kind: 'remote', bind: { host: '127.0.0.1', port: fx.sshd.port }, target: { host: '127.0.0.1', port: fx.echo.port } },
      { kind: 'local', bind: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: fx.echo.port } },
    ]));
    await tunnel.start();
    expect(tunnel.getState()).toBe('degraded');
    const [remote, local] = tunnel.forwardStatuses();
    expect(remote!.state).toBe('failed');
    expect(remote!.error?.code).toBe('REMOTE_FORWARD_REFUSED');
    expect(local!.state).toBe('active');
    expect((await echoRoundTrip(local!.allocatedPort!, 100)).received.length).toBe(100);
    await tunnel.stop();
  });

  it('with ExitOnForwardFailure=yes a refused remote bind fails the tunnel', async () => {
    const profile = profileFor(fx.sshd, fx.keys, fx.knownHosts, [
      { kind: 'remote', bind: { host: '127.0.0.1', port: fx.sshd.port }, target: { host: '127.0.0.1', port: fx.echo.port } },
    ]);
    profile.exitOnForwardFailure = true;
    const tunnel = new Tunnel('t', profile);
    await tunnel.start();
    expect(tunnel.getState()).toBe('failed');
    expect(tunnel.error?.code).toBe('REMOTE_FORWARD_REFUSED');
  });

  it('reaches a third host: the target is dialled from this machine, not the server', async () => {
    const other = await startEchoServer('127.0.0.2');
    const tunnel = new Tunnel('t', profileFor(fx.sshd, fx.keys, fx.knownHosts, [
      { kind: 'remote', bind: { host: null, port: 0 }, target: { host: '127.0.0.2', port: other.port } },
    ]));
    await tunnel.start();
    const { sent, received } = await echoRoundTrip(tunnel.forwardStatuses()[0]!.allocatedPort!, 5000);
    expect(received.equals(sent)).toBe(true);
    await tunnel.stop();
    await other.close();
  });

  it('reverse dynamic forward (-R port): the server side speaks SOCKS5 back to this machine', async () => {
    const tunnel = new Tunnel('t', profileFor(fx.sshd, fx.keys, fx.knownHosts, [{ kind: 'remote', bind: { host: null, port: 0 } }]));
    await tunnel.start();
    const port = tunnel.forwardStatuses()[0]!.allocatedPort!;
    const reply = await socks5Echo(port, fx.echo.port);
    expect(reply).toBe('ok');
    await tunnel.stop();
  });
});

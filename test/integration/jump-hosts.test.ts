import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tunnel } from '../../src/main/engine/tunnel.js';
import { knownHostsFor, profileFor } from '../helpers/fixtures.js';
import { echoRoundTrip, sha256, startEchoServer, waitFor, type Closable } from '../helpers/servers.js';
import { makeClientKeys, Sshd, type ClientKeys } from '../helpers/sshd.js';

const proxyScript = fileURLToPath(new URL('../helpers/tcp-proxy.mjs', import.meta.url));
let keys: ClientKeys;
let hopA: Sshd;
let hopB: Sshd;
let destination: Sshd;
let knownHosts: string;
let echo: Closable;

beforeAll(async () => {
  delete process.env.SSH_AUTH_SOCK;
  keys = await makeClientKeys();
  const servers = await Promise.all([0, 1, 2].map(() => Sshd.start({ authorizedKeys: keys.authorizedKeys })));
  [hopA, hopB, destination] = [servers[0]!, servers[1]!, servers[2]!];
  knownHosts = await knownHostsFor(servers);
  echo = await startEchoServer();
});

afterAll(async () => {
  await echo?.close();
  await Promise.all([hopA, hopB, destination].map((s) => s?.dispose()));
});

function directTcpipTo(log: string, port: number): boolean {
  return new RegExp(`direct_tcpip: originator .* target 127\\.0\\.0\\.1 port ${port}\\b`).test(log);
}

describe('jump hosts (-J) and ProxyCommand against OpenSSH', () => {
  it('a two-hop chain reaches the destination through both hops', async () => {
    const profile = profileFor(destination, keys, knownHosts, [
      { kind: 'local', bind: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: echo.port } },
    ]);
    profile.jumps = [
      { host: '127.0.0.1', port: hopA.port, user: hopA.user },
      { host: '127.0.0.1', port: hopB.port, user: hopB.user },
    ];
    const tunnel = new Tunnel('t', profile);
    await tunnel.start();
    expect(tunnel.getState(), JSON.stringify(tunnel.logs())).toBe('up');
    const { sent, received } = await echoRoundTrip(tunnel.forwardStatuses()[0]!.allocatedPort!, 256 * 1024);
    expect(sha256(received)).toBe(sha256(sent));

    // Proof of the path: A opened a channel to B, B to the destination, the destination to the echo server.
    expect(directTcpipTo(hopA.log, hopB.port)).toBe(true);
    expect(directTcpipTo(hopB.log, destination.port)).toBe(true);
    expect(directTcpipTo(destination.log, echo.port)).toBe(true);
    expect(directTcpipTo(hopA.log, echo.port)).toBe(false);
    await tunnel.stop();
  });

  it('verifies every hop\'s host key: an unknown middle hop stops the chain', async () => {
    const partial = await knownHostsFor([hopA, destination]);
    const profile = profileFor(destination, keys, partial);
    profile.jumps = [
      { host: '127.0.0.1', port: hopA.port, user: hopA.user },
      { host: '127.0.0.1', port: hopB.port, user: hopB.user },
    ];
    const tunnel = new Tunnel('t', profile);
    await tunnel.start();
    expect(tunnel.getState()).toBe('failed');
    expect(tunnel.error?.code).toBe('HOST_KEY_UNKNOWN');
    expect(tunnel.error?.message).toContain(`[127.0.0.1]:${hopB.port}`);
  });

  it('a jump host that cannot reach the next hop is JUMP_FAILED', async () => {
    const profile = profileFor(destination, keys, knownHosts);
    profile.jumps = [{ host: '127.0.0.1', port: hopA.port, user: hopA.user }];
    profile.port = 1; // nothing listens there
    const tunnel = new Tunnel('t', profile);
    const states: string[] = [];
    tunnel.on('state', (s) => states.push(`${s.state}:${s.error?.code ?? ''}`));
    void tunnel.start();
    await waitFor(() => states.some((s) => s.startsWith('reconnecting')), 15_000, 'the first failure');
    expect(states).toContain('reconnecting:JUMP_FAILED');
    await tunnel.stop();
  });

  it('ProxyCommand: %h and %p substituted, its stdio is the connection', async () => {
    const profile = profileFor(destination, keys, knownHosts, [
      { kind: 'local', bind: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: echo.port } },
    ]);
    profile.proxyCommand = `${process.execPath} ${proxyScript} %h %p`;
    const tunnel = new Tunnel('t', profile);
    await tunnel.start();
    expect(tunnel.getState(), JSON.stringify(tunnel.logs())).toBe('up');
    const { sent, received } = await echoRoundTrip(tunnel.forwardStatuses()[0]!.allocatedPort!, 100_000);
    expect(sha256(received)).toBe(sha256(sent));
    await tunnel.stop();
  });

  it('a ProxyCommand that dies is reported, not hung', async () => {
    const profile = profileFor(destination, keys, knownHosts);
    profile.proxyCommand = 'sh -c "exit 3"';
    const tunnel = new Tunnel('t', profile);
    const states: string[] = [];
    tunnel.on('state', (s) => states.push(`${s.state}:${s.error?.code ?? ''}:${s.error?.message ?? ''}`));
    void tunnel.start();
    await waitFor(() => states.some((s) => s.startsWith('reconnecting')), 15_000, 'the first failure');
    expect(states.find((s) => s.startsWith('reconnecting'))).toMatch(/^reconnecting:PROXY_COMMAND_FAILED:ProxyCommand exited \(code 3\)/);
    await tunnel.stop();
  });
});

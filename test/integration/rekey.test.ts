import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tunnel } from '../../src/main/engine/tunnel.js';
import { knownHostsFor, profileFor } from '../helpers/fixtures.js';
import { carryTcpipToLoopback } from '../helpers/password-server.js';
import { echoRoundTrip, sha256, startEchoServer, waitFor, type Closable } from '../helpers/servers.js';
import { useSshdWithEcho } from '../helpers/sshd-fixture.js';

/**
 * sshd starts a key exchange after every GiB or so (RekeyLimit's default), and ssh2 asks the
 * host-key verifier again at each one. An unanswered question holds every packet we send, so a
 * tunnel used to stop dead after its first GiB. Here sshd rekeys after every MiB.
 */
const fx = useSshdWithEcho(['RekeyLimit 1M']);

function kexinitsSent(log: string): number {
  return log.match(/SSH2_MSG_KEXINIT sent/g)?.length ?? 0;
}

describe('rekeying against OpenSSH (RekeyLimit 1M)', () => {
  it('carries 8 MiB byte-exact each way through -L and -R across many key exchanges, on one session', async () => {
    const tunnel = new Tunnel('t', profileFor(fx.sshd, fx.keys, fx.knownHosts, [
      { kind: 'local', bind: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: fx.echo.port } },
      { kind: 'remote', bind: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: fx.echo.port } },
    ]));
    await tunnel.start();
    expect(tunnel.getState(), JSON.stringify(tunnel.logs().slice(-5))).toBe('up');
    const before = kexinitsSent(fx.sshd.log);
    for (const status of tunnel.forwardStatuses()) {
      const { sent, received } = await echoRoundTrip(status.allocatedPort!, 8 * 1024 * 1024);
      expect(sha256(received)).toBe(sha256(sent));
    }
    // 32 MiB crossed the session (8 MiB each way, twice): sshd rekeyed many times, not once.
    expect(kexinitsSent(fx.sshd.log) - before).toBeGreaterThanOrEqual(8);
    expect(tunnel.getState()).toBe('up');
    expect(tunnel.stateChange().reconnects).toBe(0);
    await tunnel.stop();
  });
});

/** An ssh2 server whose host key the test can change before asking for a rekey. */
interface RekeyServer {
  port: number;
  knownHosts: string;
  /** The server side of the first (only) connection, once it is ready. */
  connection: Promise<ssh2.Connection>;
  swapHostKey(key: Buffer): void;
  close(): Promise<void>;
}

async function startRekeyServer(hostKey: Buffer): Promise<RekeyServer> {
  const { Server, utils } = ssh2;
  const parsed = utils.parseKey(hostKey);
  if (parsed instanceof Error) throw parsed;
  let keys: Record<string, unknown> | undefined;
  let ready!: (c: ssh2.Connection) => void;
  const connection = new Promise<ssh2.Connection>((resolve) => (ready = resolve));
  const server = new Server({ hostKeys: [hostKey] }, (client) => {
    client.on('authentication', (ctx) => ctx.accept());
    client.on('ready', () => {
      // ssh2 keeps the server's host keys in one object, which each key exchange reads anew.
      keys = (client as unknown as { _protocol: { _hostKeys: Record<string, unknown> } })._protocol._hostKeys;
      carryTcpipToLoopback(client);
      ready(client);
    });
    client.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const knownHosts = await knownHostsFor([], [`[127.0.0.1]:${port} ${parsed.type} ${parsed.getPublicSSH().toString('base64')}`]);
  return {
    port,
    knownHosts,
    connection,
    swapHostKey(key) {
      const next = utils.parseKey(key);
      if (next instanceof Error) throw next;
      if (!keys) throw new Error('no connection yet');
      keys[next.type] = next;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('rekeying against an ssh2 server that asks for it', () => {
  let dir: string;
  let keyA: Buffer;
  let keyB: Buffer;
  let echo: Closable;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tv-rekey-'));
    for (const name of ['a', 'b']) await promisify(execFile)('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, name)]);
    keyA = await readFile(join(dir, 'a'));
    keyB = await readFile(join(dir, 'b'));
    echo = await startEchoServer();
  });
  afterAll(async () => {
    await echo?.close();
  });

  function tunnelTo(server: RekeyServer): Tunnel {
    const profile = profileFor(fx.sshd, fx.keys, server.knownHosts, [
      { kind: 'local', bind: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: echo.port } },
    ]);
    profile.port = server.port;
    return new Tunnel('t', profile);
  }

  it('a rekey with the same host key keeps the session and its forwards', async () => {
    const server = await startRekeyServer(keyA);
    const tunnel = tunnelTo(server);
    try {
      await tunnel.start();
      expect(tunnel.getState(), JSON.stringify(tunnel.logs().slice(-5))).toBe('up');
      const connection = await server.connection;
      await new Promise<void>((resolve) => connection.rekey(() => resolve()));
      const { sent, received } = await echoRoundTrip(tunnel.forwardStatuses()[0]!.allocatedPort!, 256 * 1024);
      expect(sha256(received)).toBe(sha256(sent));
      expect(tunnel.stateChange().reconnects).toBe(0);
    } finally {
      await tunnel.stop();
      await server.close();
    }
  });

  it('a host key that changes during a rekey ends the session with HOST_KEY_MISMATCH', async () => {
    const server = await startRekeyServer(keyA);
    const tunnel = tunnelTo(server);
    try {
      await tunnel.start();
      expect(tunnel.getState()).toBe('up');
      const connection = await server.connection;
      const closed = new Promise<void>((resolve) => connection.once('close', () => resolve()));
      server.swapHostKey(keyB);
      connection.rekey();
      await closed;
      const line = await waitFor(() => tunnel.logs().find((l) => /SSH session lost/.test(l.message)), 10_000, 'the session to be reported lost');
      expect(line.message).toMatch(/host key changed during a rekey/);
    } finally {
      await tunnel.stop();
      await server.close();
    }
  });
});

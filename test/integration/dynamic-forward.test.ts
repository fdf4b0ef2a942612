import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tunnel } from '../../src/main/engine/tunnel.js';
import { knownHostsFor, profileFor } from '../helpers/fixtures.js';
import { startHttpServer, waitFor, type Closable } from '../helpers/servers.js';
import { socks5Connect, socksExchange } from '../helpers/socks-client.js';
import { makeClientKeys, Sshd, type ClientKeys } from '../helpers/sshd.js';

const run = promisify(execFile);
let keys: ClientKeys;
let sshd: Sshd;
let restricted: Sshd;
let knownHosts: string;
let http: Closable;
let tunnel: Tunnel;
let socksPort: number;

beforeAll(async () => {
  delete process.env.SSH_AUTH_SOCK;
  keys = await makeClientKeys();
  http = await startHttpServer('socks works');
  sshd = await Sshd.start({ authorizedKeys: keys.authorizedKeys });
  restricted = await Sshd.start({ authorizedKeys: keys.authorizedKeys, config: [`PermitOpen 127.0.0.1:${http.port}`] });
  knownHosts = await knownHostsFor([sshd, restricted]);
  tunnel = new Tunnel('t', profileFor(sshd, keys, knownHosts, [{ kind: 'dynamic', bind: { host: null, port: 0 } }]));
  await tunnel.start();
  socksPort = tunnel.forwardStatuses()[0]!.allocatedPort!;
});

afterAll(async () => {
  await tunnel?.stop();
  await http?.close();
  await sshd?.dispose();
  await restricted?.dispose();
});

async function curl(args: string[]): Promise<string> {
  const { stdout } = await run('curl', ['-sS', '--max-time', '15', ...args]);
  return stdout;
}

describe('dynamic forward (-D) with real curl', () => {
  it.each([
    ['SOCKS5', '--socks5', '127.0.0.1'],
    ['SOCKS5 with remote DNS (socks5h)', '--socks5-hostname', 'localhost'],
    ['SOCKS4', '--socks4', '127.0.0.1'],
    ['SOCKS4a', '--socks4a', 'localhost'],
  ])('%s', async (_name, flag, host) => {
    const body = await curl([flag, `127.0.0.1:${socksPort}`, `http://${host}:${http.port}/`]);
    expect(body).toBe('socks works');
  });

  it('counts the connections and their bytes', async () => {
    await waitFor(() => tunnel.stats().connections === 0, 5000, 'connections to close');
    const stats = tunnel.stats();
    expect(stats.totalConnections).toBeGreaterThanOrEqual(4);
    expect(stats.bytesSent).toBeGreaterThan(0);
    expect(stats.bytesReceived).toBeGreaterThan(0);
  });
});

describe('SOCKS replies per RFC 1928', () => {
  it('a refused destination is reply 0x05, sent only after the channel failed', async () => {
    const { reply } = await socksExchange(socksPort, socks5Connect('127.0.0.1', 1), 12);
    expect([...reply.subarray(0, 2)]).toEqual([5, 0]);
    expect(reply[2]).toBe(5);
    expect(reply[3]).toBe(0x05);
  });

  it('an unresolvable name is reply 0x04 (host unreachable)', async () => {
    const { reply } = await socksExchange(socksPort, socks5Connect('nosuch.invalid', 80), 12);
    expect(reply[3]).toBe(0x04);
  });

  it('a destination the server prohibits (PermitOpen) is reply 0x02', async () => {
    const t = new Tunnel('r', profileFor(restricted, keys, knownHosts, [{ kind: 'dynamic', bind: { host: null, port: 0 } }]));
    await t.start();
    const port = t.forwardStatuses()[0]!.allocatedPort!;
    const denied = await socksExchange(port, socks5Connect('127.0.0.1', 1), 12);
    expect(denied.reply[3]).toBe(0x02);
    const allowed = await curl(['--socks5', `127.0.0.1:${port}`, `http://127.0.0.1:${http.port}/`]);
    expect(allowed).toBe('socks works');
    expect(t.getState()).toBe('up');
    await t.stop();
  });

  it('BIND and UDP ASSOCIATE are 0x07; address type 5 is 0x08', async () => {
    for (const command of [2, 3]) {
      const { reply } = await socksExchange(socksPort, [Buffer.from([5, 1, 0]), Buffer.from([5, command, 0, 1, 127, 0, 0, 1, 0, 80])], 12);
      expect(reply[3]).toBe(0x07);
    }
    const { reply } = await socksExchange(socksPort, [Buffer.from([5, 1, 0]), Buffer.from([5, 1, 0, 5, 1, 2, 3, 4, 0, 80])], 12);
    expect(reply[3]).toBe(0x08);
  });

  it('no acceptable method gets 05 FF and a close', async () => {
    const { reply, closed } = await socksExchange(socksPort, [Buffer.from([5, 1, 2])], 3, 3000);
    expect([...reply]).toEqual([5, 0xff]);
    expect(closed).toBe(true);
  });

  it('garbage closes that connection only; the next client is served', async () => {
    const { closed } = await socksExchange(socksPort, [Buffer.from('GET / HTTP/1.1\r\n\r\n')], 1, 3000);
    expect(closed).toBe(true);
    expect(await curl(['--socks5', `127.0.0.1:${socksPort}`, `http://127.0.0.1:${http.port}/`])).toBe('socks works');
  });
});

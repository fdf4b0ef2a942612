import { mkdtempSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { connect as connectTcp } from 'node:net';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiService } from '../../src/main/api/service.js';
import { ProfileStore } from '../../src/main/store/profile-store.js';
import { startWebServer, type WebServer } from '../../src/main/web/server.js';
import { newSavedProfile } from '../../src/shared/saved-profile.js';
import { knownHostsFor, profileFor } from '../helpers/fixtures.js';
import { echoRoundTrip, startEchoServer, type Closable } from '../helpers/servers.js';
import { makeClientKeys, Sshd } from '../helpers/sshd.js';
import { WsClient } from '../helpers/ws-client.js';
import { CLI } from '../helpers/cli.js';

let sshd: Sshd;
let echo: Closable;
let service: ApiService;
let server: WebServer;
let store: ProfileStore;
let apiUrl: string;
let origin: string;
let token: string;
const connect = (): Promise<WsClient> => WsClient.connect(apiUrl, origin, token);
let profileInput: ReturnType<typeof newSavedProfile>;
let staticDir: string;

/** One raw HTTP exchange, for requests fetch() refuses to send (bad targets, foreign Host). */
function rawHttp(port: number, request: string): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp(port, '127.0.0.1', () => socket.write(request));
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      data += chunk;
      const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
      if (m) {
        socket.destroy();
        resolve({ status: Number(m[1]) });
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`connection closed without a status line: ${JSON.stringify(data)}`)));
  });
}

beforeAll(async () => {
  delete process.env.SSH_AUTH_SOCK;
  const keys = await makeClientKeys();
  sshd = await Sshd.start({ authorizedKeys: keys.authorizedKeys });
  echo = await startEchoServer();
  store = new ProfileStore(mkdtempSync(join(tmpdir(), 'tv-web-')));
  staticDir = mkdtempSync(join(tmpdir(), 'tv-static-'));
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Tunnelvision</title>');
  service = new ApiService({ store, tickMs: 200, keychain: async () => ({ store: null, unavailable: 'no keychain in this test' }) });
  server = await startWebServer(service, staticDir);
  token = new URL(server.url).hash.replace('#token=', '');
  apiUrl = `ws://127.0.0.1:${server.port}/api`;
  origin = `http://127.0.0.1:${server.port}`;
  profileInput = newSavedProfile('web test', profileFor(sshd, keys, await knownHostsFor([sshd]), [
    { kind: 'local', bind: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: echo.port } },
  ]));
});

afterAll(async () => {
  await server?.close();
  await service?.dispose();
  await echo?.close();
  await sshd?.dispose();
});

describe('web mode: loopback, token, Origin', () => {
  it('serves the dashboard on 127.0.0.1 with a strict CSP', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]{32}$/);
    const res = await fetch(`http://127.0.0.1:${server.port}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect((await fetch(`http://127.0.0.1:${server.port}/../../etc/passwd`)).status).toBe(404);
  });

  it('refuses a WebSocket without the token, with a wrong token, or from another Origin', async () => {
    await expect(WsClient.connect(apiUrl, origin, null)).rejects.toThrow('HTTP 401');
    await expect(WsClient.connect(apiUrl, origin, 'wrong')).rejects.toThrow('HTTP 401');
    // The token in the query string, as earlier versions sent it, is not accepted any more.
    await expect(WsClient.connect(`${apiUrl}?token=${token}`, origin, null)).rejects.toThrow('HTTP 401');
    await expect(WsClient.connect(apiUrl, 'http://evil.example', token)).rejects.toThrow('HTTP 403');
    await expect(WsClient.connect(apiUrl, undefined, token)).rejects.toThrow('HTTP 403');
  });

  it('the accepted WebSocket names the protocol only, never echoes the token', async () => {
    const c = await connect();
    expect(c.ws.protocol).toBe('tunnelvision');
    c.close();
  });

  it('a foreign Host header (DNS rebinding) is refused for pages and for the WebSocket', async () => {
    expect((await rawHttp(server.port, 'GET / HTTP/1.1\r\nHost: evil.example:80\r\n\r\n')).status).toBe(421);
    expect((await rawHttp(server.port, `GET / HTTP/1.1\r\nHost: rebind.example:${server.port}\r\n\r\n`)).status).toBe(421);
    expect((await rawHttp(server.port, `GET / HTTP/1.1\r\nHost: localhost:${server.port}\r\n\r\n`)).status).toBe(200);
    await expect(WsClient.connect(apiUrl, origin, token, { host: `rebind.example:${server.port}` })).rejects.toThrow('HTTP 421');
  });

  it('malformed requests get 400 and the process carries on (one request used to kill web mode)', async () => {
    const host = `Host: 127.0.0.1:${server.port}\r\n`;
    expect((await rawHttp(server.port, `GET /% HTTP/1.1\r\n${host}\r\n`)).status).toBe(400);
    expect((await rawHttp(server.port, `GET /%E0%A4%A HTTP/1.1\r\n${host}\r\n`)).status).toBe(400);
    const upgrade = `Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n`;
    expect((await rawHttp(server.port, `GET http://[ HTTP/1.1\r\n${host}${upgrade}\r\n`)).status).toBe(400);
    expect((await rawHttp(server.port, `GET /% HTTP/1.1\r\n${host}${upgrade}\r\n`)).status).toBe(400);
    // Still alive: the page and the API answer.
    expect((await fetch(`http://127.0.0.1:${server.port}/`)).status).toBe(200);
    const c = await connect();
    expect((await c.call('profiles.list', {})).ok).toBe(true);
    c.close();
  });

  it('tunnelvision web (the CLI process) survives the requests that used to end it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tv-web-cli-'));
    const web = spawn(process.execPath, [CLI, '--config-dir', dir, 'web', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    web.stderr!.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => web.on('close', resolve));
    try {
      const first = await new Promise<string>((resolve) => createInterface({ input: web.stdout! }).once('line', resolve));
      const port = Number(new URL((JSON.parse(first) as { url: string }).url).port);
      const host = `Host: 127.0.0.1:${port}\r\n`;
      const upgrade = `Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n`;
      expect((await rawHttp(port, `GET /% HTTP/1.1\r\n${host}\r\n`)).status).toBe(400);
      expect((await rawHttp(port, `GET http://[ HTTP/1.1\r\n${host}${upgrade}\r\n`)).status).toBe(400);
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
      expect(web.exitCode).toBeNull();
      expect(stderr).not.toMatch(/internal error/);
    } finally {
      web.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });

  it('does not serve source maps', async () => {
    writeFileSync(join(staticDir, 'index.js.map'), '{"version":3}');
    expect((await fetch(`http://127.0.0.1:${server.port}/index.js.map`)).status).toBe(404);
  });
});

describe('the contract end to end over the WebSocket, against a real sshd', () => {
  it('save → start → up → traffic counted → connections → log → stop', async () => {
    const c = await connect();
    const saved = await c.call('profiles.save', { profile: profileInput });
    expect(saved.ok, JSON.stringify(saved)).toBe(true);
    const id = saved.ok ? saved.value.id : '';
    expect((await c.call('tunnels.start', { id })).ok).toBe(true);
    const up = await c.waitForEvent((e) => e.event === 'tunnel.state' && e.payload.tunnel === id && e.payload.state === 'up');
    const port = up.payload.forwards[0].allocatedPort;
    const { received } = await echoRoundTrip(port, 100_000);
    expect(received.length).toBe(100_000);
    const traffic = await c.waitForEvent((e) => e.event === 'traffic' && e.payload.some((s: any) => s.tunnel === id && s.bytesSent === 100_000 && s.bytesReceived === 100_000));
    expect(traffic.payload).toBeInstanceOf(Array);
    const list = await c.call('tunnels.list', {});
    expect(list.ok && list.value.find((t: any) => t.id === id).state).toBe('up');
    const log = await c.call('logs.read', { tunnel: id });
    expect(log.ok && log.value.some((l: any) => /authenticated/.test(l.message))).toBe(true);
    expect((await c.call('connections.list', { tunnel: id })).ok).toBe(true);
    const stopped = await c.call('tunnels.stop', { id });
    expect(stopped.ok && stopped.value.state).toBe('stopped');
    c.close();
  });

  it('parses a pasted ssh command and exports a profile back', async () => {
    const c = await connect();
    const r = await c.call('ssh.parse', { command: `ssh -N -L 8080:localhost:80 -o "ProxyCommand=nc %h %p" 'me@host'` });
    expect(r.ok && r.value.profile).toMatchObject({ host: 'host', user: 'me', proxyCommand: 'nc %h %p' });
    const e = await c.call('ssh.export', { profile: r.ok ? r.value.profile : null, name: 'x' });
    expect(e.ok && e.value.command).toBe("ssh -N -L 8080:localhost:80 -o 'ProxyCommand=nc %h %p' -o ServerAliveInterval=15 -o ServerAliveCountMax=3 me@host");
    c.close();
  });

  it('UDP forwards survive an edit: --udp-* flags in the command are parsed, and the editable export reads back whole', async () => {
    const c = await connect();
    const r = await c.call('ssh.parse', { command: 'ssh -N -L 8080:localhost:80 --udp-local 5353:127.0.0.1:53 me@host --udp-remote 9000:localhost:9001 --udp-idle-timeout 0' });
    expect(r.ok, JSON.stringify(r)).toBe(true);
    const profile = r.ok ? r.value.profile : null;
    expect(profile.forwards).toEqual([
      { kind: 'local', bind: { host: null, port: 8080 }, target: { host: 'localhost', port: 80 } },
      { kind: 'local', protocol: 'udp', bind: { host: null, port: 5353 }, target: { host: '127.0.0.1', port: 53 }, flowIdleTimeout: 0 },
      { kind: 'remote', protocol: 'udp', bind: { host: null, port: 9000 }, target: { host: 'localhost', port: 9001 }, flowIdleTimeout: 0 },
    ].map((f) => expect.objectContaining(f)));
    const e = await c.call('ssh.export', { profile, name: 'x' });
    expect(e.ok && e.value.editable).toMatch(/--udp-local 5353:127\.0\.0\.1:53 --udp-remote 9000:localhost:9001 --udp-idle-timeout 0$/);
    expect(e.ok && e.value.command).toMatch(/^# UDP forwards left out/);
    const again = await c.call('ssh.parse', { command: e.ok ? e.value.editable : '' });
    expect(again.ok && again.value.profile).toEqual(profile);
    c.close();
  });

  it('fuzz: bad payloads are rejected with BAD_ARGUMENT and change nothing; main keeps running', async () => {
    const c = await connect();
    const before = await c.call('profiles.list', {});
    const cases: [string, unknown][] = [
      ['profiles.get', { id: 42 }],
      ['profiles.get', {}],
      ['profiles.get', { id: 'x', extra: true }],
      ['profiles.get', JSON.parse('{"id":"x","__proto__":{"polluted":true}}')],
      ['profiles.get', { constructor: { prototype: { polluted: true } } }],
      ['profiles.save', { profile: { ...profileInput, port: 'NaN' } }],
      ['profiles.save', { profile: { ...profileInput, port: null } }],
      ['profiles.save', { profile: { ...profileInput, name: 'x'.repeat(200_000) } }],
      ['profiles.save', { profile: { ...profileInput, forwards: [{ kind: 'local', bind: { host: null, port: 70000 }, target: { host: 'h', port: 1 } }] } }],
      // Names follow the command line's rules: nothing a %h/%r in a ProxyCommand could run.
      ['profiles.save', { profile: { ...profileInput, host: 'evil\nhost' } }],
      ['profiles.save', { profile: { ...profileInput, host: '$(touch /tmp/x)' } }],
      ['profiles.save', { profile: { ...profileInput, host: '-oProxyCommand=x' } }],
      ['profiles.save', { profile: { ...profileInput, user: 'a;b' } }],
      ['profiles.save', { profile: { ...profileInput, jumps: [{ host: 'j`id`', user: null, port: 22 }] } }],
      ['profiles.save', { profile: { ...profileInput, jumps: [{ host: 'j', user: 'u\u001b[2J', port: 22 }] } }],
      ['profiles.save', { profile: { ...profileInput, hostKeyAlias: 'a b' } }],
      // known_hosts patterns and keychain names must stay unambiguous.
      ['profiles.save', { profile: { ...profileInput, host: 'x,github.com' } }],
      ['profiles.save', { profile: { ...profileInput, host: 'b@c' } }],
      ['profiles.save', { profile: { ...profileInput, host: '!x' } }],
      ['profiles.save', { profile: { ...profileInput, hostKeyAlias: '*' } }],
      ['profiles.save', { profile: { ...profileInput, hostKeyAlias: '|1|abc|def' } }],
      ['tunnels.start', { id: '../../etc/passwd' }],
      ['connections.close', { tunnel: 'a', id: -1 }],
      ['secrets.set', { profileId: 'a', kind: 'password', secret: '' }],
      ['no.such.command', {}],
      ['__proto__', {}],
      ['constructor', {}],
    ];
    for (const [command, input] of cases) {
      const r = await c.call(command, input);
      expect(r.ok, `${command} ${JSON.stringify(input).slice(0, 80)}`).toBe(false);
      expect(!r.ok && r.error.code).toBe('BAD_ARGUMENT');
    }
    for (const raw of ['not json', '[1,2]', '{"id":"x","command":"profiles.list"}', '{"command":"profiles.list"}', 'null']) {
      const r = await c.raw(raw, 0);
      expect(!r.ok && r.error.code).toBe('BAD_ARGUMENT');
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await c.call('profiles.list', {})).toEqual(before);
    c.close();
  });

  it('a 10 MB message closes that socket (1009); the server and other clients carry on', async () => {
    const victim = await connect();
    const other = await connect();
    const closed = new Promise<number>((resolve) => victim.ws.once('close', resolve));
    victim.ws.send(JSON.stringify({ id: 1, command: 'ssh.parse', input: { command: 'x'.repeat(10 * 1024 * 1024) } }));
    expect(await closed).toBe(1009);
    expect((await other.call('profiles.list', {})).ok).toBe(true);
    other.close();
  });
});

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import ssh2, { type ClientChannel, type ServerChannel } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grantWindow, receiveWindow, seamProblem, ssh2WindowConstants, takeOverWindow } from '../../src/main/engine/flow/ssh2-seam.js';

/**
 * The flow module reaches into ssh2's channels (src/main/engine/flow/ssh2-seam.ts). If an ssh2
 * upgrade moves what it relies on, these fail and say which field; see SSH2-NOTES.md.
 */
const require = createRequire(import.meta.url);
const MiB = 1024 * 1024;

let server: InstanceType<typeof ssh2.Server>;
let client: InstanceType<typeof ssh2.Client>;
let clientChannel: ClientChannel;
let serverChannel: ServerChannel;

beforeAll(async () => {
  const hostKey = ssh2.utils.generateKeyPairSync('ed25519').private;
  const serverSide = new Promise<ServerChannel>((resolve) => {
    server = new ssh2.Server({ hostKeys: [hostKey] }, (conn) => {
      conn.on('authentication', (ctx) => ctx.accept());
      conn.on('tcpip', (accept) => resolve(accept() as unknown as ServerChannel));
      conn.on('error', () => undefined);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  client = new ssh2.Client();
  client.on('error', () => undefined);
  await new Promise<void>((resolve) => {
    client.once('ready', () => resolve());
    client.connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, username: 'u', password: 'p' });
  });
  clientChannel = await new Promise<ClientChannel>((resolve, reject) => client.forwardOut('127.0.0.1', 1, '127.0.0.1', 2, (err, ch) => (err ? reject(err) : resolve(ch))));
  serverChannel = await serverSide;
});

afterAll(async () => {
  client?.end();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
});

describe('the ssh2 internals the flow module relies on', () => {
  it('ssh2 is pinned to an exact version, and that version is the one installed', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };
    const installed = (require('ssh2/package.json') as { version: string }).version;
    expect(pkg.dependencies.ssh2, 'package.json must pin ssh2 exactly: the flow module depends on its internals').toMatch(/^\d+\.\d+\.\d+$/);
    expect(installed, 'installed ssh2 differs from the pinned one: re-check src/main/engine/flow/ssh2-seam.ts').toBe(pkg.dependencies.ssh2);
  });

  it('ssh2/lib/Channel.js still exports MAX_WINDOW = 2 MiB, WINDOW_THRESHOLD = 1 MiB, PACKET_SIZE = 32 KiB', () => {
    const constants = ssh2WindowConstants();
    expect(typeof constants === 'string' ? `missing: ${constants}` : null, 'ssh2 changed').toBeNull();
    expect(constants).toEqual({ MAX_WINDOW: 2 * MiB, WINDOW_THRESHOLD: MiB, PACKET_SIZE: 32 * 1024 });
  });

  it('a real client channel has every field the seam uses', () => {
    expect(seamProblem(clientChannel), 'ssh2 changed this channel field').toBeNull();
    expect(receiveWindow(clientChannel)).toBe(2 * MiB);
  });

  it('grantWindow raises our window and the peer receives exactly that credit', async () => {
    const peer = serverChannel as unknown as { outgoing: { window: number } };
    const before = peer.outgoing.window;
    expect(grantWindow(clientChannel, 5 * MiB)).toBe(true);
    expect(receiveWindow(clientChannel)).toBe(7 * MiB);
    // A round trip later the server has booked it (its CHANNEL_WINDOW_ADJUST handler).
    await new Promise<void>((resolve) => {
      const check = (): void => (peer.outgoing.window === before + 5 * MiB ? resolve() : void setImmediate(check));
      check();
    });
  });

  it('ssh2 keeps the same books: data lowers incoming.window and, above its threshold, ssh2 adds nothing of its own', async () => {
    const window = receiveWindow(clientChannel);
    const got = new Promise<number>((resolve) => {
      let n = 0;
      clientChannel.on('data', (d: Buffer) => {
        n += d.length;
        if (n === 3 * MiB) resolve(n);
      });
    });
    serverChannel.write(Buffer.alloc(3 * MiB));
    expect(await got).toBe(3 * MiB);
    expect(receiveWindow(clientChannel), 'channel.incoming.window is no longer what the peer may send').toBe(window - 3 * MiB);
  });

  it('takeOverWindow: below its threshold ssh2 adds no credit of its own, and stock behaviour returns on undo', async () => {
    const undo = takeOverWindow(clientChannel);
    const start = receiveWindow(clientChannel); // 4 MiB after the tests above
    const bytes = start - 512 * 1024; // leaves 512 KiB: ssh2 would top up to 2 MiB here
    const got = new Promise<void>((resolve) => {
      let n = 0;
      const onData = (d: Buffer): void => {
        n += d.length;
        if (n < bytes) return;
        clientChannel.off('data', onData);
        resolve();
      };
      clientChannel.on('data', onData);
    });
    serverChannel.write(Buffer.alloc(bytes));
    await got;
    expect(receiveWindow(clientChannel), 'ssh2 topped the window up by itself: its CHANNEL_DATA handler or Channel._read changed').toBe(512 * 1024);
    undo();
    expect(Object.prototype.hasOwnProperty.call(clientChannel, 'push'), 'undo left the push() override').toBe(false);
    expect(Object.prototype.hasOwnProperty.call(clientChannel, '_read'), 'undo left the _read() override').toBe(false);
  });

  it('grants nothing once the channel is closing', () => {
    clientChannel.close();
    expect(grantWindow(clientChannel, MiB)).toBe(false);
  });
});

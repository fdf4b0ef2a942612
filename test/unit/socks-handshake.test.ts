import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { readSocksRequest, type SocksRequest } from '../../src/main/engine/socks/handshake.js';

let server: Server | null = null;
afterEach(() => {
  server?.close();
  server = null;
});

interface Outcome {
  request: SocksRequest | null;
  error: string | null;
  clientSaw: Buffer;
  clientClosed: boolean;
}

/** Runs the handshake on a real socket pair; the client writes `bytes` (with pauses for arrays). */
async function handshake(chunks: (Buffer | number)[], timeoutMs = 2000): Promise<Outcome> {
  const serverSide = new Promise<Socket>((resolve) => {
    server = createServer({ allowHalfOpen: true }, resolve);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const client = connect((server!.address() as { port: number }).port, '127.0.0.1');
  let clientSaw = Buffer.alloc(0);
  let clientClosed = false;
  client.on('data', (d: Buffer) => (clientSaw = Buffer.concat([clientSaw, d])));
  const closed = new Promise<void>((r) => client.on('close', () => ((clientClosed = true), r())));
  client.on('error', () => undefined);
  const socket = await serverSide;
  socket.on('error', () => undefined);
  const result = readSocksRequest(socket, timeoutMs).then(
    (request) => ({ request, error: null }),
    (err: Error) => ({ request: null, error: err.message }),
  );
  for (const c of chunks) {
    if (typeof c === 'number') await new Promise((r) => setTimeout(r, c));
    else client.write(c);
  }
  const r = await result;
  if (r.error) await Promise.race([closed, new Promise((res) => setTimeout(res, 1500))]);
  else await new Promise((res) => setTimeout(res, 100)); // let the method reply arrive
  client.destroy();
  socket.destroy();
  return { ...r, clientSaw, clientClosed };
}

const port80 = [0, 80];

describe('SOCKS handshake', () => {
  it('SOCKS5 CONNECT to a domain name keeps the name unresolved', async () => {
    const o = await handshake([Buffer.from([5, 2, 0, 2]), Buffer.from([5, 1, 0, 3, 11, ...Buffer.from('example.org'), ...port80])]);
    expect(o.request).toMatchObject({ version: 5, host: 'example.org', port: 80 });
    expect([...o.clientSaw]).toEqual([5, 0]);
  });

  it('SOCKS5 IPv6 address', async () => {
    const addr = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    const o = await handshake([Buffer.from([5, 1, 0]), Buffer.from([5, 1, 0, 4, ...addr, 1, 187])]);
    expect(o.request).toMatchObject({ host: '2001:db8:0:0:0:0:0:1', port: 443 });
  });

  it('SOCKS5 split across many tiny writes', async () => {
    const bytes = [5, 1, 0, 5, 1, 0, 1, 10, 0, 0, 7, 0x1f, 0x90];
    const o = await handshake(bytes.flatMap((b) => [Buffer.from([b]), 5]));
    expect(o.request).toMatchObject({ host: '10.0.0.7', port: 8080 });
  });

  it('SOCKS4 and SOCKS4a', async () => {
    const v4 = await handshake([Buffer.from([4, 1, ...port80, 192, 168, 1, 2, ...Buffer.from('user'), 0])]);
    expect(v4.request).toMatchObject({ version: 4, host: '192.168.1.2', port: 80 });
    const v4a = await handshake([Buffer.from([4, 1, ...port80, 0, 0, 0, 9, 0, ...Buffer.from('db.internal'), 0])]);
    expect(v4a.request).toMatchObject({ version: 4, host: 'db.internal' });
  });

  it('early payload after the request is kept for the stream', async () => {
    const serverSide = new Promise<Socket>((resolve) => (server = createServer(resolve)));
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const client = connect((server!.address() as { port: number }).port, '127.0.0.1');
    client.on('data', () => undefined);
    client.on('error', () => undefined);
    client.write(Buffer.from([4, 1, ...port80, 127, 0, 0, 1, 0, ...Buffer.from('GET /')]));
    const socket = await serverSide;
    socket.on('error', () => undefined);
    await readSocksRequest(socket, 2000);
    // The handshake leaves the stream paused; whoever takes it over (pipe) resumes it.
    const first = new Promise<Buffer>((r) => socket.once('data', r));
    socket.resume();
    expect((await first).toString()).toBe('GET /');
    socket.destroy();
    client.destroy();
  });

  it.each([
    ['version 6', [Buffer.from([6, 1, 0])], null],
    ['no acceptable method', [Buffer.from([5, 1, 2])], [5, 0xff]],
    ['zero methods', [Buffer.from([5, 0])], [5, 0xff]],
    ['BIND', [Buffer.from([5, 1, 0]), Buffer.from([5, 2, 0, 1, 1, 2, 3, 4, ...port80])], [5, 0, 5, 7]],
    ['UDP ASSOCIATE', [Buffer.from([5, 1, 0]), Buffer.from([5, 3, 0, 1, 1, 2, 3, 4, ...port80])], [5, 0, 5, 7]],
    ['address type 5', [Buffer.from([5, 1, 0]), Buffer.from([5, 1, 0, 5, 1, 2, 3, 4, ...port80])], [5, 0, 5, 8]],
    ['empty domain', [Buffer.from([5, 1, 0]), Buffer.from([5, 1, 0, 3, 0, ...port80])], [5, 0, 5, 1]],
    ['control characters in a domain', [Buffer.from([5, 1, 0]), Buffer.from([5, 1, 0, 3, 3, 0x61, 0x0a, 0x62, ...port80])], [5, 0, 5, 1]],
    ['truncated domain then close', [Buffer.from([5, 1, 0]), Buffer.from([5, 1, 0, 3, 50, 0x61, 0x62])], [5, 0]],
    ['SOCKS4 BIND', [Buffer.from([4, 2, ...port80, 1, 2, 3, 4, 0])], [0, 0x5b]],
    ['oversize SOCKS4 user id', [Buffer.from([4, 1, ...port80, 1, 2, 3, 4]), Buffer.alloc(300, 0x41)], null],
    ['oversize SOCKS4a host', [Buffer.from([4, 1, ...port80, 0, 0, 0, 1, 0]), Buffer.alloc(300, 0x41)], [0, 0x5b]],
    ['HTTP instead of SOCKS', [Buffer.from('GET / HTTP/1.1\r\n\r\n')], null],
  ] as const)('%s: answered per RFC 1928 or closed', async (_name, chunks, replyPrefix) => {
    const o = await handshake(chunks.map((c) => Buffer.from(c)), 1000);
    expect(o.request).toBeNull();
    expect(o.error).toBeTruthy();
    if (replyPrefix) expect([...o.clientSaw.subarray(0, replyPrefix.length)]).toEqual(replyPrefix);
    else expect(o.clientSaw.length).toBe(0);
    expect(o.clientClosed).toBe(true);
  });

  it('a client that stalls is cut off at the handshake timeout', async () => {
    const started = Date.now();
    const o = await handshake([Buffer.from([5])], 300);
    expect(o.error).toMatch(/timed out/);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(o.clientClosed).toBe(true);
  });
});

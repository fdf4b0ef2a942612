import { createHash, randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface Closable {
  port: number;
  close(): Promise<void>;
}

function closeServer(server: Server | HttpServer, sockets: Set<Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Echoes every byte; half-close aware (ends after the client ends). */
export async function startEchoServer(host = '127.0.0.1'): Promise<Closable> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { port: (server.address() as { port: number }).port, close: () => closeServer(server, sockets) };
}

/** Answers every request with a body naming the server, so a test knows it arrived. */
export async function startHttpServer(body = 'hello through the tunnel'): Promise<Closable> {
  const sockets = new Set<Socket>();
  const server = createHttpServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(body);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, close: () => closeServer(server, sockets) };
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Sends `size` random bytes to host:port, half-closes, and reads until the peer ends.
 * Resolves with what was sent and what came back.
 */
export function echoRoundTrip(port: number, size: number, host = '127.0.0.1'): Promise<{ sent: Buffer; received: Buffer }> {
  const sent = randomBytes(size);
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      socket.end();
      resolve({ sent, received: Buffer.concat(chunks) });
    });
    socket.on('connect', () => socket.end(sent));
  });
}

export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 10_000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A minimal SOCKS5 CONNECT to 127.0.0.1:targetPort through socksPort, then a 5-byte echo.
 * Resolves 'ok' or the RFC 1928 reply code that refused it.
 */
export function socks5Echo(socksPort: number, targetPort: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socksPort, '127.0.0.1');
    let stage = 0;
    let buf = Buffer.alloc(0);
    socket.on('error', reject);
    socket.on('connect', () => socket.write(Buffer.from([5, 1, 0])));
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (stage === 0 && buf.length >= 2) {
        buf = buf.subarray(2);
        stage = 1;
        const port = Buffer.alloc(2);
        port.writeUInt16BE(targetPort);
        socket.write(Buffer.concat([Buffer.from([5, 1, 0, 1, 127, 0, 0, 1]), port]));
      }
      if (stage === 1 && buf.length >= 10) {
        if (buf[1] !== 0) {
          socket.destroy();
          resolve(`reply ${buf[1]}`);
          return;
        }
        buf = buf.subarray(10);
        stage = 2;
        socket.write('hello');
      }
      if (stage === 2 && buf.length >= 5) {
        socket.destroy();
        resolve(buf.subarray(0, 5).toString() === 'hello' ? 'ok' : `bad echo ${buf.toString()}`);
      }
    });
  });
}

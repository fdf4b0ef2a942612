import { connect, createServer, type Socket } from 'node:net';

/** What every bench section shares: medians, loopback connections, waiting for a listener. */

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** A TCP connection to 127.0.0.1:`port`, Nagle off, half-close allowed. */
export function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', noDelay: true, allowHalfOpen: true });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/**
 * Resolves once something accepts on 127.0.0.1:`port` (a tunnel's entrance coming up), within
 * about 20 s. One parameter only: it is passed to Array.map as it is.
 */
export async function waitListening(port: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    try {
      (await open(port)).destroy();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`nothing listens on ${port}`);
}

/** A TCP echo server on 127.0.0.1 (Nagle off); its port. */
export async function startTcpEcho(): Promise<number> {
  const server = createServer((s) => {
    s.setNoDelay(true);
    s.pipe(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  server.unref();
  return (server.address() as { port: number }).port;
}

/**
 * A connection to 127.0.0.1:`target` through the SOCKS5 server on `socksPort` (no auth). It comes
 * back paused, with any bytes past the SOCKS reply put back: attach listeners, then resume().
 */
export async function openSocks(socksPort: number, target: number): Promise<Socket> {
  const s = await open(socksPort);
  const reply = (bytes: number): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      let got = Buffer.alloc(0);
      const onData = (d: Buffer): void => {
        got = Buffer.concat([got, d]);
        if (got.length < bytes) return;
        s.off('data', onData);
        // Paused first: a flowing socket would emit the unshifted bytes to no listener at all.
        s.pause();
        if (got.length > bytes) s.unshift(got.subarray(bytes));
        resolve(got.subarray(0, bytes));
      };
      s.on('data', onData);
      s.once('error', reject);
      s.resume();
    });
  s.write(Buffer.from([5, 1, 0]));
  if ((await reply(2))[1] !== 0) throw new Error('SOCKS: no acceptable method');
  const port = Buffer.alloc(2);
  port.writeUInt16BE(target);
  s.write(Buffer.concat([Buffer.from([5, 1, 0, 1, 127, 0, 0, 1]), port]));
  if ((await reply(10))[1] !== 0) throw new Error('SOCKS: CONNECT refused');
  return s;
}

/** Writes `bytes` of filler to `s` as fast as it drains, then half-closes it. */
export function writeAndEnd(s: Socket, bytes: number, fill = 7): void {
  const chunk = Buffer.alloc(256 * 1024, fill);
  let sent = 0;
  const pump = (): void => {
    while (sent < bytes) {
      const n = Math.min(chunk.length, bytes - sent);
      sent += n;
      if (!s.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void s.once('drain', pump);
    }
    s.end();
  };
  pump();
}

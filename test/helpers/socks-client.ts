import { connect, type Socket } from 'node:net';

/** Sends raw bytes to a SOCKS port and collects the reply until `bytes` arrived or the peer closed. */
export function socksExchange(port: number, steps: Buffer[], expectBytes: number, timeoutMs = 8000): Promise<{ reply: Buffer; closed: boolean; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let reply = Buffer.alloc(0);
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ reply, closed, socket });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('data', (c: Buffer) => {
      reply = Buffer.concat([reply, c]);
      if (reply.length >= expectBytes) finish(false);
    });
    socket.on('connect', () => {
      for (const s of steps) socket.write(s);
    });
    void reject;
  });
}

export function socks5Connect(host: string, port: number): Buffer[] {
  const p = Buffer.alloc(2);
  p.writeUInt16BE(port);
  const name = Buffer.from(host);
  return [Buffer.from([5, 1, 0]), Buffer.concat([Buffer.from([5, 1, 0, 3, name.length]), name, p])];
}

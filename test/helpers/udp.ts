import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';

export interface UdpServer {
  port: number;
  /** Datagrams received, with the sender's address. */
  received: { from: string; size: number }[];
  close(): Promise<void>;
}

/** Echoes every datagram to its sender, whole. */
export async function startUdpEcho(host = '127.0.0.1'): Promise<UdpServer> {
  // Several clients' 60 KB datagrams at once must fit in its receive buffer (rmem_max caps it).
  const socket = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: 1024 * 1024 });
  const received: UdpServer['received'] = [];
  socket.on('message', (msg, from) => {
    received.push({ from: `${from.address}:${from.port}`, size: msg.length });
    socket.send(msg, from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  return { port: socket.address().port, received, close: () => new Promise((resolve) => socket.close(() => resolve())) };
}

/**
 * A UDP client that sends each payload to host:port and waits for the same bytes to come back
 * (order within one client is not assumed: datagrams are matched by content).
 */
export async function udpExchange(port: number, payloads: Buffer[], host = '127.0.0.1', timeoutMs = 15_000): Promise<Buffer[]> {
  const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve) => socket.bind(0, host.includes(':') ? '::1' : '127.0.0.1', resolve));
  const replies: Buffer[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${replies.length} of ${payloads.length} datagram(s) came back`)), timeoutMs);
      socket.on('message', (msg) => {
        replies.push(msg);
        if (replies.length === payloads.length) {
          clearTimeout(timer);
          resolve();
        }
      });
      // One at a time: a datagram is sent once the previous one came back, so no queue on the
      // way can overflow and the test measures delivery, not buffer sizes.
      let i = 0;
      const next = (): void => {
        if (i < payloads.length) socket.send(payloads[i++]!, port, host);
      };
      socket.on('message', next);
      next();
    });
  } finally {
    socket.close();
  }
  return replies;
}

/** Payloads of the given sizes, each starting with a tag naming its client and index. */
export function taggedPayloads(client: string, sizes: number[]): Buffer[] {
  return sizes.map((size, i) => {
    const body = randomBytes(size);
    const tag = Buffer.from(`${client}#${i}|`);
    tag.copy(body, 0, 0, Math.min(tag.length, size));
    return body;
  });
}

import { connect, createServer, type Server as NetServer, type Socket } from 'node:net';
import ssh2 from 'ssh2';
import type { Connection, ParsedKey } from 'ssh2';

const { Server, utils } = ssh2;

export interface DemoServer {
  port: number;
  close(): Promise<void>;
}

function join(a: NodeJS.ReadWriteStream & { destroy?: () => void }, b: Socket): void {
  a.pipe(b).pipe(a);
  b.on('error', () => a.destroy?.());
  a.on('error', () => b.destroy());
}

/**
 * A small SSH server on loopback for `tunnelvision web --demo`: accepts one client key,
 * opens direct-tcpip channels (-L, -D, jump hops) and serves tcpip-forward (-R) on 127.0.0.1,
 * so a newcomer sees every kind of tunnel carry real traffic without a server of their own.
 */
export async function startDemoServer(hostKey: string, clientKey: ParsedKey): Promise<DemoServer> {
  const clients = new Set<Connection>();
  const server = new Server({ hostKeys: [hostKey] }, (client) => {
    clients.add(client);
    const listeners = new Map<string, NetServer>();
    client.on('authentication', (ctx) => {
      if (ctx.method === 'publickey' && ctx.key.algo === clientKey.type && ctx.key.data.equals(clientKey.getPublicSSH())) {
        if (!ctx.signature) return ctx.accept();
        if (clientKey.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) === true) return ctx.accept();
      }
      ctx.reject(['publickey']);
    });
    client.on('ready', () => {
      client.on('tcpip', (accept, reject, info) => {
        const socket = connect(info.destPort, info.destIP);
        socket.once('connect', () => join(accept(), socket));
        socket.once('error', () => reject());
      });
      client.on('request', (accept, reject, name, info) => {
        if (name === 'tcpip-forward' && info && 'bindPort' in info) {
          const listener = createServer((socket) => {
            client.forwardOut(info.bindAddr, (listener.address() as { port: number }).port, socket.remoteAddress ?? '127.0.0.1', socket.remotePort ?? 0, (err, channel) => {
              if (err) return socket.destroy();
              join(channel, socket);
            });
          });
          listener.once('error', () => reject?.());
          listener.listen(info.bindPort, '127.0.0.1', () => {
            const port = (listener.address() as { port: number }).port;
            listeners.set(`${info.bindAddr}:${port}`, listener);
            accept?.(port);
          });
        } else if (name === 'cancel-tcpip-forward' && info && 'bindPort' in info) {
          listeners.get(`${info.bindAddr}:${info.bindPort}`)?.close();
          accept?.();
        } else reject?.();
      });
    });
    client.on('error', () => undefined);
    client.on('close', () => {
      clients.delete(client);
      for (const l of listeners.values()) l.close();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: async () => {
      for (const c of clients) c.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function generateKeys(): { hostKey: string; hostPublic: string; clientPrivate: string; clientKey: ParsedKey } {
  const host = utils.generateKeyPairSync('ed25519');
  const client = utils.generateKeyPairSync('ed25519');
  const parsed = utils.parseKey(client.public);
  if (parsed instanceof Error) throw parsed;
  return { hostKey: host.private, hostPublic: host.public, clientPrivate: client.private, clientKey: parsed };
}

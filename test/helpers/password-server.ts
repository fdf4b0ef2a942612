import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import ssh2 from 'ssh2';
import { knownHostsFor } from './fixtures.js';

export interface PasswordServer {
  port: number;
  knownHosts: string;
  /** Passwords the server was offered, in order. */
  offered: string[];
  close(): Promise<void>;
}

/** Serves an ssh2 server connection's direct-tcpip channels, to loopback only (-L, -J through it). */
export function carryTcpipToLoopback(client: ssh2.Connection): void {
  client.on('tcpip', (accept, reject, info) => {
    if (!['127.0.0.1', 'localhost'].includes(info.destIP)) return reject();
    const target = connect(info.destPort, '127.0.0.1');
    target.once('error', () => reject());
    target.once('connect', () => {
      const channel = accept();
      target.pipe(channel).pipe(target);
      target.on('error', () => channel.destroy());
    });
  });
}

/**
 * An ssh2 server that accepts `user` with `password` only, and carries direct-tcpip channels to
 * loopback (so it can serve as a jump host).
 */
export async function startPasswordServer(hostKeyPath: string, user: string, password: string): Promise<PasswordServer> {
  const { Server, utils } = ssh2;
  const hostKey = readFileSync(hostKeyPath);
  const offered: string[] = [];
  const server = new Server({ hostKeys: [hostKey] }, (client) => {
    client.on('authentication', (ctx) => {
      if (ctx.method === 'password') {
        offered.push(ctx.password);
        if (ctx.username === user && ctx.password === password) return ctx.accept();
      }
      ctx.reject(['password']);
    });
    client.on('ready', () => carryTcpipToLoopback(client));
    client.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const pub = utils.parseKey(hostKey);
  if (pub instanceof Error) throw pub;
  const knownHosts = await knownHostsFor([], [`[127.0.0.1]:${port} ${pub.type} ${pub.getPublicSSH().toString('base64')}`]);
  return { port, knownHosts, offered, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

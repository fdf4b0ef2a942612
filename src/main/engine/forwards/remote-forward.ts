import { connect, type NetConnectOpts, type Socket } from 'node:net';
import type { AcceptConnection, Channel, ClientChannel, RejectConnection, TcpConnectionDetails } from 'ssh2';
import { TunnelError } from '../../../shared/errors.js';
import type { RemoteForward as RemoteForwardSpec } from '../../../shared/profile.js';
import type { SshSession } from '../session.js';
import { readSocksRequest, SOCKS5_REPLY } from '../socks/handshake.js';
import { socketErrorToTunnelError } from '../transport.js';
import { SOCKS_HANDSHAKE_TIMEOUT_MS } from './dynamic-forward.js';
import { ForwardRunner } from './forward-runner.js';
import { socksReplyFor } from './socks-reply.js';

const TARGET_CONNECT_TIMEOUT_MS = 30_000;
const LOOPBACK_BINDS = new Set(['localhost', '127.0.0.1', '::1']);

/**
 * The bind address sent in the tcpip-forward request, as ssh(1) computes it
 * (channels.c channel_rfwd_bind_host): none → "localhost", '*' or '' → "" (all interfaces).
 * sshd echoes this exact string back on every forwarded connection, so it is also our key.
 */
export function remoteBindHost(host: string | null): string {
  if (host === null) return 'localhost';
  if (host === '*' || host === '') return '';
  return host;
}

function dial(options: { host: string; port: number } | { path: string }): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const what = 'path' in options ? options.path : `${options.host}:${options.port}`;
    const socket = connect({ ...options, allowHalfOpen: true, noDelay: true } as NetConnectOpts);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new TunnelError('TIMEOUT', `${what}: no connection after ${TARGET_CONNECT_TIMEOUT_MS / 1000} s`));
    }, TARGET_CONNECT_TIMEOUT_MS);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      reject(Object.assign(socketErrorToTunnelError(err, what), { errno: err.code }));
    });
  });
}

/**
 * ssh -R: the server listens and sends each connection back over the session; we dial the
 * target from here. Without a target it is OpenSSH's reverse dynamic forward: we answer SOCKS
 * on the channel and dial whatever it asks for.
 */
export class RemoteForwardRunner extends ForwardRunner {
  private registered: { bindHost: string; port: number } | { socket: string } | null = null;

  override get serverSide(): boolean {
    return true;
  }

  private get spec(): RemoteForwardSpec {
    return this.forward as RemoteForwardSpec;
  }

  async open(): Promise<void> {
    // Nothing to bind here: the listener lives on the server.
  }

  async attach(session: SshSession): Promise<void> {
    this.session = session;
    this.registered = null;
    const bind = this.spec.bind;
    try {
      if ('socket' in bind) {
        await new Promise<void>((resolve, reject) => {
          session.client.openssh_forwardInStreamLocal(bind.socket, (err) => (err ? reject(err) : resolve()));
        });
        this.registered = { socket: bind.socket };
        this.status.listening = [`server:${bind.socket}`];
      } else {
        const bindHost = remoteBindHost(bind.host);
        const port = await new Promise<number>((resolve, reject) => {
          session.client.forwardIn(bindHost, bind.port, (err, realPort) => (err ? reject(err) : resolve(realPort)));
        });
        this.registered = { bindHost, port };
        this.status.allocatedPort = bind.port === 0 ? port : null;
        const shown = bindHost === '' ? '*' : bindHost.includes(':') ? `[${bindHost}]` : bindHost;
        this.status.listening = [`server:${shown}:${port}`];
        if (!LOOPBACK_BINDS.has(bindHost)) {
          this.status.note =
            'the server decides where this listens: sshd binds loopback only unless its GatewayPorts is yes or clientspecified';
        }
      }
    } catch (err) {
      const where = 'socket' in bind ? bind.socket : `${remoteBindHost(bind.host) || '*'}:${bind.port}`;
      throw new TunnelError(
        'REMOTE_FORWARD_REFUSED',
        `the server refused to listen on ${where} (port in use there, or forwarding not permitted): ${(err as Error).message}`,
      );
    }
    this.status.state = 'active';
    this.status.error = null;
    this.log('info', `the server listens on ${this.status.listening.join(', ')}`);
  }

  /** Whether a forwarded connection from the server belongs to this forward. */
  matchesTcp(details: TcpConnectionDetails): boolean {
    const r = this.registered;
    return r !== null && 'bindHost' in r && r.port === details.destPort && r.bindHost === details.destIP;
  }

  matchesSocket(path: string): boolean {
    const r = this.registered;
    return r !== null && 'socket' in r && r.socket === path;
  }

  handleIncoming(client: string, accept: AcceptConnection<ClientChannel | Channel>, reject: RejectConnection): void {
    const target = this.spec.target;
    const work = target === undefined ? this.serveSocks(client, accept) : this.serveTarget(client, target, accept, reject);
    work.catch((err: Error) => {
      this.counter.failed();
      this.log('warn', `connection from ${client} on the server failed: ${err.message}`);
    });
  }

  private async serveTarget(
    client: string,
    target: NonNullable<RemoteForwardSpec['target']>,
    accept: AcceptConnection<ClientChannel | Channel>,
    reject: RejectConnection,
  ): Promise<void> {
    let socket: Socket;
    try {
      socket = await dial('socket' in target ? { path: target.socket } : { host: target.host, port: target.port });
    } catch (err) {
      reject();
      throw err;
    }
    const channel = accept();
    const name = 'socket' in target ? target.socket : `${target.host}:${target.port}`;
    await this.ctx.registry.carry(this.index, client, name, channel, socket, this.counter, 'client');
  }

  private async serveSocks(client: string, accept: AcceptConnection<ClientChannel | Channel>): Promise<void> {
    const channel = accept();
    const request = await readSocksRequest(channel, SOCKS_HANDSHAKE_TIMEOUT_MS);
    let socket: Socket;
    try {
      socket = await dial({ host: request.host, port: request.port });
    } catch (err) {
      request.reply(socksReplyFor(err));
      channel.end();
      throw err;
    }
    request.reply(SOCKS5_REPLY.succeeded);
    await this.ctx.registry.carry(this.index, client, `${request.host}:${request.port}`, channel, socket, this.counter, 'client');
  }

  /** Cancels the server-side listener (cancel-tcpip-forward) if the session is still there. */
  private async unregister(): Promise<void> {
    const session = this.session;
    const r = this.registered;
    this.registered = null;
    if (!session?.isOpen || r === null) return;
    await new Promise<void>((resolve) => {
      try {
        const done = (): void => resolve();
        if ('socket' in r) session.client.openssh_unforwardInStreamLocal(r.socket, done);
        else session.client.unforwardIn(r.bindHost, r.port, done);
      } catch {
        resolve();
      }
      setTimeout(resolve, 2000).unref();
    });
  }

  override detach(): void {
    this.registered = null;
    super.detach();
    if (this.status.state === 'active') this.status.state = 'pending';
  }

  async close(): Promise<void> {
    await this.unregister();
    this.ctx.registry.closeForward(this.index);
    this.session = null;
    this.status.state = 'stopped';
    this.status.listening = [];
  }
}

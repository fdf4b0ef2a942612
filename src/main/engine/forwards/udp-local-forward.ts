import dgram from 'node:dgram';
import { isIP } from 'node:net';
import { TunnelError } from '../../../shared/errors.js';
import { formatHostPort, type LocalUdpForward } from '../../../shared/profile.js';
import type { RelayArgs } from '../udp/relay-command.js';
import { FrameType, MAX_DATAGRAM_BYTES, type Frame, type Hello } from '../udp/relay-protocol.js';
import { RELAY_QUEUE_BYTES } from '../udp/relay.js';
import { bindError, localBindAddresses } from './listeners.js';
import { UdpForwardRunner } from './udp-forward.js';

interface LocalFlow {
  id: number;
  key: string;
  socket: dgram.Socket;
  address: string;
  port: number;
}

function bindSocket(host: string, port: number): Promise<dgram.Socket> {
  const socket = dgram.createSocket({
    type: isIP(host) === 6 ? 'udp6' : 'udp4',
    // Shared by every client of the forward: room for a burst of large datagrams (capped by
    // net.core.rmem_max), as the relay does on the server.
    recvBufferSize: 1024 * 1024,
    ...(host === '::' ? { ipv6Only: false } : {}),
  });
  return new Promise((resolve, reject) => {
    socket.once('error', (err) => {
      socket.close();
      reject(err);
    });
    socket.bind(port, host, () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
  });
}

/**
 * UDP -L: sockets bound here with -L's rules (loopback unless a bind address says otherwise,
 * all interfaces with GatewayPorts), kept across reconnects like TCP listeners. Each client
 * address is a flow with its own socket on the server, so replies find their sender. A datagram
 * that arrives while no relay runs is dropped and counted — UDP has no way to hold a sender.
 */
export class UdpLocalForwardRunner extends UdpForwardRunner {
  private sockets: dgram.Socket[] = [];
  private readonly byKey = new Map<string, LocalFlow>();
  private readonly byId = new Map<number, LocalFlow>();
  private nextFlow = 1;

  private get local(): LocalUdpForward {
    return this.forward as LocalUdpForward;
  }

  async open(): Promise<void> {
    if (this.sockets.length > 0) return;
    const bind = this.local.bind;
    const { addresses, allInterfaces } = localBindAddresses(bind.host, this.ctx.gatewayPorts);
    const sockets: dgram.Socket[] = [];
    const bound: string[] = [];
    let port = bind.port;
    let firstError: TunnelError | null = null;
    for (const host of addresses) {
      try {
        const socket = await bindSocket(host, port);
        port = socket.address().port;
        sockets.push(socket);
        bound.push(formatHostPort(host, port));
        if (allInterfaces) break;
      } catch (err) {
        firstError ??= bindError(err as NodeJS.ErrnoException, `udp ${formatHostPort(host, port)}`);
        // As for TCP: the first address decides; a missing second family is not an error.
        if (sockets.length === 0 && !allInterfaces) break;
      }
    }
    if (sockets.length === 0) throw firstError ?? new TunnelError('FORWARD_BIND_FAILED', `cannot listen for UDP on port ${bind.port}`);
    sockets.forEach((socket, i) => {
      socket.on('message', (datagram, from) => this.fromClient(i, datagram, from));
      socket.on('error', (err) => this.log('debug', `udp socket: ${err.message}`));
    });
    this.sockets = sockets;
    this.status.listening = bound;
    this.status.allocatedPort = bind.port === 0 ? port : null;
    if (bound.some((a) => a.startsWith('[::]') || a.startsWith('0.0.0.0'))) {
      this.status.note = 'listening on all interfaces: other machines can send datagrams';
    }
    this.log('info', `listening on ${bound.map((b) => `udp ${b}`).join(', ')}`);
  }

  protected override canAttach(): boolean {
    return this.sockets.length > 0;
  }

  /** A local bind that failed is this machine's problem, not the server's: not retried per session. */
  override get serverSide(): boolean {
    return this.sockets.length > 0;
  }

  protected async relayArgs(): Promise<RelayArgs> {
    const { target } = this.local;
    return { mode: 'L', host: target.host, port: target.port, idleSeconds: this.idleSeconds, maxFlows: this.maxFlows, outQueueBytes: RELAY_QUEUE_BYTES };
  }

  protected relayStarted(_hello: Hello): void {
    // Where we listen does not depend on the relay.
  }

  private fromClient(socketIndex: number, datagram: Buffer, from: dgram.RemoteInfo): void {
    if (datagram.length > MAX_DATAGRAM_BYTES) {
      this.countDrop();
      return;
    }
    if (!this.relay) {
      this.sendToRelay(0, datagram); // counts the drop
      return;
    }
    const key = `${socketIndex} ${from.address} ${from.port}`;
    let flow = this.byKey.get(key);
    if (!flow) {
      flow = { id: this.takeFlowId(), key, socket: this.sockets[socketIndex]!, address: from.address, port: from.port };
      this.byKey.set(key, flow);
      this.byId.set(flow.id, flow);
      this.flowOpened();
    }
    this.sendToRelay(flow.id, datagram);
  }

  private takeFlowId(): number {
    // 32-bit ids, skipping 0 (the relay itself) and any still in use after a wrap.
    do {
      this.nextFlow = this.nextFlow >= 0xffffffff ? 1 : this.nextFlow + 1;
    } while (this.byId.has(this.nextFlow));
    return this.nextFlow;
  }

  protected flowFrame(frame: Frame): void {
    if (frame.type !== FrameType.data) return;
    const flow = this.byId.get(frame.flow);
    if (!flow) {
      this.countDrop(); // a reply racing the flow's end
      return;
    }
    this.countReceived(frame.payload.length);
    flow.socket.send(frame.payload, flow.port, flow.address, (err) => {
      if (err) this.countDrop();
    });
  }

  protected endFlow(id: number): boolean {
    const flow = this.byId.get(id);
    if (!flow) return false;
    this.byId.delete(id);
    this.byKey.delete(flow.key);
    this.flowEnded();
    return true;
  }

  protected endAllFlows(): void {
    for (const id of [...this.byId.keys()]) this.endFlow(id);
  }

  override async close(): Promise<void> {
    await super.close();
    const sockets = this.sockets;
    this.sockets = [];
    await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.status.listening = [];
  }
}

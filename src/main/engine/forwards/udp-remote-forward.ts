import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { TunnelError } from '../../../shared/errors.js';
import type { RemoteUdpForward } from '../../../shared/profile.js';
import { printable } from '../../openssh/hostnames.js';
import type { RelayArgs } from '../udp/relay-command.js';
import { FrameType, MAX_DATAGRAM_BYTES, type Frame, type Hello } from '../udp/relay-protocol.js';
import { RELAY_QUEUE_BYTES } from '../udp/relay.js';
import { remoteBindHost } from './remote-forward.js';
import { UdpForwardRunner } from './udp-forward.js';

/** Datagrams held per flow while its socket here connects (a few ms); beyond, dropped. */
const PENDING_PER_FLOW = 64;
const LOOPBACK_BINDS = new Set(['localhost', '127.0.0.1', '::1']);

interface RemoteFlow {
  socket: dgram.Socket;
  ready: boolean;
  pending: Buffer[];
  client: string;
}

/**
 * UDP -R: the relay binds on the server (loopback unless a bind address says otherwise, as -R)
 * and announces each sender there as a flow; each flow gets its own socket here, connected to
 * host:hostport, so replies go back through the relay to the sender that caused them.
 */
export class UdpRemoteForwardRunner extends UdpForwardRunner {
  private readonly flows = new Map<number, RemoteFlow>();
  private target: { address: string; family: number } | null = null;

  private get remote(): RemoteUdpForward {
    return this.forward as RemoteUdpForward;
  }

  async open(): Promise<void> {
    // Nothing to bind here: the relay listens on the server.
  }

  protected async relayArgs(): Promise<RelayArgs> {
    const { target, bind } = this.remote;
    try {
      // IPv4 first: "localhost" services often listen on 127.0.0.1 only, and UDP gives no
      // refusal to fall back on the way a TCP connect does.
      const all = await lookup(target.host, { all: true });
      this.target = all.find((a) => a.family === 4) ?? all[0]!;
    } catch (err) {
      throw new TunnelError('DNS_FAILED', `cannot resolve the UDP destination ${printable(target.host)}: ${(err as Error).message}`);
    }
    return { mode: 'R', host: remoteBindHost(bind.host), port: bind.port, idleSeconds: this.idleSeconds, maxFlows: this.maxFlows, outQueueBytes: RELAY_QUEUE_BYTES };
  }

  protected relayStarted(hello: Hello): void {
    this.status.listening = hello.bound.map((b) => `server:udp ${b}`);
    this.status.allocatedPort = this.remote.bind.port === 0 ? hello.port : null;
    const bindHost = remoteBindHost(this.remote.bind.host);
    this.status.note = LOOPBACK_BINDS.has(bindHost)
      ? null
      : "the relay binds this address itself: sshd's GatewayPorts does not apply to UDP forwards";
  }

  protected flowFrame(frame: Frame): void {
    if (frame.type === FrameType.open) this.openFlow(frame.flow, frame.payload.toString('latin1'));
    else if (frame.type === FrameType.data) this.toTarget(frame.flow, frame.payload);
  }

  private openFlow(id: number, client: string): void {
    const target = this.target;
    if (!target || this.flows.has(id)) return;
    const socket = dgram.createSocket({ type: target.family === 6 ? 'udp6' : 'udp4', recvBufferSize: 256 * 1024 });
    const flow: RemoteFlow = { socket, ready: false, pending: [], client: printable(client) };
    this.flows.set(id, flow);
    this.flowOpened();
    socket.on('error', (err) => this.log('debug', `flow from ${flow.client}: ${err.message}`));
    socket.on('message', (datagram) => {
      this.countReceived(datagram.length);
      this.sendReply(id, datagram);
    });
    socket.connect(this.remote.target.port, target.address, () => {
      flow.ready = true;
      for (const datagram of flow.pending) this.send(flow, datagram);
      flow.pending = [];
    });
  }

  private sendReply(id: number, datagram: Buffer): void {
    // The reply's direction is destination → client: counted as received, queued to the relay.
    const relay = this.relay;
    if (!relay || !relay.send(FrameType.data, id, datagram)) this.countDrop();
  }

  private toTarget(id: number, datagram: Buffer): void {
    const flow = this.flows.get(id);
    if (!flow || datagram.length > MAX_DATAGRAM_BYTES) {
      this.countDrop();
      return;
    }
    this.countSent(datagram.length);
    if (flow.ready) this.send(flow, datagram);
    else if (flow.pending.length < PENDING_PER_FLOW) flow.pending.push(datagram);
    else this.countDrop();
  }

  private send(flow: RemoteFlow, datagram: Buffer): void {
    flow.socket.send(datagram, (err) => {
      if (err) this.countDrop();
    });
  }

  protected endFlow(id: number): boolean {
    const flow = this.flows.get(id);
    if (!flow) return false;
    this.flows.delete(id);
    flow.socket.close();
    this.flowEnded();
    return true;
  }

  protected endAllFlows(): void {
    for (const id of [...this.flows.keys()]) this.endFlow(id);
  }

  override detach(): void {
    super.detach();
    this.status.listening = [];
  }

  override async close(): Promise<void> {
    await super.close();
    this.status.listening = [];
  }
}

import { UDP_DEFAULT_FLOW_IDLE_TIMEOUT, UDP_DEFAULT_MAX_FLOWS, type Forward, type UdpForward } from '../../../shared/profile.js';
import type { UdpFigures } from '../../../shared/tunnel.js';
import type { SshSession } from '../session.js';
import type { RelayArgs } from '../udp/relay-command.js';
import { CloseReason, FrameType, parseRelayError, parseRelayStats, type Frame, type Hello } from '../udp/relay-protocol.js';
import { UdpRelay } from '../udp/relay.js';
import { ForwardRunner, type ForwardContext } from './forward-runner.js';

/**
 * What local and remote UDP forwards share: one relay per forward per session, started on
 * attach and gone with the session; flows (one per client address) whose lifetime the relay
 * decides; the counters. A relay that dies while the session stays up is reported to the tunnel,
 * which restarts it with backoff.
 */
export abstract class UdpForwardRunner extends ForwardRunner {
  protected relay: UdpRelay | null = null;
  protected readonly figures: UdpFigures = {
    datagramsSent: 0,
    datagramsReceived: 0,
    flows: 0,
    totalFlows: 0,
    drops: 0,
    evictions: 0,
    expiredFlows: 0,
    relayStarts: 0,
  };
  /** The current relay's own drop total (it restarts at 0 with every relay). */
  private relayDrops = 0;
  private loggedNoRelay = false;

  constructor(index: number, forward: Forward, ctx: ForwardContext) {
    super(index, forward, ctx);
    this.status.protocol = 'udp';
  }

  protected get spec(): UdpForward {
    return this.forward as UdpForward;
  }

  protected get idleSeconds(): number {
    return this.spec.flowIdleTimeout ?? UDP_DEFAULT_FLOW_IDLE_TIMEOUT;
  }

  protected get maxFlows(): number {
    return this.spec.maxFlows ?? UDP_DEFAULT_MAX_FLOWS;
  }

  override get serverSide(): boolean {
    return true;
  }

  udpFigures(): UdpFigures {
    return { ...this.figures, drops: this.figures.drops + this.relayDrops };
  }

  protected abstract relayArgs(session: SshSession): Promise<RelayArgs>;
  /** The relay said hello: record where it listens. */
  protected abstract relayStarted(hello: Hello): void;
  /** A frame for one flow (data, open). */
  protected abstract flowFrame(frame: Frame): void;
  /** The relay ended a flow; release what this side holds for it. Returns whether it existed. */
  protected abstract endFlow(flow: number): boolean;
  /** The relay is gone: every flow with it. */
  protected abstract endAllFlows(): void;

  /** Whether this forward can run at all (a local forward whose bind failed cannot). */
  protected canAttach(): boolean {
    return true;
  }

  async attach(session: SshSession): Promise<void> {
    this.session = session;
    if (!this.canAttach()) return;
    this.stopRelay();
    const relay = await UdpRelay.start(session.client, await this.relayArgs(session), {
      ...(this.ctx.udpInterpreters ? { interpreters: this.ctx.udpInterpreters } : {}),
    });
    if (this.session !== session || !session.isOpen) {
      relay.close();
      return;
    }
    this.relay = relay;
    this.relayDrops = 0;
    this.loggedNoRelay = false;
    this.figures.relayStarts++;
    relay.on('frame', (frame) => this.onFrame(frame));
    relay.on('stderr', (line) => this.log('warn', `relay on the server: ${line}`));
    relay.on('exit', (err) => {
      if (this.relay !== relay) return;
      this.stopRelay();
      if (this.session !== session || !session.isOpen) return;
      this.log('warn', err.message);
      this.ctx.forwardFailed?.(this, err);
    });
    this.relayStarted(relay.hello);
    this.status.state = 'active';
    this.status.error = null;
    this.log('info', `UDP relay running on the server (${relay.hello.interpreter})${this.status.listening.length ? `, listening on ${this.status.listening.join(', ')}` : ''}`);
  }

  override detach(): void {
    this.stopRelay();
    super.detach();
    if (this.status.state === 'active') this.status.state = 'pending';
  }

  async close(): Promise<void> {
    this.stopRelay();
    this.session = null;
    this.status.state = 'stopped';
  }

  /** Sends one datagram of `flow` to the relay; counts it as sent or dropped. */
  protected sendToRelay(flow: number, datagram: Buffer): void {
    const relay = this.relay;
    if (!relay) {
      this.figures.drops++;
      if (!this.loggedNoRelay) {
        this.loggedNoRelay = true;
        this.log('debug', 'datagrams dropped: no relay is running (the session is down or the relay is restarting)');
      }
      return;
    }
    if (!relay.send(FrameType.data, flow, datagram)) {
      this.figures.drops++;
      return;
    }
    this.figures.datagramsSent++;
    this.counter.addSent(datagram.length);
  }

  /** A datagram client → destination that did not pass through sendToRelay (remote forwards). */
  protected countSent(bytes: number): void {
    this.figures.datagramsSent++;
    this.counter.addSent(bytes);
  }

  protected countReceived(bytes: number): void {
    this.figures.datagramsReceived++;
    this.counter.addReceived(bytes);
  }

  protected countDrop(): void {
    this.figures.drops++;
  }

  protected flowOpened(): void {
    this.figures.flows++;
    this.figures.totalFlows++;
    this.counter.opened();
  }

  protected flowEnded(): void {
    this.figures.flows--;
    this.counter.closed();
  }

  private onFrame(frame: Frame): void {
    switch (frame.type) {
      case FrameType.close: {
        if (!this.endFlow(frame.flow)) return;
        const reason = frame.payload[0];
        if (reason === CloseReason.idle) this.figures.expiredFlows++;
        else if (reason === CloseReason.evicted) this.figures.evictions++;
        return;
      }
      case FrameType.stats:
        this.relayDrops = parseRelayStats(frame.payload).drops;
        return;
      case FrameType.error: {
        const { word, message } = parseRelayError(frame.payload);
        this.log('debug', `relay, flow ${frame.flow}: ${word} ${message}`);
        return;
      }
      default:
        this.flowFrame(frame);
    }
  }

  private stopRelay(): void {
    const relay = this.relay;
    if (!relay) return;
    this.relay = null;
    // The server-side drop count dies with this relay: keep it.
    this.figures.drops += this.relayDrops;
    this.relayDrops = 0;
    relay.close();
    this.endAllFlows();
  }
}

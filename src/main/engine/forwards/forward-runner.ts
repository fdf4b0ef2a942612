import { toErrorInfo, type TunnelError } from '../../../shared/errors.js';
import { describeForward, type Forward } from '../../../shared/profile.js';
import type { ForwardStatus } from '../../../shared/tunnel.js';
import type { ConnectionRegistry } from '../connections.js';
import type { RelayInterpreter } from '../udp/relay-command.js';
import type { Log, SshSession } from '../session.js';
import { TrafficCounter } from '../traffic.js';

export interface ForwardContext {
  registry: ConnectionRegistry;
  tunnelCounter: TrafficCounter;
  log: Log;
  gatewayPorts: boolean;
  /**
   * The open session, waiting for one while the tunnel reconnects (or, for a lazy tunnel,
   * starting one). Rejects if none comes within the hold time.
   */
  acquireSession(): Promise<SshSession>;
  /**
   * A forward that was working stopped on its own while the session stays up (a UDP relay that
   * died on the server): the tunnel reports it and retries it like a refused remote forward.
   */
  forwardFailed?(runner: ForwardRunner, err: TunnelError): void;
  /** Which interpreters a UDP relay may use, in order (tests force one). */
  udpInterpreters?: readonly RelayInterpreter[];
}

/**
 * One forward of a tunnel. Local and dynamic forwards own listeners on this machine that
 * outlive SSH sessions; remote forwards exist only inside a session and are registered anew
 * on each one.
 */
export abstract class ForwardRunner {
  readonly counter: TrafficCounter;
  protected session: SshSession | null = null;
  protected status: ForwardStatus;

  constructor(readonly index: number, readonly forward: Forward, protected readonly ctx: ForwardContext) {
    this.counter = new TrafficCounter(ctx.tunnelCounter);
    this.status = {
      index,
      description: describeForward(forward),
      state: 'pending',
      error: null,
      listening: [],
      allocatedPort: null,
      note: null,
      probe: null,
    };
  }

  /** Binds local listeners (no-op for remote forwards). Throws FORWARD_BIND_FAILED. */
  abstract open(): Promise<void>;
  /** Starts serving through `session`. Throws for a remote forward the server refuses. */
  abstract attach(session: SshSession): Promise<void>;
  /** The session is gone; connections through it are already dead. */
  detach(): void {
    this.session = null;
  }
  /** Releases everything: listeners, server-side forwards, live connections. */
  abstract close(): Promise<void>;

  /**
   * Whether this forward's failures come from the server side (a refused -R, a UDP relay that
   * could not start or died): those are retried while the session lives.
   */
  get serverSide(): boolean {
    return false;
  }

  getStatus(): ForwardStatus {
    return { ...this.status, listening: [...this.status.listening] };
  }

  setProbe(result: 'ok' | 'down' | null): void {
    this.status.probe = result;
  }

  markFailed(err: TunnelError | unknown): void {
    this.status.state = 'failed';
    this.status.error = toErrorInfo(err);
  }

  protected log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void {
    this.ctx.log(level, `${this.status.description}: ${message}`);
  }
}

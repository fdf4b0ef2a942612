import { EventEmitter } from 'node:events';
import { PERMANENT_ERROR_CODES, TunnelError, toErrorInfo, type ErrorInfo } from '../../shared/errors.js';
import type { Profile } from '../../shared/profile.js';
import type { ForwardStatus, LogLine, TunnelState, TunnelStateChange, TunnelStats } from '../../shared/tunnel.js';
import { Backoff } from './backoff.js';
import { ConnectionRegistry, type LiveConnectionInfo } from './connections.js';
import { DynamicForwardRunner } from './forwards/dynamic-forward.js';
import type { ForwardContext, ForwardRunner } from './forwards/forward-runner.js';
import { LocalForwardRunner } from './forwards/local-forward.js';
import { RemoteForwardRunner } from './forwards/remote-forward.js';
import type { Prompter } from './prompts.js';
import { SshSession, type LogLevel } from './session.js';
import { TrafficCounter } from './traffic.js';

export interface TunnelOptions {
  prompter?: Prompter;
  agentSocket?: string;
  /** A session that stayed up this long resets the backoff. */
  stableAfterMs?: number;
  backoff?: Backoff;
}

export interface TunnelEvents {
  state: [TunnelStateChange];
  log: [LogLine];
}

const LOG_LINES_KEPT = 500;

/**
 * One tunnel: a profile brought to life. Binds local listeners, keeps one SSH session (with
 * its jump hops) open, registers remote forwards on every session, and reconnects with
 * backoff when the session is lost. Failures that retrying cannot fix (host key, auth, bind)
 * stop in `failed` and wait for the user.
 */
export class Tunnel extends EventEmitter<TunnelEvents> {
  private state: TunnelState = 'stopped';
  private session: SshSession | null = null;
  private readonly runners: ForwardRunner[];
  private readonly counter = new TrafficCounter();
  private readonly registry = new ConnectionRegistry();
  private readonly logLines: LogLine[] = [];
  private readonly backoff: Backoff;
  private retryTimer: NodeJS.Timeout | null = null;
  private stableTimer: NodeJS.Timeout | null = null;
  private generation = 0;
  private lastError: ErrorInfo | null = null;

  constructor(readonly id: string, readonly profile: Profile, private readonly options: TunnelOptions = {}) {
    super();
    this.backoff = options.backoff ?? new Backoff();
    const ctx: ForwardContext = {
      registry: this.registry,
      tunnelCounter: this.counter,
      log: (level, message) => this.log(level, message),
      gatewayPorts: profile.gatewayPorts,
    };
    this.runners = profile.forwards.map((f, i) => {
      switch (f.kind) {
        case 'local':
          return new LocalForwardRunner(i, f, ctx);
        case 'dynamic':
          return new DynamicForwardRunner(i, f, ctx);
        case 'remote':
          return new RemoteForwardRunner(i, f, ctx);
      }
    });
  }

  getState(): TunnelState {
    return this.state;
  }

  forwardStatuses(): ForwardStatus[] {
    return this.runners.map((r) => r.getStatus());
  }

  stats(): TunnelStats {
    return {
      tunnel: this.id,
      ...this.counter.snapshot(),
      forwards: this.runners.map((r) => ({ index: r.index, ...r.counter.snapshot() })),
    };
  }

  connections(): LiveConnectionInfo[] {
    return this.registry.list();
  }

  closeConnection(id: number): boolean {
    return this.registry.close(id);
  }

  logs(): LogLine[] {
    return [...this.logLines];
  }

  private log(level: LogLevel, message: string): void {
    const line: LogLine = { tunnel: this.id, time: Date.now(), level, message };
    this.logLines.push(line);
    if (this.logLines.length > LOG_LINES_KEPT) this.logLines.shift();
    this.emit('log', line);
  }

  private setState(state: TunnelState, reason: string, error: TunnelError | ErrorInfo | null = null): void {
    this.state = state;
    const info = error === null ? null : error instanceof TunnelError ? error.toInfo() : error;
    if (info) this.lastError = info;
    this.log(state === 'failed' ? 'error' : 'info', `${state}: ${reason}`);
    this.emit('state', { tunnel: this.id, state, reason, error: info, forwards: this.forwardStatuses() });
  }

  /**
   * Starts the tunnel. Resolves once it is up, or once it has failed permanently (check
   * getState()); network failures keep it retrying in `reconnecting`.
   */
  async start(): Promise<void> {
    if (this.state !== 'stopped' && this.state !== 'failed') return;
    const generation = ++this.generation;
    this.backoff.reset();
    this.setState('connecting', `connecting to ${this.profile.host}:${this.profile.port}`);
    for (const runner of this.runners) {
      if (runner.forward.kind === 'remote') continue;
      try {
        await runner.open();
      } catch (err) {
        runner.markFailed(err);
        this.log('error', (err as Error).message);
        if (this.profile.exitOnForwardFailure) {
          await this.shutdown();
          this.setState('failed', (err as Error).message, err as TunnelError);
          return;
        }
      }
      if (generation !== this.generation) return;
    }
    await this.connect(generation);
  }

  private async connect(generation: number): Promise<void> {
    let session: SshSession;
    try {
      session = await SshSession.open({
        profile: this.profile,
        log: (level, message) => this.log(level, message),
        ...(this.options.prompter ? { prompter: this.options.prompter } : {}),
        ...(this.options.agentSocket ? { agentSocket: this.options.agentSocket } : {}),
      });
    } catch (err) {
      if (generation !== this.generation) return;
      await this.onConnectFailed(generation, err);
      return;
    }
    if (generation !== this.generation) {
      await session.close();
      return;
    }
    this.session = session;
    session.on('close', (reason) => void this.onSessionLost(generation, session, reason));
    session.on('tcp connection', (details, accept, reject) => {
      const runner = this.remoteRunners().find((r) => r.matchesTcp(details));
      if (!runner) return reject();
      runner.handleIncoming(`${details.srcIP}:${details.srcPort}`, accept, reject);
    });
    session.on('unix connection', (details, accept, reject) => {
      const runner = this.remoteRunners().find((r) => r.matchesSocket(details.socketPath));
      if (!runner) return reject();
      runner.handleIncoming(`server:${details.socketPath}`, accept, reject);
    });

    const failures: TunnelError[] = [];
    for (const runner of this.runners) {
      if (runner.getStatus().state === 'failed' && runner.forward.kind !== 'remote') continue;
      try {
        await runner.attach(session);
      } catch (err) {
        runner.markFailed(err);
        failures.push(err as TunnelError);
        this.log('error', (err as Error).message);
      }
    }
    if (generation !== this.generation || !session.isOpen) return;
    const bindFailures = this.runners.filter((r) => r.getStatus().state === 'failed');
    if (this.profile.exitOnForwardFailure && bindFailures.length > 0) {
      const first = failures[0] ?? new TunnelError('FORWARD_BIND_FAILED', bindFailures[0]!.getStatus().error?.message ?? 'a forward failed');
      await this.shutdown();
      this.setState('failed', `ExitOnForwardFailure: ${first.message}`, first);
      return;
    }
    this.stableTimer = setTimeout(() => this.backoff.reset(), this.options.stableAfterMs ?? 30_000);
    this.stableTimer.unref();
    const failed = bindFailures.length;
    const reason =
      failed === 0
        ? `connected to ${this.profile.host}:${this.profile.port}; ${this.runners.length} forward(s) active`
        : `connected to ${this.profile.host}:${this.profile.port}; ${failed} of ${this.runners.length} forward(s) failed`;
    this.setState('up', reason, failed > 0 ? bindFailures[0]!.getStatus().error : null);
  }

  private async onConnectFailed(generation: number, err: unknown): Promise<void> {
    const info = toErrorInfo(err);
    if (PERMANENT_ERROR_CODES.has(info.code)) {
      await this.shutdown();
      this.setState('failed', info.message, info);
      return;
    }
    this.scheduleRetry(generation, info);
  }

  private scheduleRetry(generation: number, info: ErrorInfo): void {
    const delay = this.backoff.next();
    this.setState('reconnecting', `${info.message}; retrying in ${(delay / 1000).toFixed(1)} s`, info);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (generation === this.generation) void this.connect(generation);
    }, delay);
  }

  private async onSessionLost(generation: number, session: SshSession, reason: TunnelError): Promise<void> {
    if (this.session !== session) return;
    this.session = null;
    if (this.stableTimer) clearTimeout(this.stableTimer);
    for (const runner of this.runners) runner.detach();
    if (generation !== this.generation) return;
    this.log('warn', `SSH session lost: ${reason.message}`);
    this.scheduleRetry(generation, reason.toInfo());
  }

  /** Retry now instead of waiting out the backoff (OS resume, network change). */
  nudge(): void {
    if (this.state !== 'reconnecting' || !this.retryTimer) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    void this.connect(this.generation);
  }

  private async shutdown(): Promise<void> {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.stableTimer) clearTimeout(this.stableTimer);
    this.retryTimer = null;
    this.stableTimer = null;
    // Remote forwards are cancelled while the session is still open, then listeners close.
    await Promise.all(this.runners.map((r) => r.close()));
    const session = this.session;
    this.session = null;
    await session?.close();
  }

  /** Stops the tunnel: listeners closed, remote forwards cancelled, session ended. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.generation++;
    await this.shutdown();
    this.setState('stopped', 'stopped by the user');
  }

  get error(): ErrorInfo | null {
    return this.lastError;
  }

  private remoteRunners(): RemoteForwardRunner[] {
    return this.runners.filter((r): r is RemoteForwardRunner => r instanceof RemoteForwardRunner);
  }
}

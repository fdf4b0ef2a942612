import { EventEmitter } from 'node:events';
import { PERMANENT_ERROR_CODES, TunnelError, toErrorInfo, type ErrorCode, type ErrorInfo } from '../../shared/errors.js';
import { isUdpForward, type Profile } from '../../shared/profile.js';
import type { ForwardStatus, LiveConnectionInfo, LogLine, TunnelState, TunnelStateChange, TunnelStats } from '../../shared/tunnel.js';
import { Backoff } from './backoff.js';
import { ConnectionRegistry } from './connections.js';
import { processFlow, type FlowControl } from './flow/index.js';
import { DynamicForwardRunner } from './forwards/dynamic-forward.js';
import type { ForwardContext, ForwardRunner } from './forwards/forward-runner.js';
import { LocalForwardRunner } from './forwards/local-forward.js';
import { RemoteForwardRunner } from './forwards/remote-forward.js';
import { UdpForwardRunner } from './forwards/udp-forward.js';
import { UdpLocalForwardRunner } from './forwards/udp-local-forward.js';
import { UdpRemoteForwardRunner } from './forwards/udp-remote-forward.js';
import type { RelayInterpreter } from './udp/relay-command.js';
import { probeForward } from './probe.js';
import { measureRoundTrip } from './latency.js';
import type { Prompter } from './prompts.js';
import { RateWindow } from './rate-window.js';
import { whenReachable } from './reachability.js';
import { SshSession, type LogLevel } from './session.js';
import type { SecretStore } from '../store/secret-store.js';
import { hopLabels, keychainPrompter } from './keychain-prompter.js';
import { promptsForAttempt } from './prompts.js';
import { TrafficCounter } from './traffic.js';

export interface TunnelOptions {
  prompter?: Prompter;
  /** Saved passwords and passphrases: tried once per connection attempt, before `prompter`. */
  secrets?: { store: SecretStore; profileId: string };
  agentSocket?: string;
  /** A session that stayed up this long resets the backoff. */
  stableAfterMs?: number;
  backoff?: Backoff;
  /** How long a connection made while the session is down waits for it. */
  holdMs?: number;
  /** How often SSH latency is measured. */
  latencyIntervalMs?: number;
  /**
   * autossh's gate time (AUTOSSH_GATETIME), off by default: if the first connection fails, or
   * its session ends within this many ms, give up (`failed`) instead of retrying.
   */
  gateTimeMs?: number;
  /**
   * Called before every connection attempt: the profile to connect with. The app and the CLI
   * resolve a saved profile's typed destination through ssh_config here, so an edit of
   * ~/.ssh/config reaches the tunnel at its next connect, as it would reach the next `ssh`.
   * A throw is a failed attempt with that error.
   */
  resolveProfile?: (profile: Profile) => { profile: Profile; warnings: string[] };
  /** Interpreters the UDP relay may use on the server, in order (default perl, then python3). */
  udpRelayInterpreters?: readonly RelayInterpreter[];
  /** Log lines of the tunnel this one replaces (a restart keeps the story in one place). */
  carryLog?: LogLine[];
  /** Receive-window flow control; the process-wide one (one memory budget) unless given. */
  flow?: FlowControl;
}

export interface TunnelEvents {
  state: [TunnelStateChange];
  log: [LogLine];
  /** Internal: a session came up (forwards waiting for one listen to this). */
  session: [SshSession];
}

const LOG_LINES_KEPT = 500;
const DEFAULT_HOLD_MS = 10_000;
// One keepalive round trip per tunnel every 15 s: cheap enough for hundreds of tunnels.
const DEFAULT_LATENCY_INTERVAL_MS = 15_000;
/** Round trips timed at session start, a quarter second apart (see watchHealth). */
const START_SAMPLES = 4;
const REACHABILITY_POLL_MS = 500;
/** A forward that worked this long before failing again is restarted without extra delay. */
const FORWARD_STABLE_MS = 60_000;
/** Failures where the server did not answer TCP at all; see scheduleRetry. */
function formatSeconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

const UNREACHABLE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['CONNECT_FAILED', 'DNS_FAILED', 'TIMEOUT']);

/**
 * One tunnel: a profile brought to life, supervised like autossh.
 *
 * Local and dynamic listeners are bound once at start and survive reconnects; a connection
 * arriving during an outage is held until the next session (or the hold time). Remote forwards
 * are registered on every session; one the server refuses (often its stale listener from the
 * previous session) is retried with backoff while the tunnel reports `degraded`. A lost session
 * reconnects with capped, jittered backoff, cut short as soon as the server answers TCP again.
 * Failures retrying cannot fix (host key, authentication, bind) end in `failed` and wait.
 */
export class Tunnel extends EventEmitter<TunnelEvents> {
  private state: TunnelState = 'stopped';
  private session: SshSession | null = null;
  private sessionSince: number | null = null;
  private readonly runners: ForwardRunner[];
  private readonly counter = new TrafficCounter();
  private readonly registry: ConnectionRegistry;
  private readonly logLines: LogLine[] = [];
  private readonly backoff: Backoff;
  private readonly rates = new Map<number, RateWindow>();
  private readonly tunnelRate = new RateWindow();
  /** Timers and watchers of the current run; cleared together on stop. */
  private run: { generation: number; abort: AbortController; timers: Set<NodeJS.Timeout> } | null = null;
  private generation = 0;
  private connecting: Promise<void> | null = null;
  private retryWake: (() => void) | null = null;
  private lastError: ErrorInfo | null = null;
  private latencyMs: number | null = null;
  private waiters = 0;
  private sessionsSeen = 0;
  private firstSessionAt: number | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  /** The profile of the latest connection attempt: `profile` as options.resolveProfile saw it then. */
  private connectProfile: Profile;
  /** The session whose server-side forwards are being retried (one retry loop per session). */
  private retrying: SshSession | null = null;
  /** Backoff for forwards that fail mid-session (a relay that keeps dying), and when one last did. */
  private forwardFailures: { session: SshSession; backoff: Backoff; lastAt: number } | null = null;
  private stateSince = Date.now();
  /** When the waiting retry fires, for a live countdown; null when none is scheduled. */
  private retryAt: number | null = null;
  /** Since when the tunnel has been trying to get back; null while up. */
  private downSince: number | null = null;

  constructor(readonly id: string, readonly profile: Profile, private readonly options: TunnelOptions = {}) {
    super();
    this.connectProfile = profile;
    this.setMaxListeners(0);
    if (profile.lazy && profile.forwards.some((f) => f.kind === 'remote')) {
      throw new TunnelError('BAD_ARGUMENT', 'a lazy tunnel cannot have remote forwards: the server only tells us about them over an open session');
    }
    if (profile.lazy && profile.forwards.some(isUdpForward)) {
      throw new TunnelError('BAD_ARGUMENT', 'a lazy tunnel cannot have UDP forwards: their relay runs on the server, inside an open session');
    }
    this.backoff = options.backoff ?? new Backoff();
    const flow = options.flow ?? processFlow;
    this.registry = new ConnectionRegistry((channel, sink) =>
      flow.attach(channel, sink, this.session ?? { minRoundTripMs: null }, (why) => this.log('warn', why)),
    );
    const ctx: ForwardContext = {
      registry: this.registry,
      tunnelCounter: this.counter,
      log: (level, message) => this.log(level, message),
      gatewayPorts: profile.gatewayPorts,
      acquireSession: () => this.acquireSession(),
      forwardFailed: (runner, err) => this.onForwardFailed(runner, err),
      ...(options.udpRelayInterpreters ? { udpInterpreters: options.udpRelayInterpreters } : {}),
    };
    this.runners = profile.forwards.map((f, i) => {
      if (isUdpForward(f)) return f.kind === 'local' ? new UdpLocalForwardRunner(i, f, ctx) : new UdpRemoteForwardRunner(i, f, ctx);
      switch (f.kind) {
        case 'local':
          return new LocalForwardRunner(i, f, ctx);
        case 'dynamic':
          return new DynamicForwardRunner(i, f, ctx);
        case 'remote':
          return new RemoteForwardRunner(i, f, ctx);
      }
    });
    this.runners.forEach((r) => this.rates.set(r.index, new RateWindow()));
    if (options.carryLog) this.logLines.push(...options.carryLog.slice(-LOG_LINES_KEPT));
  }

  getState(): TunnelState {
    return this.state;
  }

  get error(): ErrorInfo | null {
    return this.lastError;
  }

  forwardStatuses(): ForwardStatus[] {
    return this.runners.map((r) => r.getStatus());
  }

  stats(now = Date.now()): TunnelStats {
    const total = this.counter.snapshot();
    return {
      tunnel: this.id,
      state: this.state,
      sessionOpen: this.session?.isOpen ?? false,
      latencyMs: this.latencyMs,
      uptimeMs: this.sessionSince === null ? null : now - this.sessionSince,
      ...total,
      ...this.tunnelRate.sample(now, total.bytesSent, total.bytesReceived),
      forwards: this.runners.map((r) => {
        const c = r.counter.snapshot();
        const flow = this.registry.flowStats(r.index);
        return {
          index: r.index,
          ...c,
          ...this.rates.get(r.index)!.sample(now, c.bytesSent, c.bytesReceived),
          ...(r instanceof UdpForwardRunner ? { udp: r.udpFigures() } : {}),
          window: flow?.window ?? 0,
          windowLimited: flow?.windowLimited ?? false,
        };
      }),
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

  /** Why the tunnel is in its current state, in words. */
  lastReason = 'not started';

  private setState(state: TunnelState, reason: string, error: TunnelError | ErrorInfo | null = null): void {
    if (state !== this.state) this.stateSince = Date.now();
    this.state = state;
    this.lastReason = reason;
    if (state !== 'reconnecting') this.retryAt = null;
    const info = error === null ? null : error instanceof TunnelError ? error.toInfo() : error;
    // What is wrong now, not what once was: a recovered tunnel shows no old error. While it
    // is connecting again, the failure that made it reconnect stays the thing to know.
    if (info || state === 'up' || state === 'degraded' || state === 'stopped') this.lastError = info;
    this.log(state === 'failed' ? 'error' : 'info', `${state}: ${reason}`);
    this.emit('state', this.stateChange());
  }

  /** The tunnel's state as events and status replies carry it. */
  stateChange(): TunnelStateChange {
    return {
      tunnel: this.id,
      state: this.state,
      reason: this.lastReason,
      error: this.lastError,
      forwards: this.forwardStatuses(),
      since: this.stateSince,
      upSince: this.sessionSince,
      retryAt: this.retryAt,
      reconnects: Math.max(0, this.sessionsSeen - 1),
    };
  }

  private isCurrent(generation: number): boolean {
    return this.run?.generation === generation;
  }

  private later(generation: number, ms: number, fn: () => void): void {
    const run = this.run;
    if (!run || run.generation !== generation) return;
    const timer = setTimeout(() => {
      run.timers.delete(timer);
      if (this.isCurrent(generation)) fn();
    }, ms);
    run.timers.add(timer);
  }

  /**
   * Starts the tunnel. Resolves once it is up (for a lazy tunnel: listening), or has failed
   * permanently (see getState()); network failures keep it retrying in `reconnecting`.
   */
  async start(): Promise<void> {
    if (this.state !== 'stopped' && this.state !== 'failed') return;
    const generation = ++this.generation;
    this.run = { generation, abort: new AbortController(), timers: new Set() };
    this.backoff.reset();
    this.lastError = null;
    this.sessionsSeen = 0;
    this.firstSessionAt = null;
    this.downSince = null;
    this.setState('connecting', this.profile.lazy ? 'binding listeners' : `connecting to ${this.describeServer()}`);
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
      if (!this.isCurrent(generation)) return;
    }
    if (this.profile.lazy) {
      this.setState('up', 'lazy: listening; connects on first use');
      return;
    }
    await this.connect(generation);
  }

  private describeHop(p: Profile): string {
    return `${p.user !== null ? `${p.user}@` : ''}${p.host}:${p.port}${p.jumps.length > 0 ? ` via ${p.jumps.map((j) => `${j.host}:${j.port}`).join(', ')}` : ''}`;
  }

  private describeServer(): string {
    return `${this.connectProfile.host}:${this.connectProfile.port}`;
  }

  /** One connection attempt at a time, whoever asks (start, retry timer, nudge, lazy use). */
  private connect(generation: number): Promise<void> {
    this.connecting ??= this.connectOnce(generation).finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async connectOnce(generation: number): Promise<void> {
    if (this.state === 'reconnecting' || (this.profile.lazy && this.state === 'up')) {
      this.setState('connecting', `connecting to ${this.describeServer()}`);
    }
    let session: SshSession;
    // Questions belong to this attempt: once it has ended, a dialog still open is withdrawn.
    const attempt = new AbortController();
    try {
      if (this.options.resolveProfile) {
        const resolved = this.options.resolveProfile(this.profile);
        if (resolved.profile.host !== this.connectProfile.host || resolved.profile.port !== this.connectProfile.port) {
          this.log('info', `ssh_config: ${resolved.profile.typed?.host ?? this.profile.host} is ${this.describeHop(resolved.profile)} now`);
        }
        for (const w of resolved.warnings) this.log('warn', w);
        this.connectProfile = resolved.profile;
      }
      // Stored passwords are filed under the hops as resolved for this very attempt.
      const { secrets } = this.options;
      const asker = secrets
        ? keychainPrompter(secrets.store, secrets.profileId, hopLabels(this.connectProfile).at(-1)!, this.options.prompter)
        : this.options.prompter;
      const prompter = asker ? promptsForAttempt(asker, attempt.signal) : undefined;
      session = await SshSession.open({
        profile: this.connectProfile,
        log: (level, message) => this.log(level, message),
        ...(prompter ? { prompter } : {}),
        ...(this.options.agentSocket ? { agentSocket: this.options.agentSocket } : {}),
        ...(this.run ? { signal: this.run.abort.signal } : {}),
      });
    } catch (err) {
      attempt.abort();
      if (this.isCurrent(generation)) await this.onConnectFailed(generation, err);
      return;
    }
    attempt.abort();
    if (!this.isCurrent(generation)) {
      await session.close();
      return;
    }
    this.session = session;
    this.sessionSince = Date.now();
    session.on('close', (reason) => this.onSessionLost(generation, session, reason));
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

    const refused = await this.attachForwards(session);
    if (!this.isCurrent(generation) || !session.isOpen) return;
    if (refused.length > 0 && this.profile.exitOnForwardFailure) {
      const first = refused[0]!;
      if (this.sessionsSeen === 0) {
        // The very first session: like ssh -o ExitOnForwardFailure=yes, give up.
        await this.shutdown();
        this.setState('failed', `ExitOnForwardFailure: ${first.message}`, first);
        return;
      }
      // Later sessions: as autossh restarting ssh would, drop this session and retry.
      this.session = null;
      this.sessionSince = null;
      for (const runner of this.runners) runner.detach();
      await session.close();
      this.scheduleRetry(generation, first.toInfo());
      return;
    }
    this.sessionsSeen++;
    if (this.sessionsSeen === 1) this.firstSessionAt = Date.now();
    this.emit('session', session);
    this.later(generation, this.options.stableAfterMs ?? 30_000, () => this.backoff.reset());
    this.watchHealth(generation, session);
    this.reportUp(refused.length > 0 ? refused[0]! : null);
    if (refused.length > 0) this.retryRemoteForwards(generation, session, new Backoff());
    if (this.profile.lazy) this.armIdleTimer(generation);
  }

  /** Attaches every forward to the session; returns the remote forwards the server refused. */
  private async attachForwards(session: SshSession): Promise<TunnelError[]> {
    const refused: TunnelError[] = [];
    for (const runner of this.runners) {
      if (runner.getStatus().state === 'failed' && !runner.serverSide) continue;
      try {
        await runner.attach(session);
      } catch (err) {
        runner.markFailed(err);
        refused.push(err as TunnelError);
        this.log('warn', (err as Error).message);
      }
    }
    return refused;
  }

  /** up, or degraded while a remote forward or a probed destination is not working. */
  private reportUp(problem: TunnelError | ErrorInfo | null): void {
    if (this.downSince !== null) {
      this.log('info', `recovered after ${formatSeconds(Date.now() - this.downSince)}`);
      this.downSince = null;
    }
    const statuses = this.forwardStatuses();
    const failedRemote = statuses.filter((f, i) => f.state === 'failed' && this.runners[i]!.serverSide);
    const probeDown = statuses.filter((f) => f.probe === 'down');
    const failedLocal = statuses.filter((f, i) => f.state === 'failed' && !this.runners[i]!.serverSide);
    const where = `${this.describeServer()}${this.latencyMs !== null ? ` (${this.latencyMs.toFixed(1)} ms)` : ''}`;
    if (failedRemote.length > 0) {
      const udp = failedRemote.filter((f) => f.protocol === 'udp').length;
      const tcp = failedRemote.length - udp;
      const what = [
        ...(tcp > 0 ? [`${tcp} remote forward(s) refused by the server`] : []),
        ...(udp > 0 ? [`${udp} UDP forward(s) not running on the server (${failedRemote.find((f) => f.protocol === 'udp')!.error?.message ?? 'relay down'})`] : []),
      ];
      this.setState('degraded', `connected to ${where}; ${what.join('; ')}, retrying`, problem ?? failedRemote[0]!.error);
    } else if (probeDown.length > 0) {
      this.setState('degraded', `SSH up, but ${probeDown.map((f) => f.description).join(', ')}: destination not reachable`, problem);
    } else if (failedLocal.length > 0) {
      this.setState('up', `connected to ${where}; ${failedLocal.length} of ${this.runners.length} forward(s) failed`, failedLocal[0]!.error);
    } else {
      this.setState('up', `connected to ${where}; ${this.runners.length} forward(s) active`);
    }
  }

  /**
   * A refused remote forward is retried with its own backoff while the session lives: after a
   * reconnect the server often still holds the old session's listener ("remote port forwarding
   * failed") until it notices that session is dead.
   */
  private retryRemoteForwards(generation: number, session: SshSession, backoff: Backoff): void {
    const delay = backoff.next();
    this.retrying = session;
    this.log('info', `retrying server-side forward(s) in ${(delay / 1000).toFixed(1)} s (the server may still hold the previous session's listener)`);
    this.later(generation, delay, () => {
      void (async () => {
        if (this.session !== session || !session.isOpen) return;
        const pending = this.runners.filter((r) => r.serverSide && r.getStatus().state === 'failed');
        const still: TunnelError[] = [];
        for (const runner of pending) {
          try {
            await runner.attach(session);
          } catch (err) {
            runner.markFailed(err);
            still.push(err as TunnelError);
          }
        }
        if (this.session !== session || !this.isCurrent(generation)) return;
        this.reportUp(still[0] ?? null);
        if (still.length > 0) this.retryRemoteForwards(generation, session, backoff);
        else this.retrying = null;
      })();
    });
  }

  /** A forward stopped on its own mid-session (a UDP relay died): degraded, and restarted with backoff. */
  private onForwardFailed(runner: ForwardRunner, err: TunnelError): void {
    const session = this.session;
    const run = this.run;
    if (!session?.isOpen || !run) return;
    runner.markFailed(err);
    this.reportUp(err);
    // A relay that dies again soon after its restart waits longer each time (1 s doubling to
    // 60 s); one that ran for a minute starts over at 1 s.
    const now = Date.now();
    if (this.forwardFailures?.session !== session || now - this.forwardFailures.lastAt > FORWARD_STABLE_MS) {
      this.forwardFailures = { session, backoff: new Backoff(), lastAt: now };
    }
    this.forwardFailures.lastAt = now;
    if (this.retrying !== session) this.retryRemoteForwards(run.generation, session, this.forwardFailures.backoff);
  }

  /** SSH latency on an interval and, if configured, forward probes; state follows the probes. */
  private watchHealth(generation: number, session: SshSession): void {
    const latencyEvery = this.options.latencyIntervalMs ?? DEFAULT_LATENCY_INTERVAL_MS;
    let first = true;
    const measure = (): void => {
      if (this.session !== session || !session.isOpen) return;
      // An idle session's keepalive is timed anyway: no second round trip for the same answer.
      // Half an interval of slack, because the keepalive and this loop run on the same period
      // and whichever fires first would otherwise always win.
      const recent = session.lastRoundTrip;
      // Not at start: one keepalive is no substitute for the samples window tuning takes then.
      if (!first && recent && Date.now() - recent.at < latencyEvery * 1.5) this.latencyMs = Math.round(recent.ms * 10) / 10;
      else {
        // Counted now: `first` is false by the time the loop below looks again.
        const samples = first ? START_SAMPLES : 1;
        void (async () => {
          // At session start a few samples, a quarter second apart: window tuning takes the
          // smallest, and one alone is often inflated: by a busy machine, or by sshd's Nagle
          // (without a pty it leaves TCP_NODELAY off, so a reply written while its previous
          // segment waits for our delayed ACK is held up to 40 ms; seen on loopback as 42-51 ms).
          let least = Infinity;
          for (let i = 0; i < samples; i++) {
            if (i > 0) await new Promise((resolve) => setTimeout(resolve, 250).unref());
            const ms = await measureRoundTrip(session.client);
            if (ms === null || this.session !== session) return;
            session.noteRoundTrip(ms);
            this.latencyMs = Math.round(ms * 10) / 10;
            least = Math.min(least, ms);
          }
          if (samples > 1) this.log('debug', `round trip ${least.toFixed(1)} ms (the smallest of ${samples} timed at start): receive windows are tuned by it`);
        })();
      }
      first = false;
      this.later(generation, latencyEvery, measure);
    };
    measure();
    const probeSeconds = this.profile.probeInterval;
    if (probeSeconds === null) return;
    const probe = (): void => {
      if (this.session !== session || !session.isOpen) return;
      void (async () => {
        let changed = false;
        for (const runner of this.runners) {
          const result = await probeForward(runner.forward, session);
          if (result === null || runner.getStatus().probe === result) continue;
          runner.setProbe(result);
          changed = true;
          this.log(result === 'down' ? 'warn' : 'info', `${runner.getStatus().description}: destination ${result === 'down' ? 'not reachable' : 'reachable again'}`);
        }
        if (changed && this.session === session && (this.state === 'up' || this.state === 'degraded')) this.reportUp(null);
        this.later(generation, probeSeconds * 1000, probe);
      })();
    };
    probe();
  }

  private async onConnectFailed(generation: number, err: unknown): Promise<void> {
    const info = toErrorInfo(err);
    if (PERMANENT_ERROR_CODES.has(info.code)) {
      await this.shutdown();
      this.setState('failed', info.message, info);
      return;
    }
    if (this.profile.lazy && this.waiters === 0) {
      this.lastError = info;
      this.setState('up', `lazy: connection failed (${info.message}); will retry on next use`, info);
      return;
    }
    if (this.options.gateTimeMs !== undefined && this.sessionsSeen === 0) {
      await this.shutdown();
      this.setState('failed', `the first connection failed and a gate time is set: ${info.message}`, info);
      return;
    }
    this.scheduleRetry(generation, info);
  }

  private scheduleRetry(generation: number, info: ErrorInfo): void {
    const delay = this.backoff.next();
    this.downSince ??= Date.now();
    this.retryAt = Date.now() + delay;
    this.setState('reconnecting', `${info.message}; retrying in ${(delay / 1000).toFixed(1)} s`, info);
    const abort = new AbortController();
    const wake = (): void => {
      if (this.retryWake !== wake) return;
      this.retryWake = null;
      abort.abort();
      if (this.isCurrent(generation) && this.state === 'reconnecting') void this.connect(generation);
    };
    this.retryWake = wake;
    this.later(generation, delay, wake);
    // Come back as soon as the server answers TCP again rather than sleeping out the backoff —
    // only if TCP was what failed: a server that accepts and then refuses (MaxStartups, a
    // protocol error) would otherwise be hammered at the poll rate.
    const run = this.run;
    if (run && !this.profile.proxyCommand && UNREACHABLE_CODES.has(info.code)) {
      const first = SshSession.hopsOf(this.connectProfile)[0]!;
      const onStop = (): void => abort.abort();
      run.abort.signal.addEventListener('abort', onStop, { once: true });
      abort.signal.addEventListener('abort', () => run.abort.signal.removeEventListener('abort', onStop), { once: true });
      void whenReachable(first.host, first.port, REACHABILITY_POLL_MS, abort.signal).then(() => {
        if (!abort.signal.aborted) {
          this.log('info', `${first.host}:${first.port} answers again`);
          wake();
        }
      });
    }
  }

  private onSessionLost(generation: number, session: SshSession, reason: TunnelError): void {
    if (this.session !== session) return;
    // Runs before ssh2 tears its channels down, so carried connections are reset, not ended.
    this.registry.abortAll();
    this.session = null;
    this.sessionSince = null;
    this.latencyMs = null;
    for (const runner of this.runners) {
      runner.detach();
      runner.setProbe(null);
    }
    if (!this.isCurrent(generation)) return;
    if (this.profile.lazy && this.registry.size === 0 && this.waiters === 0) {
      this.setState('up', `lazy: disconnected (${reason.message}); connects on next use`);
      return;
    }
    this.log('warn', `SSH session lost: ${reason.message}`);
    const gate = this.options.gateTimeMs;
    if (gate !== undefined && this.sessionsSeen === 1 && this.firstSessionAt !== null && Date.now() - this.firstSessionAt < gate) {
      void this.shutdown().then(() => this.setState('failed', `the first session ended within the gate time (${gate / 1000} s): ${reason.message}`, reason));
      return;
    }
    this.scheduleRetry(generation, reason.toInfo());
  }

  /**
   * For forwards: the open session, or the next one. A lazy tunnel connects now; a tunnel
   * waiting out a backoff retries now. Gives up after the hold time.
   */
  private async acquireSession(): Promise<SshSession> {
    const generation = this.run?.generation;
    if (generation === undefined || this.state === 'stopped' || this.state === 'failed') {
      throw new TunnelError('CONNECTION_LOST', 'the tunnel is not running');
    }
    if (this.session?.isOpen) {
      this.touchIdle();
      return this.session;
    }
    const holdMs = this.options.holdMs ?? DEFAULT_HOLD_MS;
    this.waiters++;
    try {
      if (this.connecting === null) {
        if (this.profile.lazy && this.state === 'up') void this.connect(generation);
        else this.retryWake?.();
      }
      return await new Promise<SshSession>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.off('session', onSession);
          this.off('state', onState);
          reject(new TunnelError('CONNECTION_LOST', `the SSH session is down (held ${holdMs / 1000} s)`));
        }, holdMs);
        const onSession = (s: SshSession): void => {
          clearTimeout(timer);
          this.off('state', onState);
          resolve(s);
        };
        const onState = (change: TunnelStateChange): void => {
          if (change.state !== 'failed' && change.state !== 'stopped') return;
          clearTimeout(timer);
          this.off('session', onSession);
          this.off('state', onState);
          reject(new TunnelError('CONNECTION_LOST', `the tunnel ${change.state}: ${change.reason}`));
        };
        this.once('session', onSession);
        this.on('state', onState);
      });
    } finally {
      this.waiters--;
    }
  }

  private touchIdle(): void {
    if (this.profile.lazy && this.run) this.armIdleTimer(this.run.generation);
  }

  /** A lazy tunnel drops its session after idleTimeout with no connections. */
  private armIdleTimer(generation: number): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const check = (): void => {
      if (!this.isCurrent(generation)) return;
      if (this.registry.size > 0 || this.waiters > 0) {
        this.idleTimer = setTimeout(check, this.profile.idleTimeout * 1000);
        return;
      }
      const session = this.session;
      if (!session) return;
      this.log('info', `lazy: idle for ${this.profile.idleTimeout} s, disconnecting`);
      this.session = null;
      this.sessionSince = null;
      this.latencyMs = null;
      for (const runner of this.runners) runner.detach();
      void session.close();
      this.setState('up', 'lazy: idle, disconnected; connects on next use');
    };
    this.idleTimer = setTimeout(check, this.profile.idleTimeout * 1000);
  }

  /** Retry now instead of waiting out the backoff (OS resume, network change). */
  nudge(): void {
    if (this.state === 'reconnecting') this.retryWake?.();
  }

  private async shutdown(): Promise<void> {
    const run = this.run;
    this.run = null;
    if (run) {
      run.abort.abort();
      for (const t of run.timers) clearTimeout(t);
    }
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.retryWake = null;
    // Remote forwards are cancelled while the session is still open, then listeners close.
    await Promise.all(this.runners.map((r) => r.close()));
    const session = this.session;
    this.session = null;
    this.sessionSince = null;
    await session?.close();
  }

  /** Stops the tunnel: listeners closed, remote forwards cancelled, session ended. */
  async stop(reason = 'stopped by the user'): Promise<void> {
    if (this.state === 'stopped') return;
    await this.shutdown();
    this.setState('stopped', reason);
  }

  private remoteRunners(): RemoteForwardRunner[] {
    return this.runners.filter((r): r is RemoteForwardRunner => r instanceof RemoteForwardRunner);
  }
}

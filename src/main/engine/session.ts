import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { Channel, Client as ClientType, ClientChannel, ConnectConfig, TcpConnectionDetails, AcceptConnection, RejectConnection } from 'ssh2';
import { TunnelError } from '../../shared/errors.js';
import type { Profile } from '../../shared/profile.js';
import { toSsh2AlgorithmList } from '../openssh/algorithms.js';
import { expandPath } from '../openssh/path-tokens.js';
import { authFailedError, makeAuthHandler } from './auth.js';
import { openDirectChannel } from './channels.js';
import { HandshakeTimer } from './handshake-timer.js';
import { handshakeGate } from './handshake-gate.js';
import { timeKeepalives } from './latency.js';
import { HostKeyVerifier } from './host-key-verifier.js';
import { DEFAULT_GLOBAL_KNOWN_HOSTS, DEFAULT_KNOWN_HOSTS, localUserName } from './paths.js';
import type { Prompter } from './prompts.js';
import { spawnProxyCommand, substituteProxyTokens } from './proxy-command.js';
import { tcpConnect } from './transport.js';

const { Client } = ssh2;

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type Log = (level: LogLevel, message: string) => void;

export interface SessionOptions {
  profile: Profile;
  prompter?: Prompter;
  log: Log;
  /** ssh-agent socket; defaults to SSH_AUTH_SOCK. */
  agentSocket?: string;
  /** Stops waiting for a handshake slot when the tunnel is stopped. */
  signal?: AbortSignal;
}

export interface Hop {
  host: string;
  /** The name as typed (ssh's %n): a Host alias, before HostName. */
  typed: string;
  port: number;
  user: string;
  index: number;
}

/** A hop's IdentityFile and UserKnownHostsFile paths, expanded for it (see hopFiles). */
interface HopFiles {
  identityFiles: string[];
  knownHostsFiles: string[];
}

/** ConnectTimeout's default: OpenSSH waits for the OS (minutes); a tunnel manager should not. */
const DEFAULT_CONNECT_TIMEOUT_S = 20;
export const CHANNEL_OPEN_TIMEOUT_MS = 30_000;

type Ssh2Error = Error & { level?: string; code?: unknown };

/** What the SSH client said, as a stable code. */
function ssh2ErrorToTunnelError(err: Ssh2Error, hop: Hop, tried: string[] = []): TunnelError {
  if (err instanceof TunnelError) return err; // e.g. a ProxyCommand that died, passed through ssh2
  const where = `${hop.user}@${hop.host}:${hop.port}`;
  switch (err.level) {
    case 'client-authentication':
      return authFailedError(hop.user, hop.host, hop.port, tried);
    case 'client-timeout':
      return new TunnelError('KEEPALIVE_TIMEOUT', `${where}: the server stopped answering keepalives`);
    case 'handshake':
      if (/no matching/.test(err.message)) {
        return new TunnelError('ALGORITHM_MISMATCH', `${where}: ${err.message.replace(/^Handshake failed: /, '')}: the server shares none of the offered algorithms (see Ciphers, MACs, KexAlgorithms)`);
      }
      return new TunnelError('PROTOCOL_ERROR', `${where}: SSH handshake failed: ${err.message}`);
    case 'protocol':
      return new TunnelError('PROTOCOL_ERROR', `${where}: SSH protocol error: ${err.message}`);
    case 'client-socket':
      return new TunnelError('CONNECTION_LOST', `${where}: connection lost: ${err.message}`);
    default:
      return new TunnelError('CONNECTION_LOST', `${where}: ${err.message}`);
  }
}

/**
 * OpenSSH resets its ServerAlive count on any packet from the server; ssh2 only on a reply to
 * its keepalive (ssh2 #474), so bulk traffic alone could trip a false timeout. Nudging ssh2's
 * reset on received bytes restores OpenSSH's semantics. `_resetKA` is ssh2-internal; if a
 * future ssh2 drops it this degrades to ssh2's own behaviour.
 */
function watchTrafficForKeepalive(client: ClientType, sock: Duplex, intervalMs: number): void {
  let last = 0;
  const throttle = Math.max(intervalMs / 4, 50);
  sock.on('data', () => {
    const now = Date.now();
    if (now - last < throttle) return;
    last = now;
    const reset = (client as unknown as { _resetKA?: () => void })._resetKA;
    if (typeof reset === 'function') reset.call(client);
  });
}

/**
 * `hop`'s IdentityFile and UserKnownHostsFile paths with their `~`, `%` tokens and `${VAR}`s
 * expanded as ssh(1) does. Throws BAD_OPTION for an unset variable.
 */
export function hopFiles(profile: Profile, hop: Hop, isDestination: boolean, env: NodeJS.ProcessEnv = process.env): HopFiles {
  const tokens = { typed: hop.typed, host: hop.host, port: hop.port, user: hop.user, hostKeyAlias: isDestination ? profile.hostKeyAlias : null };
  const expand = (option: string, paths: string[]): string[] => paths.map((path) => expandPath(option, path, tokens, env));
  return {
    identityFiles: expand('IdentityFile', profile.identityFiles),
    knownHostsFiles: expand('UserKnownHostsFile', profile.knownHostsFiles.length > 0 ? profile.knownHostsFiles : DEFAULT_KNOWN_HOSTS),
  };
}

function makeVerifier(hop: Hop & HopFiles, isDestination: boolean, options: SessionOptions): HostKeyVerifier {
  const { profile } = options;
  return new HostKeyVerifier(
    { host: hop.host, port: hop.port, hop: hop.index },
    {
      knownHostsFiles: hop.knownHostsFiles,
      globalKnownHostsFiles: profile.globalKnownHostsFiles.length > 0 ? profile.globalKnownHostsFiles : DEFAULT_GLOBAL_KNOWN_HOSTS,
      hashKnownHosts: profile.hashKnownHosts,
      strict: profile.strictHostKeyChecking,
      batchMode: profile.batchMode,
      alias: isDestination ? profile.hostKeyAlias : null,
    },
    options.prompter,
  );
}

/** One authenticated SSH hop over `sock`; `verifier` is loaded already, so nothing awaits before connect. */
type Algorithms = NonNullable<ConnectConfig['algorithms']>;

/** The profile's Ciphers, MACs and KexAlgorithms, in ssh2's terms. */
function chosenAlgorithms(profile: Profile): Algorithms {
  const chosen: Record<string, unknown> = {};
  if (profile.ciphers !== null) chosen.cipher = toSsh2AlgorithmList('Ciphers', profile.ciphers);
  if (profile.macs !== null) chosen.hmac = toSsh2AlgorithmList('MACs', profile.macs);
  if (profile.kexAlgorithms !== null) chosen.kex = toSsh2AlgorithmList('KexAlgorithms', profile.kexAlgorithms);
  return chosen as Algorithms;
}

function connectHop(sock: Duplex, hop: Hop & HopFiles, verifier: HostKeyVerifier, isDestination: boolean, options: SessionOptions): Promise<ClientType> {
  const { profile, log } = options;
  const what = `${hop.host}:${hop.port}`;
  const client = new Client();
  const tried: string[] = [];

  return new Promise((resolve, reject) => {
    let settled = false;
    /** The host key this connection proved at its first key exchange. */
    let verifiedKey: Buffer | null = null;
    // A reason known before ssh2's own (a rejected host key, a MaxStartups refusal): reported instead.
    let earlyFailure: TunnelError | null = null;
    const fail = (err: TunnelError): void => {
      if (settled) return;
      settled = true;
      timer.stop();
      clearTimeout(bannerTimer);
      client.end();
      sock.destroy();
      reject(err);
    };
    // ConnectTimeout covers the TCP connect and the server's banner, as in ssh(1); key exchange
    // and authentication get at least the default, excluding time spent on prompts.
    const timeoutMs = (profile.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_S) * 1000;
    const timer = new HandshakeTimer(Math.max(timeoutMs, DEFAULT_CONNECT_TIMEOUT_S * 1000), fail, what);
    const bannerTimer = setTimeout(
      () => fail(new TunnelError('TIMEOUT', `${what}: no SSH banner within ${Math.round(timeoutMs / 1000)} s`)),
      timeoutMs,
    );
    sock.once('data', (first: Buffer) => {
      clearTimeout(bannerTimer);
      // sshd says this instead of its banner when it drops us for MaxStartups; ssh2 reports only "lost".
      if (first.subarray(0, 20).toString('latin1') === 'Exceeded MaxStartups') {
        earlyFailure ??= new TunnelError('CONNECTION_LOST', `${what}: the server is refusing connections for now (too many unauthenticated connections, MaxStartups)`);
      }
    });

    client.on('error', (err: Ssh2Error) => {
      // An agent that cannot be reached is not fatal: ssh2 moves on to the next method.
      if (err.level === 'agent') {
        log('debug', `${what}: ssh-agent: ${err.message}`);
        return;
      }
      if (!settled) fail(earlyFailure ?? ssh2ErrorToTunnelError(err, hop, tried));
    });
    client.once('close', () => {
      if (!settled) {
        fail(earlyFailure ?? new TunnelError('CONNECTION_LOST', `${what}: the server closed the connection during the handshake`));
      }
    });
    client.once('ready', () => {
      if (settled) return;
      settled = true;
      timer.stop();
      clearTimeout(bannerTimer);
      for (const note of verifier.notes) log('info', note);
      resolve(client);
    });

    const agentSocket = options.agentSocket ?? process.env.SSH_AUTH_SOCK;
    const keepaliveMs = profile.keepalive.interval * 1000;
    const config: ConnectConfig = {
      sock,
      username: hop.user,
      readyTimeout: 0, // replaced by HandshakeTimer, which pauses for prompts
      keepaliveInterval: keepaliveMs,
      keepaliveCountMax: profile.keepalive.countMax,
      hostVerifier: ((key: Buffer, verify: (ok: boolean) => void) => {
        if (verifiedKey !== null) {
          // A rekey: ssh2 asks again at every key exchange, and sshd starts one after each GiB or
          // so (RekeyLimit's default). Until answered, ssh2 holds every packet we send, window
          // adjusts and keepalives included, so no answer is a tunnel that stops dead. The server
          // must keep the key it proved at connect: a new one mid-session is never asked about.
          const same = key.equals(verifiedKey);
          // Reported before ssh2's own "Host denied", so the session closes with this reason.
          if (!same) client.emit('error', new TunnelError('HOST_KEY_MISMATCH', `${what}: the server's host key changed during a rekey`));
          verify(same);
          return;
        }
        // The answer may come after the connection is gone (a dialog withdrawn when the server
        // gave up): ssh2 throws if told anything then, so only a live handshake hears it.
        verifier.verify(key, timer.during).then(
          () => {
            verifiedKey = key;
            if (!settled) verify(true);
          },
          (err: TunnelError) => {
            earlyFailure = err;
            if (!settled) verify(false);
          },
        );
      }) as unknown as ConnectConfig['hostVerifier'],
      authHandler: makeAuthHandler({
        host: hop.host,
        port: hop.port,
        user: hop.user,
        identityFiles: hop.identityFiles,
        identitiesOnly: profile.identitiesOnly,
        batchMode: profile.batchMode,
        agentSocket,
        prompter: options.prompter,
        pauseTimer: timer.during,
        log: (m) => log('debug', `${what}: ${m}`),
        tried,
      }),
      algorithms: {
        serverHostKey: verifier.preferredAlgorithms() as NonNullable<ConnectConfig['algorithms']>['serverHostKey'],
        ...(profile.compression ? { compress: ['zlib@openssh.com', 'zlib', 'none'] } : {}),
        // Like -c/-m on ssh's command line, these apply to the destination, not the jump hosts.
        ...(isDestination ? chosenAlgorithms(profile) : {}),
      },
      ...(isDestination && profile.forwardAgent && agentSocket ? { agent: agentSocket, agentForward: true } : {}),
    };
    if (keepaliveMs > 0) watchTrafficForKeepalive(client, sock, keepaliveMs);
    // Over a jump host the "socket" is a channel: when the previous hop's server sends EOF (the
    // next hop died), ssh2 keeps waiting until keepalive gives up, and Client.destroy() ignores
    // a half-closed stream. Nothing more can arrive: destroy the stream itself, which closes the client.
    sock.once('end', () => setImmediate(() => sock.destroy()));
    if (sock.destroyed) {
      // Died between opening and now (a ProxyCommand that exited at once): ssh2 would wait forever.
      fail(new TunnelError('CONNECTION_LOST', `${what}: the connection closed before the SSH handshake`));
      return;
    }
    timer.start();
    client.connect(config);
  });
}

export interface SessionEvents {
  close: [reason: TunnelError];
  'tcp connection': [details: TcpConnectionDetails, accept: AcceptConnection<ClientChannel>, reject: RejectConnection];
  'unix connection': [details: { socketPath: string }, accept: AcceptConnection<Channel>, reject: RejectConnection];
}

/**
 * One SSH connection to the destination, possibly through jump hosts or a ProxyCommand.
 * Emits 'close' exactly once with the reason, whichever hop went first.
 */
export class SshSession extends EventEmitter<SessionEvents> {
  private closed = false;
  private closeReason: TunnelError | null = null;
  /** The latest timed round trip to the destination (keepalive or latency ping). */
  lastRoundTrip: { ms: number; at: number } | null = null;
  /**
   * The smallest round trip timed on this session: the path's own delay, without the queueing a
   * busy machine or a full SSH stream adds to single samples. Receive windows are tuned by it.
   */
  minRoundTripMs: number | null = null;

  noteRoundTrip(ms: number): void {
    if (ms > 0 && (this.minRoundTripMs === null || ms < this.minRoundTripMs)) this.minRoundTripMs = ms;
  }

  private constructor(private readonly clients: ClientType[], readonly hops: Hop[]) {
    super();
    clients.forEach((client, i) => {
      client.on('error', (err: Ssh2Error) => {
        if (err.level === 'agent') return;
        this.closeReason ??= ssh2ErrorToTunnelError(err, hops[i]!);
      });
      client.on('close', () => this.onHopClosed(i));
    });
    const destination = this.client;
    timeKeepalives(destination, (ms) => {
      this.lastRoundTrip = { ms, at: Date.now() };
      this.noteRoundTrip(ms);
    });
    destination.on('tcp connection', (details, accept, reject) => this.emit('tcp connection', details, accept, reject));
    destination.on('unix connection', (details, accept, reject) => this.emit('unix connection', details, accept, reject));
  }

  get client(): ClientType {
    return this.clients[this.clients.length - 1]!;
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  private onHopClosed(index: number): void {
    if (this.closed) return;
    this.closed = true;
    const hop = this.hops[index]!;
    const reason =
      this.closeReason ?? new TunnelError('CONNECTION_LOST', `${hop.user}@${hop.host}:${hop.port}: the connection was closed`);
    // Inner hops ride on outer ones: take everything down, innermost first.
    for (let i = this.clients.length - 1; i >= 0; i--) this.clients[i]!.destroy();
    this.emit('close', reason);
  }

  /** Ends the connection on purpose. Resolves once every hop is closed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closeReason ??= new TunnelError('CANCELLED', 'stopped');
    const done = new Promise<void>((resolve) => this.once('close', () => resolve()));
    for (let i = this.clients.length - 1; i >= 0; i--) this.clients[i]!.end();
    const timer = setTimeout(() => this.clients.forEach((c) => c.destroy()), 2000);
    await done;
    clearTimeout(timer);
  }

  static hopsOf(profile: Profile): Hop[] {
    const local = localUserName();
    // The names as typed are known for jumps given on the command line; ProxyJump from ssh_config
    // is kept resolved only, so there %n is the host name.
    const typedJumps = profile.typed?.jumps?.length === profile.jumps.length ? profile.typed.jumps : null;
    const hops: Hop[] = profile.jumps.map((j, index) => ({ host: j.host, typed: typedJumps?.[index]!.host ?? j.host, port: j.port, user: j.user ?? local, index }));
    hops.push({ host: profile.host, typed: profile.typed?.host ?? profile.host, port: profile.port, user: profile.user ?? local, index: hops.length });
    return hops;
  }

  static async open(options: SessionOptions): Promise<SshSession> {
    const { profile, log } = options;
    // Every hop's paths before anything connects: an unset ${VAR} must not leave hops half open.
    const hops = SshSession.hopsOf(profile).map((hop, i, all) => ({ ...hop, ...hopFiles(profile, hop, i === all.length - 1) }));
    const clients: ClientType[] = [];
    try {
      for (const hop of hops) {
        const isDestination = hop.index === hops.length - 1;
        const verifier = makeVerifier(hop, isDestination, options);
        await verifier.load();
        let release: () => void;
        try {
          release = await handshakeGate.acquire(`${hop.host}:${hop.port}`, options.signal);
        } catch {
          throw new TunnelError('CANCELLED', 'stopped');
        }
        try {
          const previous = clients[hop.index - 1];
          const via = previous ? { client: previous, hop: hops[hop.index - 1]! } : undefined;
          clients.push(await SshSession.openHop(hop, via, isDestination, verifier, options));
        } finally {
          release();
        }
        log('info', `authenticated to ${hop.user}@${hop.host}:${hop.port}`);
      }
    } catch (err) {
      for (let i = clients.length - 1; i >= 0; i--) clients[i]!.destroy();
      throw err;
    }
    return new SshSession(clients, hops);
  }

  /** Reaches one hop (a channel through the previous one, a ProxyCommand, or TCP) and authenticates. */
  private static async openHop(
    hop: Hop & HopFiles,
    via: { client: ClientType; hop: Hop } | undefined,
    isDestination: boolean,
    verifier: HostKeyVerifier,
    options: SessionOptions,
  ): Promise<ClientType> {
    const { profile, log } = options;
    const timeoutMs = (profile.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_S) * 1000;
    let sock: Duplex;
    let proxyExited: Promise<TunnelError> | null = null;
    if (via) {
      log('debug', `opening a channel to jump to ${hop.host}:${hop.port}`);
      try {
        sock = await openDirectChannel(via.client, { host: '127.0.0.1', port: 0 }, hop.host, hop.port, timeoutMs);
      } catch (err) {
        throw new TunnelError('JUMP_FAILED', `jump host ${via.hop.host}:${via.hop.port} could not reach ${hop.host}:${hop.port}: ${(err as Error).message}`);
      }
    } else if (profile.proxyCommand) {
      const command = substituteProxyTokens(profile.proxyCommand, {
        host: hop.host,
        port: hop.port,
        user: hop.user,
        originalHost: hop.host,
      });
      log('debug', `running ProxyCommand`);
      const proxy = spawnProxyCommand(command, (line) => log('info', `ProxyCommand: ${line}`));
      sock = proxy.stream;
      proxyExited = proxy.exited;
    } else {
      log('debug', `connecting to ${hop.host}:${hop.port}`);
      const family = profile.addressFamily === 'inet' ? 4 : profile.addressFamily === 'inet6' ? 6 : 0;
      sock = await tcpConnect(hop.host, hop.port, timeoutMs, family, profile.bindAddress ?? undefined);
    }
    try {
      return await connectHop(sock, hop, verifier, isDestination, options);
    } catch (err) {
      // ssh2 sees only EPIPE or EOF when a ProxyCommand dies; its exit says why.
      if (proxyExited) throw await Promise.race([proxyExited, new Promise((r) => setTimeout(() => r(err), 1000))]);
      throw err;
    }
  }
}

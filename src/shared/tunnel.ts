import type { ErrorInfo } from './errors.js';

/** stopped → connecting → up ⇄ degraded → reconnecting → up …; failed when retrying cannot help. */
export const TUNNEL_STATES = ['stopped', 'connecting', 'up', 'degraded', 'reconnecting', 'failed'] as const;
export type TunnelState = (typeof TUNNEL_STATES)[number];

export type ForwardState = 'pending' | 'active' | 'failed' | 'stopped';

export interface ForwardStatus {
  index: number;
  /** "(local) 127.0.0.1:8080 → example.org:80" */
  description: string;
  state: ForwardState;
  error: ErrorInfo | null;
  /** Where the entrance listens: local addresses for -L/-D, the server-side address for -R. */
  listening: string[];
  /** The port actually bound when 0 was asked for (on either side). */
  allocatedPort: number | null;
  /** Something the user should know, e.g. that the server decides the -R bind address. */
  note: string | null;
  /** Result of the last health probe of the destination; null when not probed. */
  probe: 'ok' | 'down' | null;
  /** 'udp' for a UDP forward (carried by a relay on the server); absent or 'tcp' otherwise. */
  protocol?: 'tcp' | 'udp';
}

export interface TrafficFigures {
  bytesSent: number;
  bytesReceived: number;
  connections: number;
  totalConnections: number;
  failedConnections: number;
}

export interface Rates {
  /** Bytes per second client → destination, over the last few seconds. */
  sendRate: number;
  receiveRate: number;
}

/**
 * A UDP forward's own counters. Its flows (one per client address) also count as its
 * connections in TrafficFigures, and datagram payload bytes as its bytes.
 */
export interface UdpFigures {
  /** Datagrams client → destination, and back. */
  datagramsSent: number;
  datagramsReceived: number;
  /** Flows open now, and since the forward started. */
  flows: number;
  totalFlows: number;
  /** Datagrams dropped because a queue was full or no relay was running (here and on the server). */
  drops: number;
  /** Flows closed because maxFlows was reached (least recently used first). */
  evictions: number;
  /** Flows closed after flowIdleTimeout without a datagram. */
  expiredFlows: number;
  /** Times the server-side relay was started (1 + restarts). */
  relayStarts: number;
}

export interface ForwardStats extends TrafficFigures, Rates {
  index: number;
  /**
   * Receive windows of the forward's live connections together, in bytes: what the server may
   * send ahead of our reading (and what those connections may make the engine hold); 0 when idle.
   */
  window: number;
  /**
   * Whether a connection's download is capped by its window now (window ÷ round trip) rather
   * than by the network, the server or the local reader (also when that window is at its maximum).
   */
  windowLimited: boolean;
  /** Present for UDP forwards. */
  udp?: UdpFigures;
}

export interface TunnelStats extends TrafficFigures, Rates {
  tunnel: string;
  state: TunnelState;
  /** Whether an SSH session is open now (a lazy tunnel is up without one). */
  sessionOpen: boolean;
  /** SSH round trip to the destination server, from the last measurement. */
  latencyMs: number | null;
  /** Since the current session came up; null without one. */
  uptimeMs: number | null;
  forwards: ForwardStats[];
}

export interface TunnelStateChange {
  tunnel: string;
  state: TunnelState;
  reason: string;
  error: ErrorInfo | null;
  forwards: ForwardStatus[];
  /** When the tunnel entered this state (epoch ms). */
  since: number;
  /** When the current SSH session came up; null without one. */
  upSince: number | null;
  /** When the scheduled retry fires, for a countdown; null unless reconnecting. */
  retryAt: number | null;
  /** Sessions re-established since the tunnel was started. */
  reconnects: number;
}

/** One second of a tunnel's traffic: rates in bytes per second, whole tunnel and per forward. */
export interface TrafficPoint {
  t: number;
  sent: number;
  received: number;
  forwards: { index: number; sent: number; received: number }[];
}

export interface LogLine {
  tunnel: string;
  time: number;
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
}

/** One proxied connection, as listed to the user and closable one by one. */
export interface LiveConnectionInfo {
  id: number;
  forward: number;
  /** Who connected: "127.0.0.1:53122". */
  client: string;
  /** Where it goes: the -L/-R target, or the SOCKS destination for -D. */
  target: string;
  startedAt: number;
  bytesSent: number;
  bytesReceived: number;
}

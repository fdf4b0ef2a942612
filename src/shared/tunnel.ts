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
}

export interface TrafficFigures {
  bytesSent: number;
  bytesReceived: number;
  connections: number;
  totalConnections: number;
  failedConnections: number;
}

export interface ForwardStats extends TrafficFigures {
  index: number;
}

export interface TunnelStats extends TrafficFigures {
  tunnel: string;
  forwards: ForwardStats[];
}

export interface TunnelStateChange {
  tunnel: string;
  state: TunnelState;
  reason: string;
  error: ErrorInfo | null;
  forwards: ForwardStatus[];
}

export interface LogLine {
  tunnel: string;
  time: number;
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
}

/**
 * Byte counters. `sent` is client → destination, `received` the reverse, for every forward kind:
 * for -R the "client" is whoever connected on the server side. Counting is an addition per
 * chunk on data we already hold; nothing is copied.
 */
export class TrafficCounter {
  bytesSent = 0;
  bytesReceived = 0;
  connections = 0;
  totalConnections = 0;
  failedConnections = 0;

  constructor(private readonly parent: TrafficCounter | null = null) {}

  addSent(n: number): void {
    this.bytesSent += n;
    this.parent?.addSent(n);
  }

  addReceived(n: number): void {
    this.bytesReceived += n;
    this.parent?.addReceived(n);
  }

  opened(): void {
    this.connections++;
    this.totalConnections++;
    this.parent?.opened();
  }

  closed(): void {
    this.connections--;
    this.parent?.closed();
  }

  failed(): void {
    this.failedConnections++;
    this.parent?.failed();
  }

  snapshot(): TrafficSnapshot {
    return {
      bytesSent: this.bytesSent,
      bytesReceived: this.bytesReceived,
      connections: this.connections,
      totalConnections: this.totalConnections,
      failedConnections: this.failedConnections,
    };
  }
}

export interface TrafficSnapshot {
  bytesSent: number;
  bytesReceived: number;
  connections: number;
  totalConnections: number;
  failedConnections: number;
}

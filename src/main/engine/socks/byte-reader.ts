import type { Duplex } from 'node:stream';

export class SocksProtocolError extends Error {}

/**
 * Pulls exact byte counts off a stream for a handshake, then hands the stream back untouched:
 * bytes read past the handshake are unshifted, so nothing the client sent early is lost.
 */
export class ByteReader {
  private buffered: Buffer = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  private ended = false;
  private readonly onData = (chunk: Buffer): void => {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    this.wake();
  };
  private readonly onEnd = (): void => {
    this.ended = true;
    this.wake();
  };

  constructor(private readonly stream: Duplex, private readonly maxBuffered: number) {
    stream.on('data', this.onData);
    stream.once('end', this.onEnd);
    stream.once('close', this.onEnd);
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  private async fill(n: number): Promise<void> {
    while (this.buffered.length < n) {
      if (this.ended) throw new SocksProtocolError('the client closed the connection during the handshake');
      if (this.buffered.length > this.maxBuffered) throw new SocksProtocolError('the handshake is too large');
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  async read(n: number): Promise<Buffer> {
    await this.fill(n);
    const out = this.buffered.subarray(0, n);
    this.buffered = this.buffered.subarray(n);
    return out;
  }

  async byte(): Promise<number> {
    return (await this.read(1))[0]!;
  }

  /** A NUL-terminated string of at most `max` bytes (SOCKS4 user id and 4a host name). */
  async cString(max: number): Promise<Buffer> {
    for (;;) {
      const nul = this.buffered.indexOf(0);
      if (nul >= 0) {
        if (nul > max) throw new SocksProtocolError(`a SOCKS4 field is longer than ${max} bytes`);
        const out = this.buffered.subarray(0, nul);
        this.buffered = this.buffered.subarray(nul + 1);
        return out;
      }
      if (this.buffered.length > max) throw new SocksProtocolError(`a SOCKS4 field is longer than ${max} bytes`);
      await this.fill(this.buffered.length + 1);
    }
  }

  /** Stops reading and returns the stream to the caller with unread bytes put back. */
  release(): void {
    this.stream.off('data', this.onData);
    this.stream.off('end', this.onEnd);
    this.stream.off('close', this.onEnd);
    this.stream.pause();
    if (this.buffered.length > 0) this.stream.unshift(this.buffered);
    this.buffered = Buffer.alloc(0);
  }
}

/**
 * The frames spoken over the UDP relay's exec channel (stdin/stdout of the server-side relay).
 *
 *   u32 length (big-endian, bytes after this field) · u8 type · u32 flow id · payload
 *
 * One frame carries exactly one datagram, so datagram boundaries survive the byte stream.
 * Flow 0 is the relay itself; every other id is one client address (one server-side socket in a
 * local forward, one sender on the server in a remote forward). The relay programs in
 * relay-programs.ts implement the same format; keep the two in step.
 */

export const FRAME_HEADER_BYTES = 9;
/** The largest UDP payload over IPv4 (65,535 − 20 IP − 8 UDP): the most one datagram can carry. */
export const MAX_DATAGRAM_BYTES = 65_507;
/** Control payloads (hello, errors, stats) are short text; anything longer is a broken stream. */
const MAX_PAYLOAD_BYTES = 65_535;

export const FrameType = {
  /** relay → us, first frame, flow 0: "tvudp/1 interp=perl bound=127.0.0.1:5353 …". */
  hello: 1,
  /** Both ways: one datagram of the flow. In a local forward a data frame for an unknown flow opens it. */
  data: 2,
  /** relay → us (remote forward): a new sender on the server; payload is its address, "1.2.3.4:5678". */
  open: 3,
  /** Both ways: the flow is over. Payload from the relay: one reason byte (CloseReason). */
  close: 4,
  /** relay → us: "WORD message". Flow 0 is fatal (the relay exits after it); others concern one flow. */
  error: 5,
  /** relay → us, flow 0: "drops=N", the relay's own running totals. */
  stats: 6,
} as const;
export type FrameTypeValue = (typeof FrameType)[keyof typeof FrameType];

export const CloseReason = { idle: 0, evicted: 1, error: 2 } as const;

export const HELLO_MAGIC = 'tvudp/1';

export interface Frame {
  type: number;
  flow: number;
  payload: Buffer;
}

export function encodeFrame(type: FrameTypeValue, flow: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32BE(payload.length + 5, 0);
  frame.writeUInt8(type, 4);
  frame.writeUInt32BE(flow >>> 0, 5);
  payload.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

export class FrameError extends Error {}

/**
 * Turns the relay's byte stream back into frames, whatever the chunking. Throws FrameError on a
 * length no relay would send: then the stream is not ours (a forced command printing text) or
 * corrupt, and resynchronising would only guess.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const head = this.peek(FRAME_HEADER_BYTES);
      const length = head.readUInt32BE(0);
      if (length < 5 || length > MAX_PAYLOAD_BYTES + 5) throw new FrameError(`bad frame length ${length}`);
      if (this.buffered < 4 + length) break;
      const whole = this.take(4 + length);
      frames.push({ type: whole.readUInt8(4), flow: whole.readUInt32BE(5), payload: whole.subarray(FRAME_HEADER_BYTES) });
    }
    return frames;
  }

  /** Bytes received that do not yet make a frame (for reporting what a non-relay printed). */
  pending(): Buffer {
    return Buffer.concat(this.chunks);
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length >= n || this.chunks.length === 1) return this.chunks[0]!;
    const joined = Buffer.concat(this.chunks);
    this.chunks = [joined];
    return joined;
  }

  private take(n: number): Buffer {
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks)];
    const first = this.chunks[0]!;
    const out = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return out;
  }
}

export interface Hello {
  interpreter: string;
  bound: string[];
  /** The port the relay bound (remote forwards), or null. */
  port: number | null;
}

/** Parses the hello payload; null if it is not a relay of this protocol version. */
export function parseHello(payload: Buffer): Hello | null {
  const words = payload.toString('latin1').split(' ');
  if (words[0] !== HELLO_MAGIC) return null;
  const hello: Hello = { interpreter: '?', bound: [], port: null };
  for (const word of words.slice(1)) {
    const eq = word.indexOf('=');
    const key = word.slice(0, eq);
    const value = word.slice(eq + 1);
    if (key === 'interp') hello.interpreter = value;
    else if (key === 'bound') {
      hello.bound.push(value);
      const port = Number(value.slice(value.lastIndexOf(':') + 1));
      if (Number.isInteger(port) && port > 0) hello.port ??= port;
    }
  }
  return hello;
}

/** "WORD message" from an error frame. */
export function parseRelayError(payload: Buffer): { word: string; message: string } {
  const text = payload.toString('utf8');
  const space = text.indexOf(' ');
  return space === -1 ? { word: text, message: '' } : { word: text.slice(0, space), message: text.slice(space + 1) };
}

/** "drops=N" from a stats frame. */
export function parseRelayStats(payload: Buffer): { drops: number } {
  const match = /(?:^| )drops=(\d+)/.exec(payload.toString('latin1'));
  return { drops: match ? Number(match[1]) : 0 };
}

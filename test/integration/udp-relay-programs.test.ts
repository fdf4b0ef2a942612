import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import dgram from 'node:dgram';
import { afterAll, describe, expect, it } from 'vitest';
import { relayCommand, type RelayArgs, type RelayInterpreter } from '../../src/main/engine/udp/relay-command.js';
import { encodeFrame, FrameDecoder, FrameType, parseRelayError, parseRelayStats, type Frame } from '../../src/main/engine/udp/relay-protocol.js';
import { waitFor } from '../helpers/servers.js';
import { startUdpEcho, type UdpServer } from '../helpers/udp.js';

/**
 * The relay programs run directly under /bin/sh here (no SSH): the edge cases that are awkward
 * to provoke through a session. The same command line runs on the server in udp-forward.test.ts.
 */
class LocalRelay {
  readonly frames: Frame[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly decoder = new FrameDecoder();
  private waiters: (() => void)[] = [];

  /** With `holdOutput`, nothing reads the relay's stdout until readOutput(): only the pipe buffers. */
  constructor(args: RelayArgs, interpreter: RelayInterpreter, holdOutput = false) {
    this.child = spawn('/bin/sh', ['-c', relayCommand(args, [interpreter])]);
    if (!holdOutput) this.readOutput();
    this.child.stderr.on('data', (d) => (this.stderr += d));
    this.exited = new Promise((resolve) => this.child.on('close', (code) => resolve(code)));
  }

  async next(match: (f: Frame) => boolean): Promise<Frame> {
    for (;;) {
      const found = this.frames.find(match);
      if (found) return found;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  send(frame: Buffer): void {
    this.child.stdin.write(frame);
  }

  readOutput(): void {
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.frames.push(...this.decoder.push(chunk));
      for (const w of this.waiters.splice(0)) w();
    });
  }

  end(): void {
    this.child.stdin.end();
  }
}

const servers: UdpServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

const base = { idleSeconds: 60, maxFlows: 100, outQueueBytes: 1 << 20 };

describe.each<RelayInterpreter>(['perl', 'python3'])('the %s relay program', (interpreter) => {
  it('exits 0 when its input ends (the channel closed), with no output on stderr', async () => {
    const relay = new LocalRelay({ ...base, mode: 'L', host: '127.0.0.1', port: 9 }, interpreter);
    await relay.next((f) => f.type === FrameType.hello);
    relay.end();
    expect(await relay.exited).toBe(0);
    expect(relay.stderr).toBe('');
  });

  it('a malformed frame from the client ends it with status 4 and a message', async () => {
    const relay = new LocalRelay({ ...base, mode: 'L', host: '127.0.0.1', port: 9 }, interpreter);
    await relay.next((f) => f.type === FrameType.hello);
    relay.send(Buffer.from([0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 1]));
    expect(await relay.exited).toBe(4);
    expect(relay.stderr).toContain('tvudp: bad frame from the client');
  });

  it('a port it cannot bind: an error frame "BIND address: reason", then status 3', async () => {
    const squatter = dgram.createSocket('udp4');
    await new Promise<void>((r) => squatter.bind(0, '127.0.0.1', r));
    const port = squatter.address().port;
    const relay = new LocalRelay({ ...base, mode: 'R', host: '127.0.0.1', port }, interpreter);
    const error = await relay.next((f) => f.type === FrameType.error);
    expect(await relay.exited).toBe(3);
    squatter.close();
    expect(error.flow).toBe(0);
    const { word, message } = parseRelayError(error.payload);
    expect(word).toBe('BIND');
    expect(message).toMatch(new RegExp(`^127\\.0\\.0\\.1:${port}: Address already in use`));
  });

  it('a destination it cannot resolve: an error frame "RESOLVE …", then status 3', async () => {
    const relay = new LocalRelay({ ...base, mode: 'L', host: 'no-such-host.invalid', port: 53 }, interpreter);
    const error = await relay.next((f) => f.type === FrameType.error);
    expect(await relay.exited).toBe(3);
    expect(parseRelayError(error.payload).word).toBe('RESOLVE');
  });

  it('when we stop reading, datagrams past its output queue are dropped and counted, not buffered', async () => {
    const echo = await startUdpEcho();
    servers.push(echo);
    const relay = new LocalRelay({ ...base, mode: 'L', host: '127.0.0.1', port: echo.port, outQueueBytes: 0 }, interpreter, true);
    // Eight 60 KB replies cannot all fit the stdout socket buffer nobody reads (Node's stdio is a
    // socketpair: ~208 KiB by default) plus an empty queue.
    for (let i = 0; i < 8; i++) relay.send(encodeFrame(FrameType.data, 1, Buffer.alloc(60_000, i)));
    await waitFor(() => echo.received.length === 8, 10_000, 'the echo server to get all eight');
    relay.readOutput();
    const stats = await relay.next((f) => f.type === FrameType.stats);
    const delivered = relay.frames.filter((f) => f.type === FrameType.data).length;
    expect(parseRelayStats(stats.payload).drops).toBeGreaterThanOrEqual(1);
    expect(delivered + parseRelayStats(stats.payload).drops).toBe(8);
    relay.end();
    await relay.exited;
  });
});

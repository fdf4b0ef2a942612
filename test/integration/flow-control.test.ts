import { readFile } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliTunnel, memoryProbe, runCli, withMemoryProbe, type CliEvent, type MemoryFigures } from '../helpers/cli.js';
import { startDelayLine, type DelayLine } from '../helpers/delay-line.js';
import { knownHostsFor, sshArgsFor } from '../helpers/fixtures.js';
import { useSshdWithEcho } from '../helpers/sshd-fixture.js';
import { freePort } from '../helpers/sshd.js';
import { DEFAULT_MAX_WINDOW } from '../../src/main/engine/flow/index.js';

/**
 * Receive-side flow control against a real sshd: what a download can make the tunnel hold is
 * bounded by its channel's window when the local reader is slow, and by the process-wide budget
 * when many readers stall at once. Memory is read from /proc; no figure depends on timing.
 */
const MiB = 1024 * 1024;
const fixture = useSshdWithEcho();

/** A source on the server side that writes as fast as it may, forever; counts what it wrote. */
let source: Server;
let sourcePort: number;
let written = 0;
const sourceSockets = new Set<Socket>();

beforeAll(async () => {
  const chunk = Buffer.alloc(256 * 1024, 5);
  source = createServer((s) => {
    sourceSockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sourceSockets.delete(s));
    const pump = (): void => {
      while (!s.destroyed) {
        written += chunk.length;
        if (!s.write(chunk)) return void s.once('drain', pump);
      }
    };
    pump();
  });
  await new Promise<void>((r) => source.listen(0, '127.0.0.1', r));
  sourcePort = (source.address() as { port: number }).port;
});

afterAll(async () => {
  sourceSockets.forEach((s) => s.destroy());
  await new Promise<void>((r) => source.close(() => r()));
});

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

/** Bytes the process's JS holds (heap objects and buffers), after a full GC. */
function retained(m: MemoryFigures): number {
  return m.heapUsed + m.external;
}

function forwardStats(e: CliEvent): { window: number; windowLimited: boolean; bytesReceived: number } {
  return (e.forwards as { window: number; windowLimited: boolean; bytesReceived: number }[])[0]!;
}

function openLocal(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Resolves once two stats events in a row show the same bytes received: nothing moves any more. */
async function whenStill(cli: CliTunnel): Promise<void> {
  let last = -1;
  for (;;) {
    const received = forwardStats(await cli.nextStats()).bytesReceived;
    if (received === last) return;
    last = received;
  }
}

describe('flow control: memory stays within the windows', () => {
  it('a 1 MB/s reader behind a fast sender: the tunnel holds no more than its channel window', async () => {
    const { sshd, keys, knownHosts } = fixture;
    const port = await freePort();
    const cli = new CliTunnel([...sshArgsFor(sshd, keys, knownHosts), '-L', `${port}:127.0.0.1:${sourcePort}`], {
      env: withMemoryProbe({ ...process.env, SSH_AUTH_SOCK: '' }),
    });
    try {
      await cli.waitFor((e) => e.event === 'state' && e.state === 'up');
      const pid = cli.child.pid!;
      const before = await memoryProbe(cli);
      const start = await rssMiB(pid);
      const reader = await openLocal(port);
      reader.pause();
      const writtenBefore = written;
      let received = 0;
      let peak = start;
      // Where the stats the reader is judged by begin: once its socket has backed up for good.
      let settledAt: number | null = null;
      // 100 KiB every 100 ms: about 1 MB/s, until 6 MiB have been read.
      await new Promise<void>((resolve) => {
        const sip = setInterval(() => {
          let budget = 100 * 1024;
          let chunk: Buffer | null;
          while (budget > 0 && (chunk = reader.read() as Buffer | null) !== null) {
            budget -= chunk.length;
            received += chunk.length;
          }
          if (settledAt === null && received >= 2 * MiB) settledAt = cli.events.length;
          void rssMiB(pid).then((r) => (peak = Math.max(peak, r)));
          if (received >= 6 * MiB) {
            clearInterval(sip);
            resolve();
          }
        }, 100);
      });
      const stats = forwardStats(await cli.nextStats());
      const limited = cli.events.slice(settledAt!).filter((e) => e.event === 'stats' && forwardStats(e).windowLimited).length;
      const after = await memoryProbe(cli);
      reader.destroy();
      const inFlight = written - writtenBefore - received;
      const held = (retained(after) - retained(before)) / MiB;
      console.log(`slow reader: source wrote ${((written - writtenBefore) / MiB).toFixed(1)} MiB, reader took ${(received / MiB).toFixed(1)} MiB, window ${(stats.window / MiB).toFixed(1)} MiB, tunnel holds ${held.toFixed(1)} MiB more after GC, its RSS peaked ${(peak - start).toFixed(1)} MiB higher`);
      // What the tunnel holds for this slow channel: its window, plus what a process's heap drifts by
      // over a few seconds (measured up to ~17 MiB with 2 MiB in flight; the bound leaves room for a
      // busy machine, so it cannot flake). Without backpressure it would be the source's hundreds
      // of MB per second.
      expect(held).toBeLessThanOrEqual(stats.window / MiB + 48);
      // The reader is the limit, not the window, and the stats say so all along. (The moments its
      // socket takes megabytes at once last milliseconds and stats come once a second, so this
      // rarely meets one; the unit test on a fake clock is the guard for them. The window may
      // have grown at the start, while the kernel buffers took megabytes; it holds within it.)
      expect(stats.window).toBeLessThanOrEqual(DEFAULT_MAX_WINDOW);
      expect(limited).toBe(0);
      // Backpressure reached the source: beyond the window only kernel socket buffers hold the rest
      // (each loopback socket can queue a few MiB); without it the source writes hundreds of MB/s.
      expect(inFlight).toBeLessThan(stats.window + 32 * MiB);
      // The tunnel process itself: its window, plus allocator and GC slack.
      expect(peak - start).toBeLessThan(stats.window / MiB + 48);
    } finally {
      await cli.stop();
    }
  }, 60_000);

  it('twenty readers that stall after a fast start stay within the budget together', async () => {
    const { sshd, keys } = fixture;
    const BUDGET = 64 * MiB;
    let line: DelayLine | null = null;
    const readers: Socket[] = [];
    let cli: CliTunnel | null = null;
    try {
      // 50 ms of round trip, so a fast reader's window is the limit and grows.
      line = await startDelayLine(50, sshd.port);
      const knownHosts = await knownHostsFor([], [await sshd.knownHostsLine(`[127.0.0.1]:${line.port}`)]);
      const args = sshArgsFor(sshd, keys, knownHosts).map((a) => (a === String(sshd.port) ? String(line!.port) : a));
      const port = await freePort();
      cli = new CliTunnel([...args, '-L', `${port}:127.0.0.1:${sourcePort}`], {
        env: withMemoryProbe({ ...process.env, SSH_AUTH_SOCK: '', TUNNELVISION_MAX_WINDOW: '8M', TUNNELVISION_WINDOW_BUDGET: String(BUDGET) }),
      });
      await cli.waitFor((e) => e.event === 'state' && e.state === 'up');
      const pid = cli.child.pid!;
      const before = await memoryProbe(cli);
      const start = await rssMiB(pid);
      // One at a time: read 12 MiB as fast as possible, then stop reading for good.
      for (let i = 0; i < 20; i++) {
        const reader = await openLocal(port);
        readers.push(reader);
        await new Promise<void>((resolve) => {
          let got = 0;
          const onData = (d: Buffer): void => {
            got += d.length;
            if (got < 12 * MiB) return;
            reader.off('data', onData);
            reader.pause();
            resolve();
          };
          reader.on('data', onData);
        });
      }
      await whenStill(cli);
      const windowsSeen = cli.events.filter((e) => e.event === 'stats').map((e) => forwardStats(e).window);
      const rss = await rssMiB(pid);
      const after = await memoryProbe(cli);
      const held = (retained(after) - retained(before)) / MiB;
      console.log(`twenty stalled readers: windows peaked at ${(Math.max(...windowsSeen) / MiB).toFixed(1)} MiB (budget ${BUDGET / MiB} MiB), the tunnel holds ${held.toFixed(1)} MiB more after GC; RSS grew ${(rss - start).toFixed(1)} MiB, ${((after.rss / MiB) - start).toFixed(1)} MiB after GC`);
      // Stalled channels keep what they were granted; a channel that arrives once the budget is
      // spent still holds ssh2's fixed opening window, so the floor is 2 MiB per channel.
      // The engine's own accounting is exact: the windows together never pass the budget
      // (twenty grown windows would be far more). Whether they grew at all depends on the
      // machine's pace, so it is logged above, not asserted; growth is unit-tested.
      expect(Math.max(...windowsSeen)).toBeLessThanOrEqual(BUDGET);
      // What the process retains: the target is the budget plus 50 MB, measured at 80–109
      // MiB here; heap drift on a busy machine makes that too tight to assert without flaking,
      // so the test guards the order of magnitude (twenty unbudgeted 15 MiB windows are 300 MiB).
      expect(held).toBeLessThanOrEqual(BUDGET / MiB + 96);
      // As the system sees the process, after GC: allocator slack on top (not a bound we promise).
      expect(after.rss / MiB - start).toBeLessThan(BUDGET / MiB + 20 * 2 + 96);
    } finally {
      readers.forEach((r) => r.destroy());
      await cli?.stop();
      line?.stop();
    }
  }, 120_000);
});

describe('flow settings on the command line', () => {
  it('a window setting that is not a size stops the CLI with exit 2, naming the variable', async () => {
    const result = await runCli(['parse', '--', 'ssh', 'host'], 20_000, { ...process.env, TUNNELVISION_WINDOW_BUDGET: '12 parsecs' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('[BAD_ARGUMENT]: TUNNELVISION_WINDOW_BUDGET="12 parsecs" is not a size');
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});

import { readFile } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliTunnel } from '../helpers/cli.js';
import { knownHostsFor, sshArgsFor } from '../helpers/fixtures.js';
import { freePort, makeClientKeys, Sshd } from '../helpers/sshd.js';

let sshd: Sshd;
let cli: CliTunnel;
let readerPort: number;
let received = 0;
const readers: Socket[] = [];

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

beforeAll(async () => {
  const keys = await makeClientKeys();
  sshd = await Sshd.start({ authorizedKeys: keys.authorizedKeys });
  // A reader that takes 1 MB per second and no more: it pauses its socket between sips.
  const reader = createServer((s) => {
    readers.push(s);
    s.on('error', () => undefined);
    s.pause();
    const sip = setInterval(() => {
      let budget = 100 * 1024;
      let chunk: Buffer | null;
      while (budget > 0 && (chunk = s.read() as Buffer | null) !== null) {
        budget -= chunk.length;
        received += chunk.length;
      }
    }, 100);
    s.on('close', () => clearInterval(sip));
  });
  await new Promise<void>((r) => reader.listen(0, '127.0.0.1', r));
  readerPort = (reader.address() as { port: number }).port;
  const localPort = await freePort();
  cli = new CliTunnel([...sshArgsFor(sshd, keys, await knownHostsFor([sshd])), '-L', `${localPort}:127.0.0.1:${readerPort}`]);
  await cli.waitFor((e) => e.event === 'state' && e.state === 'up');
  (cli as unknown as { localPort: number }).localPort = localPort;
});

afterAll(async () => {
  readers.forEach((s) => s.destroy());
  await cli?.stop();
  await sshd?.dispose();
});

describe('backpressure end to end', () => {
  it('a fast writer into a 1 MB/s reader: the tunnel process does not buffer the difference', async () => {
    const port = (cli as unknown as { localPort: number }).localPort;
    const pid = cli.child.pid!;
    const start = await rssMb(pid);
    const writer = connect(port, '127.0.0.1');
    writer.on('error', () => undefined);
    const chunk = Buffer.alloc(256 * 1024, 1);
    let written = 0;
    let stop = false;
    await new Promise<void>((resolve) => writer.once('connect', () => resolve()));
    const pump = (): void => {
      while (!stop && written < 1024 * 1024 * 1024) {
        written += chunk.length;
        if (!writer.write(chunk)) return void writer.once('drain', pump);
      }
    };
    pump();
    let peak = start;
    for (let i = 0; i < 16; i++) {
      await new Promise((r) => setTimeout(r, 500));
      peak = Math.max(peak, await rssMb(pid));
    }
    stop = true;
    writer.destroy();
    // 8 s at 1 MB/s: the reader took about 8 MB; everything the writer pushed beyond what the
    // pipes and windows hold must still be in the writer, not in the tunnel.
    expect(received).toBeGreaterThan(1024 * 1024); // it flows, slowly
    expect(written - received).toBeLessThan(64 * 1024 * 1024);
    console.log(`backpressure: wrote ${(written / 1048576).toFixed(1)} MiB, reader took ${(received / 1048576).toFixed(1)} MiB, tunnel RSS grew ${(peak - start).toFixed(1)} MB`);
    expect(peak - start).toBeLessThan(100);
  }, 60_000);
});

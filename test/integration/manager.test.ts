import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TunnelManager } from '../../src/main/engine/manager.js';
import type { TunnelStats } from '../../src/shared/tunnel.js';
import { knownHostsFor, profileFor } from '../helpers/fixtures.js';
import { echoRoundTrip, startEchoServer, waitFor, type Closable } from '../helpers/servers.js';
import { makeClientKeys, Sshd } from '../helpers/sshd.js';

let sshd: Sshd;
let echo: Closable;
let manager: TunnelManager;

beforeAll(async () => {
  delete process.env.SSH_AUTH_SOCK;
  const keys = await makeClientKeys();
  sshd = await Sshd.start({ authorizedKeys: keys.authorizedKeys });
  echo = await startEchoServer();
  manager = new TunnelManager({ tickMs: 200 });
  const knownHosts = await knownHostsFor([sshd]);
  for (const id of ['a', 'b', 'c']) {
    await manager.start(id, profileFor(sshd, keys, knownHosts, [
      { kind: 'local', bind: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: echo.port } },
    ]));
  }
});

afterAll(async () => {
  await manager?.dispose();
  await echo?.close();
  await sshd?.dispose();
});

describe('TunnelManager', () => {
  it('batches stats: one message per tick carrying every running tunnel, with rates', async () => {
    const batches: TunnelStats[][] = [];
    const nextBatch = (match: (b: TunnelStats[]) => boolean): Promise<TunnelStats[]> =>
      new Promise((resolve) => {
        const listener = (b: TunnelStats[]): void => {
          batches.push(b);
          if (!match(b)) return;
          manager.off('stats', listener);
          resolve(b);
        };
        manager.on('stats', listener);
      });
    // A sample before any byte moves gives the rate its baseline, whatever the machine's pace.
    await nextBatch(() => true);
    const port = manager.get('b')!.forwardStatuses()[0]!.allocatedPort!;
    const size = 4 * 1024 * 1024;
    // The echo's last bytes come back after the last ones went out: a batch can count every byte
    // sent and not yet every byte received, so wait for the batch that counts both.
    const done = nextBatch((batch) => {
      const b = batch.find((s) => s.tunnel === 'b');
      return b?.bytesSent === size && b.bytesReceived === size;
    });
    await echoRoundTrip(port, size);
    const last = await done;
    for (const batch of batches) expect(batch.map((s) => s.tunnel).sort()).toEqual(['a', 'b', 'c']);
    const b = last.find((s) => s.tunnel === 'b')!;
    // Counted exactly, never more than was carried.
    expect(batches.every((batch) => batch.every((s) => s.bytesSent <= size && s.bytesReceived <= size))).toBe(true);
    // The first batch to count every byte compares with an earlier sample that counted fewer.
    expect(b.sendRate).toBeGreaterThan(0);
    expect(b.receiveRate).toBeGreaterThan(0);
  });

  it('stopped tunnels leave the batch', async () => {
    await manager.stop('c');
    const batch = await new Promise<TunnelStats[]>((resolve) => manager.once('stats', resolve));
    expect(batch.map((s) => s.tunnel).sort()).toEqual(['a', 'b']);
    await waitFor(() => manager.get('c')!.getState() === 'stopped', 1000, 'stop');
  });
});

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
    manager.on('stats', (b) => batches.push(b));
    const port = manager.get('b')!.forwardStatuses()[0]!.allocatedPort!;
    const transfer = echoRoundTrip(port, 4 * 1024 * 1024);
    const started = Date.now();
    await transfer;
    await new Promise((r) => setTimeout(r, 700));
    const elapsed = Date.now() - started;
    expect(batches.length).toBeGreaterThan(0);
    expect(batches.length).toBeLessThanOrEqual(Math.ceil(elapsed / 200) + 1);
    const last = batches[batches.length - 1]!;
    expect(last.map((s) => s.tunnel).sort()).toEqual(['a', 'b', 'c']);
    const b = last.find((s) => s.tunnel === 'b')!;
    expect(b.bytesSent).toBe(4 * 1024 * 1024);
    expect(batches.some((batch) => batch.find((s) => s.tunnel === 'b')!.sendRate > 0)).toBe(true);
  });

  it('stopped tunnels leave the batch', async () => {
    await manager.stop('c');
    const batch = await new Promise<TunnelStats[]>((resolve) => manager.once('stats', resolve));
    expect(batch.map((s) => s.tunnel).sort()).toEqual(['a', 'b']);
    await waitFor(() => manager.get('c')!.getState() === 'stopped', 1000, 'stop');
  });
});

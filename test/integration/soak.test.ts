import { afterAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { Tunnel } from '../../src/main/engine/tunnel.js';
import { knownHostsFor, profileFor } from '../helpers/fixtures.js';
import { echoRoundTrip, sha256, startEchoServer, waitFor } from '../helpers/servers.js';
import { listeningSocketCount, makeClientKeys, Sshd } from '../helpers/sshd.js';

// Minutes long, so it runs on demand: SOAK=1 npx vitest run test/integration/soak.test.ts
// (SOAK_SECONDS sets the length; 180 by default; SOAK_MODE=stop or kill for one fault kind).
// A connection cut by the death of its sshd session is reset (RST), but a client that has already
// half-closed its side may still read that as a plain end of stream (seen here: the kernel and
// libuv report EOF, not ECONNRESET, in FIN_WAIT2) — OpenSSH's clients see the same. So the soak
// allows a cut transfer to arrive short, counts those, and fails on any byte that differs.
const SOAK_SECONDS = Number(process.env.SOAK_SECONDS ?? 180);
const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
});

describe('soak: random SIGSTOP/SIGCONT and kills while traffic flows', () => {
  it.skipIf(!process.env.SOAK)('skipped unless SOAK=1 (a bounded soak of a few minutes); afterwards fds, listeners and heap are back', async () => {
    delete process.env.SSH_AUTH_SOCK;
    const keys = await makeClientKeys();
    const sshd = await Sshd.start({ authorizedKeys: keys.authorizedKeys });
    cleanup.push(() => sshd.dispose());
    const echo = await startEchoServer();
    cleanup.push(() => echo.close());
    const profile = profileFor(sshd, keys, await knownHostsFor([sshd]), [
      { kind: 'local', bind: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: echo.port } },
    ]);
    profile.keepalive = { interval: 1, countMax: 2 };
    const fds = (): number => readdirSync('/proc/self/fd').length;
    global.gc?.();
    const startFds = fds();
    const startHeap = process.memoryUsage().heapUsed;
    const tunnel = new Tunnel('soak', profile);
    await tunnel.start();
    const port = tunnel.forwardStatuses()[0]!.allocatedPort!;
    const deadline = Date.now() + SOAK_SECONDS * 1000;
    let verified = 0;
    let faults = 0;
    let cut = 0;
    while (Date.now() < deadline) {
      const traffic = Promise.all(Array.from({ length: 5 }, () => echoRoundTrip(port, 200_000).then((r) => {
        if (sha256(r.received) === sha256(r.sent)) return r.sent.length;
        if (r.sent.subarray(0, r.received.length).equals(r.received)) {
          cut++;
          return r.received.length;
        }
        return -1; // altered bytes: never acceptable
      }).catch(() => 0)));
      const roll = Math.random();
      if (process.env.SOAK_MODE !== "kill" && roll < 0.2) {
        const pids = await sshd.signalSessions('SIGSTOP');
        await new Promise((r) => setTimeout(r, 500 + Math.random() * 3000));
        for (const pid of pids) try { process.kill(pid, 'SIGCONT'); } catch { /* gone */ }
        faults++;
      } else if (process.env.SOAK_MODE !== "stop" && roll < 0.35) {
        await sshd.signalSessions('SIGKILL');
        faults++;
      }
      for (const n of await traffic) {
        expect(n).not.toBe(-1); // never altered
        verified += Math.max(n, 0);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    await waitFor(() => tunnel.getState() === 'up', 30_000, 'a final recovery');
    await tunnel.stop();
    expect(await listeningSocketCount(port)).toBe(0);
    await new Promise((r) => setTimeout(r, 1000));
    global.gc?.();
    console.log(`soak: ${SOAK_SECONDS} s, ${faults} faults survived, ${(verified / 1048576).toFixed(0)} MiB verified, ${cut} transfers cut short by a kill (exact prefixes)`);
    expect(fds()).toBeLessThanOrEqual(startFds + 5);
    expect(process.memoryUsage().heapUsed - startHeap).toBeLessThan(50 * 1024 * 1024);
  }, (SOAK_SECONDS + 120) * 1000);
});

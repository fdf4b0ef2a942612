/**
 * Scale figures in one run: N tunnels × 2 forwards up against one sshd — engine RSS and idle
 * CPU — then the dashboard in real Chromium rendering traffic batches for all of them.
 * `npx tsx bench/scale.ts` (TUNNELS=100 by default; the dashboard figure uses 200).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ProfileStore } from '../src/main/store/profile-store.js';
import { newSavedProfile } from '../src/shared/saved-profile.js';
import { CLI } from '../test/helpers/cli.js';
import { knownHostsFor, profileFor } from '../test/helpers/fixtures.js';
import { makeClientKeys, Sshd } from '../test/helpers/sshd.js';
import { cpuMs, rssMiB } from './proc.js';
import { WsClient } from '../test/helpers/ws-client.js';

const TUNNELS = Number(process.env.TUNNELS ?? 200);
const IDLE_SETTLE_MS = 20_000;
const IDLE_WINDOW_MS = 30_000;

async function procStats(pid: number): Promise<{ rssMb: number; cpuTicks: number }> {
  const rssMb = rssMiB(pid);
  const ms = cpuMs(pid);
  if (rssMb === null || ms === null) throw new Error(`process ${pid} is gone`);
  return { rssMb, cpuTicks: ms / 10 };
}

async function main(): Promise<void> {
  const keys = await makeClientKeys();
  // sshd's default MaxStartups (10:30:100): the engine staggers its handshakes by itself.
  const sshd = await Sshd.start({ authorizedKeys: keys.authorizedKeys, config: ['LogLevel ERROR'] });
  const knownHosts = await knownHostsFor([sshd]);
  const dir = mkdtempSync(join(tmpdir(), 'tv-scale-'));
  const store = new ProfileStore(dir);
  await store.update((profiles) => {
    for (let i = 0; i < TUNNELS; i++) {
      profiles.push({ id: `t${i}`, ...newSavedProfile(`tunnel ${String(i).padStart(3, '0')}`, profileFor(sshd, keys, knownHosts, [
        { kind: 'local', bind: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: 9 } },
        { kind: 'dynamic', bind: { host: '127.0.0.1', port: 0 } },
      ]), { group: `group ${i % 10}` }) });
    }
    return profiles;
  });
  const env = { ...process.env };
  delete env.SSH_AUTH_SOCK;
  const web = spawn(process.execPath, [CLI, '--config-dir', dir, 'web', '--json'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const first = await new Promise<string>((resolve) => createInterface({ input: web.stdout! }).once('line', resolve));
  const url = new URL((JSON.parse(first) as { url: string }).url);
  const client = await WsClient.forDashboard(url.href);
  const started = Date.now();
  await Promise.all(Array.from({ length: TUNNELS }, (_, i) => client.call('tunnels.start', { id: `t${i}` })));
  await client.waitForEvent((e) => e.event === 'traffic' && e.payload.length === TUNNELS && e.payload.every((s: { state: string }) => s.state === 'up'), 120_000);
  const upAfter = (Date.now() - started) / 1000;
  // Idle means after start-up has settled (JIT compilation and start-up garbage cost CPU for a
  // while), then over a window long enough for /proc's 10 ms ticks: 30 s resolves 0.03 %.
  await new Promise((r) => setTimeout(r, IDLE_SETTLE_MS));
  const a = await procStats(web.pid!);
  await new Promise((r) => setTimeout(r, IDLE_WINDOW_MS));
  const b = await procStats(web.pid!);
  const idleCpu = ((b.cpuTicks - a.cpuTicks) / 100 / (IDLE_WINDOW_MS / 1000)) * 100;

  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(url.toString());
  await page.locator('.tunnel-row').nth(TUNNELS - 1).waitFor({ timeout: 60_000 });
  await page.waitForTimeout(12_000); // a dozen batches
  const batches = await page.evaluate(() => performance.getEntriesByName('tv-batch').map((e) => e.duration));
  await browser.close();
  const sorted = [...batches].sort((x, y) => x - y);
  const median = sorted[Math.floor(sorted.length / 2)] ?? NaN;
  const worst = sorted[sorted.length - 1] ?? NaN;

  console.log(`\nTunnelvision scale bench — ${TUNNELS} tunnels × 2 forwards against one sshd`);
  console.log(`all up after         ${upAfter.toFixed(1)} s`);
  console.log(`engine RSS           ${b.rssMb.toFixed(0)} MB (target < 150 MB for 100 tunnels)`);
  console.log(`engine idle CPU      ${idleCpu.toFixed(2)} % of one core over ${IDLE_WINDOW_MS / 1000} s, ${IDLE_SETTLE_MS / 1000} s after all up (target < 1 %)`);
  console.log(`dashboard batch      median ${median.toFixed(2)} ms, worst ${worst.toFixed(2)} ms over ${batches.length} batches (target < 16 ms)`);
  client.close();
  web.kill('SIGTERM');
  await new Promise((r) => web.on('close', r));
  await sshd.dispose();
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(`bench failed: ${err.message}`);
    process.exit(1);
  },
);

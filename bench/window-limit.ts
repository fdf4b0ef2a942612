/**
 * Where does OpenSSH's sshd misbehave with large receive windows? (`npx tsx bench/window-limit.ts`
 * after `npm run build`.) For each maximum window (BENCH_WINDOWS, default 8M,15M,16M,24M,32M),
 * through a 50 ms delay line:
 *   - bulk: one 64 MiB download through -L (MB/s, median of BENCH_ROUNDS);
 *   - stalled: a download whose reader stops for 3 s after 8 MiB; meanwhile an echo through a
 *     second -L on the same session (ms: is the session still responsive?), the session's sshd
 *     process RSS, and whether all 64 MiB arrive once the reader resumes.
 */
import { execFileSync } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';
import { CliTunnel } from '../test/helpers/cli.js';
import { startDelayLine } from '../test/helpers/delay-line.js';
import { knownHostsFor, sshArgsFor } from '../test/helpers/fixtures.js';
import { startEchoServer } from '../test/helpers/servers.js';
import { freePorts, makeClientKeys, Sshd } from '../test/helpers/sshd.js';
import { rssMiB } from './proc.js';

const MiB = 1024 * 1024;
const BYTES = 64 * MiB;
const windows = (process.env.BENCH_WINDOWS ?? '8M,15M,16M,24M,32M').split(',');
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const chunk = Buffer.alloc(256 * 1024, 3);
const source = createServer((s) => {
  s.on('error', () => undefined);
  let sent = 0;
  const pump = (): void => {
    while (sent < BYTES) {
      sent += chunk.length;
      if (!s.write(chunk)) return void s.once('drain', pump);
    }
    s.end();
  };
  pump();
});
await new Promise<void>((r) => source.listen(0, '127.0.0.1', r));
const sourcePort = (source.address() as { port: number }).port;
const echo = await startEchoServer();

const keys = await makeClientKeys();
const sshd = await Sshd.start({ authorizedKeys: keys.authorizedKeys, config: ['LogLevel ERROR'] });
const line = await startDelayLine(50, sshd.port);
const knownHosts = await knownHostsFor([], [await sshd.knownHostsLine(`[127.0.0.1]:${line.port}`)]);
const base = sshArgsFor(sshd, keys, knownHosts).map((a) => (a === String(sshd.port) ? String(line.port) : a));

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** The sshd processes serving sessions now, and their RSS in MiB. */
function sshdSessionsRss(): number[] {
  const pids = execFileSync('pgrep', ['-f', 'sshd: root'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  return pids.map((pid) => rssMiB(Number(pid)) ?? 0);
}

const results: string[] = [];
for (const w of windows) {
  const [down, ping] = (await freePorts(2)) as [number, number];
  const tv = new CliTunnel([...base, '-L', `${down}:127.0.0.1:${sourcePort}`, '-L', `${ping}:127.0.0.1:${echo.port}`], {
    env: { ...process.env, SSH_AUTH_SOCK: '', TUNNELVISION_MAX_WINDOW: w },
  });
  await tv.waitFor((e) => e.event === 'state' && e.state === 'up');
  const rates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    const s = await open(down);
    let got = 0;
    await new Promise<void>((resolve) => {
      s.on('data', (d: Buffer) => (got += d.length));
      s.on('end', resolve);
    });
    if (got !== BYTES) throw new Error(`${w}: got ${got}`);
    rates.push(BYTES / 1e6 / ((performance.now() - start) / 1000));
  }
  // Stalled reader.
  const rssBefore = Math.max(...sshdSessionsRss());
  const s = await open(down);
  let got = 0;
  await new Promise<void>((resolve) => {
    const onData = (d: Buffer): void => {
      got += d.length;
      if (got < 8 * MiB) return;
      s.off('data', onData);
      s.pause();
      resolve();
    };
    s.on('data', onData);
  });
  await new Promise((r) => setTimeout(r, 1500));
  const p = await open(ping);
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    p.once('data', () => resolve());
    p.write('ping');
  });
  const echoMs = performance.now() - t0;
  p.destroy();
  await new Promise((r) => setTimeout(r, 1500));
  const rssStalled = Math.max(...sshdSessionsRss());
  await new Promise<void>((resolve) => {
    s.on('data', (d: Buffer) => (got += d.length));
    s.on('end', resolve);
    s.resume();
  });
  results.push(`${w.padEnd(6)} bulk ${median(rates).toFixed(1)} MB/s (${rates.map((x) => x.toFixed(0)).join(', ')}); stalled: echo ${echoMs.toFixed(0)} ms, sshd RSS ${rssBefore.toFixed(0)} → ${rssStalled.toFixed(0)} MiB, ${got === BYTES ? 'all 64 MiB arrived' : `only ${got} bytes arrived`}`);
  process.stderr.write(`${results.at(-1)}\n`);
  await tv.stop();
}
console.log(`\nwindow sizes against OpenSSH's sshd (${execFileSync('ssh', ['-V'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) || 'ssh'}) through a 50 ms delay line:\n${results.join('\n')}`);
line.stop();
await sshd.dispose();
process.exit(0);

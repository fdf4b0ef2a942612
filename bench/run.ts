/**
 * `npm run bench`: Tunnelvision against OpenSSH's own `ssh -L/-R/-D` and a direct loopback
 * connection, side by side in one run (interleaved rounds, medians). Prints ratios against
 * OpenSSH (>1 means Tunnelvision is faster). Not part of `npm test`: machines here are noisy.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { cpus } from 'node:os';
import { CliTunnel } from '../test/helpers/cli.js';
import { knownHostsFor, sshArgsFor } from '../test/helpers/fixtures.js';
import { freePorts, makeClientKeys, Sshd, type ClientKeys } from '../test/helpers/sshd.js';
import { formatWan, runWan, wanSettingsFromEnv } from './wan.js';
import { median, open, openSocks, startTcpEcho, waitListening, writeAndEnd } from './net.js';
import { cpuMs } from './proc.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const BULK_BYTES = Number(process.env.BENCH_BULK_MB ?? 128) * 1024 * 1024;
const SEQUENTIAL_CONNECTIONS = 100;
const PING_PONGS = 2000;
const PARALLEL = 300;
/** BENCH_CIPHER=aes128-gcm@openssh.com: both clients use that cipher (by default each picks its own). */
const CIPHER = process.env.BENCH_CIPHER;
const BASELINE_CLI = process.env.BENCH_BASELINE_CLI;
/** BENCH_ONLY="bulk -R,ping": only the loopback figures whose names contain one of these. */
const ONLY = process.env.BENCH_ONLY?.split(',');
/** BENCH_LOOPBACK=0 / BENCH_WAN=0 skip a section. */
const LOOPBACK = process.env.BENCH_LOOPBACK !== '0';
const WAN = process.env.BENCH_WAN !== '0';
const WAN_SETTINGS = wanSettingsFromEnv();

/** Sink: counts what arrives, answers "done" when the client half-closes. */
async function startSink(): Promise<number> {
  const server = createServer({ allowHalfOpen: true }, (s) => {
    s.on('data', () => undefined);
    s.on('end', () => s.end('done'));
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  server.unref();
  return (server.address() as { port: number }).port;
}

/** MB/s pushing BULK_BYTES through a connection `opener` makes, to the sink. */
async function bulk(opener: () => Promise<Socket>): Promise<number> {
  const s = await opener();
  const start = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    s.on('error', reject);
    s.on('data', () => undefined);
    s.on('end', () => resolve());
    s.resume(); // a socket from openSocks comes paused, so no early byte is lost
    writeAndEnd(s, BULK_BYTES);
  });
  s.destroy();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return BULK_BYTES / 1024 / 1024 / seconds;
}

async function echoOnce(s: Socket, payload: Buffer): Promise<void> {
  await new Promise<void>((resolve) => {
    let got = 0;
    const onData = (d: Buffer): void => {
      got += d.length;
      if (got >= payload.length) {
        s.off('data', onData);
        resolve();
      }
    };
    s.on('data', onData);
    s.write(payload);
  });
}

/** Median ms for connect + 64 B echo + close. */
async function newConnection(port: number): Promise<number> {
  const payload = Buffer.alloc(64, 1);
  const times: number[] = [];
  for (let i = 0; i < SEQUENTIAL_CONNECTIONS; i++) {
    const start = process.hrtime.bigint();
    const s = await open(port);
    await echoOnce(s, payload);
    s.destroy();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(times);
}

/** Median µs for a 64 B round trip on one connection. */
async function pingPong(port: number): Promise<number> {
  const payload = Buffer.alloc(64, 2);
  const s = await open(port);
  const times: number[] = [];
  for (let i = 0; i < PING_PONGS; i++) {
    const start = process.hrtime.bigint();
    await echoOnce(s, payload);
    times.push(Number(process.hrtime.bigint() - start) / 1e3);
  }
  s.destroy();
  return median(times);
}

/** ms for PARALLEL connections opened at once, each echoing 64 B. */
async function burst(port: number): Promise<number> {
  const payload = Buffer.alloc(64, 3);
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      const s = await open(port);
      await echoOnce(s, payload);
      s.destroy();
    }),
  );
  return Number(process.hrtime.bigint() - start) / 1e6;
}

interface Setup {
  name: string;
  /** -L to the sink, -L to the echo server, -R to the sink (listening on the server side). */
  sinkPort: number;
  echoPort: number;
  remoteSinkPort: number;
  /** -D; null for the direct connection, which goes straight to the sink. */
  socksPort: number | null;
  /** The tunnel's process, whose CPU time each figure also reports; null for direct. */
  pid: number | null;
  stop(): Promise<void>;
}

/** CPU seconds (user + system) a process has used so far, from /proc (10 ms clock ticks). */
function cpuSeconds(pid: number | null): number {
  if (pid === null) return 0;
  const ms = cpuMs(pid);
  if (ms === null) throw new Error(`process ${pid} is gone`);
  return ms / 1000;
}

async function loopback(sshd: Sshd, keys: ClientKeys): Promise<void> {
  const knownHosts = await knownHostsFor([sshd]);
  const sink = await startSink();
  const echo = await startTcpEcho();
  const base = sshArgsFor(sshd, keys, knownHosts);

  const setups: Setup[] = [{ name: 'direct', sinkPort: sink, echoPort: echo, remoteSinkPort: sink, socksPort: null, pid: null, stop: async () => undefined }];
  const forwardArgs = async (): Promise<{ ports: Omit<Setup, 'name' | 'stop' | 'pid'>; args: string[] }> => {
    const [sinkPort, echoPort, remoteSinkPort, socksPort] = (await freePorts(4)) as [number, number, number, number];
    const args = [...(CIPHER ? ['-c', CIPHER] : []), '-L', `${sinkPort}:127.0.0.1:${sink}`, '-L', `${echoPort}:127.0.0.1:${echo}`, '-R', `${remoteSinkPort}:127.0.0.1:${sink}`, '-D', String(socksPort)];
    return { ports: { sinkPort, echoPort, remoteSinkPort, socksPort }, args };
  };

  const o = await forwardArgs();
  const openssh: ChildProcess = spawn('ssh', [...base.slice(1), ...o.args], { stdio: 'ignore' });
  await Promise.all([o.ports.sinkPort, o.ports.echoPort, o.ports.remoteSinkPort, o.ports.socksPort!].map(waitListening));
  setups.push({ name: 'openssh', ...o.ports, pid: openssh.pid!, stop: async () => void openssh.kill() });

  const t = await forwardArgs();
  const tv = new CliTunnel([...base, ...t.args]);
  await tv.waitFor((e) => e.event === 'state' && e.state === 'up');
  setups.push({ name: 'tunnelvision', ...t.ports, pid: tv.child.pid!, stop: async () => void (await tv.stop()) });
  // BENCH_BASELINE_CLI=<an older build's dist/main/cli/index.js>: that build too, to show a change did not make things worse.
  if (BASELINE_CLI) {
    const b = await forwardArgs();
    const before = new CliTunnel([...base, ...b.args], { cli: BASELINE_CLI });
    await before.waitFor((e) => e.event === 'state' && e.state === 'up');
    setups.push({ name: 'baseline', ...b.ports, pid: before.child.pid!, stop: async () => void (await before.stop()) });
  }

  const figures = ['bulk -L MB/s', 'bulk -R MB/s', 'bulk -D MB/s', 'new connection ms', 'ping-pong µs', `${PARALLEL} parallel ms`] as const;
  const higherIsBetter: Record<string, boolean> = { 'bulk -L MB/s': true, 'bulk -R MB/s': true, 'bulk -D MB/s': true };
  // Per figure, how much work one unit costs the tunnel's own process: on a 2-core machine the
  // writer, the sink, sshd and the tunnel share the CPU, so this is what the tunnel controls.
  const cpuUnits: Record<string, [string, number]> = {
    'bulk -L MB/s': ['CPU ms per 100 MB', (100 * 1024 * 1024) / BULK_BYTES],
    'bulk -R MB/s': ['CPU ms per 100 MB', (100 * 1024 * 1024) / BULK_BYTES],
    'bulk -D MB/s': ['CPU ms per 100 MB', (100 * 1024 * 1024) / BULK_BYTES],
    'new connection ms': ['CPU µs per connection', 1000 / SEQUENTIAL_CONNECTIONS],
    'ping-pong µs': ['CPU µs per round trip', 1000 / PING_PONGS],
    [`${PARALLEL} parallel ms`]: ['CPU ms per burst', 1],
  };
  const results = new Map<string, Map<string, number[]>>();
  const cpu = new Map<string, Map<string, number>>();
  for (const s of setups) {
    results.set(s.name, new Map(figures.map((f) => [f, []])));
    cpu.set(s.name, new Map(figures.map((f) => [f, 0])));
  }
  const measure = async (s: Setup, figure: string, run: () => Promise<number>): Promise<void> => {
    if (ONLY && !ONLY.some((o) => figure.includes(o))) return void results.get(s.name)!.get(figure)!.push(NaN);
    const before = cpuSeconds(s.pid);
    results.get(s.name)!.get(figure)!.push(await run());
    const c = cpu.get(s.name)!;
    c.set(figure, c.get(figure)! + cpuSeconds(s.pid) - before);
  };

  for (let round = 0; round < ROUNDS; round++) {
    // Alternate who goes first, as the WAN section does: in a fixed order the same client always
    // ran right after the same other's burst of work.
    for (const s of round % 2 === 0 ? setups : [...setups].reverse()) {
      await measure(s, 'bulk -L MB/s', () => bulk(() => open(s.sinkPort)));
      await measure(s, 'bulk -R MB/s', () => bulk(() => open(s.remoteSinkPort)));
      await measure(s, 'bulk -D MB/s', () => bulk(() => (s.socksPort === null ? open(s.sinkPort) : openSocks(s.socksPort, sink))));
      await measure(s, 'new connection ms', () => newConnection(s.echoPort));
      await measure(s, 'ping-pong µs', () => pingPong(s.echoPort));
      await measure(s, `${PARALLEL} parallel ms`, () => burst(s.echoPort));
    }
    process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`);
  }

  console.log(`\nTunnelvision bench — -L, -R, -D against one sshd, ${ROUNDS} interleaved rounds, medians (connections and ping-pong through -L)`);
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, node ${process.version}, ${await sshVersion()}; cipher: ${CIPHER ?? 'each client\'s default'}\n`);
  const extra = BASELINE_CLI ? ['baseline'] : [];
  console.log(['figure', 'direct', 'openssh', 'tunnelvision', ...extra, 'ratio vs openssh', ...extra.map(() => 'baseline vs openssh')].map((h) => h.padEnd(18)).join(''));
  for (const f of figures) {
    const m = (name: string): number => median(results.get(name)!.get(f)!);
    const ratio = (name: string): number => (higherIsBetter[f] === true ? m(name) / m('openssh') : m('openssh') / m(name));
    console.log([f, m('direct').toFixed(2), m('openssh').toFixed(2), m('tunnelvision').toFixed(2), ...extra.map((n) => m(n).toFixed(2)), `${ratio('tunnelvision').toFixed(2)}×`, ...extra.map((n) => `${ratio(n).toFixed(2)}×`)].map((c) => c.padEnd(18)).join(''));
  }
  console.log(`\nCPU used by the tunnel process itself (all rounds, /proc, 10 ms resolution)`);
  console.log(['per unit'.padEnd(40), ...['openssh', 'tunnelvision', ...extra, 'ratio vs openssh'].map((h) => h.padEnd(18))].join(''));
  for (const f of figures) {
    const [unit, perUnit] = cpuUnits[f]!;
    const per = (name: string): number => (cpu.get(name)!.get(f)! * 1000 * perUnit) / ROUNDS;
    const ratio = per('openssh') / per('tunnelvision');
    console.log([`${f.split(' ').slice(0, -1).join(' ')}: ${unit}`.padEnd(40), ...[per('openssh').toFixed(1), per('tunnelvision').toFixed(1), ...extra.map((n) => per(n).toFixed(1)), `${ratio.toFixed(2)}×`].map((c) => c.padEnd(18))].join(''));
  }
  for (const s of setups) await s.stop();
}

async function main(): Promise<void> {
  const keys = await makeClientKeys();
  const sshd = await Sshd.start({ authorizedKeys: keys.authorizedKeys, config: ['LogLevel ERROR'] });
  if (LOOPBACK) await loopback(sshd, keys);
  if (WAN) {
    const clients = [{ name: 'openssh', openssh: true }, { name: 'tunnelvision' }, ...(BASELINE_CLI ? [{ name: 'baseline', cli: BASELINE_CLI }] : [])];
    const results = await runWan({ sshd, keys, ...WAN_SETTINGS, clients });
    console.log(formatWan(results, WAN_SETTINGS.bytes, WAN_SETTINGS.rounds));
  }
  await sshd.dispose();
}

async function sshVersion(): Promise<string> {
  return new Promise((resolve) => {
    const p = spawn('ssh', ['-V'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let out = '';
    p.stderr.on('data', (d) => (out += d));
    p.on('close', () => resolve(out.trim().split(',')[0] ?? 'ssh'));
  });
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(`bench failed: ${err.message}`);
    process.exit(1);
  },
);

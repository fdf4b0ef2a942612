/**
 * `npm run bench`: Tunnelvision against OpenSSH's own `ssh -L/-R/-D` and a direct loopback
 * connection, side by side in one run (interleaved rounds, medians). Prints ratios against
 * OpenSSH (>1 means Tunnelvision is faster). Not part of `npm test`: machines here are noisy.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';
import { cpus } from 'node:os';
import { CliTunnel } from '../test/helpers/cli.js';
import { knownHostsFor, sshArgsFor } from '../test/helpers/fixtures.js';
import { freePort, makeClientKeys, Sshd } from '../test/helpers/sshd.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const BULK_BYTES = Number(process.env.BENCH_BULK_MB ?? 128) * 1024 * 1024;
const SEQUENTIAL_CONNECTIONS = 100;
const PING_PONGS = 2000;
const PARALLEL = 300;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

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

async function startEcho(): Promise<number> {
  const server = createServer((s) => {
    s.setNoDelay(true);
    s.pipe(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  server.unref();
  return (server.address() as { port: number }).port;
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', noDelay: true, allowHalfOpen: true });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** MB/s pushing BULK_BYTES through `port` to the sink. */
async function bulk(port: number): Promise<number> {
  const chunk = Buffer.alloc(256 * 1024, 7);
  const s = await open(port);
  const start = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    let sent = 0;
    s.on('error', reject);
    s.on('data', () => undefined);
    s.on('end', () => resolve());
    const pump = (): void => {
      while (sent < BULK_BYTES) {
        sent += chunk.length;
        if (!s.write(chunk)) return void s.once('drain', pump);
      }
      s.end();
    };
    pump();
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

async function waitListening(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      (await open(port)).destroy();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`nothing listens on ${port}`);
}

interface Setup {
  name: string;
  sinkPort: number;
  echoPort: number;
  stop(): Promise<void>;
}

async function main(): Promise<void> {
  const keys = await makeClientKeys();
  const sshd = await Sshd.start({ authorizedKeys: keys.authorizedKeys, config: ['LogLevel ERROR'] });
  const knownHosts = await knownHostsFor([sshd]);
  const sink = await startSink();
  const echo = await startEcho();
  const base = sshArgsFor(sshd, keys, knownHosts);

  const setups: Setup[] = [{ name: 'direct', sinkPort: sink, echoPort: echo, stop: async () => undefined }];

  const [oSink, oEcho] = [await freePort(), await freePort()];
  const openssh: ChildProcess = spawn('ssh', [...base.slice(1), '-L', `${oSink}:127.0.0.1:${sink}`, '-L', `${oEcho}:127.0.0.1:${echo}`], { stdio: 'ignore' });
  await Promise.all([waitListening(oSink), waitListening(oEcho)]);
  setups.push({ name: 'openssh', sinkPort: oSink, echoPort: oEcho, stop: async () => void openssh.kill() });

  const [tSink, tEcho] = [await freePort(), await freePort()];
  const tv = new CliTunnel([...base, '-L', `${tSink}:127.0.0.1:${sink}`, '-L', `${tEcho}:127.0.0.1:${echo}`]);
  await tv.waitFor((e) => e.event === 'state' && e.state === 'up');
  setups.push({ name: 'tunnelvision', sinkPort: tSink, echoPort: tEcho, stop: async () => void (await tv.stop()) });

  const figures = ['bulk MB/s', 'new connection ms', 'ping-pong µs', `${PARALLEL} parallel ms`] as const;
  const higherIsBetter = { 'bulk MB/s': true, 'new connection ms': false, 'ping-pong µs': false, [`${PARALLEL} parallel ms`]: false } as Record<string, boolean>;
  const results = new Map<string, Map<string, number[]>>();
  for (const s of setups) results.set(s.name, new Map(figures.map((f) => [f, []])));

  for (let round = 0; round < ROUNDS; round++) {
    for (const s of setups) {
      const r = results.get(s.name)!;
      r.get('bulk MB/s')!.push(await bulk(s.sinkPort));
      r.get('new connection ms')!.push(await newConnection(s.echoPort));
      r.get('ping-pong µs')!.push(await pingPong(s.echoPort));
      r.get(`${PARALLEL} parallel ms`)!.push(await burst(s.echoPort));
    }
    process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`);
  }

  console.log(`\nTunnelvision bench — local forward (-L), ${ROUNDS} interleaved rounds, medians`);
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, node ${process.version}, ${await sshVersion()}\n`);
  console.log(['figure', 'direct', 'openssh', 'tunnelvision', 'ratio vs openssh'].map((h) => h.padEnd(18)).join(''));
  for (const f of figures) {
    const m = (name: string): number => median(results.get(name)!.get(f)!);
    const ratio = higherIsBetter[f] ? m('tunnelvision') / m('openssh') : m('openssh') / m('tunnelvision');
    console.log([f, m('direct').toFixed(2), m('openssh').toFixed(2), m('tunnelvision').toFixed(2), `${ratio.toFixed(2)}×`].map((c) => c.padEnd(18)).join(''));
  }
  for (const s of setups) await s.stop();
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

/**
 * `npm run bench:udp`: UDP forwards (-L kind) through the relay, perl and python3, against a
 * direct loopback UDP exchange; OpenSSH cannot forward UDP, so its `ssh -L` carrying the same
 * 1,200-byte messages over TCP is the reference a user would otherwise fall back to (e.g. DNS
 * over TCP). Interleaved rounds, medians. Not part of `npm test`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { CliTunnel } from '../test/helpers/cli.js';
import { knownHostsFor, sshArgsFor } from '../test/helpers/fixtures.js';
import { freePort, makeClientKeys, Sshd } from '../test/helpers/sshd.js';
import { median, startTcpEcho, waitListening } from './net.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SIZE = 1200;
const PING_PONGS = 2000;
const STREAM_DATAGRAMS = 20_000;
/** Datagrams in flight during the throughput run: a sender that paces itself, as QUIC or WireGuard do. */
const WINDOW = 64;
/** A datagram not answered this long after the last reply is counted lost and the window refilled. */
const STALL_MS = 300;

async function udpEcho(): Promise<number> {
  const s = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
  s.on('message', (m, r) => s.send(m, r.port, r.address));
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  s.unref();
  return s.address().port;
}

interface Exchange {
  send(b: Buffer): void;
  onReply(fn: () => void): void;
  close(): void;
}

async function udpClient(port: number): Promise<Exchange> {
  const s = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  return { send: (b) => s.send(b, port, '127.0.0.1'), onReply: (fn) => void s.on('message', () => fn()), close: () => s.close() };
}

/** 1,200-byte messages over a TCP connection, counted by length as datagrams are. */
async function tcpClient(port: number): Promise<Exchange> {
  const s: Socket = await new Promise((resolve, reject) => {
    const c = connect({ port, host: '127.0.0.1', noDelay: true });
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
  let pending = 0;
  const fns: (() => void)[] = [];
  s.on('data', (d: Buffer) => {
    pending += d.length;
    while (pending >= SIZE) {
      pending -= SIZE;
      for (const fn of fns) fn();
    }
  });
  return { send: (b) => s.write(b), onReply: (fn) => void fns.push(fn), close: () => s.destroy() };
}

/** Sequential round trips: µs per exchange. */
async function roundTrip(client: Exchange): Promise<number> {
  const payload = Buffer.alloc(SIZE, 7);
  let left = PING_PONGS;
  const start = process.hrtime.bigint();
  await new Promise<void>((resolve) => {
    client.onReply(() => (--left === 0 ? resolve() : client.send(payload)));
    client.send(payload);
  });
  return Number(process.hrtime.bigint() - start) / 1e3 / PING_PONGS;
}

/** WINDOW datagrams in flight until STREAM_DATAGRAMS came back or were lost: MB/s each way, and losses. */
async function stream(client: Exchange): Promise<{ mbps: number; lost: number }> {
  const payload = Buffer.alloc(SIZE, 9);
  let sent = 0;
  let done = 0;
  let lost = 0;
  let inFlight = 0;
  const start = process.hrtime.bigint();
  await new Promise<void>((resolve) => {
    let stall: NodeJS.Timeout;
    const fill = (): void => {
      while (inFlight < WINDOW && sent < STREAM_DATAGRAMS) {
        sent++;
        inFlight++;
        client.send(payload);
      }
    };
    const arm = (): void => {
      clearTimeout(stall);
      stall = setTimeout(() => {
        lost += inFlight;
        done += inFlight;
        inFlight = 0;
        if (done >= STREAM_DATAGRAMS) resolve();
        else {
          fill();
          arm();
        }
      }, STALL_MS);
    };
    client.onReply(() => {
      inFlight--;
      done++;
      if (done >= STREAM_DATAGRAMS) {
        clearTimeout(stall);
        resolve();
        return;
      }
      fill();
      arm();
    });
    fill();
    arm();
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { mbps: ((STREAM_DATAGRAMS - lost) * SIZE) / seconds / 1e6, lost };
}

interface Setup {
  name: string;
  open(): Promise<Exchange>;
  stop(): Promise<void>;
}

async function tunnelvisionUdp(base: string[], echo: number, interpreter: 'perl' | 'python3'): Promise<Setup> {
  const cli = new CliTunnel(['--udp-local', `0:127.0.0.1:${echo}`, '--', ...base], { env: { ...process.env, SSH_AUTH_SOCK: '', TUNNELVISION_UDP_RELAY: interpreter } });
  const up = await cli.waitFor((e) => e.event === 'state' && e.state === 'up', 30_000);
  const port = (up.forwards as { allocatedPort: number }[])[0]!.allocatedPort;
  return { name: `Tunnelvision UDP -L (${interpreter} relay)`, open: () => udpClient(port), stop: async () => void (await cli.stop()) };
}

async function main(): Promise<void> {
  const keys = await makeClientKeys();
  const sshd = await Sshd.start({ authorizedKeys: keys.authorizedKeys, config: ['LogLevel ERROR'] });
  const knownHosts = await knownHostsFor([sshd]);
  const base = sshArgsFor(sshd, keys, knownHosts);
  const uEcho = await udpEcho();
  const tEcho = await startTcpEcho();

  const setups: Setup[] = [{ name: 'direct UDP (loopback)', open: () => udpClient(uEcho), stop: async () => undefined }];
  setups.push(await tunnelvisionUdp(base, uEcho, 'perl'));
  setups.push(await tunnelvisionUdp(base, uEcho, 'python3'));
  const sshPort = await freePort();
  const openssh: ChildProcess = spawn('ssh', [...base.slice(1), '-L', `${sshPort}:127.0.0.1:${tEcho}`], { stdio: 'ignore' });
  await waitListening(sshPort);
  setups.push({ name: 'OpenSSH TCP -L, same messages', open: () => tcpClient(sshPort), stop: async () => void openssh.kill() });

  const results = new Map<string, { rtt: number[]; mbps: number[]; lost: number[] }>();
  for (const s of setups) results.set(s.name, { rtt: [], mbps: [], lost: [] });
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of setups) {
      const r = results.get(s.name)!;
      let c = await s.open();
      r.rtt.push(await roundTrip(c));
      c.close();
      c = await s.open();
      const { mbps, lost } = await stream(c);
      c.close();
      r.mbps.push(mbps);
      r.lost.push(lost);
    }
  }
  const ref = results.get('OpenSSH TCP -L, same messages')!;
  console.log(`\n${SIZE}-byte datagrams, ${ROUNDS} rounds, medians (ratio vs OpenSSH TCP -L: >1 is better)\n`);
  console.log('| path | round trip | ratio | throughput, window of 64 | ratio | lost of 20,000 |');
  console.log('|---|---|---|---|---|---|');
  for (const s of setups) {
    const r = results.get(s.name)!;
    const rtt = median(r.rtt);
    const mbps = median(r.mbps);
    console.log(`| ${s.name} | ${rtt.toFixed(0)} µs | ${(median(ref.rtt) / rtt).toFixed(2)}× | ${mbps.toFixed(1)} MB/s | ${(mbps / median(ref.mbps)).toFixed(2)}× | ${median(r.lost)} |`);
  }
  for (const s of setups) await s.stop();
  await sshd.dispose();
  process.exit(0);
}

void main();

/**
 * The WAN section of `npm run bench`: a userland delay line (test/helpers/delay-line.mjs, its own
 * process) in front of the same sshd adds 10, 50 and 100 ms of round trip; OpenSSH's `ssh` and
 * `tunnelvision up` both connect through it, and move BENCH_WAN_MB in each direction through -L,
 * -D and -R, interleaved (the two clients alternate which goes first), medians.
 *
 * "download" is server side → this side: for -L and -D a source behind sshd sends to the local
 * reader; for -R a client on the server side sends into the tunnel towards a local sink (the
 * direction the tunnel receives). "upload" is the other way.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { CliTunnel } from '../test/helpers/cli.js';
import { startDelayLine } from '../test/helpers/delay-line.js';
import { knownHostsFor, sshArgsFor } from '../test/helpers/fixtures.js';
import { freePorts, type ClientKeys, type Sshd } from '../test/helpers/sshd.js';
import { median, open, openSocks, waitListening, writeAndEnd } from './net.js';
import { cpuMs, machineTicks } from './proc.js';

export interface WanOptions {
  sshd: Sshd;
  keys: ClientKeys;
  rtts: number[];
  bytes: number;
  rounds: number;
  /** Extra environment for `tunnelvision up` (e.g. TUNNELVISION_MAX_WINDOW). */
  tvEnv?: NodeJS.ProcessEnv;
  /** Only these figures (default: all). */
  figures?: readonly WanFigure[];
  /** Which clients to run: by default OpenSSH and Tunnelvision. */
  clients?: { name: string; env?: NodeJS.ProcessEnv; openssh?: boolean; cli?: string }[];
}

/** BENCH_WAN_RTTS (ms, comma-separated), BENCH_WAN_MB per transfer (the issue measured 64) and BENCH_WAN_ROUNDS. */
export function wanSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): { rtts: number[]; bytes: number; rounds: number } {
  return {
    rtts: (env.BENCH_WAN_RTTS ?? '10,50,100').split(',').map(Number),
    bytes: Number(env.BENCH_WAN_MB ?? 64) * 1024 * 1024,
    rounds: Number(env.BENCH_WAN_ROUNDS ?? 3),
  };
}

export const WAN_FIGURES = ['download -L', 'download -D', 'download -R', 'upload -L', 'upload -D', 'upload -R'] as const;
export type WanFigure = (typeof WAN_FIGURES)[number];
/**
 * One transfer: its rate, the CPU its sshd session process(es) and its client spent on it, and how
 * busy the whole machine was meanwhile (0-1 over all cores): near 1, every process of the rig
 * competes for CPU and the figure measures CPU per byte more than the path.
 */
export interface WanSample {
  mbps: number;
  sshdCpuMs: number;
  clientCpuMs: number;
  machineBusy: number;
}
/** results[rtt][client][figure] = one sample per round. */
export type WanResults = Map<number, Map<string, Map<WanFigure, WanSample[]>>>;

/** CPU that `pids` have used so far, in ms; a process already gone counts 0, all of them gone is an error. */
function sessionCpuMs(pids: number[]): number {
  const alive = pids.map(cpuMs).filter((ms): ms is number => ms !== null);
  // A client that reconnected is served by a session we do not know: say so, rather than print 0.
  if (alive.length === 0) throw new Error(`its sshd session (${pids.join(', ')}) is gone: did it reconnect?`);
  return alive.reduce((a, b) => a + b, 0);
}

function clientCpuMs(c: Client): number {
  const ms = cpuMs(c.pid);
  if (ms === null) throw new Error(`the client process ${c.pid} is gone`);
  return ms;
}

async function listen(onConnection: (s: Socket) => void): Promise<number> {
  const server = createServer({ allowHalfOpen: true }, (s) => {
    s.on('error', () => undefined);
    onConnection(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  server.unref();
  return (server.address() as { port: number }).port;
}

/** Sends `bytes` to whoever connects, then ends. */
function startSource(bytes: number): Promise<number> {
  return listen((s) => {
    s.resume();
    writeAndEnd(s, bytes, 9);
  });
}

/** Counts what arrives; answers "done" once the writer half-closes. */
function startSink(): Promise<number> {
  return listen((s) => {
    s.on('data', () => undefined);
    s.on('end', () => s.end('done'));
  });
}

/** MB/s reading everything `opener`'s connection sends until it ends (it must be `bytes`). */
async function download(opener: () => Promise<Socket>, bytes: number): Promise<number> {
  const start = process.hrtime.bigint();
  const s = await opener();
  let got = 0;
  await new Promise<void>((resolve, reject) => {
    s.on('data', (d: Buffer) => (got += d.length));
    s.on('end', () => resolve());
    s.on('error', reject);
    s.resume();
  });
  s.destroy();
  if (got !== bytes) throw new Error(`download got ${got} of ${bytes} bytes`);
  return bytes / 1e6 / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** MB/s writing `bytes` into `opener`'s connection until the sink answers. */
async function upload(opener: () => Promise<Socket>, bytes: number): Promise<number> {
  const start = process.hrtime.bigint();
  const s = await opener();
  await new Promise<void>((resolve, reject) => {
    let answer = '';
    s.on('error', reject);
    s.on('data', (d: Buffer) => (answer += d.toString()));
    s.on('end', () => (answer === 'done' ? resolve() : reject(new Error(`sink answered ${JSON.stringify(answer)}`))));
    s.resume();
    writeAndEnd(s, bytes);
  });
  s.destroy();
  return bytes / 1e6 / (Number(process.hrtime.bigint() - start) / 1e9);
}

interface Ports {
  down: number;
  up: number;
  socks: number;
  rDown: number;
  rUp: number;
}

interface Client {
  name: string;
  ports: Ports;
  /** The sshd processes serving this client's connection: what it costs the server. */
  sshdPids: number[];
  /** The client's own process (ssh, or tunnelvision up). */
  pid: number;
  stop(): Promise<void>;
}

export async function runWan(options: WanOptions, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<WanResults> {
  const { sshd, keys, bytes, rounds } = options;
  const source = await startSource(bytes);
  const sink = await startSink();
  const clients = options.clients ?? [{ name: 'openssh', openssh: true }, { name: 'tunnelvision', ...(options.tvEnv ? { env: options.tvEnv } : {}) }];
  const results: WanResults = new Map();
  for (const rtt of options.rtts) {
    const line = await startDelayLine(rtt, sshd.port);
    const knownHosts = await knownHostsFor([], [await sshd.knownHostsLine(`[127.0.0.1]:${line.port}`)]);
    const base = sshArgsFor(sshd, keys, knownHosts).map((a) => (a === String(sshd.port) ? String(line.port) : a));
    const running: Client[] = [];
    for (const c of clients) {
      const sessionsBefore = new Set(await sshd.sessionPids());
      const newSessions = async (): Promise<number[]> => (await sshd.sessionPids()).filter((pid) => !sessionsBefore.has(pid));
      const [down, up, socks, rDown, rUp] = (await freePorts(5)) as [number, number, number, number, number];
      const ports: Ports = { down, up, socks, rDown, rUp };
      const fwd = ['-L', `${ports.down}:127.0.0.1:${source}`, '-L', `${ports.up}:127.0.0.1:${sink}`, '-D', String(ports.socks), '-R', `${ports.rDown}:127.0.0.1:${sink}`, '-R', `${ports.rUp}:127.0.0.1:${source}`];
      if (c.openssh) {
        const child = spawn('ssh', [...base.slice(1), ...fwd], { stdio: 'ignore' });
        await Promise.all(Object.values(ports).map(waitListening));
        running.push({ name: c.name, ports, sshdPids: await newSessions(), pid: child.pid!, stop: async () => void child.kill() });
      } else {
        const tv = new CliTunnel([...base, ...fwd], { env: { ...process.env, SSH_AUTH_SOCK: '', ...c.env }, ...(c.cli ? { cli: c.cli } : {}) });
        await tv.waitFor((e) => e.event === 'state' && e.state === 'up');
        await Promise.all(Object.values(ports).map(waitListening));
        running.push({ name: c.name, ports, sshdPids: await newSessions(), pid: tv.child.pid!, stop: async () => void (await tv.stop()) });
      }
    }
    const byClient = new Map(running.map((c) => [c.name, new Map(WAN_FIGURES.map((f) => [f, [] as WanSample[]]))]));
    results.set(rtt, byClient);
    const run = (c: Client, f: WanFigure): Promise<number> => {
      switch (f) {
        case 'download -L':
          return download(() => open(c.ports.down), bytes);
        case 'download -D':
          return download(() => openSocks(c.ports.socks, source), bytes);
        case 'download -R':
          return upload(() => open(c.ports.rDown), bytes);
        case 'upload -L':
          return upload(() => open(c.ports.up), bytes);
        case 'upload -D':
          return upload(() => openSocks(c.ports.socks, sink), bytes);
        case 'upload -R':
          return download(() => open(c.ports.rUp), bytes);
      }
    };
    const figures = WAN_FIGURES.filter((f) => options.figures?.includes(f) ?? true);
    for (let round = 0; round < rounds; round++) {
      for (const f of figures) {
        // Alternate who goes first, so neither always meets a warmer or a busier machine.
        const order = round % 2 === 0 ? running : [...running].reverse();
        for (const c of order) {
          try {
            const sshdBefore = sessionCpuMs(c.sshdPids);
            const clientBefore = clientCpuMs(c);
            const machineBefore = machineTicks();
            const mbps = await run(c, f);
            const machine = machineTicks();
            byClient.get(c.name)!.get(f)!.push({
              mbps,
              sshdCpuMs: sessionCpuMs(c.sshdPids) - sshdBefore,
              clientCpuMs: clientCpuMs(c) - clientBefore,
              machineBusy: (machine.busy - machineBefore.busy) / Math.max(1, machine.total - machineBefore.total),
            });
          } catch (err) {
            for (const r of running) await r.stop();
            line.stop();
            throw new Error(`${c.name}, ${f} at ${rtt} ms: ${(err as Error).message}`);
          }
        }
      }
      // Single rounds are logged too: at short round trips they can be bimodal, which a median hides.
      const figuresOfRound = figures.map((f) => {
        const last = running.map((c) => byClient.get(c.name)!.get(f)!.at(-1)!);
        const each = (pick: (x: WanSample) => string): string => last.map(pick).join('/');
        return `${f} ${each((x) => x.mbps.toFixed(0))} (sshd ${each((x) => String(x.sshdCpuMs))} ms, client ${each((x) => String(x.clientCpuMs))} ms, machine ${each((x) => (100 * x.machineBusy).toFixed(0))} % busy)`;
      });
      log(`wan ${rtt} ms: round ${round + 1}/${rounds} (MB/s, ${running.map((c) => c.name).join('/')}): ${figuresOfRound.join(', ')}`);
    }
    for (const c of running) await c.stop();
    line.stop();
  }
  return results;
}

function congestionControl(): string {
  try {
    return readFileSync('/proc/sys/net/ipv4/tcp_congestion_control', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

/**
 * The WAN table: absolute MB/s per client and each client's ratio against the first; then what
 * each transfer cost the server, as CPU of the client's sshd session (a client that makes sshd
 * work harder per byte is not faster for free: bench/RESULTS.md, "What large windows cost sshd").
 */
export function formatWan(results: WanResults, bytes: number, rounds: number): string {
  const out: string[] = [];
  const names = [...results.values().next().value!.keys()];
  const row = (cells: string[]): string => cells.map((c) => c.padEnd(16)).join('');
  out.push(`\nWAN: delay line in front of sshd, ${bytes / 1048576} MiB per transfer, ${rounds} interleaved rounds, medians, MB/s`);
  // Every hop of the rig is loopback TCP, and its congestion control decides how often a round
  // collapses (bench/RESULTS.md, "Slow single rounds"): say which one ran.
  out.push(`loopback TCP congestion control: ${congestionControl()}`);
  out.push(row(['rtt', 'figure', ...names, ...names.slice(1).map((n) => `${n} / ${names[0]}`)]));
  const figuresRun = (byClient: Map<string, Map<WanFigure, WanSample[]>>): WanFigure[] => WAN_FIGURES.filter((f) => byClient.get(names[0]!)!.get(f)!.length > 0);
  for (const [rtt, byClient] of results) {
    for (const f of figuresRun(byClient)) {
      const m = names.map((n) => median(byClient.get(n)!.get(f)!.map((x) => x.mbps)));
      out.push(row([`${rtt} ms`, f, ...m.map((x) => x.toFixed(1)), ...m.slice(1).map((x) => `${(x / m[0]!).toFixed(2)}×`)]));
    }
  }
  const cpuTable = (title: string, cell: (samples: WanSample[]) => string): void => {
    out.push(`\n${title}`);
    out.push(row(['rtt', 'figure', ...names]));
    for (const [rtt, byClient] of results) {
      for (const f of figuresRun(byClient)) out.push(row([`${rtt} ms`, f, ...names.map((n) => cell(byClient.get(n)!.get(f)!))]));
    }
  };
  cpuTable('sshd CPU per transfer (its session processes, user + system), medians and worst, ms', (samples) => {
    const ms = samples.map((x) => x.sshdCpuMs);
    return `${median(ms)} (${Math.max(...ms)})`;
  });
  // A machine near 100 % busy is the limit, not the path: the client's CPU per byte then decides.
  cpuTable('client CPU per transfer, ms, and the whole machine busy meanwhile (all cores), medians', (samples) => {
    return `${median(samples.map((x) => x.clientCpuMs))} (${(100 * median(samples.map((x) => x.machineBusy))).toFixed(0)} %)`;
  });
  return out.join('\n');
}

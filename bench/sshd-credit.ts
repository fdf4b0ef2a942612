/**
 * What credit costs OpenSSH's sshd when the client does not read (`npx tsx bench/sshd-credit.ts`).
 * For each amount of credit (BENCH_CREDITS, default 2M,4M,6M,8M,10M,15M): one direct-tcpip channel
 * to a source that writes as fast as it may, the channel's window raised to that amount (through
 * the flow-control seam, as the engine does), then the client stops reading its socket, as a
 * stalled network, a suspended laptop or a frozen process would. sshd then reads the source as far
 * as the credit reaches; the figure is the CPU its session processes spend in the next
 * BENCH_HOLD_MS (default 6000) and their RSS at the end. A row that reads the whole hold was
 * still burning when it ended (15 MiB over a 12 s hold: 10.4 s).
 *
 * Measured on OpenSSH 9.2: the cost rises with the square of the credit beyond what the socket
 * buffers take (bench/RESULTS.md, "What large windows cost sshd"). OpenSSH's own client holds
 * sshd to 2 MiB, which costs nothing here.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { Client, type ClientChannel } from 'ssh2';
import { grantWindow, receiveWindow } from '../src/main/engine/flow/ssh2-seam.js';
import { parseByteSize } from '../src/main/engine/flow/flow-control.js';
import { makeClientKeys, Sshd } from '../test/helpers/sshd.js';
import { cpuMs, rssMiB } from './proc.js';

const credits = (process.env.BENCH_CREDITS ?? '2M,4M,6M,8M,10M,15M').split(',');
const holdMs = Number(process.env.BENCH_HOLD_MS ?? 6000);

/** The session's processes together; one that is gone counts 0. */
const sessionCpuMs = (pids: number[]): number => pids.reduce((sum, pid) => sum + (cpuMs(pid) ?? 0), 0);

const keys = await makeClientKeys();
const sshd = await Sshd.start({ authorizedKeys: keys.authorizedKeys, config: ['LogLevel ERROR'] });
const chunk = Buffer.alloc(1024 * 1024, 7);
const source = createServer((s) => {
  s.on('error', () => undefined);
  const pump = (): void => {
    while (s.write(chunk));
  };
  s.on('drain', pump);
  pump();
});
await new Promise<void>((r) => source.listen(0, '127.0.0.1', r));
const sourcePort = (source.address() as { port: number }).port;

console.log(`\nsshd with a client that stops reading, ${holdMs} ms, OpenSSH's sshd on this machine`);
console.log(['credit held', 'sshd CPU, ms', 'sshd RSS, MiB'].map((h) => h.padEnd(16)).join(''));
for (const credit of credits) {
  const bytes = parseByteSize(credit);
  if (bytes === null) throw new Error(`BENCH_CREDITS: not a size: ${credit}`);
  const before = new Set(await sshd.sessionPids());
  const client = new Client();
  await new Promise<void>((resolve, reject) => {
    client.once('ready', resolve).once('error', reject);
    client.connect({ host: '127.0.0.1', port: sshd.port, username: sshd.user, privateKey: readFileSync(keys.key), hostVerifier: () => true });
  });
  const channel = await new Promise<ClientChannel>((resolve, reject) =>
    client.forwardOut('127.0.0.1', 0, '127.0.0.1', sourcePort, (err, ch) => (err ? reject(err) : resolve(ch))),
  );
  const pids = (await sshd.sessionPids()).filter((pid) => !before.has(pid));
  if (pids.length === 0) throw new Error('no sshd session process found for the connection');
  // Stop reading first, so the credit below is not spent into this process instead.
  const socket = (client as unknown as { _sock: NodeJS.ReadableStream })._sock;
  socket.pause();
  const cpuBefore = sessionCpuMs(pids);
  grantWindow(channel, bytes - receiveWindow(channel));
  await new Promise((r) => setTimeout(r, holdMs));
  const cpu = sessionCpuMs(pids) - cpuBefore;
  const rss = Math.max(...pids.map((pid) => rssMiB(pid) ?? 0));
  console.log([credit, String(cpu), rss.toFixed(0)].map((c) => c.padEnd(16)).join(''));
  client.end();
  socket.resume();
  // The next row starts once this session's processes are gone, not while they still burn CPU.
  while ((await sshd.sessionPids()).some((pid) => pids.includes(pid))) await new Promise((r) => setTimeout(r, 100));
}
source.close();
await sshd.dispose();
process.exit(0);

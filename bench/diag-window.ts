// Scratch: one -L download through the delay line, printing the tunnel's window stats.
import { connect, createServer } from 'node:net';
import { CliTunnel } from '../test/helpers/cli.js';
import { startDelayLine } from '../test/helpers/delay-line.js';
import { knownHostsFor, sshArgsFor } from '../test/helpers/fixtures.js';
import { freePort, makeClientKeys, Sshd } from '../test/helpers/sshd.js';

const BYTES = 64 * 1024 * 1024;
const rtt = Number(process.env.RTT ?? 50);
const keys = await makeClientKeys();
const sshd = await Sshd.start({ authorizedKeys: keys.authorizedKeys, config: ['LogLevel ERROR'] });
const chunk = Buffer.alloc(256 * 1024, 1);
const src = createServer((s) => {
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
await new Promise<void>((r) => src.listen(0, '127.0.0.1', r));
const line = await startDelayLine(rtt, sshd.port);
const kh = await knownHostsFor([], [await sshd.knownHostsLine(`[127.0.0.1]:${line.port}`)]);
const args = sshArgsFor(sshd, keys, kh).map((a) => (a === String(sshd.port) ? String(line.port) : a));
const port = await freePort();
const tv = new CliTunnel(['--verbose', '--', ...args, '-L', `${port}:127.0.0.1:${(src.address() as { port: number }).port}`], { env: { ...process.env, SSH_AUTH_SOCK: '', ...(process.env.MAXW ? { TUNNELVISION_MAX_WINDOW: process.env.MAXW } : {}) } });
await tv.waitFor((e) => e.event === 'state' && e.state === 'up');
await new Promise((r) => setTimeout(r, 1500));
const start = performance.now();
const s = connect(port, '127.0.0.1');
let got = 0;
await new Promise<void>((resolve) => {
  s.on('data', (d: Buffer) => (got += d.length));
  s.on('end', resolve);
});
const secs = (performance.now() - start) / 1000;
console.log(`got ${got} in ${secs.toFixed(2)} s = ${(got / 1e6 / secs).toFixed(1)} MB/s`);
for (const e of tv.events.filter((e) => e.event === 'stats')) {
  const f = (e.forwards as { window: number; windowLimited: boolean; receiveRate: number }[])[0]!;
  console.log(`latency ${e.latencyMs} window ${(f.window / 1048576).toFixed(1)} limited ${f.windowLimited} rate ${(f.receiveRate / 1e6).toFixed(1)}`);
}
console.log(tv.stderr.split("\n").filter(l=>/judge|behind|backedup/.test(l)).slice(0,60).join("\n"));
await tv.stop();
line.stop();
await sshd.dispose();
process.exit(0);

// A userland delay line (tc netem is not available here): a TCP proxy in front of host:port that
// holds every chunk for a fixed one-way delay in each direction, so a connection through it has
// (at least) the given round trip. Order is kept; nothing is dropped or rate-limited. Run as its
// own process so its timers do not share an event loop with what it measures:
//   node delay-line.mjs <rtt-ms> <host> <port>   → prints the port it listens on, one line.
import { connect, createServer } from 'node:net';

const [rttArg, host, portArg] = process.argv.slice(2);
const oneWayMs = Number(rttArg) / 2;
// Past this much held in one direction the source is paused: a bound, far above any window used.
const MAX_HELD = 256 * 1024 * 1024;

/** Copies `from` to `to`, each chunk `oneWayMs` late. */
function delayed(from, to) {
  const queue = [];
  let head = 0;
  let held = 0;
  let timer = null;
  let ended = false;
  const flush = () => {
    timer = null;
    const now = performance.now();
    while (head < queue.length && queue[head].due <= now + 0.5) {
      const { chunk } = queue[head];
      queue[head++] = undefined;
      held -= chunk.length;
      to.write(chunk);
    }
    if (head > 1024 && head * 2 > queue.length) queue.splice(0, head), (head = 0);
    if (held < MAX_HELD && from.isPaused()) from.resume();
    if (head < queue.length) timer = setTimeout(flush, Math.max(0, queue[head].due - performance.now()));
    else if (ended) to.end();
  };
  from.on('data', (chunk) => {
    queue.push({ due: performance.now() + oneWayMs, chunk });
    held += chunk.length;
    if (held >= MAX_HELD) from.pause();
    timer ??= setTimeout(flush, oneWayMs);
  });
  from.on('end', () => {
    ended = true;
    timer ??= setTimeout(flush, oneWayMs);
  });
}

const server = createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
  const upstream = connect({ host, port: Number(portArg), allowHalfOpen: true, noDelay: true });
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  delayed(client, upstream);
  delayed(upstream, client);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));

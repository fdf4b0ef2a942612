// Preloaded into a tunnel process under test (NODE_OPTIONS=--import=<this file>): on SIGUSR2 it
// collects garbage and prints one line "memory-probe {json}" on stderr with what the process
// still holds, so a test can tell retained bytes from garbage the collector has not reached yet.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');
process.on('SIGUSR2', () => {
  gc();
  const m = process.memoryUsage();
  process.stderr.write(`memory-probe ${JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers })}\n`);
});

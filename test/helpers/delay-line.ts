import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./delay-line.mjs', import.meta.url));

export interface DelayLine {
  port: number;
  stop(): void;
}

/** A delay line (delay-line.mjs, in its own process) adding `rttMs` of round trip in front of 127.0.0.1:`port`. */
export async function startDelayLine(rttMs: number, port: number): Promise<DelayLine> {
  const child = spawn(process.execPath, [SCRIPT, String(rttMs), '127.0.0.1', String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`delay line exited (${code})`)));
  });
  return { port: Number(line), stop: () => void child.kill() };
}

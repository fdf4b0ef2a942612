import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/main/cli/index.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.SSH_AUTH_SOCK;
  return env;
}

export function runCli(args: string[], timeoutMs = 20_000, env: NodeJS.ProcessEnv = cleanEnv()): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tunnelvision ${args.join(' ')} did not exit\n${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export type CliEvent = Record<string, unknown> & { event: string };

/** A running `tunnelvision up --json`, its events parsed line by line. */
export class CliTunnel {
  readonly events: CliEvent[] = [];
  readonly child: ChildProcess;
  stderr = '';
  private waiters: (() => void)[] = [];
  readonly exited: Promise<number | null>;

  /**
   * `args`: the ssh command line; or tunnelvision flags, '--', then the command line; or a
   * single saved profile name.
   */
  constructor(args: string[], options: { env?: NodeJS.ProcessEnv; configDir?: string; cli?: string } = {}) {
    const upArgs = args.includes('--') || args.length === 1 ? ['up', '--json', ...args] : ['up', '--json', '--', ...args];
    const full = options.configDir ? ['--config-dir', options.configDir, ...upArgs] : upArgs;
    this.child = spawn(process.execPath, [options.cli ?? CLI, ...full], { env: options.env ?? cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stderr!.on('data', (d) => (this.stderr += d));
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      this.events.push(JSON.parse(line) as CliEvent);
      for (const w of this.waiters.splice(0)) w();
    });
    this.exited = new Promise((resolve) => this.child.on('close', (code) => resolve(code)));
  }

  async waitFor(match: (e: CliEvent, index: number) => boolean, timeoutMs = 15_000): Promise<CliEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no matching event; got ${JSON.stringify(this.events.slice(-5))}\n${this.stderr}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  /** The first stats event that matches, of those emitted so far or to come. */
  async waitForStats(pred: (e: CliEvent) => boolean, timeoutMs = 10_000): Promise<CliEvent> {
    return this.waitFor((e) => e.event === 'stats' && pred(e), timeoutMs);
  }

  /** The next stats event to be emitted: what the tunnel reports from now on. */
  async nextStats(timeoutMs = 10_000): Promise<CliEvent> {
    const seen = this.events.length;
    return this.waitFor((e, index) => e.event === 'stats' && index >= seen, timeoutMs);
  }

  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    this.child.kill(signal);
    return this.exited;
  }
}

const MEMORY_PROBE = fileURLToPath(new URL('./memory-probe.mjs', import.meta.url));

/** Environment that preloads memory-probe.mjs into a `tunnelvision` child (see memoryProbe). */
export function withMemoryProbe(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} --import=${new URL(`file://${MEMORY_PROBE}`).href}`.trim() };
}

export interface MemoryFigures {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/** After a full GC in a child started withMemoryProbe: what it still holds. */
export async function memoryProbe(cli: CliTunnel): Promise<MemoryFigures> {
  const seen = cli.stderr.length;
  cli.child.kill('SIGUSR2');
  for (let i = 0; i < 100; i++) {
    const m = /memory-probe (\{.*\})\n/.exec(cli.stderr.slice(seen));
    if (m) return JSON.parse(m[1]!) as MemoryFigures;
    await new Promise<void>((resolve) => cli.child.stderr!.once('data', () => resolve()));
  }
  throw new Error('no memory-probe line');
}

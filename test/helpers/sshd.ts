import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const SSHD = '/usr/sbin/sshd';
export const hasSshd = existsSync(SSHD);

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return (await freePorts(1, host))[0]!;
}

/**
 * `count` distinct free ports. One at a time, freePort can hand out a port it just handed out
 * (nothing holds it in between): a bench once bound -L and -D to the same port, and its SOCKS
 * greeting went down the -L tunnel and waited there for good. These are held until all are known.
 */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Server>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, host, () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

export interface ClientKeys {
  dir: string;
  /** Unencrypted ed25519 key. */
  key: string;
  /** ed25519 key encrypted with `passphrase`. */
  encryptedKey: string;
  passphrase: string;
  /** A key the server does not know. */
  strangerKey: string;
  authorizedKeys: string;
}

export async function makeClientKeys(): Promise<ClientKeys> {
  const dir = await mkdtemp(join(tmpdir(), 'tv-keys-'));
  const key = join(dir, 'id_ed25519');
  const encryptedKey = join(dir, 'id_encrypted');
  const strangerKey = join(dir, 'id_stranger');
  const passphrase = 'correct horse battery staple';
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-f', encryptedKey]);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', strangerKey]);
  const authorizedKeys = join(dir, 'authorized_keys');
  const pubs = await Promise.all([readFile(`${key}.pub`, 'utf8'), readFile(`${encryptedKey}.pub`, 'utf8')]);
  await writeFile(authorizedKeys, pubs.join(''), { mode: 0o600 });
  return { dir, key, encryptedKey, passphrase, strangerKey, authorizedKeys };
}

export interface SshdOptions {
  authorizedKeys: string;
  /** Extra sshd_config lines, e.g. "GatewayPorts clientspecified"; they take precedence over the defaults. */
  config?: string[];
  port?: number;
  /** Reuse a host key (a "restarted" server keeps its identity). */
  hostKey?: string;
  /** A soft open-files limit for sshd and its sessions (ulimit -Sn), like a stock server's 1024. */
  softFileLimit?: number;
  /** A hard open-files limit (ulimit -n: soft and hard), which no session can raise. */
  hardFileLimit?: number;
}

/** A real OpenSSH sshd on 127.0.0.1 with a random port and its own generated host key. */
export class Sshd {
  private child: ChildProcess | null = null;
  private logText = '';

  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly hostKey: string,
    private readonly options: SshdOptions,
  ) {}

  static async start(options: SshdOptions): Promise<Sshd> {
    const dir = await mkdtemp(join(tmpdir(), 'tv-sshd-'));
    let hostKey = options.hostKey;
    if (!hostKey) {
      hostKey = join(dir, 'host_ed25519');
      await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
    }
    const sshd = new Sshd(dir, options.port ?? (await freePort()), hostKey, options);
    await sshd.launch();
    return sshd;
  }

  get user(): string {
    return userInfo().username;
  }

  get log(): string {
    return this.logText;
  }

  /** The server's public key as a known_hosts line for [127.0.0.1]:port. */
  async knownHostsLine(name = `[127.0.0.1]:${this.port}`): Promise<string> {
    const pub = (await readFile(`${this.hostKey}.pub`, 'utf8')).trim().split(/\s+/);
    return `${name} ${pub[0]} ${pub[1]}`;
  }

  async publicKeyBlob(): Promise<Buffer> {
    const pub = (await readFile(`${this.hostKey}.pub`, 'utf8')).trim().split(/\s+/);
    return Buffer.from(pub[1]!, 'base64');
  }

  private async launch(): Promise<void> {
    if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    const configPath = join(this.dir, 'sshd_config');
    const defaults = [
      `Port ${this.port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${this.hostKey}`,
      `PidFile ${join(this.dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${this.options.authorizedKeys}`,
      'StrictModes no',
      'UsePAM no',
      'PermitRootLogin yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'AllowTcpForwarding yes',
      'AllowStreamLocalForwarding yes',
      'X11Forwarding no',
      'PrintMotd no',
      'LogLevel DEBUG1',
      'MaxStartups 200',
      'MaxSessions 200',
      'LoginGraceTime 30',
    ];
    // sshd keeps the first value for most keywords but the last for some (MaxStartups): drop our
    // default for any keyword the caller sets rather than rely on order.
    const extra = this.options.config ?? [];
    const keyword = (line: string): string => line.trim().split(/\s+/)[0]!.toLowerCase();
    const overridden = new Set(extra.map(keyword));
    const lines = [...defaults.filter((l) => !overridden.has(keyword(l))), ...extra];
    await writeFile(configPath, `${lines.join('\n')}\n`);
    const args = ['-D', '-e', '-f', configPath];
    const { softFileLimit: soft, hardFileLimit: hard } = this.options;
    const limits = [...(hard !== undefined ? [`ulimit -n ${hard}`] : []), ...(soft !== undefined ? [`ulimit -Sn ${soft}`] : [])];
    const child =
      limits.length === 0
        ? spawn(SSHD, args, { stdio: ['ignore', 'ignore', 'pipe'] })
        : spawn('/bin/sh', ['-c', `${limits.join(' && ')} && exec "$0" "$@"`, SSHD, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    child.stderr!.setEncoding('utf8');
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error): void => {
        clearTimeout(timer);
        clearInterval(poll);
        if (err) reject(err);
        else resolve();
      };
      const timer = setTimeout(() => done(new Error(`sshd did not start:\n${this.logText}`)), 10_000);
      child.stderr!.on('data', (text: string) => {
        this.logText += text;
        if (this.logText.includes('Server listening on')) done();
      });
      // A quieter LogLevel never says "Server listening": the socket table does, without connecting.
      const poll = setInterval(() => void listeningSocketCount(this.port).then((n) => n > 0 && done()), 100);
      child.once('exit', (code) => done(new Error(`sshd exited with ${code}:\n${this.logText}`)));
    });
  }

  /** PIDs of every per-connection sshd process (the listener's descendants). */
  async sessionPids(): Promise<number[]> {
    const pid = this.child?.pid;
    return pid ? descendants(pid) : [];
  }

  /** Sends `signal` to every session process; SIGSTOP makes a black hole, SIGKILL a crash. */
  async signalSessions(signal: NodeJS.Signals): Promise<number[]> {
    const pids = await this.sessionPids();
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
    return pids;
  }

  /** Stops the listener; with `sessions` also kills every session, like a server going down. */
  async stop(sessions = true): Promise<void> {
    const child = this.child;
    if (sessions) await this.signalSessions('SIGKILL');
    this.child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** Starts again on the same port with the same host key. */
  async relaunch(): Promise<void> {
    await this.launch();
  }

  async dispose(): Promise<void> {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** All descendants of `pid` (sshd's per-connection monitor and its privilege-separated child). */
export async function descendants(pid: number): Promise<number[]> {
  try {
    const { stdout } = await run('pgrep', ['-P', String(pid)]);
    const children = stdout.split(/\s+/).filter(Boolean).map(Number);
    const nested = await Promise.all(children.map(descendants));
    return [...children, ...nested.flat()];
  } catch {
    return [];
  }
}

/** Listening TCP sockets on `port` in this machine's socket table (IPv4 and IPv6). */
export async function listeningSocketCount(port: number): Promise<number> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  let count = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[1]?.endsWith(`:${hex}`) && cols[3] === '0A') count++;
    }
  }
  return count;
}

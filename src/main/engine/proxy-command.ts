import { spawn } from 'node:child_process';
import { Duplex } from 'node:stream';
import { TunnelError } from '../../shared/errors.js';

export interface ProxyTokens {
  host: string;
  port: number;
  user: string;
  /** The name as the user wrote it (ssh_config %n). */
  originalHost: string;
}

/** ssh_config(5) TOKENS for ProxyCommand: %h %p %r %n %%. */
export function substituteProxyTokens(command: string, tokens: ProxyTokens): string {
  return command.replace(/%(.)/g, (match, key: string) => {
    switch (key) {
      case 'h':
        return tokens.host;
      case 'p':
        return String(tokens.port);
      case 'r':
        return tokens.user;
      case 'n':
        return tokens.originalHost;
      case '%':
        return '%';
      default:
        throw new TunnelError('PROXY_COMMAND_FAILED', `ProxyCommand: unknown token ${match}`);
    }
  });
}

/**
 * Runs ProxyCommand the way ssh(1) does (`exec` through the user's shell) and returns its
 * stdin/stdout as the connection. The stream and the process live and die together; no
 * console window opens on Windows.
 */
export interface ProxyConnection {
  stream: Duplex;
  /** Why the command ended, once it has: the real reason behind an EPIPE seen by ssh2. */
  exited: Promise<TunnelError>;
}

export function spawnProxyCommand(command: string, onStderr: (line: string) => void): ProxyConnection {
  const isWindows = process.platform === 'win32';
  const child = isWindows
    ? spawn(command, { shell: true, windowsHide: true, stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(process.env.SHELL || '/bin/sh', ['-c', `exec ${command}`], { stdio: ['pipe', 'pipe', 'pipe'] });

  const stream = Duplex.from({ readable: child.stdout, writable: child.stdin });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    for (const line of text.split('\n')) if (line.trim() !== '') onStderr(line.slice(0, 500));
  });
  const exited = new Promise<TunnelError>((resolve) => {
    child.once('error', (err) => {
      const failure = new TunnelError('PROXY_COMMAND_FAILED', `ProxyCommand could not start: ${err.message}`);
      resolve(failure);
      stream.destroy(failure);
    });
    child.once('exit', (code, signal) => {
      const failure = new TunnelError('PROXY_COMMAND_FAILED', `ProxyCommand exited (${signal ?? `code ${code}`})`);
      resolve(failure);
      if (!stream.destroyed) stream.destroy(failure);
    });
  });
  stream.once('close', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  });
  // Writes into a dead child raise EPIPE on stdin; the exit handler reports the real reason.
  child.stdin.on('error', () => undefined);
  return { stream, exited };
}

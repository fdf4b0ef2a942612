import { EventEmitter } from 'node:events';
import type { Client, ClientChannel } from 'ssh2';
import { TunnelError } from '../../../shared/errors.js';
import { printable } from '../../openssh/hostnames.js';
import { NO_INTERPRETER_EXIT, relayCommand, type RelayArgs, type RelayInterpreter } from './relay-command.js';
import { encodeFrame, FrameDecoder, FrameError, FrameType, parseHello, parseRelayError, type Frame, type FrameTypeValue, type Hello } from './relay-protocol.js';

/**
 * How long the relay may take to say hello: an interpreter start plus one round trip. A forced
 * command that waits for input instead (`ForceCommand internal-sftp`, a menu) ends here, so it
 * is kept short: attaching forwards waits for it.
 */
export const RELAY_START_TIMEOUT_MS = 10_000;
const RESTRICTED = 'the account runs a fixed command or has no login shell (ForceCommand, a command= key, nologin?)';
/** Frames waiting for the channel's window beyond this are dropped, as a full UDP buffer would. */
export const RELAY_QUEUE_BYTES = 2 * 1024 * 1024;
const STDERR_KEPT = 4096;

export interface RelayEvents {
  frame: [Frame];
  /** The relay ended on its own (killed, crashed, channel closed by the server). */
  exit: [TunnelError];
  /** A line the relay wrote on stderr. */
  stderr: [string];
}

export interface RelayStartOptions {
  interpreters?: readonly RelayInterpreter[];
  timeoutMs?: number;
}

function exitText(code: number | null, signal: string | null): string {
  if (signal) return `killed by SIG${signal.replace(/^SIG/, '')}`;
  return code === null ? 'without an exit status' : `with status ${code}`;
}

/**
 * One relay process on the server, on one exec channel of the session: frames in, frames out.
 * `start` resolves once the relay has said hello, or rejects with the reason in words:
 * UDP_RELAY_UNAVAILABLE when the account cannot run it, FORWARD_BIND_FAILED when it cannot bind.
 */
export class UdpRelay extends EventEmitter<RelayEvents> {
  private closing = false;
  /** Frames of this tick, written together so one SSH packet carries many small datagrams. */
  private batch: Buffer[] = [];
  private batchBytes = 0;

  private constructor(
    private readonly channel: ClientChannel,
    readonly hello: Hello,
  ) {
    super();
  }

  static start(client: Client, args: RelayArgs, options: RelayStartOptions = {}): Promise<UdpRelay> {
    const command = relayCommand(args, options.interpreters);
    const timeoutMs = options.timeoutMs ?? RELAY_START_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (err: TunnelError, channel?: ClientChannel): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        channel?.close();
        reject(err);
      };
      const timer = setTimeout(
        () => fail(new TunnelError('UDP_RELAY_UNAVAILABLE', `the UDP relay did not start on the server within ${timeoutMs / 1000} s: does the account run a fixed command that waits for input (ForceCommand internal-sftp, a menu)?`), current),
        timeoutMs,
      );
      let current: ClientChannel | undefined;
      try {
        client.exec(command, (err, channel) => {
          if (err) {
            fail(new TunnelError('UDP_RELAY_UNAVAILABLE', `the server refused to run the UDP relay (the account may not run commands): ${err.message}`));
            return;
          }
          current = channel;
          const decoder = new FrameDecoder();
          let stderr = '';
          let fatal: { word: string; message: string } | null = null;
          let exit: { code: number | null; signal: string | null } = { code: null, signal: null };
          let relay: UdpRelay | null = null;
          const earlyFrames: Frame[] = [];

          channel.on('error', () => undefined);
          channel.stderr.on('data', (chunk: Buffer) => {
            const text = chunk.toString('utf8');
            if (stderr.length < STDERR_KEPT) stderr += text.slice(0, STDERR_KEPT - stderr.length);
            if (relay) for (const line of text.split('\n').filter((l) => l.trim() !== '')) relay.emit('stderr', printable(line));
          });
          channel.on('exit', (code: number | null, signal?: string) => {
            exit = { code: typeof code === 'number' ? code : null, signal: signal ?? null };
          });
          channel.on('data', (chunk: Buffer) => {
            let frames: Frame[];
            try {
              frames = decoder.push(chunk);
            } catch (e) {
              if (!(e instanceof FrameError)) throw e;
              const said = printable(decoder.pending().toString('utf8').trim());
              const err = new TunnelError('UDP_RELAY_UNAVAILABLE', `the server did not run the UDP relay: it printed "${said}" instead; ${RESTRICTED}`);
              if (relay) relay.fail(err);
              else fail(err, channel);
              return;
            }
            for (const frame of frames) {
              if (relay) {
                relay.receive(frame);
                continue;
              }
              if (frame.type === FrameType.hello) {
                const hello = parseHello(frame.payload);
                if (!hello) return fail(new TunnelError('UDP_RELAY_UNAVAILABLE', 'the server answered with a relay of another version'), channel);
                if (settled) return;
                settled = true;
                clearTimeout(timer);
                relay = new UdpRelay(channel, hello);
                resolve(relay);
                for (const f of earlyFrames) relay.receive(f);
              } else if (frame.type === FrameType.error && frame.flow === 0) {
                fatal = parseRelayError(frame.payload);
              } else earlyFrames.push(frame);
            }
          });
          channel.on('close', () => {
            if (relay) {
              relay.onClose(exit, stderr, fatal);
              return;
            }
            fail(startFailure(args, exit, stderr, fatal, decoder.pending()));
          });
        });
      } catch (err) {
        fail(new TunnelError('UDP_RELAY_UNAVAILABLE', `cannot start the UDP relay: ${(err as Error).message}`));
      }
    });
  }

  /** Queues one frame for the relay; false when the queue is full and the frame was dropped. */
  send(type: FrameTypeValue, flow: number, payload?: Buffer): boolean {
    if (this.closing) return false;
    if (type === FrameType.data && this.queuedBytes > RELAY_QUEUE_BYTES) return false;
    const frame = encodeFrame(type, flow, payload);
    if (this.batch.length === 0) setImmediate(() => this.flush());
    this.batch.push(frame);
    this.batchBytes += frame.length;
    return true;
  }

  get queuedBytes(): number {
    return this.channel.writableLength + this.batchBytes;
  }

  private flush(): void {
    const frames = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    if (this.closing || frames.length === 0) return;
    this.channel.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames));
  }

  /** Ends the relay: closing the channel closes its stdin, and the relay exits on EOF. */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.removeAllListeners('exit');
    this.channel.close();
  }

  private receive(frame: Frame): void {
    if (frame.type === FrameType.error && frame.flow === 0) {
      const { word, message } = parseRelayError(frame.payload);
      this.fail(new TunnelError('UDP_RELAY_UNAVAILABLE', `the UDP relay on the server stopped: ${word} ${printable(message)}`));
      return;
    }
    this.emit('frame', frame);
  }

  private fail(err: TunnelError): void {
    if (this.closing) return;
    this.closing = true;
    this.emit('exit', err);
    this.channel.close();
  }

  private onClose(exit: { code: number | null; signal: string | null }, stderr: string, fatal: { word: string; message: string } | null): void {
    if (this.closing) return;
    this.closing = true;
    const why = fatal ? `: ${fatal.word} ${printable(fatal.message)}` : stderr.trim() ? `: ${printable(stderr.trim())}` : '';
    this.emit('exit', new TunnelError('UDP_RELAY_UNAVAILABLE', `the UDP relay on the server ended ${exitText(exit.code, exit.signal)}${why}`));
  }
}

function startFailure(
  args: RelayArgs,
  exit: { code: number | null; signal: string | null },
  stderr: string,
  fatal: { word: string; message: string } | null,
  stdout: Buffer,
): TunnelError {
  if (fatal?.word === 'BIND') {
    return new TunnelError('FORWARD_BIND_FAILED', `the server cannot listen for UDP on ${printable(fatal.message)}`);
  }
  if (fatal?.word === 'RESOLVE') {
    return new TunnelError('UDP_RELAY_UNAVAILABLE', `the server cannot resolve the UDP destination: ${printable(fatal.message)}`);
  }
  if (fatal) return new TunnelError('UDP_RELAY_UNAVAILABLE', `the UDP relay failed on the server: ${fatal.word} ${printable(fatal.message)}`);
  const said = printable(stdout.toString('utf8').trim());
  // sshd running with a debug LogLevel copies its debugN: lines to the session's stderr.
  const lines = stderr.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !/^debug\d: /.test(l));
  const ours = lines.find((l) => l.startsWith('tvudp: '));
  if (exit.code === NO_INTERPRETER_EXIT && ours) {
    return new TunnelError('UDP_RELAY_UNAVAILABLE', `the server has no interpreter for the UDP relay: ${printable(ours.slice('tvudp: '.length))}`);
  }
  const err = printable(lines.join('; '));
  if (said !== '') {
    return new TunnelError(
      'UDP_RELAY_UNAVAILABLE',
      `the server did not run the UDP relay: it printed "${said}" and ended ${exitText(exit.code, exit.signal)}; ${RESTRICTED}`,
    );
  }
  return new TunnelError(
    'UDP_RELAY_UNAVAILABLE',
    `the UDP relay ended ${exitText(exit.code, exit.signal)} before starting (${args.mode === 'R' ? 'remote' : 'local'} UDP forward)${err ? `: ${err}` : ` without a word; ${RESTRICTED}`}`,
  );
}

import type { Duplex, Writable } from 'node:stream';
import { grantWindow, takeOverWindow, receiveWindow, seamProblem, ssh2WindowConstants } from './ssh2-seam.js';
import { WindowBudget } from './window-budget.js';
import { PathMemory } from './path-memory.js';
import { WindowTuner, type ChannelView, type FlowPath } from './window-tuner.js';

const MiB = 1024 * 1024;

export interface FlowSettings {
  /** Largest receive window one channel may grow to, in bytes. */
  maxWindow: number;
  /** All channels' windows together, in bytes. */
  budget: number;
}

/**
 * Every byte of credit can end up waiting in sshd when the path stalls, and OpenSSH's sshd pays
 * for that backlog with CPU that grows with its square: 1.4–1.6 s at 8 MiB with the client
 * stalled, over 10 s at 15 MiB, against 0.05–0.09 s at 4 MiB (bench/sshd-credit.ts; see BDP_HEADROOM in
 * window-tuner.ts). 8 MiB still carries 80 MB/s at 100 ms; TUNNELVISION_MAX_WINDOW raises it, up
 * to 15 MiB (OpenSSH 8.9+ misbehaves from 16 MiB on: bench/RESULTS.md, "Window sizes against sshd").
 */
export const DEFAULT_MAX_WINDOW = 8 * MiB;
export const DEFAULT_BUDGET = 256 * MiB;
/** OpenSSH's client tops up after three packets' worth is consumed (channels.c channel_check_window). */
const TOP_UP_AFTER_PACKETS = 3;
/** Over budget, a window shrinks to no less than this many packets (256 KiB). */
const MIN_WINDOW_PACKETS = 8;
/** Decisions per window's worth consumed within one burst of reads (see attach). */
const MID_BURST_CHECKS = 8;

/** What the dashboard shows of one channel's flow control. */
export interface ChannelFlowStats {
  window: number;
  windowLimited: boolean;
}

/** One channel under flow control; detach() when done (closing the channel does it too). */
export interface ChannelFlow {
  stats(now?: number): ChannelFlowStats;
  detach(): void;
}

/**
 * Receive-side flow control for every channel whose data the engine reads (-L and -D
 * direct-tcpip, -R forwarded-tcpip): eager top-up, auto-tuned windows, one memory budget.
 * See WindowTuner for the rules and ssh2-seam for how it reaches into ssh2.
 */
export class FlowControl {
  readonly budget: WindowBudget;
  private maxWindow: number;
  private readonly initialWindow: number;
  private readonly packetSize: number;
  /** Why flow control is off (ssh2 changed under us), or null. */
  readonly disabledBecause: string | null;
  private warned = false;
  /** What each session's channels learned, for as long as the session lives. */
  private readonly memories = new WeakMap<FlowPath, PathMemory>();

  constructor(settings: Partial<FlowSettings> = {}, private readonly clock: () => number = () => performance.now()) {
    const constants = ssh2WindowConstants();
    this.disabledBecause = typeof constants === 'string' ? `ssh2 changed: ${constants} is missing` : null;
    this.initialWindow = typeof constants === 'string' ? 2 * MiB : constants.MAX_WINDOW;
    this.packetSize = typeof constants === 'string' ? 32 * 1024 : constants.PACKET_SIZE;
    this.maxWindow = Math.max(this.initialWindow, settings.maxWindow ?? DEFAULT_MAX_WINDOW);
    this.budget = new WindowBudget(settings.budget ?? DEFAULT_BUDGET);
  }

  get settings(): FlowSettings {
    return { maxWindow: this.maxWindow, budget: this.budget.limit };
  }

  configure(settings: Partial<FlowSettings>): void {
    if (settings.maxWindow !== undefined) this.maxWindow = Math.max(this.initialWindow, settings.maxWindow);
    if (settings.budget !== undefined) this.budget.limit = settings.budget;
  }

  /**
   * Takes over the receive window of `channel`, whose data is piped into `sink`. Call it after
   * the pipe is set up. `path` is the session the channel belongs to: its round trip, and the key
   * to what its channels learned (PathMemory), where this one starts. Returns null, leaving ssh2's
   * own flow control in charge, if ssh2's internals are not what the seam expects; `onProblem`
   * hears why, once.
   */
  attach(channel: Duplex, sink: Writable, path: FlowPath, onProblem?: (why: string) => void): ChannelFlow | null {
    const problem = this.disabledBecause ?? (seamProblem(channel) === null ? null : `ssh2 changed: ${seamProblem(channel)} is missing`);
    if (problem !== null) {
      if (!this.warned) onProblem?.(`receive windows are not tuned (${problem})`);
      this.warned = true;
      return null;
    }
    const settings = {
      initialWindow: this.initialWindow,
      maxWindow: this.maxWindow,
      minWindow: MIN_WINDOW_PACKETS * this.packetSize,
      topUpAfter: TOP_UP_AFTER_PACKETS * this.packetSize,
    };
    let memory = this.memories.get(path);
    if (memory === undefined) this.memories.set(path, (memory = new PathMemory()));
    memory.channels++;
    const tuner = new WindowTuner(settings, this.budget, this.clock(), memory, path.minRoundTripMs);
    let attached = true;
    /** Consumed since the last decision. */
    let sinceCheck = 0;
    const view = (): ChannelView => ({
      credit: receiveWindow(channel),
      buffered: channel.readableLength,
      sinkBacklog: sink.writableLength,
      sinkBackedUp: sink.writableNeedDrain,
    });
    const check = (): void => {
      if (!attached) return;
      sinceCheck = 0;
      const grant = tuner.decide(this.clock(), view(), path.minRoundTripMs);
      if (grant > 0) grantWindow(channel, grant);
    };
    // One decision per burst: a socket read yields several packets, each a 'data' event, and an
    // adjust per packet would cost a packet each way for nothing.
    let scheduled = false;
    const checkSoon = (): void => {
      if (scheduled) return;
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        check();
      });
    };
    // ...but not one per window. Node reads up to 32 socket buffers in one go before immediates
    // run, so a window that arrived at once was all consumed before any credit went back: the
    // sender then sent in window-sized bursts, one per round trip plus the time both ends take
    // to process a window (a trace at 10 ms showed 2 MiB bursts 25-30 ms apart). Deciding again
    // after each eighth of a window keeps credit flowing while a burst is read; only the
    // top-up: growth is judged once per burst, on settled arrival rates.
    const onData = (chunk: Buffer): void => {
      tuner.consume(chunk.length);
      sinceCheck += chunk.length;
      if (sinceCheck >= tuner.window / MID_BURST_CHECKS) {
        sinceCheck = 0;
        const grant = tuner.topUp(view());
        if (grant > 0) grantWindow(channel, grant);
      }
      checkSoon();
    };
    const unguard = takeOverWindow(channel);
    const detach = (): void => {
      if (!attached) return;
      attached = false;
      unguard();
      channel.off('data', onData);
      sink.off('drain', check);
      tuner.release();
      memory.channels--;
    };
    channel.on('data', onData);
    // A drained socket is the other moment credit can be due: nothing may be left to read.
    sink.on('drain', check);
    channel.once('close', detach);
    sink.once('close', detach);
    check();
    return {
      stats: (now = this.clock()) => ({ window: tuner.window, windowLimited: tuner.limitedAt(now) }),
      detach,
    };
  }
}

/** Parses a byte size: "16777216", "16M", "16MiB", "512k", "1G". Null if it is not one. */
export function parseByteSize(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg])?(?:i?b)?\s*$/i.exec(text);
  if (!m) return null;
  const unit = { k: 1024, m: MiB, g: 1024 * MiB }[(m[2] ?? '').toLowerCase() as 'k' | 'm' | 'g'] ?? 1;
  const n = Math.round(Number(m[1]) * unit);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

import type { PathMemory } from './path-memory.js';
import type { BudgetMember, WindowBudget } from './window-budget.js';

/** What the tuner sees of one channel at a decision point. */
export interface ChannelView {
  /** Credit the peer still holds (ssh2's `incoming.window`). */
  credit: number;
  /** Received, not yet handed to the local socket (the channel's readable buffer). */
  buffered: number;
  /** Handed to the local socket, not yet taken by the kernel. */
  sinkBacklog: number;
  /** The local socket asked us to wait for 'drain': its reader is not keeping up. */
  sinkBackedUp: boolean;
}

/** The SSH session a channel belongs to, as flow control sees it (SshSession is one). */
export interface FlowPath {
  /** The session's smallest timed round trip in ms; null while unknown (windows then stay at their opening size). */
  readonly minRoundTripMs: number | null;
}

export interface TunerSettings {
  /** The window a channel opens with: ssh2's, fixed when it opens the channel. The floor. */
  initialWindow: number;
  maxWindow: number;
  /**
   * The least a window shrinks to while the budget is spent (the opening window, granted by ssh2,
   * drains and is not renewed beyond this).
   */
  minWindow: number;
  /** Top up once this much credit is missing (OpenSSH: three packets, channels.c channel_check_window). */
  topUpAfter: number;
}

/**
 * A window counts as the limit when a window's worth arrives within this many round trips:
 * quic-go's receive-window auto-tuning (flowcontrol/base_flow_controller.go) uses the same test
 * and value. A window-limited sender delivers a window per round trip; the slack covers the round
 * trip right after a growth (the new credit is still on its way) and a round trip measured low.
 */
const LIMITED_WITHIN_RTTS = 4;
/** A window-limited judgement is reported only while it is this fresh: an idle channel is not limited. */
const LIMITED_FRESH_MS = 2000;
/**
 * ...and only once the local reader has kept up for this long. A slow reader's socket drains in
 * bursts (Linux reopens a full receive buffer only once half of it is free), and for the few
 * milliseconds until it is full again the window is the limit; the user's limit is still the reader.
 */
const READER_QUIET_MS = 2000;
/**
 * The reader counts as the limit when it held the channel up for a round trip or longer, and at
 * least this long: a fast reader's socket backs up for a moment now and then (a busy machine, a
 * GC pause), which costs the path little.
 */
const READER_STALL_MIN_MS = 20;
/**
 * What a buffered byte costs in memory: ssh2 hands out 32 KiB payloads that are often slices of a
 * 64 KiB read buffer, which stays alive with them. Counting buffered bytes twice keeps what a
 * stalled channel holds within its window (measured: test/integration/flow-control.test.ts);
 * copying them instead cost a third of -R loopback throughput. A reader that keeps up leaves
 * nothing buffered, so this costs a fast channel nothing.
 */
const BUFFERED_COST = 2;
/**
 * A growth must raise the arrival rate by this much. The round trip the growth test relies on can
 * read far too high (sshd without a pty leaves Nagle on: single pings read 42–51 ms on loopback), and
 * a window grown on such a path brings nothing and costs: -R downloads on loopback stalled with
 * 4 MiB windows and more (bench/RESULTS.md).
 */
const GROWTH_MUST_GAIN = 1.25;
/** Growths that must pay, one after another, before the path counts as window-limited. */
const TRIALS_TO_TRUST = 2;
/**
 * A trial is judged from this many round trips after its growth (see judgeTrial): the new
 * credit's first bytes arrive a round trip after it, and half a round trip of them shows a gain...
 */
const TRIAL_MIN_RTTS = 1.5;
/** ...and fails only after this many. */
const TRIAL_MAX_RTTS = 4;
/** Back-ups of the local socket, with the window never the limit in between, before it halves. */
const STALLS_BEFORE_SHRINKING = 3;
/**
 * Credit beyond what the path carries in a round trip does not arrive sooner: it waits at the
 * sender, and there it costs. OpenSSH's sshd (9.2 measured; HPN-SSH's sshbuf.c dates it to 8.9)
 * reads a channel's source as far as the credit reaches, into a buffer that grows by one read at a
 * time and is copied whole at each step, so its CPU rises with the square of that backlog: with
 * the client not reading, 0.05–0.09 s at 4 MiB of credit, 1.4–1.6 s at 8 MiB, over 10 s at
 * 15 MiB, seconds in which it sends nothing (bench/RESULTS.md, "What large windows cost sshd").
 * So, as BBR bounds what it keeps in flight, a window grows to at most this many bandwidth-delay
 * products: the highest arrival rate of the last RATE_MEMORY_RTTS round trips, times the least
 * round trip seen.
 */
const BDP_HEADROOM = 2;
const RATE_MEMORY_RTTS = 10;
/** The smallest growth worth a trial, as a factor of the window. */
const MIN_GROWTH_STEP = 1.25;
/** Arrival samples: at most one per this many ms (a later one updates it), this many kept (≥ 2 s). */
const SAMPLE_SPACING_MS = 1;
const MAX_SAMPLES = 4096;

/**
 * Receive-side flow control of one channel, as pure arithmetic (the caller moves the bytes):
 * - it starts at ssh2's opening window, or where the session's earlier channels got (PathMemory);
 * - eager top-up: credit + buffered + backlog is kept at the window, topped up once a few
 *   packets' worth is missing, as OpenSSH does (ssh2 waits for half the window);
 * - nothing is granted while the local socket is backed up, so the bytes this channel can make
 *   us hold are bounded by its window; a reader that keeps backing up halves it;
 * - the window doubles, up to maxWindow, twice the path's bandwidth-delay product (BDP_HEADROOM)
 *   and as the budget allows, while the sender is window-limited and the local reader keeps up;
 * - when the budget is tight, it shrinks back towards an even share (not below minWindow).
 */
export class WindowTuner implements BudgetMember {
  /** The window this channel aims to keep open. */
  window: number;
  /** Whether the last window's worth arrived as fast as the window allows (see LIMITED_WITHIN_RTTS). */
  private windowLimited = false;
  /** When windowLimited was last judged. */
  private judgedAt: number;
  /** Since when the local reader has been behind (its socket backed up, or bytes waiting for it), or null. */
  private readerBehindSince: number | null = null;
  /** When the reader last stopped being behind after holding the channel up long enough to count. */
  private readerLimitedAt = -Infinity;
  private consumed = 0;
  private epoch: { at: number; arrived: number };
  private held: number;
  private backedUp = false;
  /** The local socket was backed up: the next epoch refills what was withheld (see judgeEpoch). */
  private refilling = false;
  /** A growth on trial (see judgeTrial). */
  private trial: { from: number; to: number; rateBefore: number; at: number; rtt: number } | null = null;
  private growthsInVain = 0;
  private growthPinned = false;
  private growthPaid = false;
  private growthsPaid = 0;
  /** (time, bytes arrived) at recent decisions. */
  private readonly samples: { at: number; arrived: number }[] = [];
  /** Times the local socket backed up since the window was last the limit. */
  private stalls = 0;
  /** Arrival rates (bytes per ms, each over two round trips) at recent epochs, for the BDP bound. */
  private readonly rates: { at: number; rate: number }[] = [];
  /** The highest of those rates so far: what this channel tells the session's later ones (PathMemory). */
  private peakRate = 0;
  /** The bound on growth that BDP_HEADROOM sets. Until a rate is known: one doubling, no more. */
  private bdpCap: number;

  /** `memory`: what the session's channels learned, this one counted among its open channels. */
  constructor(private readonly settings: TunerSettings, private readonly budget: WindowBudget, now: number, private readonly memory: PathMemory, rttMs: number | null) {
    // Where earlier channels got, within twice the bandwidth-delay product under the round trip
    // known now: a window learned while only the session's first ping was known (on loopback it
    // reads 42 ms for 0.6) is not carried into channels that know better. Open channels share the
    // path, so they share the window; and it must fit the budget as it stands, squeezing no one.
    // The credit beyond ssh2's opening window goes out with the first decision.
    const known = memory.recall(now);
    const bound = known !== null && rttMs !== null ? BDP_HEADROOM * known.rate * rttMs : 0;
    const learned = known === null ? 0 : Math.floor(Math.min(known.window, settings.maxWindow, bound) / Math.max(1, memory.channels));
    this.window = learned > settings.initialWindow && learned <= budget.room ? learned : settings.initialWindow;
    this.bdpCap = Math.max(2 * settings.initialWindow, bound);
    this.held = this.window;
    this.epoch = { at: now, arrived: 0 };
    this.judgedAt = now;
    budget.join(this);
  }

  get reserved(): number {
    return this.held;
  }

  /** Whether the window limits this channel now, as the dashboard reports it (see READER_QUIET_MS). */
  limitedAt(now: number): boolean {
    return this.windowLimited && now - this.judgedAt < LIMITED_FRESH_MS && now - this.readerLimitedAt >= READER_QUIET_MS;
  }

  /** `n` bytes went from the channel to the local socket. */
  consume(n: number): void {
    this.consumed += n;
  }

  /** How much credit to grant now (0 for none). */
  decide(now: number, view: ChannelView, rttMs: number | null): number {
    // Thinned by time, so the history covers the two round trips the rates are taken over even
    // at thousands of decisions a second (by count alone it covered ~0.3 s at 100 MB/s).
    const arrived = this.consumed + view.buffered;
    const last = this.samples.at(-1);
    if (last !== undefined && now - last.at < SAMPLE_SPACING_MS) last.arrived = arrived;
    else this.samples.push({ at: now, arrived });
    if (this.samples.length > MAX_SAMPLES) this.samples.splice(0, MAX_SAMPLES / 2);
    this.judgeTrial(now, view.sinkBackedUp);
    this.noteReader(now, view, rttMs);
    if (view.sinkBackedUp) {
      // The local reader is the limit: time spent waiting for it says nothing about the path, and
      // a window larger than the reader needs only piles bytes up here. (Growth can be fooled at
      // the start, when the local socket's kernel buffers take megabytes at once.) A reader that
      // keeps backing up without the window ever being the limit in between gets it halved; one
      // hiccup (a GC pause, a busy machine) does not.
      if (!this.backedUp && ++this.stalls >= STALLS_BEFORE_SHRINKING) this.window = Math.max(this.settings.initialWindow, Math.floor(this.window / 2));
      this.backedUp = true;
      this.refilling = true;
      this.windowLimited = false;
      this.judgedAt = now;
      this.epoch = { at: now, arrived: this.consumed + view.buffered };
    } else if (view.buffered + view.sinkBacklog > this.window / 4) {
      // Not backed up, but behind: bytes wait here for the reader, so the window is not what
      // limits this channel now.
      this.backedUp = false;
      this.windowLimited = false;
      this.epoch = { at: now, arrived: this.consumed + view.buffered };
    } else {
      this.backedUp = false;
      this.judgeEpoch(now, this.consumed + view.buffered, rttMs);
    }
    // Over budget (more channels arrived than it has room for): back to an even share, even
    // below ssh2's opening window, so a hundred stalled readers cannot take the machine's memory.
    if (this.budget.over) this.shrinkTo(this.budget.share);
    return this.topUp(view);
  }

  /** How long the local reader holds the channel up, for limitedAt: the moment it lets go is when it counts. */
  private noteReader(now: number, view: ChannelView, rttMs: number | null): void {
    if (view.sinkBackedUp || view.buffered + view.sinkBacklog > this.window / 4) {
      this.readerBehindSince ??= now;
    } else if (this.readerBehindSince !== null) {
      if (now - this.readerBehindSince >= Math.max(READER_STALL_MIN_MS, rttMs ?? 0)) this.readerLimitedAt = now;
      this.readerBehindSince = null;
    }
  }

  /**
   * How much credit to grant now, at the current window, judging nothing: for decisions in the
   * middle of a burst of reads, where the rates that growth is judged by are not yet settled.
   */
  topUp(view: ChannelView): number {
    const outstanding = view.credit + BUFFERED_COST * view.buffered + view.sinkBacklog;
    const missing = this.window - outstanding;
    let grant = 0;
    // A few packets' worth, or 1/32 of a grown window: a 15 MiB window needs no adjust per 96 KiB.
    // Less when the peer has no credit left at all: nothing else would wake us.
    const due = Math.max(this.settings.topUpAfter, this.window / 32);
    if (!view.sinkBackedUp && (missing >= due || (missing > 0 && view.credit === 0))) grant = missing;
    this.reserve(Math.max(this.window, outstanding + grant));
    return grant;
  }

  /**
   * Judged on arrivals (passed on, or still in the channel's buffer), not on what was passed on:
   * a buffer flushed at once after a stall would otherwise look like a fast path.
   */
  private judgeEpoch(now: number, arrived: number, rttMs: number | null): void {
    const inEpoch = arrived - this.epoch.arrived;
    if (inEpoch <= this.window / 2) return;
    if (this.refilling) {
      // Credit withheld while the reader was away goes out at once when it drains, and a
      // window's worth comes back a round trip later whatever limits the path: that epoch says
      // nothing (a 1 MB/s reader read as window-limited, and its window grew).
      this.refilling = false;
      this.epoch = { at: now, arrived };
      return;
    }
    const elapsed = now - this.epoch.at;
    if (rttMs !== null && rttMs > 0) this.noteRate(now, rttMs);
    this.windowLimited = rttMs !== null && rttMs > 0 && elapsed < LIMITED_WITHIN_RTTS * (inEpoch / this.window) * rttMs;
    this.judgedAt = now;
    this.epoch = { at: now, arrived };
    if (!this.windowLimited) return;
    this.stalls = 0;
    if (this.trial !== null || this.growthPinned) return;
    this.memory.confirm(now, this.window, this.peakRate);
    if (this.growthPaid) {
      this.grow();
      return;
    }
    const from = this.window;
    // Over two round trips, or what history there is if it covers one (a young channel's first
    // growth need not wait a second round trip for it).
    const since = Math.max(now - 2 * rttMs!, this.samples[0]!.at);
    const rateBefore = now - since >= rttMs! ? this.rateOver(since, now) : null;
    if (rateBefore !== null && this.grow()) this.trial = { from, to: this.window, rateBefore, at: now, rtt: rttMs! };
  }

  /**
   * Two round trips, not one: a window-limited sender's window arrives as a burst, and one round
   * trip's span can hold parts of two of them.
   */
  private noteRate(now: number, rttMs: number): void {
    const rate = this.rateOver(now - 2 * rttMs, now);
    if (rate !== null) this.rates.push({ at: now, rate });
    while (this.rates.length > 0 && this.rates[0]!.at < now - RATE_MEMORY_RTTS * rttMs) this.rates.shift();
    if (this.rates.length === 0) return;
    const peak = Math.max(...this.rates.map((r) => r.rate));
    this.peakRate = Math.max(this.peakRate, peak);
    this.bdpCap = Math.max(this.settings.initialWindow, BDP_HEADROOM * peak * rttMs);
  }

  /** Bytes per ms that arrived between `from` and `to`, from the samples kept; null without enough history. */
  private rateOver(from: number, to: number): number | null {
    // From the newest back, as far as `from` only: a trial asks at every decision while it runs,
    // and a scan of all 4,096 samples each time would put that on the hot path.
    let first: { at: number; arrived: number } | null = null;
    let last: { at: number; arrived: number } | null = null;
    for (let i = this.samples.length - 1; i >= 0; i--) {
      const sample = this.samples[i]!;
      if (last === null && sample.at <= to) last = sample;
      if (sample.at <= from) {
        first = sample;
        break;
      }
    }
    if (first === null || last === null || last.at - first.at <= 0) return null;
    return (last.arrived - first.arrived) / (last.at - first.at);
  }

  /**
   * The first growths of a channel are on trial: the arrival rate since the first round trip after
   * the growth (which still runs on the old credit) must rise by a quarter over the rate of the two
   * round trips before it (or the one a young channel has), or the growth is undone; twice in vain
   * and this channel stops growing.
   * A trial passes as soon as the gain shows (from TRIAL_MIN_RTTS on) and fails only after
   * TRIAL_MAX_RTTS: at 10 ms the rate of a single round trip is mostly noise (reads come in bursts,
   * a busy machine skips a beat), and trials judged on one pinned most channels at 2 MiB where
   * 8 MiB windows were faster (bench/RESULTS.md, "Fifth pass"). The price: a growth that brings
   * nothing can pass on one catch-up burst; the BDP bound still holds it. Once TRIALS_TO_TRUST
   * growths paid, the path is taken to be window-limited and later ones need no trial. A
   * backed-up reader ends a trial in vain.
   */
  private judgeTrial(now: number, backedUp: boolean): void {
    const trial = this.trial;
    if (trial === null) return;
    const elapsed = now - trial.at;
    let paid = false;
    if (!backedUp) {
      if (elapsed < TRIAL_MIN_RTTS * trial.rtt) return;
      const after = this.rateOver(trial.at + trial.rtt, now);
      // A doubling must gain a quarter; a smaller step (held down by the BDP bound) in proportion.
      const mustGain = 1 + (GROWTH_MUST_GAIN - 1) * (trial.to / trial.from - 1);
      paid = after !== null && after >= mustGain * trial.rateBefore;
      if (!paid && elapsed < TRIAL_MAX_RTTS * trial.rtt) return;
    }
    this.trial = null;
    if (paid) {
      if (++this.growthsPaid >= TRIALS_TO_TRUST) this.growthPaid = true;
      this.memory.confirm(now, trial.to, this.peakRate);
      return;
    }
    // The path did not carry more, so the session's next channels need not start above where
    // this one goes back to; unless the reader held it up meanwhile, which says nothing of the path.
    if (!backedUp && this.readerBehindSince === null && this.readerLimitedAt < trial.at) this.memory.lower(trial.from);
    this.window = Math.min(this.window, trial.from);
    if (++this.growthsInVain >= 2) this.growthPinned = true;
  }

  private grow(): boolean {
    const next = Math.floor(Math.min(this.window * 2, this.settings.maxWindow, this.bdpCap));
    // Steps too small to tell from noise wait for the rate, and with it the bound, to rise.
    if (next < this.window * MIN_GROWTH_STEP && next < this.settings.maxWindow) return false;
    if (next <= this.window) return false;
    const extra = next - Math.max(this.window, this.held);
    if (extra > 0 && !this.budget.fits(extra)) return false;
    this.window = next;
    this.reserve(Math.max(this.held, next));
    return true;
  }

  shrinkTo(share: number): void {
    const target = Math.max(this.settings.minWindow, share);
    if (this.window <= target) return;
    this.window = Math.max(target, Math.floor(this.window / 2));
    // What was already granted stays reserved until it drains: the next decide() lowers it.
  }

  private reserve(bytes: number): void {
    const before = this.held;
    this.held = bytes;
    this.budget.changed(this, before);
  }

  /** The channel is gone: return its reservation. */
  release(): void {
    this.budget.leave(this);
  }
}

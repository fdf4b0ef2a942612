import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';

/**
 * The one place that reaches into ssh2's channel internals (ssh2 1.17.0, pinned in package.json).
 * ssh2 offers no way to size a receive window (the maintainer declined knobs, PR #1320), so we
 * raise `incoming.window` ourselves and send the same amount as CHANNEL_WINDOW_ADJUST. ssh2's own
 * top-up (lib/client.js on CHANNEL_DATA, lib/Channel.js `_read`) only fires once the window has
 * fallen to WINDOW_THRESHOLD and then raises it to MAX_WINDOW; it keeps the same books (it adds to
 * `incoming.window` exactly what it sends), so both can run side by side and `incoming.window` is
 * always the credit the peer holds (plus what is in flight towards us).
 *
 * If an ssh2 upgrade moves any of this, `seamProblem` names the field and flow control turns
 * itself off for that channel (stock ssh2 behaviour), and test/unit/flow-seam.test.ts fails.
 */

/** The fields of an ssh2 Channel this file relies on. */
interface Ssh2ChannelInternals {
  incoming: { window: number };
  outgoing: { id: number; state: string };
  _client: { _protocol: { channelWindowAdjust(recipient: number, amount: number): void } };
}

/** The ssh2 constants whose values the tuning assumes (lib/Channel.js). */
export interface Ssh2WindowConstants {
  /** The window every channel opens with, and what ssh2's own top-up restores. */
  MAX_WINDOW: number;
  /** ssh2 tops up only when the window has fallen to this. */
  WINDOW_THRESHOLD: number;
  PACKET_SIZE: number;
}

/** RFC 4254 §5.2: the window is a uint32. */
export const MAX_WINDOW_FIELD = 0xffff_ffff;

const require = createRequire(import.meta.url);

/** ssh2's window constants, or the name of the one that is missing. */
export function ssh2WindowConstants(): Ssh2WindowConstants | string {
  let mod: Record<string, unknown>;
  try {
    mod = require('ssh2/lib/Channel.js') as Record<string, unknown>;
  } catch {
    return 'ssh2/lib/Channel.js (module not found)';
  }
  for (const name of ['MAX_WINDOW', 'WINDOW_THRESHOLD', 'PACKET_SIZE'] as const) {
    if (typeof mod[name] !== 'number') return `ssh2/lib/Channel.js export ${name}`;
  }
  return { MAX_WINDOW: mod.MAX_WINDOW as number, WINDOW_THRESHOLD: mod.WINDOW_THRESHOLD as number, PACKET_SIZE: mod.PACKET_SIZE as number };
}

/** Null when `channel` has every field this file uses; otherwise the first missing one, by name. */
export function seamProblem(channel: Duplex): string | null {
  const c = channel as unknown as Partial<Ssh2ChannelInternals>;
  if (typeof c.incoming?.window !== 'number') return 'channel.incoming.window';
  if (typeof c.outgoing?.id !== 'number') return 'channel.outgoing.id';
  if (typeof c.outgoing?.state !== 'string') return 'channel.outgoing.state';
  if (typeof c._client?._protocol?.channelWindowAdjust !== 'function') return 'channel._client._protocol.channelWindowAdjust';
  const methods = channel as unknown as { push?: unknown; _read?: unknown };
  if (typeof methods.push !== 'function') return 'channel.push';
  if (typeof methods._read !== 'function') return 'channel._read';
  return null;
}

/** Bytes the peer may still send us on this channel (credit granted, not yet used). */
export function receiveWindow(channel: Duplex): number {
  return (channel as unknown as Ssh2ChannelInternals).incoming.window;
}

/**
 * Gives the peer `amount` more bytes of credit. Returns false (and sends nothing) once we have
 * sent CHANNEL_CLOSE or the channel is gone, as ssh2's own windowAdjust does.
 */
export function grantWindow(channel: Duplex, amount: number): boolean {
  const c = channel as unknown as Ssh2ChannelInternals;
  const state = c.outgoing.state;
  if (state !== 'open' && state !== 'eof') return false;
  const room = MAX_WINDOW_FIELD - c.incoming.window;
  const n = Math.min(Math.floor(amount), room);
  if (n <= 0) return false;
  c.incoming.window += n;
  c._client._protocol.channelWindowAdjust(c.outgoing.id, n);
  return true;
}

type Push = (chunk: unknown, encoding?: BufferEncoding) => boolean;

/**
 * Takes a channel's receive window over from ssh2 entirely, until the returned undo runs.
 * ssh2 tops a window up to MAX_WINDOW in two places, both blind to what sits unread in the
 * channel's buffer (so a stalled channel holds its buffer plus 2 MiB more): in its CHANNEL_DATA
 * handler when push() answers true, and in `_read()` after a push() answered false. So push()
 * always answers false (ssh2 only notes `_waitChanDrain`; the stream ignores the answer) and
 * `_read()` does nothing: all credit is then granted by grantWindow.
 */
export function takeOverWindow(channel: Duplex): () => void {
  const target = channel as unknown as { push: Push; _read: (n: number) => void };
  const ownPush = Object.prototype.hasOwnProperty.call(target, 'push') ? target.push : null;
  const ownRead = Object.prototype.hasOwnProperty.call(target, '_read') ? target._read : null;
  const push = target.push;
  target.push = function (this: unknown, chunk, encoding) {
    push.call(this, chunk, encoding);
    return false;
  };
  target._read = () => undefined;
  return () => {
    if (ownPush) target.push = ownPush;
    else delete (target as Partial<typeof target>).push;
    if (ownRead) target._read = ownRead;
    else delete (target as Partial<typeof target>)._read;
  };
}

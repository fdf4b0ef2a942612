import { ChannelOpenError, OPEN_FAILURE } from '../channels.js';
import { SOCKS5_REPLY, type Socks5Reply } from '../socks/handshake.js';

/**
 * RFC 1928 reply for a failed open. The server only says "connect failed" with a text, so the
 * text (OpenSSH passes strerror() through) tells refused from unreachable.
 */
export function socksReplyFor(err: unknown): Socks5Reply {
  if (!(err instanceof ChannelOpenError)) {
    // A local dial failure: the errno, kept on our TunnelError as `errno` or on a Node error as `code`.
    const e = err as { errno?: unknown; code?: unknown } | undefined;
    const code = typeof e?.errno === 'string' ? e.errno : e?.code;
    if (code === 'ECONNREFUSED') return SOCKS5_REPLY.connectionRefused;
    if (code === 'ENETUNREACH') return SOCKS5_REPLY.networkUnreachable;
    if (code === 'EHOSTUNREACH' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') return SOCKS5_REPLY.hostUnreachable;
    if (code === 'ETIMEDOUT') return SOCKS5_REPLY.ttlExpired;
    return SOCKS5_REPLY.generalFailure;
  }
  if (err.reason === OPEN_FAILURE.administrativelyProhibited) return SOCKS5_REPLY.notAllowed;
  const text = err.description.toLowerCase();
  if (text.includes('refused')) return SOCKS5_REPLY.connectionRefused;
  if (text.includes('network is unreachable')) return SOCKS5_REPLY.networkUnreachable;
  if (err.description === 'timeout') return SOCKS5_REPLY.ttlExpired;
  if (err.reason === OPEN_FAILURE.connectFailed) return SOCKS5_REPLY.hostUnreachable;
  return SOCKS5_REPLY.generalFailure;
}

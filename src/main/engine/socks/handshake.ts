import type { Duplex } from 'node:stream';
import { ByteReader, SocksProtocolError } from './byte-reader.js';

/** RFC 1928 §6 reply codes. */
export const SOCKS5_REPLY = {
  succeeded: 0x00,
  generalFailure: 0x01,
  notAllowed: 0x02,
  networkUnreachable: 0x03,
  hostUnreachable: 0x04,
  connectionRefused: 0x05,
  ttlExpired: 0x06,
  commandNotSupported: 0x07,
  addressTypeNotSupported: 0x08,
} as const;
export type Socks5Reply = (typeof SOCKS5_REPLY)[keyof typeof SOCKS5_REPLY];

export interface SocksRequest {
  version: 4 | 5;
  /** An IP address, or a domain name passed on unresolved so the SSH server resolves it. */
  host: string;
  port: number;
  /** Sends the reply for this request; SOCKS4 knows only granted (0x5A) and rejected (0x5B). */
  reply(code: Socks5Reply): void;
}

/** Largest legal handshake: SOCKS4a with a 255-byte user id and a 255-byte name, plus slack. */
const MAX_HANDSHAKE_BYTES = 1024;
const MAX_SOCKS4_FIELD = 255;

function socks5Reply(stream: Duplex, code: Socks5Reply): void {
  if (stream.writable) stream.write(Buffer.from([0x05, code, 0x00, 0x01, 0, 0, 0, 0, 0, 0]));
}

function socks4Reply(stream: Duplex, code: Socks5Reply): void {
  if (stream.writable) stream.write(Buffer.from([0x00, code === 0 ? 0x5a : 0x5b, 0, 0, 0, 0, 0, 0]));
}

function ipv6(bytes: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return groups.join(':');
}

function domain(bytes: Buffer): string {
  const name = bytes.toString('latin1');
  if (name.length === 0 || /[\x00-\x20\x7f-\xff]/.test(name)) {
    throw new SocksProtocolError('the requested host name is not valid');
  }
  return name;
}

async function socks5(reader: ByteReader, stream: Duplex): Promise<SocksRequest> {
  const nMethods = await reader.byte();
  const methods = await reader.read(nMethods);
  if (nMethods === 0 || !methods.includes(0x00)) {
    // Only "no authentication" is offered: the listener is on loopback unless the user opened it.
    stream.end(Buffer.from([0x05, 0xff]));
    throw new SocksProtocolError('the client offered no acceptable authentication method');
  }
  stream.write(Buffer.from([0x05, 0x00]));
  const [version, command, , addressType] = await reader.read(4);
  if (version !== 0x05) throw new SocksProtocolError(`bad SOCKS5 request version ${version}`);
  if (command !== 0x01) {
    socks5Reply(stream, SOCKS5_REPLY.commandNotSupported);
    stream.end();
    throw new SocksProtocolError(`SOCKS5 command ${command} is not supported (only CONNECT)`);
  }
  let host: string;
  switch (addressType) {
    case 0x01:
      host = [...(await reader.read(4))].join('.');
      break;
    case 0x03:
      try {
        host = domain(await reader.read(await reader.byte()));
      } catch (err) {
        socks5Reply(stream, SOCKS5_REPLY.generalFailure);
        stream.end();
        throw err;
      }
      break;
    case 0x04:
      host = ipv6(await reader.read(16));
      break;
    default:
      socks5Reply(stream, SOCKS5_REPLY.addressTypeNotSupported);
      stream.end();
      throw new SocksProtocolError(`SOCKS5 address type ${addressType} is not supported`);
  }
  const port = (await reader.read(2)).readUInt16BE(0);
  return { version: 5, host, port, reply: (code) => socks5Reply(stream, code) };
}

async function socks4(reader: ByteReader, stream: Duplex): Promise<SocksRequest> {
  const command = await reader.byte();
  const port = (await reader.read(2)).readUInt16BE(0);
  const ip = await reader.read(4);
  await reader.cString(MAX_SOCKS4_FIELD); // user id: ignored, we offer no identd check
  if (command !== 0x01) {
    socks4Reply(stream, SOCKS5_REPLY.commandNotSupported);
    stream.end();
    throw new SocksProtocolError(`SOCKS4 command ${command} is not supported (only CONNECT)`);
  }
  let host: string;
  // SOCKS4a: 0.0.0.x with x ≠ 0 means a host name follows the user id.
  if (ip[0] === 0 && ip[1] === 0 && ip[2] === 0 && ip[3] !== 0) {
    try {
      host = domain(await reader.cString(MAX_SOCKS4_FIELD));
    } catch (err) {
      socks4Reply(stream, SOCKS5_REPLY.generalFailure);
      stream.end();
      throw err;
    }
  } else host = [...ip].join('.');
  return { version: 4, host, port, reply: (code) => socks4Reply(stream, code) };
}

/**
 * Reads one SOCKS4, 4a or 5 CONNECT request. Anything else is answered per RFC 1928 where a
 * reply exists, otherwise the connection is closed; only this one connection is affected.
 * On success the stream is paused with any early payload unshifted.
 */
export async function readSocksRequest(stream: Duplex, timeoutMs: number): Promise<SocksRequest> {
  const reader = new ByteReader(stream, MAX_HANDSHAKE_BYTES);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SocksProtocolError('the SOCKS handshake timed out')), timeoutMs);
  });
  try {
    const handshake = (async () => {
      const version = await reader.byte();
      if (version === 0x05) return socks5(reader, stream);
      if (version === 0x04) return socks4(reader, stream);
      throw new SocksProtocolError(`not a SOCKS4 or SOCKS5 client (first byte 0x${version.toString(16)})`);
    })();
    handshake.catch(() => undefined);
    const request = await Promise.race([handshake, timeout]);
    reader.release();
    return request;
  } catch (err) {
    reader.release();
    // Let a reply already queued with end() reach the client before the socket goes.
    if (stream.writableEnded) setTimeout(() => stream.destroy(), 1000).unref();
    else stream.destroy();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

export { SocksProtocolError } from './byte-reader.js';

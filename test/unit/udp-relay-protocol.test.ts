import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder, FrameError, FrameType, MAX_DATAGRAM_BYTES, parseHello, parseRelayError, parseRelayStats } from '../../src/main/engine/udp/relay-protocol.js';
import { relayCommand } from '../../src/main/engine/udp/relay-command.js';
import { parseUdpForwardSpec, formatForwardSpec } from '../../src/main/openssh/forward-spec.js';
import { profileToArgv, profileToCommand } from '../../src/main/openssh/export.js';
import { defaultProfile, describeForward, ForwardSchema, isUdpForward, type Forward } from '../../src/shared/profile.js';
import { TunnelStatsSchema } from '../../src/shared/contract.js';

describe('UDP relay frames', () => {
  it('keep datagram boundaries exactly, from 0 bytes to 65,507, however the stream is cut', () => {
    const sizes = [0, 1, 2, 1200, 32_768, MAX_DATAGRAM_BYTES];
    const payloads = sizes.map((n, i) => Buffer.alloc(n, i + 1));
    const stream = Buffer.concat(payloads.map((p, i) => encodeFrame(FrameType.data, i + 1, p)));
    for (const cut of [1, 3, 9, 1000, stream.length]) {
      const decoder = new FrameDecoder();
      const frames = [];
      for (let o = 0; o < stream.length; o += cut) frames.push(...decoder.push(stream.subarray(o, o + cut)));
      expect(frames.map((f) => [f.type, f.flow, f.payload.length])).toEqual(sizes.map((n, i) => [FrameType.data, i + 1, n]));
      frames.forEach((f, i) => expect(f.payload.equals(payloads[i]!)).toBe(true));
      expect(decoder.pending().length).toBe(0);
    }
  });

  it('carry 32-bit flow ids', () => {
    const [frame] = new FrameDecoder().push(encodeFrame(FrameType.close, 0xffffffff, Buffer.from([1])));
    expect(frame).toMatchObject({ type: FrameType.close, flow: 0xffffffff });
  });

  it('a stream that is not frames (a forced command printing text) is refused, not guessed at', () => {
    const decoder = new FrameDecoder();
    expect(() => decoder.push(Buffer.from('This account is currently not available.\n'))).toThrow(FrameError);
    expect(() => new FrameDecoder().push(Buffer.from([0, 0, 0, 1, 2]))).toThrow(FrameError);
  });

  it('hello, error and stats payloads', () => {
    expect(parseHello(Buffer.from('tvudp/1 interp=perl bound=127.0.0.1:5353 bound=[::1]:5353'))).toEqual({ interpreter: 'perl', bound: ['127.0.0.1:5353', '[::1]:5353'], port: 5353 });
    expect(parseHello(Buffer.from('tvudp/1 interp=python3 target=10.0.0.2:53'))).toEqual({ interpreter: 'python3', bound: [], port: null });
    expect(parseHello(Buffer.from('tvudp/2 interp=perl'))).toBeNull();
    expect(parseRelayError(Buffer.from('BIND 127.0.0.1:53: Permission denied'))).toEqual({ word: 'BIND', message: '127.0.0.1:53: Permission denied' });
    expect(parseRelayStats(Buffer.from('drops=42'))).toEqual({ drops: 42 });
  });
});

describe('the relay command line', () => {
  const args = { mode: 'L' as const, host: 'dns.internal', port: 53, idleSeconds: 60, maxFlows: 4096, outQueueBytes: 1 << 21 };

  it('is one line any login shell passes to /bin/sh untouched: no newline, no quote or $ outside the single-quoted script', () => {
    const command = relayCommand(args);
    expect(command).not.toMatch(/\n/);
    expect(command.startsWith("exec /bin/sh -c '")).toBe(true);
    expect(command.endsWith("'")).toBe(true);
  });

  it('tries perl, then python3, and names both when neither is usable; a forced list names only its own', () => {
    const both = relayCommand(args);
    expect(both.indexOf('exec perl')).toBeGreaterThan(0);
    expect(both.indexOf('exec python3')).toBeGreaterThan(both.indexOf('exec perl'));
    expect(both).toContain('no usable perl or python3 on the server');
    const python = relayCommand(args, ['python3']);
    expect(python).not.toContain('exec perl');
    expect(python).toContain('no usable python3 on the server');
  });
});

describe('UDP forwards in profiles', () => {
  const udp: Forward = { kind: 'local', protocol: 'udp', bind: { host: null, port: 5353 }, target: { host: '10.0.0.2', port: 53 } };

  it('parse like -L/-R with the same bind defaults, and format back', () => {
    expect(parseUdpForwardSpec('local', '5353:10.0.0.2:53')).toEqual(udp);
    expect(parseUdpForwardSpec('remote', '[::1]:514:127.0.0.1:1514')).toEqual({ kind: 'remote', protocol: 'udp', bind: { host: '::1', port: 514 }, target: { host: '127.0.0.1', port: 1514 } });
    expect(parseUdpForwardSpec('local', '*:5353:h:53').bind).toEqual({ host: '*', port: 5353 });
    expect(formatForwardSpec(udp)).toBe('5353:10.0.0.2:53');
    expect(() => parseUdpForwardSpec('local', '5353:/run/x.sock')).toThrow(/UDP forwards take host:port/);
    expect(() => parseUdpForwardSpec('remote', '5353')).toThrow(/needs a destination/);
  });

  it('the schema: protocol absent means TCP; UDP takes host:port only and bounded settings', () => {
    const tcp = ForwardSchema.parse({ kind: 'local', bind: { host: null, port: 1 }, target: { host: 'h', port: 2 } });
    expect(isUdpForward(tcp)).toBe(false);
    expect(isUdpForward(ForwardSchema.parse(udp))).toBe(true);
    expect(ForwardSchema.safeParse({ ...udp, target: { socket: '/x' } }).success).toBe(false);
    expect(ForwardSchema.safeParse({ ...udp, flowIdleTimeout: 0, maxFlows: 10_000 }).success).toBe(true);
    expect(ForwardSchema.safeParse({ ...udp, maxFlows: 0 }).success).toBe(false);
    expect(ForwardSchema.safeParse({ ...udp, protocol: 'sctp' }).success).toBe(false);
    expect(ForwardSchema.safeParse({ kind: 'dynamic', protocol: 'udp', bind: { host: null, port: 1 } }).success).toBe(false);
  });

  it('describe themselves as UDP, and stay out of the ssh export with a comment naming them', () => {
    expect(describeForward(udp)).toBe('(local udp) localhost:5353 → 10.0.0.2:53');
    const profile = { ...defaultProfile('example.org'), forwards: [udp, { kind: 'local', bind: { host: null, port: 8080 }, target: { host: 'web', port: 80 } } as Forward] };
    expect(profileToArgv(profile)).not.toContain('5353:10.0.0.2:53');
    expect(profileToCommand(profile).split('\n')[0]).toBe('# UDP forwards left out (ssh forwards only TCP; tunnelvision runs them): --udp-local 5353:10.0.0.2:53');
  });
});

describe('UDP in the contract', () => {
  it('traffic batches keep a forward\'s UDP counters (the dashboard reads them there)', () => {
    const figures = { bytesSent: 1, bytesReceived: 2, connections: 1, totalConnections: 1, failedConnections: 0, sendRate: 0, receiveRate: 0 };
    const udp = { datagramsSent: 3, datagramsReceived: 2, flows: 1, totalFlows: 4, drops: 1, evictions: 2, expiredFlows: 1, relayStarts: 2 };
    const stats = { tunnel: 't', state: 'up', sessionOpen: true, latencyMs: null, uptimeMs: 5, ...figures, forwards: [{ index: 0, ...figures, window: 0, windowLimited: false, udp }, { index: 1, ...figures, window: 2097152, windowLimited: true }] };
    const parsed = TunnelStatsSchema.parse(stats);
    expect(parsed.forwards[0]!.udp).toEqual(udp);
    expect(parsed.forwards[1]!.udp).toBeUndefined();
  });
});

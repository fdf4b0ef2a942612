import { describe, expect, it } from 'vitest';
import { Tunnel } from '../../src/main/engine/tunnel.js';
import { parseSshCommand } from '../../src/main/openssh/argv.js';
import { sshArgsFor } from '../helpers/fixtures.js';
import { echoRoundTrip, waitFor } from '../helpers/servers.js';
import { useSshdWithEcho } from '../helpers/sshd-fixture.js';

// A server that speaks one cipher and one MAC (a non-AEAD cipher, so the MAC is negotiated too).
const fx = useSshdWithEcho(['Ciphers aes128-ctr', 'MACs hmac-sha2-256']);

function tunnelWith(...options: string[]): Tunnel {
  const { profile } = parseSshCommand([...sshArgsFor(fx.sshd, fx.keys, fx.knownHosts), ...options, '-L', `0:127.0.0.1:${fx.echo.port}`]);
  return new Tunnel('algorithms', profile);
}

describe('Ciphers, MACs and KexAlgorithms against OpenSSH', () => {
  it('-c and -m that the server speaks: up, and bytes go through', async () => {
    const tunnel = tunnelWith('-c', 'aes256-ctr,aes128-ctr', '-m', 'hmac-sha2-256', '-o', 'KexAlgorithms=curve25519-sha256');
    try {
      await tunnel.start();
      expect(tunnel.getState()).toBe('up');
      const { sent, received } = await echoRoundTrip(tunnel.forwardStatuses()[0]!.allocatedPort!, 100_000);
      expect(received.equals(sent)).toBe(true);
    } finally {
      await tunnel.stop();
    }
  });

  it.each([
    ['an exact list the server does not speak', ['-c', 'aes256-gcm@openssh.com']],
    ['removing the only cipher the server speaks', ['-o', 'Ciphers=-aes128-*']],
    ['a MAC the server does not speak', ['-m', 'hmac-sha2-512']],
  ])('%s: ALGORITHM_MISMATCH, failed for good rather than retried', async (_what, options) => {
    const tunnel = tunnelWith(...options);
    const failures: (string | undefined)[] = [];
    tunnel.on('state', (s) => s.state === 'failed' && failures.push(s.error?.code));
    try {
      await tunnel.start();
      await waitFor(() => tunnel.getState() === 'failed', 10_000, 'failed');
      expect(failures).toEqual(['ALGORITHM_MISMATCH']);
      expect(tunnel.logs().find((l) => l.level === 'error')?.message).toMatch(/shares none of the offered algorithms/);
    } finally {
      await tunnel.stop();
    }
  });
});

describe('BindAddress (-b) against OpenSSH', () => {
  it('-b 127.0.0.2: the server sees the connection come from there', async () => {
    const tunnel = tunnelWith('-b', '127.0.0.2');
    try {
      await tunnel.start();
      expect(tunnel.getState()).toBe('up');
      await waitFor(() => /Connection from 127\.0\.0\.2 port/.test(fx.sshd.log), 5000, 'sshd logging the source address');
    } finally {
      await tunnel.stop();
    }
  });

  it('an address that is not on this machine: CONNECT_FAILED that names BindAddress, and retried', async () => {
    const tunnel = tunnelWith('-b', '192.0.2.1');
    const reasons: string[] = [];
    tunnel.on('state', (s) => s.error && reasons.push(`${s.error.code}: ${s.error.message}`));
    try {
      void tunnel.start();
      await waitFor(() => tunnel.getState() === 'reconnecting', 10_000, 'reconnecting');
      expect(reasons[0]).toMatch(/^CONNECT_FAILED: .*source address \(BindAddress\) is not on this machine/);
    } finally {
      await tunnel.stop();
    }
  });
});

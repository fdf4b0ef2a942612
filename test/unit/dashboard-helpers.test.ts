import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandUsage } from '../../src/main/cli/usage.js';
import { loadWebAddress, newWebToken, saveWebAddress } from '../../src/main/cli/web-address.js';
import { TrafficHistory } from '../../src/main/engine/traffic-history.js';
import { parseSshCommand } from '../../src/main/openssh/argv.js';
import { entrancesOf, proxySettings } from '../../src/renderer/lib/entrances.js';
import { explainError } from '../../src/renderer/lib/explain-error.js';
import { refusedOption, removeOption } from '../../src/renderer/lib/fix-command.js';
import { suggestName } from '../../src/renderer/lib/suggest-name.js';
import type { TunnelStats } from '../../src/shared/tunnel.js';

const profileOf = (cmd: string) => parseSshCommand(cmd.split(' ')).profile;

function stats(sent: number, received: number): TunnelStats {
  return {
    tunnel: 't', state: 'up', sessionOpen: true, latencyMs: 1, uptimeMs: 1, bytesSent: sent, bytesReceived: received, connections: 0, totalConnections: 0,
    failedConnections: 0, sendRate: 0, receiveRate: 0, forwards: [{ index: 0, bytesSent: sent, bytesReceived: received, connections: 0, totalConnections: 0, failedConnections: 0, sendRate: 0, receiveRate: 0, window: 0, windowLimited: false }],
  };
}

describe('traffic history kept by the engine', () => {
  it('records bytes per second between samples, survives a counter reset, stays bounded', () => {
    const h = new TrafficHistory(3);
    h.record(1000, stats(0, 0));
    h.record(2000, stats(500, 2000));
    h.record(4000, stats(1500, 2000));
    expect(h.list().map((p) => [p.sent, p.received])).toEqual([[500, 2000], [500, 0]]);
    // A restarted tunnel counts from zero again: its bytes so far are all new.
    h.record(5000, stats(100, 100));
    expect(h.list().at(-1)).toMatchObject({ sent: 100, received: 100, forwards: [{ index: 0, sent: 100, received: 100 }] });
    h.record(6000, stats(200, 200));
    expect(h.list()).toHaveLength(3);
    h.pause();
    h.record(9000, stats(900, 900));
    expect(h.list()).toHaveLength(3); // a new baseline after a gap, not a spike
  });
});

describe('the web address kept across restarts', () => {
  it('is saved readable by the user only and read back; a damaged file means a fresh one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tv-web-'));
    expect(await loadWebAddress(dir)).toBeNull();
    const token = newWebToken();
    await saveWebAddress(dir, { port: 43210, token });
    expect(statSync(join(dir, 'web.json')).mode & 0o777).toBe(0o600);
    expect(await loadWebAddress(dir)).toEqual({ port: 43210, token });
    await saveWebAddress(dir, { port: 70000, token });
    expect(await loadWebAddress(dir)).toBeNull();
  });
});

describe('--help for every command', () => {
  it.each(['up', 'parse', 'profiles', 'import', 'secret', 'web'])('%s', (command) => {
    expect(commandUsage(command)).toMatch(new RegExp(`^Usage:\\n  tunnelvision ${command} `));
  });
  it('an unknown command has none', () => expect(commandUsage('nope')).toBeNull());
});

describe('entrances: the address to use', () => {
  it('loopback by default, * for all interfaces, the server side for -R, the real port when running', () => {
    expect(entrancesOf(profileOf('ssh -L 8081:web:80 s'), undefined).map((e) => e.label)).toEqual(['127.0.0.1:8081']);
    expect(entrancesOf(profileOf('ssh -g -D 1081 s'), undefined).map((e) => [e.label, e.exposed])).toEqual([['SOCKS *:1081', true]]);
    expect(entrancesOf(profileOf('ssh -R 8080:localhost:3000 relay'), undefined).map((e) => e.label)).toEqual(['relay:8080 on the server']);
    const running = entrancesOf(profileOf('ssh -L 0:web:80 s'), [{ index: 0, description: '', state: 'active', error: null, listening: ['127.0.0.1:40001', '[::1]:40001'], allocatedPort: 40001, note: null, probe: null }]);
    expect(running[0]).toMatchObject({ address: '127.0.0.1:40001', openUrl: 'http://127.0.0.1:40001/' });
    expect(entrancesOf(profileOf('ssh -L 5432:db:5432 s'), undefined)[0]!.openUrl).toBeNull();
  });
  it('proxy settings for -D: the URL, curl and the environment', () => {
    expect(proxySettings('127.0.0.1:1080').split('\n')).toEqual([
      'socks5h://127.0.0.1:1080',
      'curl --proxy socks5h://127.0.0.1:1080 https://example.com/',
      'export ALL_PROXY=socks5h://127.0.0.1:1080 all_proxy=socks5h://127.0.0.1:1080',
      'export HTTPS_PROXY=socks5h://127.0.0.1:1080 HTTP_PROXY=socks5h://127.0.0.1:1080',
    ]);
  });
});

describe('errors in words', () => {
  const p = profileOf('ssh -J alice@bastion -L 1:h:2 bob@remote-host');
  it('DNS: a typo or offline', () => {
    expect(explainError({ code: 'DNS_FAILED', message: 'remote-host:22: the host name could not be resolved' }, p).title).toBe("Can't find 'remote-host' — typo or offline?");
  });
  it('authentication: which hop refused, what was tried, Add password', () => {
    const e = explainError({ code: 'AUTH_FAILED', message: 'Permission denied for alice@bastion:22: the server accepted none of the offered credentials (tried keys from ssh-agent, the key /home/u/.ssh/id_ed25519)' }, p);
    expect(e).toMatchObject({ title: 'bastion (jump host) answered but refused the login', tried: ['keys from ssh-agent', 'the key /home/u/.ssh/id_ed25519'], hop: 0 });
    expect(e.actions).toContain('password');
  });
  it('a changed host key: both fingerprints and the known_hosts line', () => {
    const e = explainError({ code: 'HOST_KEY_MISMATCH', message: 'REMOTE HOST IDENTIFICATION HAS CHANGED for remote-host:22: it offered ssh-ed25519 SHA256:new, which differs from the key in /home/u/.ssh/known_hosts:7 (ssh-ed25519 SHA256:old). Someone could be intercepting the connection; nothing was sent.' }, p);
    expect(e.hostKey).toEqual({ offered: 'ssh-ed25519 SHA256:new', known: [{ where: '/home/u/.ssh/known_hosts:7', key: 'ssh-ed25519 SHA256:old' }] });
    expect(e.actions).not.toContain('retry');
  });
  it('a port in use is the main error', () => {
    expect(explainError({ code: 'FORWARD_BIND_FAILED', message: 'cannot listen on 127.0.0.1:8081: the address is already in use' }, p).title).toBe('127.0.0.1:8081 is already in use by another program — pick another port');
  });
});

describe('editor helpers', () => {
  it('one-click fix for a refused option', () => {
    expect(refusedOption('option -X is not supported: X11 forwarding is not supported')).toBe('-X');
    expect(removeOption('ssh -NX -L 1:h:2 host', '-X')).toBe('ssh -N -L 1:h:2 host');
    expect(removeOption('ssh -W h:22 -L 1:h:2 host', '-W')).toBe('ssh -L 1:h:2 host');
    expect(refusedOption('option ForwardX11 is not supported: X11 forwarding is not supported')).toBe('ForwardX11');
    expect(removeOption('ssh -o ForwardX11=yes -L 1:h:2 host', 'ForwardX11')).toBe('ssh -L 1:h:2 host');
  });
  it('suggests a name', () => {
    expect(suggestName(profileOf('ssh -L 5432:db:5432 prod'))).toBe('db via prod:5432');
    expect(suggestName(profileOf('ssh -D 1080 proxy'))).toBe('SOCKS via proxy');
  });
});

describe('Open in the browser (Electron)', () => {
  it('only http(s) on loopback leaves the app', async () => {
    const { isLoopbackWebUrl } = await import('../../src/main/app/app-controller.js');
    expect(['http://127.0.0.1:8081/', 'https://localhost:8443/x', 'http://[::1]:80/'].map(isLoopbackWebUrl)).toEqual([true, true, true]);
    expect(['file:///etc/passwd', 'http://example.com/', 'javascript:alert(1)', 'http://user:pw@127.0.0.1/', 'http://127.0.0.1.evil.com/'].map(isLoopbackWebUrl)).toEqual([false, false, false, false, false]);
  });
});

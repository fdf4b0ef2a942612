import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ProfileStore } from '../../src/main/store/profile-store.js';
import { PROFILES_FILE_VERSION } from '../../src/shared/saved-profile.js';
import { CliTunnel, runCli } from '../helpers/cli.js';
import { sshArgsFor } from '../helpers/fixtures.js';
import { sha256 } from '../helpers/servers.js';
import { useSshdWithEcho } from '../helpers/sshd-fixture.js';
import { startUdpEcho, taggedPayloads, udpExchange, type UdpServer } from '../helpers/udp.js';

const fx = useSshdWithEcho();
const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of closers) await c();
});

async function echo(): Promise<UdpServer> {
  const server = await startUdpEcho();
  closers.push(() => server.close());
  return server;
}

describe('tunnelvision with UDP forwards', () => {
  it('parse --json shows --udp-local/--udp-remote forwards with "protocol": "udp" after the TCP ones, which are unchanged', async () => {
    const r = await runCli(['parse', '--json', '--udp-local', '5353:10.0.0.2:53', '--udp-remote', '0.0.0.0:514:127.0.0.1:1514', '--udp-idle-timeout', '0', '--', 'ssh', '-F', 'none', '-L', '8080:web:80', 'example.org']);
    expect(r.code).toBe(0);
    const profile = JSON.parse(r.stdout) as { forwards: unknown[] };
    expect(profile.forwards).toEqual([
      { kind: 'local', bind: { host: null, port: 8080 }, target: { host: 'web', port: 80 } },
      { kind: 'local', protocol: 'udp', bind: { host: null, port: 5353 }, target: { host: '10.0.0.2', port: 53 }, flowIdleTimeout: 0 },
      { kind: 'remote', protocol: 'udp', bind: { host: '0.0.0.0', port: 514 }, target: { host: '127.0.0.1', port: 1514 }, flowIdleTimeout: 0 },
    ]);
  });

  it.each([
    [['--udp-local', '5353:/run/dns.sock'], /Bad --udp-local forward '5353:\/run\/dns.sock': UDP forwards take host:port on both sides/],
    [['--udp-remote', '5353'], /Bad --udp-remote forward '5353': it needs a destination/],
    [['--udp-local', '99999:h:53'], /Bad --udp-local forward/],
    [['--udp-max-flows', '0', '--udp-local', '1:h:2'], /--udp-max-flows needs a whole number from 1 to 65536/],
  ])('a bad UDP flag %j exits 2 with a stable code and no stack trace', async (flags, message) => {
    const r = await runCli(['parse', ...flags, '--', 'ssh', '-F', 'none', 'example.org']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^tunnelvision: error \[(BAD_FORWARD_SPEC|BAD_ARGUMENT)\]: /);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('up --json --udp-local --udp-remote: datagrams through both, counters in the stats events', async () => {
    const server = await echo();
    const cli = new CliTunnel(['--udp-local', `0:127.0.0.1:${server.port}`, '--udp-remote', `0:127.0.0.1:${server.port}`, '--', ...sshArgsFor(fx.sshd, fx.keys, fx.knownHosts)]);
    closers.push(() => cli.stop());
    const up = await cli.waitFor((e) => e.event === 'state' && e.state === 'up', 30_000);
    const forwards = up.forwards as { protocol: string; state: string; allocatedPort: number; listening: string[] }[];
    expect(forwards.map((f) => [f.protocol, f.state])).toEqual([['udp', 'active'], ['udp', 'active']]);
    expect(forwards[1]!.listening[0]).toMatch(/^server:udp 127\.0\.0\.1:\d+$/);
    for (const f of forwards) {
      const sent = taggedPayloads('cli', [1, 1200, 60_000]);
      expect((await udpExchange(f.allocatedPort, sent)).map(sha256).sort()).toEqual(sent.map(sha256).sort());
    }
    const stats = await cli.waitForStats((e) => (e.forwards as { udp?: { datagramsReceived: number } }[]).every((f) => f.udp?.datagramsReceived === 3));
    expect((stats.forwards as { udp: unknown }[]).map((f) => f.udp)).toEqual([
      expect.objectContaining({ datagramsSent: 3, datagramsReceived: 3, flows: 1, totalFlows: 1, drops: 0, relayStarts: 1 }),
      expect.objectContaining({ datagramsSent: 3, datagramsReceived: 3, flows: 1, totalFlows: 1, drops: 0, relayStarts: 1 }),
    ]);
    expect(await cli.stop()).toBe(0);
  });

  it('profiles add takes UDP flags; export leaves UDP forwards out of the ssh command and ssh_config block, and says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tv-udp-export-'));
    const added = await runCli(['--config-dir', dir, 'profiles', 'add', '--name', 'dns', '--udp-local', '5353:10.0.0.2:53', '--udp-idle-timeout', '0', '--', 'ssh', '-F', 'none', '-L', '8080:web:80', 'example.org']);
    expect(added.code).toBe(0);
    expect((await new ProfileStore(dir).get('dns')).forwards[1]).toEqual({ kind: 'local', protocol: 'udp', bind: { host: null, port: 5353 }, target: { host: '10.0.0.2', port: 53 }, flowIdleTimeout: 0 });
    const ssh = await runCli(['--config-dir', dir, 'profiles', 'export', 'dns', '--format', 'ssh']);
    expect(ssh.code).toBe(0);
    const [comment, command] = ssh.stdout.trim().split('\n');
    expect(comment).toBe('# UDP forwards left out (ssh forwards only TCP; tunnelvision runs them): --udp-local 5353:10.0.0.2:53');
    expect(command).toMatch(/^ssh -N -L 8080:web:80 /);
    expect(command).not.toContain('5353');
    const config = await runCli(['--config-dir', dir, 'profiles', 'export', 'dns', '--format', 'config']);
    expect(config.stdout).toContain('  LocalForward 8080 web:80\n');
    expect(config.stdout).toContain('  # UDP forwards left out (ssh_config has no UDP forwarding; tunnelvision runs them): --udp-local 5353:10.0.0.2:53\n');
    expect(config.stdout.match(/5353/g)).toHaveLength(1);
  });

  it('a version 2 profiles file migrates: its -L/-R forwards become "protocol": "tcp", and it is written as the current version', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tv-udp-migrate-'));
    const store = new ProfileStore(dir);
    const parsed = JSON.parse((await runCli(['parse', '--json', '--', 'ssh', '-F', 'none', '-L', '1:a:2', '-R', '3:b:4', '-D', '5', 'example.org'])).stdout) as Record<string, unknown>;
    delete parsed.warnings;
    const v2 = { ...parsed, id: 'old', name: 'old', group: null, tags: [], notes: '', startAtLaunch: false, authMethod: 'auto' };
    writeFileSync(store.path, JSON.stringify({ version: 2, revision: 7, profiles: [v2] }));
    const [p] = await store.list();
    expect(p!.forwards).toEqual([
      { kind: 'local', protocol: 'tcp', bind: { host: null, port: 1 }, target: { host: 'a', port: 2 } },
      { kind: 'remote', protocol: 'tcp', bind: { host: null, port: 3 }, target: { host: 'b', port: 4 } },
      { kind: 'dynamic', bind: { host: null, port: 5 } },
    ]);
    await store.put({ ...p!, notes: 'touched' }, 7);
    expect(JSON.parse(readFileSync(store.path, 'utf8'))).toMatchObject({ version: PROFILES_FILE_VERSION, revision: 8 });
  });
});

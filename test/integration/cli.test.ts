import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CliTunnel, runCli } from '../helpers/cli.js';
import { knownHostsFor, sshArgsFor } from '../helpers/fixtures.js';
import { echoRoundTrip, sha256 } from '../helpers/servers.js';
import { freePort, freePorts } from '../helpers/sshd.js';
import { useSshdWithEcho } from '../helpers/sshd-fixture.js';

const fx = useSshdWithEcho();

/** `up --json` with one -L and one -R forward to the echo server behind the real sshd. */
async function upWithLocalAndRemote(): Promise<{ cli: CliTunnel; localPort: number; remotePort: number }> {
  const [localPort, remotePort] = (await freePorts(2)) as [number, number];
  const cli = new CliTunnel([
    ...sshArgsFor(fx.sshd, fx.keys, fx.knownHosts),
    '-L', `${localPort}:127.0.0.1:${fx.echo.port}`,
    '-R', `${remotePort}:127.0.0.1:${fx.echo.port}`,
  ]);
  return { cli, localPort, remotePort };
}

describe('tunnelvision up --json against OpenSSH', () => {
  it('reports connecting then up, counts an echo exactly, and exits 0 on SIGTERM with the server forward cancelled', async () => {
    const { cli, localPort, remotePort } = await upWithLocalAndRemote();
    const connecting = await cli.waitFor((e) => e.event === 'state');
    expect(connecting.state).toBe('connecting');
    const up = await cli.waitFor((e) => e.event === 'state' && e.state === 'up');
    expect(up.tunnel).toBe('cli');
    expect((up.forwards as { state: string }[]).map((f) => f.state)).toEqual(['active', 'active']);

    const n = 123_457;
    const { sent, received } = await echoRoundTrip(localPort, n);
    expect(sha256(received)).toBe(sha256(sent));
    const stats = await cli.waitForStats((e) => e.bytesSent === n && e.connections === 0);
    expect(stats.bytesReceived).toBe(n);
    expect(stats.totalConnections).toBe(1);

    expect((await echoRoundTrip(remotePort, 10)).received.length).toBe(10);

    expect(await cli.stop('SIGTERM')).toBe(0);
    const stopped = cli.events.find((e) => e.event === 'state' && e.state === 'stopped');
    expect(stopped).toBeDefined();
    await expect(echoRoundTrip(localPort, 1)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(echoRoundTrip(remotePort, 1)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('an internal error stops the tunnel cleanly (state stopped, listeners closed) before exiting 1', async () => {
    const localPort = await freePort();
    const fault = fileURLToPath(new URL('../helpers/fault-on-signal.mjs', import.meta.url));
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: `--import ${fault}` };
    delete env.SSH_AUTH_SOCK;
    const cli = new CliTunnel([...sshArgsFor(fx.sshd, fx.keys, fx.knownHosts), '-L', `${localPort}:127.0.0.1:${fx.echo.port}`], { env });
    await cli.waitFor((e) => e.event === 'state' && e.state === 'up');
    expect(await cli.stop('SIGUSR2')).toBe(1);
    expect(cli.stderr).toMatch(/internal error \[INTERNAL\]: injected fault/);
    expect(cli.events.some((e) => e.event === 'state' && e.state === 'stopped')).toBe(true);
    await expect(echoRoundTrip(localPort, 1)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('a reader that goes away (stdout and stderr closed) stops the tunnel and ends the process, instead of spinning on EPIPE', async () => {
    const { cli, localPort, remotePort } = await upWithLocalAndRemote();
    await cli.waitFor((e) => e.event === 'state' && e.state === 'up');
    cli.child.stdout!.destroy();
    cli.child.stderr!.destroy();
    // The next event it writes (a connection's stats) meets the closed pipe.
    expect((await echoRoundTrip(localPort, 10)).received.length).toBe(10);
    expect(await cli.exited).toBe(1);
    await expect(echoRoundTrip(localPort, 1)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(echoRoundTrip(remotePort, 1)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  /**
   * A home whose ~/.ssh/config has `Host alias` reaching the fixture's sshd with `keyAndHosts`
   * (IdentityFile and UserKnownHostsFile lines; `prepare` puts their files in place); `up` with a -L
   * through it must come up and echo. Returns the environment with that home.
   */
  async function upThroughConfig(alias: string, keyAndHosts: string[], prepare: (ssh: string) => void = () => undefined): Promise<NodeJS.ProcessEnv> {
    const home = mkdtempSync(join(tmpdir(), 'tv-cli-home-'));
    mkdirSync(join(home, '.ssh'));
    prepare(join(home, '.ssh'));
    writeFileSync(join(home, '.ssh', 'config'), [
      `Host ${alias}`,
      '  HostName 127.0.0.1',
      `  Port ${fx.sshd.port}`,
      `  User ${fx.sshd.user}`,
      ...keyAndHosts.map((l) => `  ${l}`),
      '  IdentitiesOnly yes',
      '  StrictHostKeyChecking yes',
      '  BatchMode yes',
      '',
    ].join('\n'));
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
    delete env.SSH_AUTH_SOCK;
    const cli = new CliTunnel(['ssh', '-N', '-L', `0:127.0.0.1:${fx.echo.port}`, alias], { env });
    try {
      const up = await cli.waitFor((e) => e.event === 'state' && (e.state === 'up' || e.state === 'failed'));
      expect(up.state, JSON.stringify(up)).toBe('up');
      const port = (up.forwards as { allocatedPort: number }[])[0]!.allocatedPort;
      const { sent, received } = await echoRoundTrip(port, 4096);
      expect(received.equals(sent)).toBe(true);
    } finally {
      await cli.stop('SIGTERM');
    }
    return env;
  }

  it('an alias from ~/.ssh/config works as it does for ssh: HostName, Port, User, key and host-key settings from the file', async () => {
    const env = await upThroughConfig('tunnel-test', [`IdentityFile ${fx.keys.key}`, `UserKnownHostsFile ${fx.knownHosts}`]);
    const parsed = await runCli(['parse', '--json', '--', 'ssh', '-L', '1:h:2', 'tunnel-test'], 20_000, env);
    expect(JSON.parse(parsed.stdout)).toMatchObject({ host: '127.0.0.1', port: fx.sshd.port, user: fx.sshd.user, strictHostKeyChecking: 'yes' });
  });

  it('IdentityFile and UserKnownHostsFile with % tokens are expanded per hop as ssh does: ~/.ssh/id_%r_%p, ~/.ssh/kh_%n', async () => {
    await upThroughConfig('tokens-test', ['IdentityFile ~/.ssh/id_%r_%p', 'UserKnownHostsFile ~/.ssh/kh_%n'], (ssh) => {
      copyFileSync(fx.keys.key, join(ssh, `id_${fx.sshd.user}_${fx.sshd.port}`));
      chmodSync(join(ssh, `id_${fx.sshd.user}_${fx.sshd.port}`), 0o600);
      copyFileSync(fx.knownHosts, join(ssh, 'kh_tokens-test'));
    });
  });

  it('SIGINT stops it too; autossh -M 0 command lines are accepted', async () => {
    const args = sshArgsFor(fx.sshd, fx.keys, fx.knownHosts);
    const cli = new CliTunnel(['autossh', '-M', '0', ...args.slice(1), '-D', '0']);
    await cli.waitFor((e) => e.event === 'state' && e.state === 'up');
    expect(await cli.stop('SIGINT')).toBe(0);
  });

  it('a port already in use: the forward is marked FORWARD_BIND_FAILED and the tunnel stays up', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const busy = (blocker.address() as { port: number }).port;
    try {
      const cli = new CliTunnel([...sshArgsFor(fx.sshd, fx.keys, fx.knownHosts), '-L', `${busy}:127.0.0.1:${fx.echo.port}`]);
      const up = await cli.waitFor((e) => e.event === 'state' && e.state === 'up');
      const [forward] = up.forwards as { state: string; error: { code: string; message: string } }[];
      expect(forward!.state).toBe('failed');
      expect(forward!.error.code).toBe('FORWARD_BIND_FAILED');
      expect(forward!.error.message).toMatch(/already in use/);
      expect(await cli.stop()).toBe(0);

      const strict = new CliTunnel([...sshArgsFor(fx.sshd, fx.keys, fx.knownHosts), '-o', 'ExitOnForwardFailure=yes', '-L', `${busy}:127.0.0.1:${fx.echo.port}`]);
      const failed = await strict.waitFor((e) => e.event === 'state' && e.state === 'failed');
      expect((failed.error as { code: string }).code).toBe('FORWARD_BIND_FAILED');
      expect(await strict.exited).toBe(1);
    } finally {
      blocker.close();
    }
  });

  it('--lazy: up without a session; the first connection opens one; stats say so', async () => {
    const port = await freePort();
    const cli = new CliTunnel([...sshArgsFor(fx.sshd, fx.keys, fx.knownHosts), '-L', `${port}:127.0.0.1:${fx.echo.port}`]);
    await cli.waitFor((e) => e.event === 'state' && e.state === 'up');
    await cli.stop();
    const lazy = new CliTunnel(['--lazy', '--idle-timeout', '60', '--', ...sshArgsFor(fx.sshd, fx.keys, fx.knownHosts), '-L', `${port}:127.0.0.1:${fx.echo.port}`]);
    const up = await lazy.waitFor((e) => e.event === 'state' && e.state === 'up');
    expect(up.reason).toMatch(/lazy/);
    await lazy.waitForStats((e) => e.sessionOpen === false);
    expect((await echoRoundTrip(port, 1000)).received.length).toBe(1000);
    await lazy.waitForStats((e) => e.sessionOpen === true && e.bytesSent === 1000);
    expect(await lazy.stop()).toBe(0);
  });

  it('a permanent failure (unknown host key) exits non-zero with the code', async () => {
    const empty = await knownHostsFor([]);
    const cli = new CliTunnel([...sshArgsFor(fx.sshd, fx.keys, empty), '-L', '0:127.0.0.1:80']);
    const failed = await cli.waitFor((e) => e.event === 'state' && e.state === 'failed');
    expect((failed.error as { code: string }).code).toBe('HOST_KEY_UNKNOWN');
    expect(await cli.exited).toBe(1);
  });

  it('an IdentityFile naming an unset variable fails before connecting, with the option and the variable named', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, SSH_AUTH_SOCK: '' };
    delete env.TV_SURELY_UNSET;
    // Nothing listens on the port: a tunnel that connected before expanding would meet a refused
    // connection and retry, never fail.
    const closed = await freePort();
    const cli = new CliTunnel(['ssh', '-N', '-p', String(closed), '-i', '${TV_SURELY_UNSET}/id', '-L', '0:127.0.0.1:80', '127.0.0.1'], { env });
    const failed = await cli.waitFor((e) => e.event === 'state' && (e.state === 'failed' || e.state === 'reconnecting'));
    expect(failed.error).toEqual({ code: 'BAD_OPTION', message: "IdentityFile '${TV_SURELY_UNSET}/id': environment variable TV_SURELY_UNSET is not set" });
    expect(await cli.exited).toBe(1);
  });
});

describe('tunnelvision parse and bad input', () => {
  it('parse --json prints the profile in the documented shape', async () => {
    const r = await runCli(['parse', '--json', '--', 'ssh', '-N', '-L', '[::1]:8080:example.org:80', '-R', '*:0:localhost:22', '-D', '1080', '-J', 'alice@bastion:2222,jump2', '-p', '2200', 'bob@server']);
    expect(r.code).toBe(0);
    const p = JSON.parse(r.stdout);
    expect(p).toMatchObject({
      host: 'server',
      user: 'bob',
      port: 2200,
      jumps: [{ host: 'bastion', user: 'alice', port: 2222 }, { host: 'jump2', user: null, port: 22 }],
      forwards: [
        { kind: 'local', bind: { host: '::1', port: 8080 }, target: { host: 'example.org', port: 80 } },
        { kind: 'remote', bind: { host: '*', port: 0 }, target: { host: 'localhost', port: 22 } },
        { kind: 'dynamic', bind: { host: null, port: 1080 } },
      ],
      keepalive: { interval: 15, countMax: 3 },
      proxyCommand: null,
      identityFiles: [],
    });
    expect(p.forwards[2].target).toBeUndefined();
  });

  it.each([
    [['parse', '--json', '--', 'ssh', '-L', '99999:h:80', 'host'], 'BAD_FORWARD_SPEC'],
    [['parse', '--json', '--', 'ssh', '-L', '8080:host', 'host'], 'BAD_FORWARD_SPEC'],
    [['parse', '--json', '--', 'ssh', '-p', '70000', 'host'], 'BAD_PORT'],
    [['parse', '--json', '--', 'ssh', '-L', '-1:h:80', 'host'], 'BAD_FORWARD_SPEC'],
    [['parse', '--json', '--', 'ssh', '-L', '80a:h:80', 'host'], 'BAD_FORWARD_SPEC'],
    [['parse', '--json', '--', 'ssh', '-L', '::1:8080:h:80', 'host'], 'BAD_FORWARD_SPEC'],
    [['parse', '--json', '--', 'ssh', '-J', 'a;touch /tmp/x', 'host'], 'BAD_HOST'],
    [['parse', '--json', '--', 'ssh', '-o', 'NoSuchOption=1', 'host'], 'BAD_OPTION'],
    [['parse', '--json', '--', 'ssh', '-X', 'host'], 'UNSUPPORTED_OPTION'],
    [['parse', '--json', '--', 'ssh', '-L'], 'BAD_ARGUMENT'],
    [['parse', '--json', '--', 'ls', '-la'], 'NOT_SSH_COMMAND'],
    [['frobnicate'], 'BAD_ARGUMENT'],
    [['up', '--json', '--', 'ssh', '-L', '0:h', 'host'], 'BAD_FORWARD_SPEC'],
    [['up', '--json', '--', 'scp', 'a', 'b'], 'NOT_SSH_COMMAND'],
  ])('%j → exit 2, %s, one line, no stack trace', async (args, code) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`[${code}]`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

import { spawn } from 'node:child_process';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, CliTunnel, runCli } from '../helpers/cli.js';
import { keyringTools, startKeyring, type Keyring } from '../helpers/keyring.js';
import { startPasswordServer, type PasswordServer } from '../helpers/password-server.js';

const run = promisify(execFile);
// CI installs gnome-keyring; elsewhere these tests need it and say so instead of pretending.
const skip = !keyringTools && !process.env.CI;
const SENTINEL = `sentinel-${Date.now()}-Pa55w0rd!`;

let keyring: Keyring;
let server: PasswordServer;
let configDir: string;
let hostKeyDir: string;

function withEnv<T>(env: NodeJS.ProcessEnv, work: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  return work().finally(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  });
}

function runCliWithInput(args: string[], input: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(`${input}\n`);
  });
}

/** Every byte under `dir`, as text, to search for a secret. */
function everything(dir: string): string {
  return readdirSync(dir).map((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? everything(path) : readFileSync(path, 'latin1');
  }).join('\n');
}

describe.skipIf(skip)('secrets in a real gnome-keyring (Secret Service over D-Bus)', () => {
  const logs: string[] = [];

  beforeAll(async () => {
    keyring = await startKeyring();
    configDir = mkdtempSync(join(tmpdir(), 'tv-config-'));
    hostKeyDir = mkdtempSync(join(tmpdir(), 'tv-hk-'));
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(hostKeyDir, 'key')]);
    server = await startPasswordServer(join(hostKeyDir, 'key'), 'alice', SENTINEL);
    const add = await runCli(['--config-dir', configDir, 'profiles', 'add', '--name', 'pw', '--', 'ssh', '-p', String(server.port), '-o', `UserKnownHostsFile=${server.knownHosts}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'IdentitiesOnly=yes', '-i', '/nonexistent', '-D', '0', 'alice@127.0.0.1']);
    expect(add.code).toBe(0);
  });

  afterAll(async () => {
    await server?.close();
    await keyring?.stop();
  });

  it('the keychain answers through keytar: set, read back by another process, delete', async () => {
    await withEnv(keyring.env, async () => {
      const { openKeychain } = await import('../../src/main/store/secret-store.js');
      const kc = await openKeychain();
      expect(kc.unavailable).toBeNull();
      await kc.store!.set('probe/password', 'value-1');
      const other = await run(process.execPath, ['-e', `import('keytar').then(async (m) => process.stdout.write(String(await m.default.getPassword('tunnelvision', 'probe/password'))))`], { env: keyring.env });
      expect(other.stdout).toBe('value-1');
      expect(await kc.store!.delete('probe/password')).toBe(true);
      expect(await kc.store!.get('probe/password')).toBeNull();
    });
  });

  it('secret set (stdin) → a real password login uses it → secret delete → login refused', async () => {
    const set = await runCliWithInput(['--config-dir', configDir, 'secret', 'set', 'pw'], SENTINEL, keyring.env);
    logs.push(set.stdout, set.stderr);
    expect(set.code, set.stderr).toBe(0);

    const up = new CliTunnel(['pw'], { env: keyring.env, configDir });
    const state = await up.waitFor((e) => e.event === 'state' && (e.state === 'up' || e.state === 'failed'));
    expect(state.state, JSON.stringify(state)).toBe('up');
    expect(server.offered).toEqual([SENTINEL]);
    expect(await up.stop()).toBe(0);
    logs.push(JSON.stringify(up.events), up.stderr);

    const del = await runCli(['--config-dir', configDir, 'secret', 'delete', 'pw'], 20_000, keyring.env);
    expect(del.code).toBe(0);
    const after = new CliTunnel(['pw'], { env: keyring.env, configDir });
    const failed = await after.waitFor((e) => e.event === 'state' && e.state === 'failed');
    expect((failed.error as { code: string }).code).toBe('AUTH_FAILED');
    await after.exited;
    logs.push(JSON.stringify(after.events), after.stderr);
  });

  it('the sentinel is nowhere: not in the data directory, not in any output', () => {
    expect(everything(configDir)).not.toContain(SENTINEL);
    expect(logs.join('\n')).not.toContain(SENTINEL);
    expect(logs.join('\n').length).toBeGreaterThan(100); // the outputs were really captured
  });

  it('no Secret Service: said plainly, exit 2, nothing written in plain text', async () => {
    const env = { ...process.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' };
    const r = await runCliWithInput(['--config-dir', configDir, 'secret', 'set', 'pw'], `${SENTINEL}-2`, env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\[KEYCHAIN_UNAVAILABLE\].*asked for each time/);
    expect(everything(configDir)).not.toContain(`${SENTINEL}-2`);
  });
});

if (skip) {
  describe('secrets in a real gnome-keyring', () => {
    it.skip('needs dbus-daemon and gnome-keyring-daemon (apt-get install gnome-keyring dbus); .ci/run installs them', () => undefined);
  });
}

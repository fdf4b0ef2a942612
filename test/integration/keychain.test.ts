import { spawn } from 'node:child_process';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, CliTunnel, runCli } from '../helpers/cli.js';
import { keyringTools, startKeyring, type Keyring } from '../helpers/keyring.js';
import { knownHostsFor } from '../helpers/fixtures.js';
import { startPasswordServer, type PasswordServer } from '../helpers/password-server.js';
import { Sshd } from '../helpers/sshd.js';

const run = promisify(execFile);
// CI installs gnome-keyring; elsewhere these tests need it and say so instead of pretending.
const skip = !keyringTools && !process.env.CI;
const SENTINEL = `sentinel-${Date.now()}-Pa55w0rd!`;
const SENTINEL_PASSPHRASE = `sentinel-${Date.now()}-passphrase`;

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

  it('a password is offered only to the hop it was saved for: a jump host that asks never gets the destination\'s', async () => {
    const JUMP_PASSWORD = `jump-${Date.now()}`;
    const jump = await startPasswordServer(join(hostKeyDir, 'key'), 'alice', JUMP_PASSWORD);
    try {
      const known = join(hostKeyDir, 'known_both');
      writeFileSync(known, `${readFileSync(server.knownHosts, 'utf8')}\n${readFileSync(jump.knownHosts, 'utf8')}\n`);
      const add = await runCli(['--config-dir', configDir, 'profiles', 'add', '--name', 'via-jump', '--', 'ssh', '-J', `alice@127.0.0.1:${jump.port}`, '-p', String(server.port), '-o', `UserKnownHostsFile=${known}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'IdentitiesOnly=yes', '-i', '/nonexistent', '-D', '0', 'alice@127.0.0.1']);
      expect(add.code, add.stderr).toBe(0);
      const dest = await runCliWithInput(['--config-dir', configDir, 'secret', 'set', 'via-jump'], SENTINEL, keyring.env);
      expect(dest.code, dest.stderr).toBe(0);
      expect(dest.stderr).toContain(`the password for alice@127.0.0.1:${server.port}`);

      // Only the destination's password is stored: the jump host asks, and gets nothing.
      const refused = new CliTunnel(['via-jump'], { env: keyring.env, configDir });
      const failed = await refused.waitFor((e) => e.event === 'state' && e.state === 'failed');
      expect((failed.error as { code: string }).code).toBe('AUTH_FAILED');
      await refused.exited;
      expect(jump.offered).not.toContain(SENTINEL);

      const forJump = await runCliWithInput(['--config-dir', configDir, 'secret', 'set', 'via-jump', '--hop', `alice@127.0.0.1:${jump.port}`], JUMP_PASSWORD, keyring.env);
      expect(forJump.code, forJump.stderr).toBe(0);
      const offeredBefore = server.offered.length;
      const up = new CliTunnel(['via-jump'], { env: keyring.env, configDir });
      const state = await up.waitFor((e) => e.event === 'state' && (e.state === 'up' || e.state === 'failed'));
      expect(state.state, JSON.stringify(state)).toBe('up');
      expect(await up.stop()).toBe(0);
      expect(jump.offered).toEqual([JUMP_PASSWORD]);
      expect(server.offered.slice(offeredBefore)).toEqual([SENTINEL]);

      const wrongHop = await runCliWithInput(['--config-dir', configDir, 'secret', 'set', 'via-jump', '--hop', 'mallory@evil.example:22'], 'x', keyring.env);
      expect(wrongHop.code).toBe(2);
      expect(wrongHop.stderr).toMatch(/\[BAD_ARGUMENT\].*not a hop of this profile/);
    } finally {
      await jump.close();
    }
  });

  it('the dashboard files a password for the hop that asked (secrets.set hopIndex), not the destination', async () => {
    await withEnv(keyring.env, async () => {
      const { openKeychain, secretAccount } = await import('../../src/main/store/secret-store.js');
      const { ProfileStore } = await import('../../src/main/store/profile-store.js');
      const { ApiService } = await import('../../src/main/api/service.js');
      const store = new ProfileStore(configDir);
      const service = new ApiService({ store });
      try {
        const profile = await store.get('via-jump');
        const jumpHop = `alice@127.0.0.1:${profile.jumps[0]!.port}`;
        const r = await service.dispatch('secrets.set', { profileId: profile.id, kind: 'password', hopIndex: 0, secret: 'for-the-jump-host' });
        expect(r.ok, JSON.stringify(r)).toBe(true);
        const kc = (await openKeychain()).store!;
        expect(await kc.get(secretAccount(profile.id, { kind: 'password', hop: jumpHop }))).toBe('for-the-jump-host');
        expect(await kc.get(secretAccount(profile.id, { kind: 'password', hop: `alice@127.0.0.1:${server.port}` }))).toBe(SENTINEL);
        const bad = await service.dispatch('secrets.set', { profileId: profile.id, kind: 'password', hopIndex: 5, secret: 'x' });
        expect(!bad.ok && bad.error.code).toBe('BAD_ARGUMENT');
      } finally {
        await service.dispose();
      }
    });
  });

  it('a password stored by an earlier version (one per profile) moves to the destination hop', async () => {
    await withEnv(keyring.env, async () => {
      const { openKeychain, legacyPasswordAccount, secretAccount } = await import('../../src/main/store/secret-store.js');
      const { ProfileStore } = await import('../../src/main/store/profile-store.js');
      const kc = (await openKeychain()).store!;
      const profile = await new ProfileStore(configDir).get('pw');
      const perHop = secretAccount(profile.id, { kind: 'password', hop: `alice@127.0.0.1:${server.port}` });
      await kc.delete(perHop);
      await kc.set(legacyPasswordAccount(profile.id), SENTINEL);
      const offeredBefore = server.offered.length;
      const up = new CliTunnel(['pw'], { env: keyring.env, configDir });
      const state = await up.waitFor((e) => e.event === 'state' && (e.state === 'up' || e.state === 'failed'));
      expect(state.state, JSON.stringify(state)).toBe('up');
      expect(await up.stop()).toBe(0);
      expect(server.offered.slice(offeredBefore)).toEqual([SENTINEL]);
      expect(await kc.get(legacyPasswordAccount(profile.id))).toBeNull();
      expect(await kc.get(perHop)).toBe(SENTINEL);

      // Deleting a password stored the old way is final: it does not come back at the next connection.
      await kc.set(legacyPasswordAccount(profile.id), SENTINEL);
      const del = await runCli(['--config-dir', configDir, 'secret', 'delete', 'pw'], 20_000, keyring.env);
      expect(del.code, del.stderr).toBe(0);
      expect(await kc.get(legacyPasswordAccount(profile.id))).toBeNull();
      expect(await kc.get(perHop)).toBeNull();
      // Put it back for the tests that follow.
      await kc.set(perHop, SENTINEL);
    });
  });

  it('the sentinel is nowhere: not in the data directory, not in any output', () => {
    expect(everything(configDir)).not.toContain(SENTINEL);
    expect(logs.join('\n')).not.toContain(SENTINEL);
    expect(logs.join('\n').length).toBeGreaterThan(100); // the outputs were really captured
  });

  it('debug logging, a diagnostic report and a crash: neither the password nor a key passphrase shows up', async () => {
    // A real sshd and a key whose passphrase lives only in the keychain.
    const dir = mkdtempSync(join(tmpdir(), 'tv-secret-scan-'));
    const key = join(dir, 'id_locked');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', SENTINEL_PASSPHRASE, '-f', key]);
    writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${key}.pub`), { mode: 0o600 });
    const sshd = await Sshd.start({ authorizedKeys: join(dir, 'authorized_keys') });
    try {
      const known = await knownHostsFor([sshd]);
      const add = await runCli(['--config-dir', configDir, 'profiles', 'add', '--name', 'pp', '--', 'ssh', '-p', String(sshd.port), '-o', `UserKnownHostsFile=${known}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'IdentitiesOnly=yes', '-i', key, '-L', '0:127.0.0.1:9', `${sshd.user}@127.0.0.1`]);
      expect(add.code, add.stderr).toBe(0);
      const set = await runCliWithInput(['--config-dir', configDir, 'secret', 'set', 'pp', '--passphrase', key], SENTINEL_PASSPHRASE, keyring.env);
      expect(set.code, set.stderr).toBe(0);
      const pw = await runCliWithInput(['--config-dir', configDir, 'secret', 'set', 'pw'], SENTINEL, keyring.env);
      expect(pw.code, pw.stderr).toBe(0);

      // Injected from outside, as a fault would: SIGHUP throws inside the running process.
      const crash = join(dir, 'crash.mjs');
      writeFileSync(crash, "process.on('SIGHUP', () => { throw new Error('injected crash'); });\n");
      const reports = join(dir, 'reports');
      mkdirSync(reports);
      const env = { ...keyring.env, NODE_OPTIONS: `--import=${crash} --report-on-signal --report-signal=SIGUSR2 --report-directory=${reports}` };
      const outputs: string[] = [];
      for (const [name, flags] of [['pp', ['--verbose']], ['pw', ['--json', '--verbose']]] as const) {
        const child = spawn(process.execPath, [CLI, '--config-dir', configDir, 'up', ...flags, name], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        child.stdout.on('data', (d) => (output += d));
        child.stderr.on('data', (d) => (output += d));
        const exited = new Promise<number | null>((r) => child.on('close', r));
        const deadline = Date.now() + 20_000;
        while (!/"state":"up"|tunnelvision: up:/.test(output) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        expect(output).toMatch(/"state":"up"|tunnelvision: up:/);
        const before = readdirSync(reports).length;
        child.kill('SIGUSR2');
        const reportDeadline = Date.now() + 10_000;
        while (readdirSync(reports).length === before && Date.now() < reportDeadline) await new Promise((r) => setTimeout(r, 100));
        child.kill('SIGHUP');
        expect(await exited).toBe(1);
        expect(output).toMatch(/internal error \[INTERNAL\]: injected crash/);
        expect(output).toMatch(/debug/); // debug logging was really on
        outputs.push(output);
      }
      expect(readdirSync(reports).filter((f) => f.endsWith('.json'))).toHaveLength(2);
      expect(outputs.join('\n')).toMatch(/passphrase/i); // the passphrase was talked about, never shown
      for (const haystack of [outputs.join('\n'), everything(reports), everything(configDir)]) {
        expect(haystack).not.toContain(SENTINEL);
        expect(haystack).not.toContain(SENTINEL_PASSPHRASE);
      }
    } finally {
      await sshd.dispose();
    }
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

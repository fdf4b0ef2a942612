import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import { cspVerdicts, LOCKED_DOWN } from '../helpers/csp.js';
import { knownHostsFor } from '../helpers/fixtures.js';
import { startHttpServer, type Closable } from '../helpers/servers.js';
import { freePort, makeClientKeys, Sshd, type ClientKeys } from '../helpers/sshd.js';
import { auditScreen, type ScreenProblems } from './audit.js';
import { startUdpEcho, udpExchange } from '../helpers/udp.js';

const run = promisify(execFile);
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = 'test-artifacts/e2e';
const SCREENS = join(ARTIFACTS, 'screens');
const RENDERER_DIST = 'dist/renderer';
// CI installs chromium; elsewhere this test needs it and says so.
const skip = !existsSync(CHROMIUM) && !process.env.CI;

let sshd: Sshd;
let sshd2: Sshd;
let keys: ClientKeys;
let knownHosts: string;
let http: Closable;
let web: ChildProcess | null = null;
let url: string;
let configDir: string;
let home: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
const screenProblems: Record<string, ScreenProblems> = {};

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Every screen is checked at three sizes and in both themes; problems are collected and asserted at the end of each test. */
async function audit(name: string): Promise<void> {
  Object.assign(screenProblems, await auditScreen(page, SCREENS, name));
}

/** Each test answers for its own screens: the problems are taken out, then asserted. */
function expectCleanScreens(): void {
  const found = { ...screenProblems };
  for (const key of Object.keys(screenProblems)) delete screenProblems[key];
  expect(found).toEqual({});
}

/** `tunnelvision web` for our config dir, with HOME pointing at a prepared ~/.ssh/config. */
async function startWeb(): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
  delete env.SSH_AUTH_SOCK;
  web = spawn(process.execPath, [CLI, '--config-dir', configDir, 'web', '--json'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const first = await new Promise<string>((resolve) => createInterface({ input: web!.stdout! }).once('line', resolve));
  return (JSON.parse(first) as { url: string }).url;
}

function sshCommand(forward: string, extra = '', target = `${sshd.user}@127.0.0.1`, port = sshd.port): string {
  return `ssh -N ${forward} -p ${port} -i ${keys.key} -o IdentitiesOnly=yes -o BatchMode=yes -o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=yes ${extra} ${target}`.replace(/ {2,}/g, ' ');
}

const curl = (port: number) => run('curl', ['-sS', '--max-time', '5', `http://127.0.0.1:${port}/`]).then((r) => r.stdout);

async function newTunnel(name: string, command: string): Promise<void> {
  await page.getByRole('button', { name: 'New tunnel' }).first().click();
  await page.getByLabel('ssh command (paste one)').fill(command);
  await page.getByTestId('equivalent-command').filter({ hasText: /ssh/ }).waitFor();
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await row(name).waitFor();
}

const row = (name: string) => page.locator('.tunnel-row', { hasText: name });

async function open(name: string): Promise<void> {
  await row(name).locator('.row-open').click();
  await page.getByRole('heading', { level: 2, name }).waitFor();
}

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

// Each test audits its screens at three sizes in two themes (axe included): minutes, not seconds, on a busy machine.
describe.skipIf(skip)('the dashboard in real Chromium against tunnelvision web and a real sshd', { timeout: 600_000 }, () => {
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    keys = await makeClientKeys();
    sshd = await Sshd.start({ authorizedKeys: keys.authorizedKeys });
    sshd2 = await Sshd.start({ authorizedKeys: keys.authorizedKeys });
    knownHosts = await knownHostsFor([sshd, sshd2]);
    http = await startHttpServer('through the dashboard tunnel');
    configDir = mkdtempSync(join(tmpdir(), 'tv-e2e-'));
    home = mkdtempSync(join(tmpdir(), 'tv-e2e-home-'));
    mkdirSync(join(home, '.ssh'), { mode: 0o700 });
    const importPort = await freePort();
    writeFileSync(
      join(home, '.ssh', 'config'),
      [
        'Host webtunnel',
        '  HostName 127.0.0.1',
        `  Port ${sshd.port}`,
        `  User ${sshd.user}`,
        `  IdentityFile ${keys.key}`,
        `  UserKnownHostsFile ${knownHosts}`,
        `  LocalForward ${importPort} 127.0.0.1:${http.port}`,
        'Host bastion',
        '  HostName 127.0.0.1',
        `  Port ${sshd.port}`,
        'Host github.com',
        '  User git',
        'Match exec "test -e /nonexistent"',
        '  User nobody',
        '',
      ].join('\n'),
    );
    url = await startWeb();
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(url).origin });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  afterAll(async () => {
    await browser?.close();
    web?.kill('SIGTERM');
    await http?.close();
    await sshd?.dispose();
    await sshd2?.dispose();
  });

  it('first run teaches; paste → suggested name → save → start → the entrance, Copy, Open, search by port; uptime; traffic history survives a reload', async () => {
    await page.goto(url);
    await page.getByRole('heading', { name: /Keep your SSH tunnels up/ }).waitFor();
    expect(await page.evaluate('location.hash')).toBe(''); // the token left the address bar
    await expect(page.getByRole('button', { name: 'Paste an ssh command' }).isVisible()).resolves.toBe(true);
    await expect(page.getByRole('button', { name: 'Import ~/.ssh/config' }).first().isVisible()).resolves.toBe(true);
    await expect(page.getByText('npx tunnelvision web --demo').first().isVisible()).resolves.toBe(true);
    await audit('01-first-run');

    const localPort = await freePort();
    await page.getByRole('button', { name: 'Paste an ssh command' }).click();
    const name = page.getByLabel('Name', { exact: true });
    // Nothing is red before it was touched.
    expect(await name.getAttribute('aria-invalid')).not.toBe('true');
    await expect(page.locator('.field-error', { hasText: 'Give the tunnel a name' }).count()).resolves.toBe(0);
    await page.getByLabel('ssh command (paste one)').fill(sshCommand(`-L ${localPort}:127.0.0.1:${http.port}`));
    await page.getByTestId('equivalent-command').filter({ hasText: `-L ${localPort}:127.0.0.1:${http.port}` }).waitFor();
    expect(await name.getAttribute('placeholder')).toContain('(suggested)');
    await audit('02-editor');
    await name.fill('Web app');
    await page.getByRole('button', { name: 'Save', exact: true }).click();

    await row('Web app').waitFor();
    const stoppedHeight = (await row('Web app').boundingBox())!.height;
    await page.getByRole('button', { name: 'Start Web app' }).click();
    await row('Web app').locator('[data-state="up"]').waitFor({ timeout: 15_000 });
    // The address to use, never cut, in the row and the detail header.
    expect(await row('Web app').locator('[data-figure="entrances"]').textContent()).toBe(`127.0.0.1:${localPort}`);
    await open('Web app');
    expect(await page.getByTestId('entrance-address').first().textContent()).toBe(`127.0.0.1:${localPort}`);
    expect(await page.getByRole('link', { name: new RegExp(`Open http://127.0.0.1:${localPort}/`) }).getAttribute('href')).toBe(`http://127.0.0.1:${localPort}/`);
    await page.getByRole('button', { name: `Copy 127.0.0.1:${localPort}` }).last().click();
    await page.locator('.toast', { hasText: `Copied 127.0.0.1:${localPort}` }).waitFor();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(`127.0.0.1:${localPort}`);
    await expect(page.locator('.flow-sentence').first().textContent()).resolves.toContain(`Connections to 127.0.0.1:${localPort} on this computer reach port ${http.port} on 127.0.0.1 itself`);
    // Uptime and reconnect count.
    await page.locator('[data-figure="uptime"]').filter({ hasText: /^up \d+s$/ }).waitFor();
    expect(await page.locator('[data-figure="reconnects"]').textContent()).toBe('0 reconnects');

    for (let i = 0; i < 5; i++) expect(await curl(localPort)).toBe('through the dashboard tunnel');
    await page.locator('[data-figure="bytes-sent"]').filter({ hasNotText: /^0 B$/ }).waitFor({ timeout: 10_000 });
    await page.getByTestId('chart-summary').filter({ hasNotText: /received 0 B/ }).waitFor({ timeout: 10_000 });
    await shot('03-up-with-traffic');
    // Rows keep their height whatever the state and the numbers.
    expect((await row('Web app').boundingBox())!.height).toBe(stoppedHeight);

    // Search finds a tunnel by its port; no result says so.
    const search = page.getByRole('searchbox', { name: 'Search tunnels' });
    await search.fill(String(localPort));
    await row('Web app').waitFor();
    await search.fill('no-such-thing');
    await page.getByText(/No tunnel matches/).waitFor();
    await audit('04-no-results');
    await search.fill('');

    // The chart's history lives in the engine: a reload draws the same traffic.
    await page.reload();
    await open('Web app');
    await page.getByTestId('chart-summary').filter({ hasNotText: /received 0 B/ }).waitFor({ timeout: 5_000 });
    await audit('05-detail-up');
    expectCleanScreens();
  });

  it('Save & restart moves the listener: the new port accepts, the old refuses; "restart later" keeps drawing what runs', async () => {
    const before = Number((await page.getByTestId('entrance-address').first().textContent())!.split(':')[1]);
    const next = await freePort();
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    const field = page.getByLabel('ssh command (paste one)');
    await field.filter({ hasText: `-L ${before}:` }).waitFor();
    await field.fill((await field.inputValue()).replace(`-L ${before}:`, `-L ${next}:`));
    await page.getByTestId('equivalent-command').filter({ hasText: `-L ${next}:` }).waitFor();
    const saveRestart = page.getByRole('button', { name: 'Save & restart' });
    expect(await saveRestart.getAttribute('type')).toBe('submit'); // the default: Enter does it
    await saveRestart.click();
    await page.getByTestId('entrance-address').filter({ hasText: `127.0.0.1:${next}` }).waitFor({ timeout: 15_000 });
    await row('Web app').locator('[data-state="up"]').waitFor({ timeout: 15_000 });
    expect(await curl(next)).toBe('through the dashboard tunnel');
    await expect(curl(before)).rejects.toThrow();

    const third = await freePort();
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    await field.filter({ hasText: `-L ${next}:` }).waitFor();
    await field.fill((await field.inputValue()).replace(`-L ${next}:`, `-L ${third}:`));
    await page.getByTestId('equivalent-command').filter({ hasText: `-L ${third}:` }).waitFor();
    await page.getByRole('button', { name: 'Save, restart later' }).click();
    await page.getByTestId('pending-restart').waitFor();
    // Still drawn as what runs, and what runs is the old port.
    expect(await page.getByTestId('entrance-address').first().textContent()).toBe(`127.0.0.1:${next}`);
    expect(await curl(next)).toBe('through the dashboard tunnel');
    await expect(curl(third)).rejects.toThrow();
    await audit('06-pending-restart');
    await page.getByRole('button', { name: 'Restart with the new settings' }).click();
    await page.getByTestId('entrance-address').filter({ hasText: `127.0.0.1:${third}` }).waitFor({ timeout: 15_000 });
    await row('Web app').locator('[data-state="up"]').waitFor({ timeout: 15_000 });
    expect(await curl(third)).toBe('through the dashboard tunnel');
    await expect(page.getByTestId('pending-restart').count()).resolves.toBe(0);
    expectCleanScreens();
  });

  it('errors say what to do: a mistyped host, a jump host that refuses the login, a port in use, and recovery clears the error', async () => {
    // A mistyped host: in words, with a live countdown and Retry now.
    await newTunnel('Typo', sshCommand(`-L ${await freePort()}:127.0.0.1:80`, '', `${sshd.user}@no-such-host.invalid`));
    await page.getByRole('button', { name: 'Start Typo' }).click();
    await open('Typo');
    const card = page.locator('.error-card');
    await card.locator('.error-title', { hasText: "Can't find 'no-such-host.invalid' — typo or offline?" }).waitFor({ timeout: 15_000 });
    await page.getByTestId('retry-countdown').filter({ hasText: /Trying again in \d+ s\./ }).waitFor();
    expect(await card.count()).toBe(1);
    // Not a plain amber "Reconnecting": the row says what is going on.
    expect(await row('Typo').locator('.state').textContent()).toContain('Host not found, retrying');
    await audit('07-error-dns');
    const attempts = () => page.locator('.log li', { hasText: 'connecting: connecting to no-such-host.invalid' }).count();
    const seen = await attempts();
    await card.getByRole('button', { name: 'Retry now' }).click();
    await expect.poll(attempts, { timeout: 10_000 }).toBeGreaterThan(seen);
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await row('Typo').locator('[data-state="stopped"]').waitFor();

    // A jump host that answers and refuses the login is "refused login", not "down"; the card says what was tried.
    await newTunnel('Refused', sshCommand(`-L ${await freePort()}:127.0.0.1:80`, `-J nobody@127.0.0.1:${sshd.port}`));
    await page.getByRole('button', { name: 'Start Refused' }).click();
    await open('Refused');
    await card.locator('.error-title', { hasText: '127.0.0.1 (jump host) answered but refused the login' }).waitFor({ timeout: 15_000 });
    expect(await card.locator('.tried li').allTextContents()).toEqual([`the key ${keys.key}`]);
    expect(await page.locator('[data-node="jump0"]').getAttribute('data-condition')).toBe('refused');
    expect(await page.locator('[data-node="jump0"]').textContent()).toContain('refused login');
    await card.getByRole('button', { name: 'Add password' }).waitFor();
    await audit('08-error-refused-login');
    // The password it asks for is the jump host's, filed for that hop alone.
    await card.getByRole('button', { name: 'Add password' }).click();
    await page.getByRole('heading', { name: `Password for nobody@127.0.0.1:${sshd.port} (jump host)` }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('heading', { name: /^Password for/ }).waitFor({ state: 'detached' });
    // Starting a failed tunnel again is not "stopped by the user".
    const failures = () => page.locator('.log li', { hasText: 'failed: Permission denied' }).count();
    const before = await failures();
    await page.locator('.detail-actions').getByRole('button', { name: 'Start' }).click();
    await expect.poll(failures, { timeout: 15_000 }).toBeGreaterThan(before);
    expect(await page.locator('.log li', { hasText: 'stopped by the user' }).count()).toBe(0);

    // A port another program holds is caught when saving.
    const taken = await freePort();
    const holder = await listen(taken);
    await page.getByRole('button', { name: 'New tunnel' }).first().click();
    await page.getByLabel('ssh command (paste one)').fill(sshCommand(`-L ${taken}:127.0.0.1:80`));
    await page.getByTestId('equivalent-command').filter({ hasText: `-L ${taken}:` }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('Clash');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByTestId('port-busy').filter({ hasText: `${taken}: the address is already in use` }).waitFor();
    expect(await row('Clash').count()).toBe(0);
    await page.getByRole('button', { name: 'Cancel' }).click();
    holder.close();

    // Recovery clears the error and says so in the history.
    const port2 = await freePort();
    await newTunnel('Flaky', sshCommand(`-L ${port2}:127.0.0.1:${http.port}`, '', `${sshd2.user}@127.0.0.1`, sshd2.port));
    await page.getByRole('button', { name: 'Start Flaky' }).click();
    await row('Flaky').locator('[data-state="up"]').waitFor({ timeout: 15_000 });
    await open('Flaky');
    await sshd2.stop();
    await row('Flaky').locator('[data-state="reconnecting"]').waitFor({ timeout: 15_000 });
    await card.waitFor();
    await sshd2.relaunch();
    await row('Flaky').locator('[data-state="up"]').waitFor({ timeout: 20_000 });
    await expect.poll(() => card.count()).toBe(0);
    await page.locator('.log li', { hasText: /recovered after \d+ s/ }).waitFor();
    expect(await page.locator('[data-figure="reconnects"]').textContent()).toBe('1 reconnect');
    expect(await curl(port2)).toBe('through the dashboard tunnel');
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    expectCleanScreens();
  });

  it('keyboard: one tab stop in the list, arrows/Home/End, Enter opens; Escape closes the editor and the host-key dialog, whose focus is trapped', async () => {
    await expect(page.locator('.row-open[tabindex="0"]').count()).resolves.toBe(1);
    const names = await page.locator('.row-open .tunnel-name').allTextContents();
    await page.locator('.row-open[tabindex="0"]').focus();
    const focused = () => page.evaluate("document.activeElement?.querySelector('.tunnel-name')?.textContent ?? null");
    await page.keyboard.press('End');
    expect(await focused()).toBe(names.at(-1));
    await page.keyboard.press('Home');
    expect(await focused()).toBe(names[0]);
    await page.keyboard.press('ArrowDown');
    expect(await focused()).toBe(names[1]);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 2, name: names[1] }).waitFor();
    await page.locator('.row-open[tabindex="0"]').focus();
    await page.keyboard.press(' ');
    await page.getByRole('heading', { level: 2, name: names[1] }).waitFor();

    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    await page.getByRole('form', { name: /^Edit / }).waitFor();
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('form').count()).toBe(0);

    // A disabled button looks disabled: its border is not the enabled one.
    await page.getByRole('button', { name: 'New tunnel' }).first().click();
    const save = page.getByRole('button', { name: 'Save', exact: true });
    expect(await save.isDisabled()).toBe(true);
    expect(await page.evaluate("getComputedStyle(document.querySelector('.editor button[type=submit]')).borderStyle")).toBe('dashed');
    expect(await page.evaluate("getComputedStyle(document.querySelector('.editor button[type=button]')).borderStyle")).toBe('solid');
    await page.keyboard.press('Escape');

    // The host-key question: focus inside, Tab stays inside, Escape rejects, focus goes back.
    const empty = mkdtempSync(join(tmpdir(), 'kh-'));
    await newTunnel('Ask me', `ssh -N -D 0 -p ${sshd.port} -i ${keys.key} -o IdentitiesOnly=yes -o UserKnownHostsFile=${empty}/none ${sshd.user}@127.0.0.1`);
    const start = page.getByRole('button', { name: 'Start Ask me' });
    await start.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('alertdialog');
    await dialog.waitFor({ timeout: 10_000 });
    const { stdout } = await run('ssh-keygen', ['-l', '-f', `${sshd.hostKey}.pub`]);
    expect(await page.getByTestId('fingerprint').textContent()).toBe(stdout.split(' ')[1]);
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press('Tab');
      expect(await page.evaluate("document.querySelector('[role=alertdialog]').contains(document.activeElement)")).toBe(true);
    }
    await audit('09-host-key-dialog');
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
    await row('Ask me').locator('[data-state="failed"]').waitFor({ timeout: 10_000 });
    expect(await page.evaluate("document.activeElement?.getAttribute('aria-label')")).toMatch(/Ask me/);
    expectCleanScreens();
  });

  it('import is a table: hosts with forwards to tick, servers and jump hosts apart, notes about the file; Import selected', async () => {
    await page.getByRole('button', { name: 'Import ~/.ssh/config' }).first().click();
    const table = page.locator('.import-table');
    await table.waitFor();
    expect(await table.locator('tbody tr').count()).toBe(1);
    expect(await page.getByRole('checkbox', { name: 'Import webtunnel' }).isChecked()).toBe(true);
    expect(await page.locator('.server-list li strong').allTextContents()).toEqual(['bastion', 'github.com']);
    await expect(page.locator('.config-notes summary').textContent()).resolves.toMatch(/note/);
    await audit('10-import');
    await page.getByRole('button', { name: 'Import selected (1)' }).click();
    await page.locator('.toast', { hasText: 'Imported 1 tunnel.' }).waitFor();
    await row('webtunnel').waitFor();
    expect(await page.getByRole('button', { name: /Group Imported|Imported/ }).first().getAttribute('aria-expanded')).toBe('true');

    // An alias typed in the editor is shown beside what ~/.ssh/config resolves it to.
    await page.getByRole('button', { name: 'New tunnel' }).first().click();
    await page.getByLabel('ssh command (paste one)').fill(`ssh -N -L ${await freePort()}:127.0.0.1:80 webtunnel`);
    await page.getByTestId('resolved').filter({ hasText: `webtunnel → 127.0.0.1:${sshd.port}` }).waitFor();
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('form').count()).toBe(0);
    expectCleanScreens();
  });

  it('delete says the tunnel is running, and can be undone', async () => {
    await page.getByRole('button', { name: 'Start webtunnel' }).click();
    await row('webtunnel').locator('[data-state="up"]').waitFor({ timeout: 15_000 });
    await open('webtunnel');
    await page.getByRole('button', { name: 'Delete…' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Delete webtunnel?' });
    await expect(dialog.textContent()).resolves.toContain('It is running now');
    await audit('11-delete-dialog');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => row('webtunnel').count()).toBe(0);
    await page.locator('.toast').getByRole('button', { name: 'Undo' }).click();
    await row('webtunnel').locator('[data-state="up"]').waitFor({ timeout: 15_000 });
    expectCleanScreens();
  });

  it('when the engine dies the page says so within 3 s, claims no state and disables actions; it picks up by itself when the engine is back on the same address', async () => {
    await row('Web app').locator('[data-state="up"]').waitFor();
    const died = Date.now();
    web!.kill('SIGKILL');
    await page.getByTestId('offline-banner').waitFor({ timeout: 3_000 });
    expect(Date.now() - died).toBeLessThan(3_000);
    expect(await page.locator('[data-state="up"]').count()).toBe(0);
    expect(await page.locator('.tunnel-row[data-row-state="up"]').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'New tunnel' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Stop Web app' }).isDisabled()).toBe(true);
    await audit('12-engine-lost');

    const again = await startWeb();
    expect(again).toBe(url); // same port, same token: the open page needs nothing
    expect(statSync(join(configDir, 'web.json')).mode & 0o777).toBe(0o600);
    await page.getByTestId('offline-banner').waitFor({ state: 'detached', timeout: 10_000 });
    await expect(page.getByTestId('engine-link').textContent()).resolves.toBe('Engine connected');
    // The new engine runs nothing yet; the page says what it says.
    await row('Web app').locator('[data-state="stopped"]').waitFor();
    expectCleanScreens();
  });

  it('a changed host key: both fingerprints side by side with the known_hosts file and line; no Retry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tv-other-key-'));
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'other')]);
    const other = (await run('ssh-keygen', ['-l', '-f', join(dir, 'other.pub')])).stdout.split(' ')[1]!;
    const real = (await run('ssh-keygen', ['-l', '-f', `${sshd.hostKey}.pub`])).stdout.split(' ')[1]!;
    const pub = (await import('node:fs')).readFileSync(join(dir, 'other.pub'), 'utf8').split(' ');
    const wrong = join(dir, 'known_hosts');
    writeFileSync(wrong, `# a comment\n[127.0.0.1]:${sshd.port} ${pub[0]} ${pub[1]}\n`);
    await newTunnel('Changed', sshCommand(`-L ${await freePort()}:127.0.0.1:80`).replace(`UserKnownHostsFile=${knownHosts}`, `UserKnownHostsFile=${wrong}`));
    await page.getByRole('button', { name: 'Start Changed' }).click();
    await open('Changed');
    const card = page.locator('.error-card');
    await card.locator('.error-title', { hasText: 'presented a different host key than before' }).waitFor({ timeout: 15_000 });
    const cells = await card.locator('.host-keys tr').allTextContents();
    expect(cells[0]).toBe(`The server offeredssh-ed25519 ${real}`);
    expect(cells[1]).toBe(`known_hosts has (${wrong}:2)ssh-ed25519 ${other}`);
    expect(await card.getByRole('button', { name: 'Retry now' }).count()).toBe(0);
    expect(await page.locator('[data-node="server"]').getAttribute('data-condition')).toBe('untrusted');
    await card.getByRole('button', { name: 'Edit tunnel' }).waitFor();
    await audit('13-host-key-changed');
    expectCleanScreens();
  });

  it('a SOCKS tunnel: Copy proxy settings gives a URL that works with curl as it is', async () => {
    const socks = await freePort();
    await newTunnel('Proxy', sshCommand(`-D ${socks}`));
    await page.getByRole('button', { name: 'Start Proxy' }).click();
    await row('Proxy').locator('[data-state="up"]').waitFor({ timeout: 15_000 });
    await open('Proxy');
    expect(await row('Proxy').locator('[data-figure="entrances"]').textContent()).toBe(`SOCKS 127.0.0.1:${socks}`);
    await page.getByRole('button', { name: 'Copy proxy settings' }).click();
    await page.locator('.toast', { hasText: `Copied socks5h://127.0.0.1:${socks}` }).waitFor();
    const lines = String(await page.evaluate('navigator.clipboard.readText()')).split('\n');
    expect(lines[0]).toBe(`socks5h://127.0.0.1:${socks}`);
    const { stdout } = await run('curl', ['-sS', '--max-time', '5', '--proxy', lines[0]!, `http://127.0.0.1:${http.port}/`]);
    expect(stdout).toBe('through the dashboard tunnel');
    await page.getByRole('button', { name: 'Stop Proxy' }).click();
    await row('Proxy').locator('[data-state="stopped"]').waitFor();
  });

  it('a UDP forward: marked UDP in the row and the diagram (relay on the server), datagrams counted, and an edit keeps it', async () => {
    const echo = await startUdpEcho();
    const udpPort = await freePort();
    try {
      await newTunnel('DNS relay', sshCommand(`--udp-local ${udpPort}:127.0.0.1:${echo.port}`));
      await page.getByRole('button', { name: 'Start DNS relay' }).click();
      await row('DNS relay').locator('[data-state="up"]').waitFor({ timeout: 20_000 });
      expect(await row('DNS relay').locator('[data-figure="entrances"]').textContent()).toBe(`UDP 127.0.0.1:${udpPort}`);
      await open('DNS relay');
      await page.getByText('runs the UDP relay').first().waitFor();
      await page.getByText(/UDP datagrams sent to 127\.0\.0\.1:\d+ on this computer reach/).first().waitFor();
      const payloads = [Buffer.from('one'), Buffer.from('two'), Buffer.from('three')];
      const replies = await udpExchange(udpPort, payloads);
      expect(replies.map(String).sort()).toEqual(['one', 'three', 'two']);
      await page.locator('[data-udp-figures]', { hasText: '3 datagrams sent, 3 datagrams received' }).waitFor({ timeout: 15_000 });
      await shot('udp-tunnel');
      await page.getByRole('button', { name: 'Edit', exact: true }).click();
      await page.getByLabel('ssh command (paste one)').filter({ hasText: `--udp-local ${udpPort}:127.0.0.1:${echo.port}` }).waitFor();
      await page.keyboard.press('Escape');
      await page.getByRole('button', { name: 'Stop DNS relay' }).click();
      await row('DNS relay').locator('[data-state="stopped"]').waitFor();
    } finally {
      await echo.close();
    }
  });

  it('small things: favicon, --help for every command', async () => {
    const res = await page.request.get(new URL('favicon.svg', url.split('#')[0]).href);
    expect(res.status()).toBe(200);
    for (const command of ['web', 'up', 'parse', 'profiles', 'import', 'secret']) {
      const r = await runCli([command, '--help']);
      expect(r.code, command).toBe(0);
      expect(r.stdout).toContain(`tunnelvision ${command}`);
    }
  });

  it('the page is locked down: no Node, strict CSP enforced by the browser, nothing thrown', async () => {
    const page = await browser.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(url);
    await page.getByRole('heading', { name: 'Tunnelvision' }).waitFor();
    const globals = await page.evaluate(() => ['require', 'process', 'ipcRenderer', 'module', 'Buffer'].filter((name) => name in globalThis));
    expect(globals).toEqual([]);
    const res = await page.request.get(url.split('#')[0]!);
    expect(res.headers()['content-security-policy']).toMatch(/default-src 'self'/);
    expect(await cspVerdicts(page, http.port)).toEqual(LOCKED_DOWN);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('the renderer\'s own meta CSP, with no server header (the file as built), enforces the same policy', async () => {
    const local = await browser.newPage();
    // The desktop app adds its own header (app://, renderer-protocol.ts); the meta policy alone must
    // hold too. With no preload bridge the app says so instead of rendering; the policy is what is checked.
    await local.goto(pathToFileURL(join(RENDERER_DIST, 'index.html')).href);
    expect(await cspVerdicts(local, http.port)).toEqual(LOCKED_DOWN);
    await local.close();
  });
});

if (skip) {
  describe('the dashboard in real Chromium', () => {
    it.skip('needs /usr/bin/chromium (apt-get install chromium); .ci/run installs it', () => undefined);
  });
}

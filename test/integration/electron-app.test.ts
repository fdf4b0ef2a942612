import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../../src/main/app/app-controller.js';
import { INVOKE_CHANNEL } from '../../src/main/app/ipc.js';
import { ProfileStore } from '../../src/main/store/profile-store.js';
import { newSavedProfile } from '../../src/shared/saved-profile.js';
import { createFakeElectron, FakeBrowserWindow, FakeNotification, FakeTray } from '../helpers/fake-electron.js';
import { knownHostsFor, profileFor } from '../helpers/fixtures.js';
import { echoRoundTrip, startEchoServer, waitFor, type Closable } from '../helpers/servers.js';
import { makeClientKeys, Sshd } from '../helpers/sshd.js';

let sshd: Sshd;
let echo: Closable;
let store: ProfileStore;
let app: RunningApp;
let fake: ReturnType<typeof createFakeElectron>;
let profileId: string;
let rendererDir: string;

beforeAll(async () => {
  delete process.env.SSH_AUTH_SOCK;
  const keys = await makeClientKeys();
  sshd = await Sshd.start({ authorizedKeys: keys.authorizedKeys });
  echo = await startEchoServer();
  store = new ProfileStore(mkdtempSync(join(tmpdir(), 'tv-app-')));
  const knownHosts = await knownHostsFor([sshd]);
  const saved = await store.add(newSavedProfile('Office DB', profileFor(sshd, keys, knownHosts, [
    { kind: 'local', bind: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: echo.port } },
  ])));
  profileId = saved.id;
  await store.add(newSavedProfile('Idle one', profileFor(sshd, keys, knownHosts)));
  fake = createFakeElectron();
  rendererDir = mkdtempSync(join(tmpdir(), 'tv-renderer-'));
  mkdirSync(join(rendererDir, 'assets'));
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Tunnelvision</title>');
  writeFileSync(join(rendererDir, 'assets', 'index.js'), 'console.log(1)');
  writeFileSync(join(rendererDir, 'assets', 'index.js.map'), '{}');
  writeFileSync(join(rendererDir, '..', `${rendererDir.split('/').pop()}-secret`), 'not the renderer');
  app = (await startApp(fake.electron, { store, rendererDir, preloadFile: '/app/preload.cjs' }))!;
});

afterAll(async () => {
  await app?.service.dispose();
  await echo?.close();
  await sshd?.dispose();
});

const tray = (): FakeTray => FakeTray.last!;
const profileItem = (name: string) => tray().item((i) => i.label?.startsWith(name) === true)!;

describe('the Electron layer against a fake electron module', () => {
  it('opens one locked-down window', () => {
    const w = FakeBrowserWindow.all[0]!;
    expect(w.options.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, preload: '/app/preload.cjs' });
    expect(w.loadedUrl).toBe('app://tunnelvision/index.html');
    expect(w.webContents.windowOpenHandler!({ url: 'https://evil.example' })).toEqual({ action: 'deny' });
    const nav = { prevented: false, preventDefault() { this.prevented = true; } };
    w.webContents.emit('will-navigate', nav, 'https://evil.example');
    expect(nav.prevented).toBe(true);
    let granted: boolean | null = null;
    (fake.fake.session.defaultSession.permissionHandler as (a: unknown, b: string, cb: (g: boolean) => void) => void)(null, 'media', (g) => (granted = g));
    expect(granted).toBe(false);
  });

  it('serves the renderer from app://tunnelvision only: its own files, with the desktop CSP; nothing else', async () => {
    expect(fake.fake.protocol.privileged).toEqual([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
    const handler = fake.fake.protocol.handlers.get('app')!;
    const get = (url: string) => handler(new Request(url));
    const index = await get('app://tunnelvision/index.html');
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/text\/html/);
    expect(index.headers.get('content-security-policy')).toMatch(/default-src 'self'; connect-src 'self'/);
    expect(await index.text()).toContain('<title>Tunnelvision</title>');
    expect((await get('app://tunnelvision/assets/index.js')).headers.get('content-type')).toMatch(/javascript/);
    const secret = `app://tunnelvision/..%2F${rendererDir.split('/').pop()}-secret`;
    for (const [url, status] of [
      [secret, 404],
      ['app://tunnelvision/%2e%2e/%2e%2e/etc/passwd', 404],
      ['app://tunnelvision/assets/index.js.map', 404],
      ['app://elsewhere/index.html', 404],
      ['app://tunnelvision/%', 400],
      ['app://tunnelvision/missing.js', 404],
    ] as const) {
      const res = await get(url);
      expect(res.status, url).toBe(status);
      expect(await res.text()).not.toContain('not the renderer');
    }
  });

  it('drops IPC from a frame that is not the app:// renderer, even the window\'s own main frame after it left', async () => {
    const w = FakeBrowserWindow.all[0]!;
    const frame = w.webContents.mainFrame as { url: string };
    const saved = frame.url;
    frame.url = 'file:///tmp/evil.html';
    try {
      const r = (await fake.invoke(INVOKE_CHANNEL, w.webContents, frame, 'profiles.list', {})) as { ok: boolean; error?: { message: string } };
      expect(r.ok).toBe(false);
      expect(r.error?.message).toMatch(/unknown frame/);
    } finally {
      frame.url = saved;
    }
    expect(((await fake.invoke(INVOKE_CHANNEL, w.webContents, frame, 'profiles.list', {})) as { ok: boolean }).ok).toBe(true);
  });

  it('the tray menu is built from saved profiles with their state in words', () => {
    expect(profileItem('Office DB')).toMatchObject({ label: 'Office DB — off', type: 'checkbox', checked: false });
    expect(profileItem('Idle one').label).toBe('Idle one — off');
    expect(tray().item((i) => i.id === 'quit')).toBeDefined();
    expect(tray().tooltip).toMatch(/0 of 2/);
  });

  it('its checkbox starts a real tunnel; the menu and icon follow live', async () => {
    const idleIcon = tray().image;
    profileItem('Office DB').click!();
    await waitFor(() => profileItem('Office DB').label === 'Office DB — up', 10_000, 'the tray to say up');
    expect(profileItem('Office DB').checked).toBe(true);
    expect(tray().image).not.toBe(idleIcon);
    const port = app.service.manager.get(profileId)!.forwardStatuses()[0]!.allocatedPort!;
    expect((await echoRoundTrip(port, 5000)).received.length).toBe(5000);
  });

  it('relays the contract over IPC from the window, and events to it', async () => {
    const w = app.window() as unknown as FakeBrowserWindow;
    const r = (await fake.invoke(INVOKE_CHANNEL, w.webContents, w.webContents.mainFrame, 'tunnels.list', {})) as { ok: boolean; value: { id: string; state: string }[] };
    expect(r.ok).toBe(true);
    expect(r.value.find((t) => t.id === profileId)!.state).toBe('up');
    expect(w.webContents.sent.some((m) => m.args[0] === 'tunnel.state')).toBe(true);
    const bad = (await fake.invoke(INVOKE_CHANNEL, w.webContents, w.webContents.mainFrame, 'tunnels.start', { id: 42 })) as { ok: boolean; error: { code: string } };
    expect(bad).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENT' } });
  });

  it('drops a message from a foreign frame: no state change', async () => {
    const w = app.window() as unknown as FakeBrowserWindow;
    const r = (await fake.invoke(INVOKE_CHANNEL, w.webContents, { url: 'https://evil.example/iframe' }, 'tunnels.stop', { id: profileId })) as { ok: boolean; error: { message: string } };
    expect(r.ok).toBe(false);
    expect(r.error.message).toMatch(/unknown frame/);
    const other = new FakeBrowserWindow({});
    const r2 = (await fake.invoke(INVOKE_CHANNEL, other.webContents, other.webContents.mainFrame, 'tunnels.stop', { id: profileId })) as { ok: boolean };
    expect(r2.ok).toBe(false);
    expect(app.service.manager.get(profileId)!.getState()).toBe('up');
  });

  it('closing the window hides it; tunnels keep running', async () => {
    const w = app.window() as unknown as FakeBrowserWindow;
    w.userCloses();
    expect(w.isDestroyed()).toBe(false);
    expect(w.visible).toBe(false);
    expect(app.service.manager.get(profileId)!.getState()).toBe('up');
    tray().item((i) => i.id === 'open')!.click!();
    expect(w.visible).toBe(true);
  });

  it('notifies when a tunnel drops and comes back, at most once per 30 s', async () => {
    await sshd.signalSessions('SIGKILL');
    await waitFor(() => FakeNotification.shown.some((n) => n.title === 'Office DB dropped'), 10_000, 'a drop notification');
    await waitFor(() => app.service.manager.get(profileId)!.getState() === 'up', 15_000, 'the reconnect');
    await sshd.signalSessions('SIGKILL');
    await waitFor(() => app.service.manager.get(profileId)!.getState() === 'reconnecting', 10_000, 'the second drop');
    await waitFor(() => app.service.manager.get(profileId)!.getState() === 'up', 15_000, 'the second reconnect');
    expect(FakeNotification.shown.filter((n) => n.title === 'Office DB dropped')).toHaveLength(1);
  });

  it('the tray offers start at login, and toggles it', async () => {
    const item = () => tray().item((i) => i.id === 'login')!;
    expect(item().checked).toBe(false);
    item().click!();
    await waitFor(() => item().checked === true, 2000, 'the menu to follow');
    expect(fake.fake.app.openAtLogin).toBe(true);
  });

  it('resume from sleep and coming back online nudge the manager (offline → online only)', async () => {
    let nudges = 0;
    const original = app.service.manager.nudgeAll.bind(app.service.manager);
    app.service.manager.nudgeAll = () => {
      nudges++;
      original();
    };
    try {
      fake.fake.powerMonitor.emit('resume');
      expect(nudges).toBe(1);
      await new Promise((r) => setTimeout(r, 3500)); // online all along: no nudge
      expect(nudges).toBe(1);
      fake.fake.net.online = false;
      await new Promise((r) => setTimeout(r, 3500));
      fake.fake.net.online = true;
      await waitFor(() => nudges === 2, 5000, 'the online nudge');
    } finally {
      app.service.manager.nudgeAll = original;
    }
  });

  it('quitting stops every tunnel cleanly: listeners closed, then exit', async () => {
    const port = app.service.manager.get(profileId)!.forwardStatuses()[0]!.allocatedPort!;
    fake.fake.app.userQuits();
    await waitFor(() => fake.fake.app.exited === 0, 10_000, 'exit');
    expect(app.service.manager.get(profileId)!.getState()).toBe('stopped');
    await expect(echoRoundTrip(port, 1)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(tray().destroyed).toBe(true);
  });
});

describe('single instance', () => {
  it('a second instance quits at once', async () => {
    const second = createFakeElectron();
    second.fake.app.lock = false;
    expect(await startApp(second.electron, { store, rendererDir: 'x', preloadFile: 'y' })).toBeNull();
    expect(second.fake.app.quitCalled).toBe(true);
  });
});
